"""The controller behind an office: unified social credit codes (GB 32100-2015), contacts, and
when a legal entity is complete enough for a notice to name it (PIPL 17, 52)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.checkin.controller import (
    CREDIT_CODE_CHARSET,
    LegalEntity,
    check_office_id,
    contact_problem,
    credit_code_check,
    credit_code_problem,
    normalize_contact,
    normalize_credit_code,
)
from keyuan.domain.errors import InvalidContact, InvalidCreditCode, InvalidOffice

# published codes of real companies (their check characters were not computed by this code)
REAL = ["91350100M000100Y43", "91110000802100433B"]
bodies = st.text(alphabet=CREDIT_CODE_CHARSET, min_size=17, max_size=17)


def complete() -> LegalEntity:
    return LegalEntity(id=1, name="某某置业有限公司", credit_code=REAL[0], contact="0591-12345678",
                       pi_name="李敏", pi_contact="dpo@example.cn")


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code: str) -> None:
    assert credit_code_problem(code) is None
    assert normalize_credit_code(f" {code[:9].lower()} {code[9:]} ") == code


def test_the_charset_has_31_characters_without_i_o_z_s_v() -> None:
    assert len(CREDIT_CODE_CHARSET) == len(set(CREDIT_CODE_CHARSET)) == 31
    assert not set("IOZSV") & set(CREDIT_CODE_CHARSET)


@pytest.mark.parametrize(("code", "why"), [
    ("91350100M000100Y4", "17 characters"),
    ("91350100M000100Y433", "19 characters"),
    ("91350100M000100Y44", "wrong check character"),
    ("91350100M00O100Y43", "'O'"),
    ("9135010OM000100Y43", "'O'"),
    ("91350100M000100I43", "'I'"),
    ("", "0 characters"),
])
def test_bad_codes_say_why_in_one_line(code: str, why: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None and why in problem
    with pytest.raises(InvalidCreditCode, match=why) as refused:
        normalize_credit_code(code)
    assert refused.value.code == "invalid_credit_code" and "\n" not in refused.value.message


@given(bodies)
def test_the_check_character_makes_every_body_valid(body: str) -> None:
    assert credit_code_problem(body + credit_code_check(body)) is None


@given(bodies, st.integers(0, 17), st.sampled_from(CREDIT_CODE_CHARSET))
def test_any_single_character_changed_is_caught(body: str, at: int, char: str) -> None:
    """Weights 3^i mod 31 are units mod 31, so one wrong character always shows."""
    code = body + credit_code_check(body)
    typo = code[:at] + char + code[at + 1:]
    assert (credit_code_problem(typo) is None) == (typo == code)


@given(bodies, st.integers(0, 15))
def test_two_swapped_neighbours_are_caught(body: str, at: int) -> None:
    code = body + credit_code_check(body)
    swapped = code[:at] + code[at + 1] + code[at] + code[at + 2:]
    assert (credit_code_problem(swapped) is None) == (swapped == code)


@given(st.text(max_size=30))
def test_any_text_is_either_a_valid_code_or_refused_cleanly(text: str) -> None:
    try:
        code = normalize_credit_code(text)
    except InvalidCreditCode as refused:
        assert "\n" not in refused.message
    else:
        assert credit_code_problem(code) is None


@pytest.mark.parametrize("contact", ["0591-12345678", "400-820-8820", "+86 138 0013 8000",
                                     "(010) 1234 5678", "dpo@example.cn"])
def test_phones_and_emails_are_contacts(contact: str) -> None:
    assert contact_problem(contact) is None
    assert normalize_contact(f"  {contact} ") == contact


@pytest.mark.parametrize("contact", ["", "前台", "123", "dpo@", "a@b", "dpo@example.cn x",
                                     "1" * 16])
def test_anything_else_is_no_contact(contact: str) -> None:
    assert contact_problem(contact) is not None
    with pytest.raises(InvalidContact):
        normalize_contact(contact)


def test_a_complete_entity_misses_nothing() -> None:
    assert complete().missing() == [] and complete().complete


@pytest.mark.parametrize("field", ["name", "credit_code", "contact", "pi_name", "pi_contact"])
def test_each_controller_detail_is_required(field: str) -> None:
    entity = complete()
    setattr(entity, field, "")
    assert entity.missing() == [field] and not entity.complete


def test_a_stored_bad_code_counts_as_missing() -> None:
    entity = complete()
    entity.credit_code = "91350100M000100Y44"
    assert entity.missing() == ["credit_code"]


@pytest.mark.parametrize("office_id", ["demo-office", "sales-1", "a"])
def test_office_ids_fit_a_kiosk_address(office_id: str) -> None:
    assert check_office_id(office_id) == office_id


@pytest.mark.parametrize("office_id", ["", "-x", "Sales", "a b", "售楼处", "a/b", "x" * 65])
def test_other_office_ids_are_refused(office_id: str) -> None:
    with pytest.raises(InvalidOffice):
        check_office_id(office_id)
