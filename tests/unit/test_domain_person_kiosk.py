"""Persons are pseudonyms (C16); a kiosk session remembers a refusal (C2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.person import Person, new_pseudonym
from keyuan.domain.errors import FaceDeclinedThisVisit, SessionPersonMismatch

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
HEX32 = re.compile(r"[0-9a-f]{32}")


def test_c16_a_pseudonym_is_32_random_hex_characters() -> None:
    pseudonyms = {new_pseudonym() for _ in range(1000)}

    assert len(pseudonyms) == 1000
    assert all(HEX32.fullmatch(p) for p in pseudonyms)


def test_c16_a_person_id_carries_nothing_of_the_name_or_time() -> None:
    name = "Zhang San"
    first = Person.new(now=NOW, name=name)
    second = Person.new(now=NOW, name=name)

    assert first.id != second.id
    assert HEX32.fullmatch(first.id)
    assert name.lower().replace(" ", "") not in first.id
    assert name.encode().hex() not in first.id
    assert NOW.strftime("%Y%m%d") not in first.id
    assert first.name == name


def test_an_empty_name_is_stored_as_no_name() -> None:
    assert Person.new(now=NOW, name="").name is None


def test_a_new_session_offers_face() -> None:
    session = KioskSession.start(office_id="o1", now=NOW)

    session.require_face_offerable()
    assert not session.face_declined
    assert session.person_id is None


def test_c2_after_declining_face_is_not_offered_again_in_that_session() -> None:
    session = KioskSession.start(office_id="o1", now=NOW)
    session.decline_face()

    with pytest.raises(FaceDeclinedThisVisit):
        session.require_face_offerable()


def test_c2_a_refusal_does_not_carry_over_to_another_session() -> None:
    declined = KioskSession.start(office_id="o1", now=NOW)
    declined.decline_face()

    KioskSession.start(office_id="o1", now=NOW).require_face_offerable()
    assert declined.id != KioskSession.start(office_id="o1", now=NOW).id


def test_a_session_that_checked_someone_in_refuses_anyone_else() -> None:
    session = KioskSession.start(office_id="o", now=datetime(2025, 6, 1, tzinfo=UTC))
    session.belongs_to("p1", checked_in=False)
    session.belongs_to("p2", checked_in=False)  # nothing checked in yet: still open

    session.belongs_to("p2", checked_in=True)  # the same person again
    with pytest.raises(SessionPersonMismatch):
        session.belongs_to("p3", checked_in=True)
    assert session.person_id == "p2"
