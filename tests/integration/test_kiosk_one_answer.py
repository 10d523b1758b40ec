"""Issue 13: a kiosk answer never tells whether a mobile or receipt belongs to someone on file.

Before the visitor proves possession (their SMS code, their own face matching), every kiosk
endpoint that takes a mobile or a receipt answers a claim naming nobody exactly as it answers one
naming a mobile-only customer, someone whose face consent was never used or was withdrawn, someone
whose consent predates the notice naming the return visit, a face that does not match and a
match that is only uncertain: the same status, error code, message and body, after the same face
work (the engine's calls are compared, so no branch skips the embedding). Real HTTP against a
real server, on SQLite and PostgreSQL; the fake face engine (a person is a colour: the same
colour is distance 0, another about 1.4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.notice import Notice
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import fake_shots

OFFICE = "demo-office"
ANN, BEN, CAROL = (200, 60, 60), (20, 160, 20), (40, 40, 200)
ANN_MOBILE, BEN_MOBILE, PHONE_ONLY = "13700001111", "13700002222", "13700003333"
NOBODY_MOBILE = "13900009999"
NOBODY_RECEIPT = "0123456789abcdef0123456789abcdef"
ROOMY = {"face_attempts_per_claim": {"limit": 1000, "window_seconds": 3600},
         "face_attempts_per_address": {"limit": 1000, "window_seconds": 3600},
         "kiosk_sessions_per_address": {"limit": 1000, "window_seconds": 60},
         "sms_per_address": {"limit": 1000, "window_seconds": 3600}}
UNCERTAIN_BAND = {"sface": {"verify": 0.05, "verify_review": 1.9, "identify": 0.361,
                            "identify_review": 0.407, "measured": "test: everyone else is "
                            "uncertain"}}

Answer = tuple[int, dict[str, Any], list[str]]


class Kiosk:
    """One live server and its fake engine, driven the way the kiosk page drives it."""

    def __init__(self, live: Live, engine: FakeEngine) -> None:
        self.live, self.engine = live, engine
        self.http = kiosk_client(live)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(path, json=body)

    def session(self) -> tuple[str, str]:
        started = self.post("/api/kiosk/sessions", {"office_id": OFFICE})
        assert started.status_code == 201, started.text
        return started.json()["session_id"], started.json()["notice"]["content_hash"]

    def notice_hash(self) -> str:
        return self.session()[1]

    def consent(self, sid: str, notice_hash: str) -> str:
        given = self.post(f"/api/kiosk/sessions/{sid}/face-consent", {
            "notice_hash": notice_hash, "age_14_or_over": True, "agree": True})
        assert given.status_code == 201, given.text
        return str(given.json()["receipt_id"])

    def phone(self, sid: str, notice_hash: str, mobile: str) -> dict[str, Any]:
        sent = self.post(f"/api/kiosk/sessions/{sid}/phone-code", {"mobile": mobile})
        assert sent.status_code == 202, sent.text
        done = self.post(f"/api/kiosk/sessions/{sid}/phone-check-in", {
            "mobile": mobile, "code": self.live.last_code(), "notice_hash": notice_hash,
            "agree": True})
        assert done.status_code == 201, done.text
        return dict(done.json())

    def face_person(self, rgb: tuple[int, int, int], mobile: str | None = None,
                    enroll: bool = True) -> str:
        """A face consent (and, with `mobile`, the same person's verified number), enrolled
        unless `enroll` is False; returns the face consent's receipt id."""
        sid, notice_hash = self.session()
        receipt = self.consent(sid, notice_hash)
        if mobile:
            self.phone(sid, notice_hash, mobile)
        if enroll:
            done = self.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                             {"consent_id": receipt, **frames(rgb)})
            assert done.status_code == 201, done.text
        return receipt

    def predate(self, receipt: str) -> None:
        """As if the consent had been given under an earlier notice that did not name the
        return visit (the notice was republished since)."""
        with self.live.app.deps.uow() as uow:
            earlier = uow.notices.add(Notice(
                OFFICE, "zh-CN", content_hash=receipt[:8] + "e" * 56, version=0,
                face_uses=[FaceUse.ENROLLMENT_DEDUP.value]))
            consent = uow.consents.get(receipt)
            assert consent is not None
            consent.notice_hash = earlier.content_hash
            uow.commit()

    def ask(self, path: str, body: dict[str, Any]) -> Answer:
        before = len(self.engine.calls)
        r = self.post(path, body)
        return r.status_code, r.json(), self.engine.calls[before:]

    def back(self, claim: dict[str, Any], rgb: tuple[int, int, int] = ANN, *,
             sid: str | None = None, renewal: dict[str, Any] | bool | None = True) -> Answer:
        """A return visit in a fresh session (or `sid`); `renewal` True: the consent the kiosk
        asks at every return, under the notice in force."""
        sid = sid or self.session()[0]
        body: dict[str, Any] = {**claim, **frames(rgb)}
        if renewal is True:
            body["renewal"] = {"notice_hash": self.notice_hash(), "age_14_or_over": True,
                               "agree": True}
        elif renewal:
            body["renewal"] = renewal
        return self.ask(f"/api/kiosk/sessions/{sid}/return", body)


def frames(rgb: tuple[int, int, int]) -> dict[str, Any]:
    """A live face of `rgb`: the frames and their capture times."""
    return fake_shots(rgb).wire()


@pytest.fixture
def kiosk_on(store_url: str, tmp_path: Path) -> Iterator[Callable[..., Kiosk]]:
    started: list[Any] = []

    def start(**face: object) -> Kiosk:
        engine = FakeEngine()
        context = live_server(tmp_path / "data", engine=engine,
                              database_url=None if store_url.startswith("sqlite") else store_url,
                              face={"min_sharpness": 0.0, **face}, limits=ROOMY)
        started.append(context)
        kiosk = Kiosk(context.__enter__(), engine)
        kiosk.live.clock.advance(hours=1)
        return kiosk

    yield start
    for context in started:
        context.__exit__(None, None, None)


def same(answers: dict[str, Answer]) -> Answer:
    """Every answer equals the first (status, body, engine calls); returns it."""
    first_name, first = next(iter(answers.items()))
    for name, answer in answers.items():
        assert answer == first, f"{name} differs from {first_name}: {answer} != {first}"
    return first


def test_every_unverifiable_return_gets_one_answer_after_the_same_face_work(
    kiosk_on: Callable[..., Kiosk],
) -> None:
    k = kiosk_on()
    ann = k.face_person(ANN, mobile=ANN_MOBILE)
    stale = k.face_person(BEN, mobile=BEN_MOBILE)
    k.predate(stale)
    unused = k.face_person(CAROL, enroll=False)  # consented, never enrolled
    withdrawn = k.face_person((90, 90, 90))
    assert k.post(f"/api/receipts/{withdrawn}/withdraw", {}).status_code == 200
    sid, notice_hash = k.session()
    k.phone(sid, notice_hash, PHONE_ONLY)
    k.live.clock.advance(hours=3)

    for renewal in (True, None):  # with the consent the kiosk asks every time, and without
        answer = same({
            "unknown mobile": k.back({"mobile": NOBODY_MOBILE}, renewal=renewal),
            "unknown receipt": k.back({"receipt_id": NOBODY_RECEIPT}, renewal=renewal),
            "mobile-only customer": k.back({"mobile": PHONE_ONLY}, renewal=renewal),
            "face consent never enrolled": k.back({"receipt_id": unused}, CAROL,
                                                  renewal=renewal),
            "face consent withdrawn": k.back({"receipt_id": withdrawn}, (90, 90, 90),
                                             renewal=renewal),
            "another face, by mobile": k.back({"mobile": ANN_MOBILE}, CAROL, renewal=renewal),
            "another face, by receipt": k.back({"receipt_id": ann}, CAROL, renewal=renewal),
            "renewal needed, another face": k.back({"mobile": BEN_MOBILE}, CAROL,
                                                   renewal=renewal),
        })
        status, body, calls = answer
        assert (status, body["error"]) == (401, "not_verified")
        assert set(body) == {"error", "message"}
        assert calls and "embed" in calls  # the frames were embedded for every claim

    # renewal needed and not asked again: the right face gets the stranger's answer too
    assert k.back({"mobile": BEN_MOBILE}, BEN, renewal=None) == answer
    with k.live.app.deps.uow() as uow:  # the consent given with a face that did not match is void
        person = uow.consents.get(stale)
        assert person is not None
        held = [c for c in uow.consents.for_person(person.person_id)
                if c.scope is ConsentScope.FACE and c.is_active]
        assert [c.id for c in held] == [stale]

    # and once she shows her own face with the consent asked, she checks in (proof of possession)
    status, body, _ = k.back({"mobile": BEN_MOBILE}, BEN)
    assert status == 201, body
    assert body["receipt"]["receipt_id"] != stale  # the consent given again stands now
    status, body, _ = k.back({"mobile": ANN_MOBILE}, ANN)
    assert status == 201 and body["receipt"]["receipt_id"] == ann


def test_an_uncertain_match_gets_the_answer_of_no_match_at_all(
    kiosk_on: Callable[..., Kiosk],
) -> None:
    k = kiosk_on(**UNCERTAIN_BAND)
    ann = k.face_person(ANN, mobile=ANN_MOBILE)
    stale = k.face_person(BEN, mobile=BEN_MOBILE)
    k.predate(stale)
    k.live.clock.advance(hours=3)
    with k.live.app.deps.uow() as uow:
        visits = len(uow.visits.for_office(OFFICE))

    status, body, _ = same({
        "unknown mobile": k.back({"mobile": NOBODY_MOBILE}, CAROL),
        "uncertain, by mobile": k.back({"mobile": ANN_MOBILE}, CAROL),
        "uncertain, by receipt": k.back({"receipt_id": ann}, CAROL),
        "uncertain, renewal needed": k.back({"mobile": BEN_MOBILE}, CAROL),
    })
    assert (status, body["error"]) == (401, "not_verified")
    with k.live.app.deps.uow() as uow:
        outcomes = [e.detail["outcome"] for e in uow.audit.all() if e.action == "face_verified"]
        assert outcomes == ["uncertain"] * 3  # audited for what it was, answered as a miss
        assert len(uow.visits.for_office(OFFICE)) == visits  # an uncertain score decides nothing


def test_refusals_before_any_lookup_are_the_same_for_every_claim(
    kiosk_on: Callable[..., Kiosk],
) -> None:
    k = kiosk_on()
    k.face_person(ANN, mobile=ANN_MOBILE)
    stale = k.face_person(BEN, mobile=BEN_MOBILE)
    k.predate(stale)
    sid, notice_hash = k.session()
    k.phone(sid, notice_hash, PHONE_ONLY)
    k.live.clock.advance(hours=3)
    claims = {"unknown": {"mobile": NOBODY_MOBILE}, "mobile only": {"mobile": PHONE_ONLY},
              "enrolled": {"mobile": ANN_MOBILE}, "renewal needed": {"mobile": BEN_MOBILE}}

    minor = {"notice_hash": k.notice_hash(), "age_14_or_over": False, "agree": True}
    status, body, _ = same({name: k.back(claim, renewal=minor) for name, claim in claims.items()})
    assert (status, body["error"]) == (403, "minor_face_refused")

    old = {"notice_hash": "f" * 64, "age_14_or_over": True, "agree": True}
    status, body, _ = same({name: k.back(claim, renewal=old) for name, claim in claims.items()})
    assert (status, body["error"]) == (409, "notice_mismatch")

    status, body, _ = same({name: k.ask(f"/api/kiosk/sessions/{k.session()[0]}/return",
                                        {**claim, "frames": []})
                            for name, claim in claims.items()})
    assert status == 422

    for broken in ({"frames": ["eA=="]}, frames((0, 0, 0))):  # not an image; no face in it
        status, body, _ = same({name: k.ask(f"/api/kiosk/sessions/{k.session()[0]}/return",
                                            {**claim, **broken, "renewal": {
                                                "notice_hash": k.notice_hash(),
                                                "age_14_or_over": True, "agree": True}})
                                for name, claim in claims.items()})
        assert status in (400, 422), body
    with k.live.app.deps.uow() as uow:  # the renewal given with a broken frame is void again
        person = uow.consents.get(stale)
        assert person is not None
        assert [c.id for c in uow.consents.for_person(person.person_id)
                if c.scope is ConsentScope.FACE and c.is_active] == [stale]

    # a session that already checked a visitor in cannot test other claims against the store
    checked, notice_hash = k.session()
    k.phone(checked, notice_hash, "13700004444")
    status, body, calls = same({name: k.back(claim, sid=checked)
                                for name, claim in claims.items()})
    assert (status, body["error"], calls) == (409, "session_person_mismatch", [])


def test_the_mobile_path_answers_alike_before_the_code_is_right(
    kiosk_on: Callable[..., Kiosk],
) -> None:
    k = kiosk_on()
    k.face_person(ANN, mobile=ANN_MOBILE)
    sid, notice_hash = k.session()
    k.phone(sid, notice_hash, PHONE_ONLY)
    k.live.clock.advance(hours=3)

    def sent(mobile: str) -> Answer:
        sid, _ = k.session()
        status, body, calls = k.ask(f"/api/kiosk/sessions/{sid}/phone-code", {"mobile": mobile})
        assert body.pop("masked_mobile") == f"{mobile[:3]}****{mobile[-4:]}"
        again = k.ask(f"/api/kiosk/sessions/{sid}/phone-code", {"mobile": mobile})
        wrong = k.ask(f"/api/kiosk/sessions/{sid}/phone-check-in", {
            "mobile": mobile, "code": "000000" if k.live.last_code() != "000000" else "111111",
            "notice_hash": k.notice_hash(), "agree": True})
        return status, {"sent": body, "again": again[:2], "wrong": wrong[:2]}, calls

    status, body, _ = same({"unknown": sent(NOBODY_MOBILE), "mobile only": sent(PHONE_ONLY),
                            "face and mobile": sent(ANN_MOBILE)})
    assert status == 202 and body["again"][1]["error"] == "code_rate_limited"
    assert body["wrong"][1]["error"] == "code_invalid"
