"""Before the camera: "I have been here before" with a receipt number asks whether a face
check-in stands behind it, so a visitor without one goes the mobile way without being filmed.
Only a receipt gets this answer (its holder learns nothing the receipt does not already say);
a mobile number gets none. The check is counted like a face attempt and refused as a return is.
Real HTTP, SQLite and PostgreSQL, the fake face engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from keyuan.adapters.biometrics.fake import FakeEngine
from support.live import live_server

from .test_kiosk_one_answer import (
    ANN,
    BEN,
    NOBODY_MOBILE,
    NOBODY_RECEIPT,
    ROOMY,
    Kiosk,
    kiosk_on,
)

__all__ = ["kiosk_on"]  # the fixture, shared with the one-answer tests
PHONE_ONLY = "13700006666"


def check(k: Kiosk, body: dict[str, object], sid: str | None = None,
          ) -> tuple[int, dict[str, Any]]:
    sid = sid or k.session()[0]
    answer = k.post(f"/api/kiosk/sessions/{sid}/return-check", body)
    return answer.status_code, answer.json()


def test_only_a_receipt_with_a_face_check_in_behind_it_turns_the_camera_on(
        kiosk_on: Callable[..., Kiosk]) -> None:
    k = kiosk_on()
    enrolled = k.face_person(ANN)
    never_enrolled = k.face_person(BEN, enroll=False)
    withdrawn = k.face_person((90, 90, 90))
    assert k.post(f"/api/receipts/{withdrawn}/withdraw", {}).status_code == 200
    sid, notice_hash = k.session()
    phone_receipt = k.phone(sid, notice_hash, PHONE_ONLY)["receipt"]["receipt_id"]
    engine_calls = len(k.engine.calls)

    assert check(k, {"receipt_id": enrolled}) == (200, {"face_on_file": True})
    for receipt in (phone_receipt, never_enrolled, withdrawn, NOBODY_RECEIPT):
        assert check(k, {"receipt_id": receipt}) == (200, {"face_on_file": False}), receipt
    assert len(k.engine.calls) == engine_calls  # no face is processed before the camera
    with k.live.app.deps.uow() as uow:  # C17: each look at a named person's template audited
        looked = [(e.detail["on_file"], e.actor) for e in uow.audit.all()
                  if e.action == "face_template_checked"]
    assert sorted(looked) == [(False, "kiosk")] * 3 + [(True, "kiosk")]  # nobody's: no entry

    # a mobile number is nobody's secret: no answer for one, known or not
    for body in ({"mobile": PHONE_ONLY}, {"mobile": NOBODY_MOBILE},
                 {"receipt_id": enrolled, "mobile": PHONE_ONLY}):
        status, answer = check(k, body)
        assert (status, answer["error"]) == (422, "invalid_request"), body


def test_the_check_is_refused_as_a_return_is_and_counted_like_a_face_attempt(
        store_url: str, tmp_path: Path) -> None:
    tight = {**ROOMY, "face_attempts_per_claim": {"limit": 3, "window_seconds": 3600}}
    with live_server(tmp_path / "data", engine=FakeEngine(), limits=tight,
                     database_url=None if store_url.startswith("sqlite") else store_url,
                     face={"min_sharpness": 0.0}) as live:
        k = Kiosk(live, FakeEngine())
        live.clock.advance(hours=1)
        sid, notice_hash = k.session()
        receipt = k.phone(sid, notice_hash, PHONE_ONLY)["receipt"]["receipt_id"]

        sid, _ = k.session()
        assert k.post(f"/api/kiosk/sessions/{sid}/decline-face", {}).status_code == 200
        status, answer = check(k, {"receipt_id": receipt}, sid)
        assert (status, answer["error"]) == (409, "face_declined_this_visit")

        with httpx.Client(base_url=live.base_url) as stranger:  # no paired tablet
            refused = stranger.post(f"/api/kiosk/sessions/{k.session()[0]}/return-check",
                                    json={"receipt_id": receipt})
        assert (refused.status_code, refused.json()["error"]) == (401, "device_not_paired")

        answers = [check(k, {"receipt_id": receipt}) for _ in range(3)]
        assert answers == [(200, {"face_on_file": False})] * 3
        status, answer = check(k, {"receipt_id": receipt})
        assert (status, answer["error"]) == (429, "face_attempts_rate_limited")
        # the same claim, the same count, on the return that would follow
        sid = k.session()[0]
        status, answer, _ = k.back({"receipt_id": receipt}, ANN, sid=sid)
        assert (status, answer["error"]) == (429, "face_attempts_rate_limited")
