"""居民身份证号码: the 18-digit resident ID number and its GB 11643-1999 check digit.

Small and ours: the rule is a weighted sum modulo 11 (ISO 7064 MOD 11-2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from keyuan.domain.errors import InvalidIdNumber

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# ASCII digits only, as for mobiles: a full-width digit would give one person two ID hashes.
_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9X]")


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


MIN_FACE_AGE = 14
"""C5 (PIPL 31; 办法 7): no face processing for anyone younger, at the kiosk or the desk."""


def age_on(born: date, today: date) -> int:
    """Completed years on `today` (a 29 February birthday comes of age on 1 March)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date

    def age_on(self, today: date) -> int:
        return age_on(self.birth_date, today)

    def under_face_age(self, today: date) -> bool:
        """The birth date in the number says under 14 on `today`: no face processing (C5)."""
        return self.age_on(today) < MIN_FACE_AGE

    @property
    def masked(self) -> str:
        """Shown on screens and statements: first 6 and last 4 only."""
        return f"{self.value[:6]}********{self.value[-4:]}"


def parse_id_number(raw: str, *, today: date) -> IdNumber:
    """Normalise (spaces dropped, lower-case x accepted) and validate shape, birth date (from 1900
    up to `today`) and the check digit. Raises `InvalidIdNumber` without echoing the number."""
    value = re.sub(r"\s", "", raw or "").upper()
    if not _SHAPE.fullmatch(value):
        raise InvalidIdNumber("An ID number has 17 digits and a check digit (0-9 or X).")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("The birth date inside the ID number does not exist.") from exc
    if born.year < 1900:
        raise InvalidIdNumber("The birth date inside the ID number is before 1900.")
    if born > today:
        raise InvalidIdNumber("The birth date inside the ID number is in the future.")
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber("The check digit of the ID number is wrong (GB 11643).")
    return IdNumber(value=value, birth_date=born)
