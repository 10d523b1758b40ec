"""回执编号: generated codes read back however a person types them, and never use a symbol that
can be mistaken for another."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.checkin.receipt_code import (
    ALPHABET,
    BITS,
    LENGTH,
    format_code,
    is_long_id,
    new_code,
    parse_code,
)

codes = st.text(alphabet=ALPHABET, min_size=LENGTH, max_size=LENGTH)


def test_codes_have_fifty_bits_from_an_alphabet_without_ambiguous_symbols() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 32 and BITS == 50
    assert not set("ILOU") & set(ALPHABET)
    fresh = {new_code() for _ in range(2000)}
    assert len(fresh) == 2000
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in fresh)
    assert set("".join(fresh)) == set(ALPHABET)  # every symbol is used


@given(codes)
def test_a_printed_code_reads_back_as_itself(code: str) -> None:
    printed = format_code(code)
    assert re.fullmatch(r"KY-[0-9A-Z]{5}-[0-9A-Z]{5}", printed)
    assert parse_code(printed) == code


@given(codes, st.booleans(), st.sampled_from(["", "-", " ", "  ", "－", "\u3000"]),
       st.booleans())
def test_case_dashes_spaces_prefix_and_full_width_do_not_matter(
    code: str, lower: bool, separator: str, prefix: bool,
) -> None:
    typed = separator.join([*(["KY"] if prefix else []), code[:5], code[5:]])
    typed = typed.lower() if lower else typed
    assert parse_code(typed) == code
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in typed)
    assert parse_code(full_width) == code


@given(codes)
def test_i_and_l_read_as_one_and_o_as_zero(code: str) -> None:
    typed = code.replace("1", "I").replace("0", "o")
    assert parse_code(typed) == code
    assert parse_code(code.replace("1", "l")) == code


@given(st.text(max_size=30))
def test_anything_else_is_no_code_or_a_code_of_the_alphabet(text: str) -> None:
    parsed = parse_code(text)
    assert parsed is None or (len(parsed) == LENGTH and set(parsed) <= set(ALPHABET))


def test_wrong_lengths_and_symbols_are_no_code() -> None:
    assert parse_code("KY-7F3KQ-9Q2M") is None  # one short
    assert parse_code("KY-7F3KQ-9Q2MXX") is None  # one long
    assert parse_code("KY-7F3KQ-9Q2MU") is None  # U is not in the alphabet
    assert parse_code("0" * 32) is None  # a long receipt id is not a code
    assert parse_code("") is None


def test_a_long_id_is_32_lower_case_hex_and_nothing_else() -> None:
    assert is_long_id("0123456789abcdef" * 2)
    for other in ("0123456789ABCDEF" * 2, "0123456789abcdef" * 2 + "\n", "ab" * 15,
                  "KY-7F3KQ-9Q2MX", ""):
        assert not is_long_id(other)
