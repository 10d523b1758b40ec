"""Mainland China mobile numbers: small and ours (no library needed)."""

from __future__ import annotations

import re

from keyuan.domain.errors import InvalidMobile

_SEPARATORS = re.compile(r"[\s\-()]")
# ASCII digits only: `\d` would also take full-width and Arabic-Indic digits, giving one
# person two different mobile hashes.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalize_mobile(raw: str) -> str:
    """Return the 11-digit number, accepting spaces, dashes and a +86/0086 prefix."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if not _MOBILE.fullmatch(digits):
        raise InvalidMobile(
            f"'{mask_for_message(raw)}' is not an 11-digit mobile number starting 13-19."
        )
    return digits


def mask_mobile(mobile: str) -> str:
    """前三后四: 13812345678 -> 138****5678."""
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_for_message(raw: str | None) -> str:
    """Echo bad input back without repeating a whole number into logs."""
    text = (raw or "")[:20]
    return text if len(text) < 7 else f"{text[:3]}…{text[-2:]}"
