"""The kiosk's "welcome back": a check-in answers with its visit number among the visitor's
visits to the office, once the visitor proved who they are (the SMS code, their own face), so
the kiosk can greet a return; a repeat within the visit window is the same visit, the same
number; an unverified return answers nothing of it. Real HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from .test_kiosk_one_answer import ANN, CAROL, Kiosk, kiosk_on

__all__ = ["kiosk_on"]  # the fixture, shared with the one-answer tests
MOBILE = "13700005555"


def test_a_check_in_answers_with_its_visit_number_at_the_office(
        kiosk_on: Callable[..., Kiosk]) -> None:
    k = kiosk_on()
    sid, notice_hash = k.session()
    first = k.phone(sid, notice_hash, MOBILE)
    assert first["visit_number"] == 1
    sid, notice_hash = k.session()
    assert k.phone(sid, notice_hash, MOBILE)["visit_number"] == 1  # the same visit again
    k.live.clock.advance(hours=3)
    sid, notice_hash = k.session()
    assert k.phone(sid, notice_hash, MOBILE)["visit_number"] == 2

    receipt = k.face_person(ANN)  # a first face check-in is a first visit
    k.live.clock.advance(hours=3)
    status, body, _ = k.back({"receipt_id": receipt}, ANN)
    assert (status, body["visit_number"]) == (201, 2)
    k.live.clock.advance(hours=3)
    status, body, _ = k.back({"receipt_id": receipt}, ANN)
    assert (status, body["visit_number"]) == (201, 3)

    status, body, _ = k.back({"receipt_id": receipt}, CAROL)  # not her face: nothing told
    assert status == 401 and "visit_number" not in body
