"""C19 for face-only visitors: staff at reception verify the live face 1:1 against the receipt's
own template and open the same rights session the mobile path gives — over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.services.checkin import consent as consent_service
from keyuan.services.compliance import rights
from keyuan.services.compliance.in_person import VERIFY_IN_PERSON, InPersonCmd, start_in_person
from support import auth
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import fake_shots

if TYPE_CHECKING:
    from .conftest import Kiosk

ANN, BEN = (200, 150, 120), (90, 160, 200)


def frames(rgb: tuple[int, int, int]) -> dict[str, Any]:
    """A live face of `rgb`: the frames and their capture times."""
    return fake_shots(rgb).wire()


@pytest.fixture
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    # One server per test: the same face enrolled twice on one server is (rightly) refused as
    # a second record of one person.
    with live_server(tmp_path_factory.mktemp("in_person"),
                     engine=FakeEngine(FaceSettings())) as server:
        yield server


@pytest.fixture
def reception(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, Role.reception) as http:
        yield http


def face_only_visitor(live: Live, rgb: tuple[int, int, int]) -> str:
    """A kiosk visit by face with no mobile given: returns the face receipt id."""
    with kiosk_client(live, timeout=30) as http:
        session = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
        sid = session["session_id"]
        receipt = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
            "agree": True}).json()
        enrolled = http.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
            "consent_id": receipt["receipt_id"], **frames(rgb)})
        assert enrolled.status_code == 201, enrolled.text
        return str(receipt["receipt_id"])


def audit_actions(live: Live, receipt_id: str) -> list[dict[str, Any]]:
    with live.app.deps.uow() as uow:
        consent = uow.consents.get(receipt_id)
        assert consent is not None
        return uow.compliance.audit_about(consent.person_id)


def test_c19_a_face_only_visitor_cannot_get_a_code_but_reception_verifies_the_face(
        live: Live, reception: httpx.Client) -> None:
    receipt = face_only_visitor(live, ANN)
    no_code = httpx.post(f"{live.base_url}/api/rights/code", json={"receipt_id": receipt})

    opened = reception.post("/api/rights/in-person",
                            json={"receipt_id": receipt, **frames(ANN)})
    me = httpx.get(f"{live.base_url}/api/rights/me",
                   headers={"X-Rights-Token": opened.json()["token"]})

    assert no_code.status_code == 409 and no_code.json()["error"] == "no_mobile_on_file"
    assert opened.status_code == 200 and opened.json()["outcome"] == "verified"
    assert me.status_code == 200 and me.json()["face_template"]["held"] is True
    assert [c["receipt_id"] for c in me.json()["consents"]] == [receipt]
    [check] = [e for e in audit_actions(live, receipt) if e["action"] == "rights_face_verified"]
    assert check["detail"]["matched"] is True
    assert check["detail"]["threshold"] == live.app.deps.face.verify_threshold
    assert set(check["detail"]) == {"receipt", "matched", "outcome", "distance", "threshold",
                                    "second_factor", "probe_frames", "reason", "model"}  # no image
    assert check["detail"]["outcome"] == "match" and check["detail"]["second_factor"] is None


def test_c19_another_face_is_refused_with_a_clear_error_and_audited(
        live: Live, reception: httpx.Client) -> None:
    receipt = face_only_visitor(live, ANN)

    refused = reception.post("/api/rights/in-person",
                             json={"receipt_id": receipt, **frames(BEN)})

    assert refused.status_code == 403
    assert refused.json()["error"] == "rights_face_not_verified"
    assert "token" not in refused.text
    checks = [e for e in audit_actions(live, receipt) if e["action"] == "rights_face_verified"]
    assert [c["detail"]["matched"] for c in checks] == [False]


def test_c19_the_rights_session_gives_the_same_powers_as_the_mobile_path(
        live: Live, reception: httpx.Client) -> None:
    receipt = face_only_visitor(live, ANN)
    token = reception.post("/api/rights/in-person",
                           json={"receipt_id": receipt, **frames(ANN)}).json()["token"]

    withdrawn = httpx.post(f"{live.base_url}/api/rights/me/withdraw",
                           headers={"X-Rights-Token": token})

    assert withdrawn.status_code == 200 and withdrawn.json()["detail"]["withdrawn"] == [receipt]
    with live.app.deps.uow() as uow:
        consent = uow.consents.get(receipt)
        assert consent is not None and not uow.vault.has(consent.person_id)  # C6: at once


def test_c19_with_the_template_gone_the_request_is_queued_for_staff_once(
        live: Live, reception: httpx.Client) -> None:
    receipt = face_only_visitor(live, ANN)
    assert httpx.post(f"{live.base_url}/api/receipts/{receipt}/withdraw").status_code == 200

    first = reception.post("/api/rights/in-person",
                           json={"receipt_id": receipt, **frames(ANN)})
    again = reception.post("/api/rights/in-person",
                           json={"receipt_id": receipt, **frames(ANN)})
    with auth.client(live.base_url, live.app, Role.compliance) as officer:
        queue = officer.get("/api/rights/requests").json()

    assert first.status_code == 202 and first.json()["outcome"] == "queued"
    assert first.json()["token"] is None
    request = first.json()["request"]
    assert request["status"] == "needs_staff" and request["detail"]["task"] == VERIFY_IN_PERSON
    assert request["due_on"] and again.json()["request"]["id"] == request["id"]
    assert [r["id"] for r in queue if r["detail"].get("receipt") == receipt] == [request["id"]]
    assert "rights_face_verified" not in {e["action"] for e in audit_actions(live, receipt)}


def test_c19_only_reception_compliance_and_admin_may_open_a_session_in_person(
        live: Live) -> None:
    receipt = face_only_visitor(live, ANN)
    body = {"receipt_id": receipt, **frames(ANN)}
    with auth.client(live.base_url, live.app, Role.sales) as sales:
        forbidden = sales.post("/api/rights/in-person", json=body)
    nobody = httpx.post(f"{live.base_url}/api/rights/in-person", json=body)
    with auth.client(live.base_url, live.app, Role.compliance) as officer:
        allowed = officer.post("/api/rights/in-person", json=body)

    assert forbidden.status_code == 403 and nobody.status_code == 401
    assert allowed.status_code == 200 and allowed.json()["outcome"] == "verified"


def test_c19_an_unknown_receipt_is_a_404(reception: httpx.Client) -> None:
    missing = reception.post("/api/rights/in-person",
                             json={"receipt_id": "KY-00000-00000", **frames(ANN)})
    malformed = reception.post("/api/rights/in-person",
                               json={"receipt_id": "0" * 24, **frames(ANN)})

    assert missing.status_code == 404 and missing.json()["error"] == "unknown_consent"
    assert malformed.status_code == 422 and malformed.json()["error"] == "receipt_code_invalid"


def test_c19_in_person_sessions_and_queue_on_each_store(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    enrolled = k.new_face_visitor(ANN)
    receipt = enrolled.consent.id
    cmd = InPersonCmd(receipt, staff="reception-1", **fake_shots(ANN).cmd())

    opened = start_in_person(cmd, k.deps)
    assert opened.access is not None and opened.queued is None
    data = rights.my_data(opened.access.token, k.deps)
    consent_service.withdraw(receipt, k.deps, actor="visitor")
    queued = start_in_person(cmd, k.deps)

    assert data["person"]["pseudonym"] == enrolled.consent.person_id
    assert queued.access is None and queued.queued is not None
    assert [r.id for r in rights.staff_queue(k.deps)] == [queued.queued.id]


def test_closing_a_queued_request_records_the_logged_in_officer_not_a_claimed_name(
        live: Live, reception: httpx.Client) -> None:
    receipt = face_only_visitor(live, (40, 200, 90))
    assert httpx.post(f"{live.base_url}/api/receipts/{receipt}/withdraw").status_code == 200
    queued = reception.post("/api/rights/in-person",
                            json={"receipt_id": receipt, **frames((40, 200, 90))})
    request_id = queued.json()["request"]["id"]
    with auth.client(live.base_url, live.app, Role.compliance) as officer:
        claimed = officer.post(f"/api/rights/requests/{request_id}/close", json={
            "approve": True, "outcome": "verified at reception", "actor": "someone-else"})
        closed = officer.post(f"/api/rights/requests/{request_id}/close", json={
            "approve": True, "outcome": "verified at reception"})
        me = officer.get("/api/auth/me").json()

    assert claimed.status_code == 422
    assert closed.status_code == 200, closed.text
    with live.app.deps.uow() as uow:
        request = uow.compliance.rights_request(request_id)
    assert request is not None and request.closed_by == f"compliance:{me['username']}"
