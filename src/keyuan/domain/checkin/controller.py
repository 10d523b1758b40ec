"""The personal-information controller (个人信息处理者) behind a sales office: its legal entity.

A notice and every receipt name it (PIPL art. 17): name, unified social credit code
(统一社会信用代码, GB 32100-2015), a contact, and the person responsible for personal
information (个人信息保护负责人, art. 52) with their contact. Until all of that is on file the
controller is incomplete and the kiosk does not start (`ControllerIncomplete`).

Small and ours: the credit code's check character is a dozen lines (no library needed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from keyuan.domain.bounds import has_control_characters
from keyuan.domain.errors import InvalidContact, InvalidCreditCode, InvalidOffice

# GB 32100-2015: 31 characters — digits and capitals without I, O, Z, S, V.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: value for value, char in enumerate(CREDIT_CODE_CHARSET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, …
CREDIT_CODE_LENGTH = 18

NAME_MAX = 200
PERSON_MAX = 100
CONTACT_MAX = 200
OFFICE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
"""An office id is part of its kiosk's address (/kiosk/<id>): lower-case letters, digits, '-'."""

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
_PHONE = re.compile(r"\+?[0-9]{7,15}")


def credit_code_check(first17: str) -> str:
    """The 18th character of a credit code whose first 17 are `first17` (mod 31)."""
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a unified social credit code, or None when it is one."""
    if len(code) != CREDIT_CODE_LENGTH:
        return f"has {len(code)} characters, not {CREDIT_CODE_LENGTH}"
    wrong = sorted({char for char in code if char not in _VALUE})
    if wrong:
        return f"contains {''.join(wrong)!r} (allowed: digits and capitals except I, O, Z, S, V)"
    if credit_code_check(code[:17]) != code[17]:
        return "has a wrong check character (the last one): please check for a typing mistake"
    return None


def normalize_credit_code(raw: str) -> str:
    """The code in capitals without spaces; `InvalidCreditCode` unless it is a valid one."""
    code = re.sub(r"\s", "", raw or "").upper()
    problem = credit_code_problem(code)
    if problem is not None:
        shown = code[:20] if not has_control_characters(code) else "?"
        raise InvalidCreditCode(f"The unified social credit code '{shown}' {problem}.")
    return code


def contact_problem(contact: str) -> str | None:
    """Why `contact` is neither a phone number nor an e-mail address, or None."""
    if _EMAIL.fullmatch(contact):
        return None
    if _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", contact)):
        return None
    return "is neither a phone number (7 to 15 digits) nor an e-mail address"


def normalize_contact(raw: str, *, what: str = "contact") -> str:
    contact = (raw or "").strip()
    if len(contact) > CONTACT_MAX or has_control_characters(contact):
        raise InvalidContact(f"The {what} must be at most {CONTACT_MAX} plain characters.")
    problem = contact_problem(contact)
    if problem is not None:
        raise InvalidContact(f"The {what} '{contact[:40]}' {problem}.")
    return contact


def clean_text(raw: str, *, what: str, limit: int, required: bool = True) -> str:
    text = " ".join((raw or "").split())
    if has_control_characters(text) or len(text) > limit:
        raise InvalidOffice(f"The {what} must be at most {limit} plain characters.")
    if required and not text:
        raise InvalidOffice(f"The {what} must not be empty.")
    return text


def check_office_id(raw: str) -> str:
    if not OFFICE_ID.fullmatch(raw or ""):
        raise InvalidOffice(f"The office id '{(raw or '')[:70]}' must be 1 to 64 lower-case "
                            "letters, digits or '-', starting with a letter or digit (it is "
                            "part of the kiosk's address).")
    return raw


# the fields a complete controller has, in the order forms and messages name them
CONTROLLER_FIELDS = ("name", "credit_code", "contact", "pi_name", "pi_contact")


@dataclass(eq=False)
class LegalEntity:
    """法人: the controller of one or more sales offices. Values are stored only once valid
    (`normalize_*`); an empty one is simply not on file yet."""

    id: int | None
    name: str
    credit_code: str = ""
    contact: str = ""
    pi_name: str = ""
    """个人信息保护负责人: the person responsible for personal information."""
    pi_contact: str = ""

    def missing(self) -> list[str]:
        """The controller fields not (validly) on file, in `CONTROLLER_FIELDS` order."""
        out = []
        if not self.name.strip():
            out.append("name")
        if credit_code_problem(self.credit_code) is not None:
            out.append("credit_code")
        if contact_problem(self.contact) is not None:
            out.append("contact")
        if not self.pi_name.strip():
            out.append("pi_name")
        if contact_problem(self.pi_contact) is not None:
            out.append("pi_contact")
        return out

    @property
    def complete(self) -> bool:
        return not self.missing()
