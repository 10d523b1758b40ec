"""Mainland mobile numbers: accept what people type, refuse everything else, mask 前三后四."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from keyuan.domain.errors import InvalidMobile
from keyuan.domain.mobile import mask_for_message, mask_mobile, normalize_mobile

VALID = re.compile(r"1[3-9][0-9]{9}")

ascii_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
valid_mobiles = st.builds(lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"),
                          ascii_digits)
separators = st.sampled_from(["", " ", "-", "  ", " - "])


@st.composite
def typed_forms(draw: st.DrawFn) -> tuple[str, str]:
    """A valid number as someone might type it: grouped, dashed, with a country prefix."""
    number = draw(valid_mobiles)
    sep = draw(separators)
    grouped = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-"]))
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return number, f"{padding}{prefix}{grouped}{padding}"


@given(typed_forms())
@example(("13812345678", "+86 138-1234-5678"))
@example(("19912345678", "0086 199 1234 5678"))
def test_a_valid_number_typed_with_spaces_dashes_or_plus86_is_normalised(
    case: tuple[str, str],
) -> None:
    number, typed = case

    assert normalize_mobile(typed) == number


def _rejected(raw: str) -> bool:
    stripped = re.sub(r"[\s\-()]", "", raw)
    for prefix in ("+86", "0086"):
        if stripped.startswith(prefix):
            stripped = stripped[len(prefix):]
    return VALID.fullmatch(stripped) is None


@given(st.text(max_size=25).filter(_rejected))
@example("")
@example("1381234567")  # 10 digits
@example("138123456789")  # 12 digits
@example("12812345678")  # second digit 2
@example("23812345678")  # does not start with 1
@example("86 13812345678")  # country code without + or 00
@example("1381234567a")
@example("１３８１２３４５６７８")  # full-width digits
@example("138\u06612345678")  # an Arabic-Indic digit inside
@example("13８12345678")  # one full-width digit
def test_anything_else_raises_invalid_mobile(raw: str) -> None:
    with pytest.raises(InvalidMobile):
        normalize_mobile(raw)


@given(st.text(alphabet="0123456789", min_size=0, max_size=16))
def test_digit_strings_are_accepted_exactly_when_they_are_a_mainland_number(digits: str) -> None:
    if VALID.fullmatch(digits):
        assert normalize_mobile(digits) == digits
    else:
        with pytest.raises(InvalidMobile):
            normalize_mobile(digits)


@given(valid_mobiles)
def test_a_normalised_number_is_eleven_ascii_digits(number: str) -> None:
    result = normalize_mobile(number)

    assert result.isascii() and result.isdigit() and len(result) == 11


def test_masking_keeps_the_first_three_and_last_four_digits() -> None:
    assert mask_mobile("13812345678") == "138****5678"


@given(valid_mobiles)
def test_masking_hides_exactly_the_middle_four(number: str) -> None:
    masked = mask_mobile(number)

    assert masked == number[:3] + "****" + number[-4:]
    assert len(masked) == 11


def test_the_refusal_message_does_not_repeat_the_whole_input() -> None:
    with pytest.raises(InvalidMobile) as raised:
        normalize_mobile("1381234567890")

    assert "1381234567890" not in raised.value.message
    assert mask_for_message("1381234567890") in raised.value.message
