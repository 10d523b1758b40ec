"""Template bytes in the vault: exact round trip, strict refusal of anything else."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from keyuan.adapters.biometrics.codec import (
    ENCODED_LENGTH,
    FORMAT_VERSION,
    TemplateFormatError,
    decode_template,
    encode_template,
)

finite_float32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(arrays(np.float32, 128, elements=finite_float32))
def test_any_finite_template_round_trips_bit_for_bit(template: np.ndarray) -> None:
    data = encode_template(template)
    assert len(data) == ENCODED_LENGTH == 513
    assert decode_template(data).tobytes() == template.tobytes()


def test_encoding_is_a_version_byte_then_little_endian_float32() -> None:
    template = np.arange(128, dtype=np.float32) / 128
    data = encode_template(template)
    assert data[0] == FORMAT_VERSION
    assert data[1:] == template.astype("<f4").tobytes()


def test_decoded_template_is_float32_of_shape_128() -> None:
    decoded = decode_template(encode_template(np.ones(128, dtype=np.float64)))
    assert decoded.dtype == np.float32
    assert decoded.shape == (128,)


@pytest.mark.parametrize("length", [0, 1, 512, 514, 1025])
def test_bytes_of_the_wrong_length_are_refused(length: int) -> None:
    with pytest.raises(TemplateFormatError, match="513 bytes"):
        decode_template(bytes([FORMAT_VERSION]) + b"\0" * (length - 1) if length else b"")


def test_an_unknown_version_byte_is_refused() -> None:
    data = bytearray(encode_template(np.zeros(128, dtype=np.float32)))
    data[0] = FORMAT_VERSION + 1
    with pytest.raises(TemplateFormatError, match="version"):
        decode_template(bytes(data))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_stored_non_finite_values_are_refused(bad: float) -> None:
    values = np.zeros(128, dtype="<f4")
    values[7] = bad
    with pytest.raises(TemplateFormatError, match="NaN or infinity"):
        decode_template(bytes([FORMAT_VERSION]) + values.tobytes())


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_templates_are_not_encoded(bad: float) -> None:
    values = np.zeros(128, dtype=np.float32)
    values[0] = bad
    with pytest.raises(TemplateFormatError):
        encode_template(values)


@pytest.mark.parametrize("shape", [(127,), (129,), (1, 128), (128, 1)])
def test_templates_of_the_wrong_shape_are_not_encoded(shape: tuple[int, ...]) -> None:
    with pytest.raises(TemplateFormatError, match="shape"):
        encode_template(np.zeros(shape, dtype=np.float32))
