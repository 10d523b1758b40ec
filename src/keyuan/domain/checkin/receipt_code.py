"""回执编号: the short receipt code a visitor can read out, type or scan (`KY-7F3KQ-9Q2MX`).

Ten random symbols of Crockford's base32 alphabet (digits and capitals without I, L, O and U,
so 1/I/L and 0/O cannot be confused): 50 bits, about 1.1 × 10¹⁵ codes. Guessing is hopeless
under the rate limits: an address may look up 30 unknown codes an hour, so with 100,000
receipts issued one address finds one by chance about once in 40,000 years — and a code alone
opens nothing: the rights portal still sends its SMS code to the mobile on file.

The consent's long id stays the key of the signed receipt (Kantara `consentReceiptID`); the
code is what people see. Typed codes are read generously: any case, with or without the `KY`
prefix, dashes or spaces, full-width characters, and I/L read as 1, O as 0."""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
BITS = LENGTH * 5
PREFIX = "KY"
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", " -_.\u00b7\u2010\u2011\u2012\u2013\u2014\u2212")


def new_code() -> str:
    """A fresh code in its stored form (the ten symbols, no prefix or dashes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_code(code: str) -> str:
    """The stored form as people see it: `KY-XXXXX-XXXXX`."""
    half = LENGTH // 2
    return f"{PREFIX}-{code[:half]}-{code[half:]}"


def parse_code(text: str) -> str | None:
    """What a person typed → the stored form, or None when it cannot be a receipt code."""
    plain = unicodedata.normalize("NFKC", text).upper().translate(_SEPARATORS)
    if len(plain) == LENGTH + len(PREFIX) and plain.startswith(PREFIX):
        plain = plain[len(PREFIX):]
    plain = plain.translate(_READ_AS)
    if len(plain) != LENGTH or any(c not in ALPHABET for c in plain):
        return None
    return plain


_LONG_ID = re.compile(r"[0-9a-f]{32}")


def is_long_id(text: str) -> bool:
    """Whether `text` is a consent's long id (`consentReceiptID`, 32 lower-case hex): the key of
    the signed receipt, printed on receipts from before 回执编号 existed; still accepted from
    them, never shown."""
    return _LONG_ID.fullmatch(text) is not None
