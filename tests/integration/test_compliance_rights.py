"""Visitor self-service rights (C19, C6) on real stores and over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.compliance.retention import DealStatus
from keyuan.domain.errors import CodeInvalid, NoMobileOnFile, RightsAccessDenied
from keyuan.services.compliance import rights
from support.devices import kiosk_client
from support.live import Live, live_server

if TYPE_CHECKING:
    from .conftest import Kiosk

ANN_MOBILE, BEN_MOBILE = "13800006666", "13800007777"


def code_in_last_sms(k: Kiosk) -> str:
    found = re.search(r"(?<!\d)\d{6}(?!\d)", k.sender.sent[-1][1])
    assert found is not None
    return found.group(0)


def face_and_phone_visitor(k: Kiosk, rgb: tuple[int, int, int], mobile: str) -> str:
    """The mobile verified, then the face added in the same visit: returns the face receipt id.
    One arrival, one visit: the enrollment attaches to the session's phone visit.
    (The other order is refused: a new number cannot verify as a face already checked in.)"""
    session, notice = k.start()
    k.check_in_by_phone(session.id, notice.content_hash, mobile, name="安")
    k.clock.advance(seconds=60)
    consent = k.consent_face(session.id, notice.content_hash, name="安")
    k.enroll(session.id, consent.id, rgb)
    return consent.id


def log_in(k: Kiosk, receipt_id: str) -> str:
    k.clock.advance(seconds=60)
    sent = rights.request_access_code(receipt_id, k.deps)
    assert sent.masked_mobile.endswith(k.sender.sent[-1][0][-4:])
    return rights.verify_access_code(receipt_id, code_in_last_sms(k), k.deps).token


def test_c19_a_visitor_sees_their_own_data_and_nobody_elses(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    ann = face_and_phone_visitor(k, (200, 150, 120), ANN_MOBILE)
    face_and_phone_visitor(k, (90, 160, 200), BEN_MOBILE)

    data = rights.my_data(log_in(k, ann), k.deps)

    assert data["person"]["mobile"] == ANN_MOBILE and data["person"]["name"] == "安"
    assert data["face_template"]["held"] is True
    assert {c["scope"] for c in data["consents"]} == {"face", "phone"}
    assert len(data["visits"]) == 1  # one arrival: the phone check-in, the face added to it
    assert BEN_MOBILE not in str(data)
    assert {"template_enrolled", "consent_given"} <= {
        e["action"] for e in data["decisions_and_processing"]}


def test_c19_the_code_goes_only_to_the_mobile_on_file(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    face_only = kiosk.consent_face(session.id, notice.content_hash)
    with pytest.raises(NoMobileOnFile):
        rights.request_access_code(face_only.id, kiosk.deps)
    ann = face_and_phone_visitor(kiosk, (200, 150, 120), ANN_MOBILE)
    kiosk.clock.advance(seconds=60)
    rights.request_access_code(ann, kiosk.deps)

    assert kiosk.sender.sent[-1][0] == ANN_MOBILE
    with pytest.raises(CodeInvalid):
        rights.verify_access_code(ann, f"{(int(code_in_last_sms(kiosk)) + 1) % 10**6:06d}",
                                  kiosk.deps)
    with pytest.raises(RightsAccessDenied):
        rights.my_data("not-a-token-at-all", kiosk.deps)


def test_c19_the_access_token_expires(kiosk: Kiosk) -> None:
    token = log_in(kiosk, face_and_phone_visitor(kiosk, (200, 150, 120), ANN_MOBILE))
    kiosk.clock.advance(minutes=31)

    with pytest.raises(RightsAccessDenied):
        rights.my_data(token, kiosk.deps)


def test_c6_withdrawal_deletes_template_at_once(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    token = log_in(k, face_and_phone_visitor(k, (200, 150, 120), ANN_MOBILE))

    request = rights.withdraw_all(token, k.deps)

    with k.deps.uow() as uow:
        assert uow.vault.count() == 0
    assert len(request.detail["withdrawn"]) == 2 and len(k.deps.gallery) == 0


def test_c19_correcting_a_name_is_immediate_a_mobile_waits_for_staff(kiosk: Kiosk) -> None:
    token = log_in(kiosk, face_and_phone_visitor(kiosk, (200, 150, 120), ANN_MOBILE))

    named = rights.correct(token, rights.CorrectCmd(name="安娜"), kiosk.deps)
    moved = rights.correct(token, rights.CorrectCmd(mobile="139 0000 8888"), kiosk.deps)
    [queued] = rights.staff_queue(kiosk.deps)
    closed = rights.close_request(queued.id, approve=True, outcome="已核实", actor="staff:王",
                                  deps=kiosk.deps)

    assert named.status.value == "done" and rights.my_data(token, kiosk.deps)["person"][
        "name"] == "安娜"
    assert moved.status.value == "needs_staff" and queued.id == moved.id
    assert queued.due_on is not None and (queued.due_on - kiosk.clock.now().date()).days >= 19
    assert closed.status.value == "done" and rights.staff_queue(kiosk.deps) == []
    assert rights.my_data(token, kiosk.deps)["person"]["mobile"] == "13900008888"


def test_c19_delete_everything_keeps_only_what_the_law_requires(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    receipt = face_and_phone_visitor(k, (200, 150, 120), ANN_MOBILE)
    token = log_in(k, receipt)

    answer = rights.delete_everything(token, k.deps)

    with k.deps.uow() as uow:
        consent = uow.consents.get(receipt)
        assert consent is not None and not consent.is_active  # proof of consent stays
        person = uow.persons.get(consent.person_id)
        assert person is not None and (person.name, person.mobile, person.mobile_hash) == (
            None, None, None)
        assert uow.visits.for_person(person.id) == [] and uow.vault.count() == 0
    assert any("consent" in kept for kept in answer.detail["kept"])
    with pytest.raises(RightsAccessDenied):
        rights.my_data(token, k.deps)


class Buyer:
    def status(self, person_id: str) -> DealStatus:
        return DealStatus(signed=True)


def test_c19_a_buyers_contract_record_stays_and_the_answer_says_so(kiosk: Kiosk) -> None:
    token = log_in(kiosk, face_and_phone_visitor(kiosk, (200, 150, 120), ANN_MOBILE))

    answer = rights.delete_everything(token, kiosk.deps, deals=Buyer())

    assert "signed contract" in answer.detail["kept"][-1]
    with kiosk.deps.uow() as uow:
        assert len(uow.visits.for_office(kiosk.office_id)) == 1  # the one visit stays


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("rights"), engine=FakeEngine(FaceSettings())) as s:
        yield s


def test_c19_self_service_over_http(live: Live) -> None:
    with kiosk_client(live, timeout=30) as http:
        session = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
        sid = session["session_id"]
        http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": ANN_MOBILE})
        visit = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": ANN_MOBILE, "code": live.last_code(), "agree": True,
            "notice_hash": session["notice"]["content_hash"]}).json()
        receipt_id = visit["receipt"]["receipt_id"]
        live.clock.advance(seconds=60)
        assert http.post("/api/rights/code", json={"receipt_id": receipt_id}).status_code == 202
        code = re.search(r"\d{6}", live.sender.sent[-1][1]).group(0)  # type: ignore[union-attr]
        token = http.post("/api/rights/verify", json={"receipt_id": receipt_id,
                                                      "code": code}).json()["token"]
        headers = {"X-Rights-Token": token}
        me = http.get("/api/rights/me", headers=headers).json()
        export = http.get("/api/rights/me/export", headers=headers)
        readable = http.get("/api/rights/me/export.html", headers=headers)
        nobody = http.get("/api/rights/me", headers={"X-Rights-Token": "x" * 20})
        deleted = http.post("/api/rights/me/delete", headers=headers).json()

    assert me["person"]["mobile"] == ANN_MOBILE
    assert export.headers["content-disposition"].startswith("attachment")
    assert export.json()["person"]["mobile"] == ANN_MOBILE
    assert "我的个人信息副本" in readable.text and ANN_MOBILE in readable.text
    assert nobody.status_code == 401 and nobody.json()["error"] == "rights_access_denied"
    assert deleted["status"] == "done" and deleted["kind"] == "delete" and deleted["due_on"]
