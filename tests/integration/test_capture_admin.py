"""Camera admin over real HTTP (uvicorn on loopback) behind the accounts policy: managers and
admins list, add and switch cameras, each covering a marked lane with an unwatched alternative
(C11); compliance and admins confirm the office's signage and each lane; the token is shown once
and neither it nor its hash is ever in a later response."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg_svc
from keyuan.services.compliance import notices
from support import auth
from support.cameras import ALTERNATIVE, LANE
from support.images import face_jpeg
from support.live import Live, live_server
from support.pia import record_office_pia

OFFICE = "demo-office"
CAMERAS = f"/api/offices/{OFFICE}/cameras"
SIGNAGE = f"/api/offices/{OFFICE}/signage"
STRANGER = (232, 232, 24)



@dataclass
class Admin:
    """The live server and one client per role, logged in on first use (argon2 is slow); every
    response body is kept for the hash scan."""

    live: Live
    channel: str
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)

    def client(self, role: str) -> httpx.Client:
        if role not in self.clients:
            app, url = self.live.app, self.live.base_url
            self.clients[role] = (
                httpx.Client(base_url=url, timeout=30) if role == "nobody" else
                auth.client(url, app, role, channel=self.channel if Role(role).is_channel
                            else None))
        return self.clients[role]

    def call(self, role: str, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = self.client(role).request(method, path, **kwargs)  # type: ignore[arg-type]
        self.bodies.append(response.text)
        return response

    def add(self, name: str = "door", role: str = "manager",
            confirm: bool = True, switch_on: bool = True) -> dict[str, object]:
        """Register (it comes switched off), confirm the lane, switch on, then publish the
        notice and record the assessment as the office would."""
        response = self.call(role, "POST", CAMERAS, json={"name": name, "lane": LANE,
                                                          "alternative": ALTERNATIVE})
        assert response.status_code == 201, response.text
        body: dict[str, object] = response.json()
        if confirm:
            confirmed = self.call("compliance", "POST", f"/api/cameras/{body['id']}/lane/confirm")
            assert confirmed.status_code == 200, confirmed.text
        if switch_on:
            on = self.call("manager", "PUT", f"/api/cameras/{body['id']}/enabled",
                           json={"enabled": True})
            assert on.status_code == 200, on.text
        notices.republish(OFFICE, self.live.app.deps, actor="dpo")  # the notice names the lane
        record_office_pia(self.live.app.deps)  # C23: the assessment covers the camera
        return body

    def push(self, camera_id: str, token: str) -> httpx.Response:
        return self.call("nobody", "POST", f"/api/cameras/{camera_id}/captures",
                         content=face_jpeg(STRANGER), headers={
                             "Authorization": f"Bearer {token}", "Content-Type": "image/jpeg",
                             "X-Capture-Time": self.live.clock.now().isoformat()})

    def token_hashes(self) -> list[str]:
        with self.live.app.deps.uow() as uow:
            return [c.token_hash for c in uow.capture.cameras(OFFICE)]


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Admin]:
    monkeypatch.setenv("KEYUAN_FACE__MIN_SHARPNESS", "0")  # solid colours have no edges
    with live_server(tmp_path, engine=FakeEngine()) as live:
        channel = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "甲分销",
                                         live.app.deps).id
        admin = Admin(live, channel)
        try:
            yield admin
        finally:
            for client in admin.clients.values():
                client.close()


def test_a_manager_adds_a_camera_and_gets_its_token_once(admin: Admin) -> None:
    added = admin.add("东门")
    token = str(added["token"])
    assert len(token) >= 40 and added["enabled"] is False and added["office_id"] == OFFICE
    listed = admin.call("admin", "GET", CAMERAS)
    assert listed.status_code == 200, listed.text
    cameras = listed.json()["cameras"]
    assert [(c["id"], c["name"], c["enabled"]) for c in cameras] == [(added["id"], "东门", True)]
    assert set(cameras[0]) == {"id", "office_id", "name", "enabled", "created_at", "lane",
                               "alternative", "lane_confirmed_at", "lane_confirmed_by",
                               "profile", "picture_host", "has_login"}
    assert (cameras[0]["profile"], cameras[0]["has_login"]) == ("standard", False)
    assert (cameras[0]["lane"], cameras[0]["alternative"]) == (LANE, ALTERNATIVE)
    assert token not in listed.text and listed.json()["signage_confirmed_at"] is None


def test_the_token_from_the_response_feeds_the_camera_once_signage_is_confirmed(
    admin: Admin,
) -> None:
    added = admin.add()
    cam, token = str(added["id"]), str(added["token"])
    assert admin.push(cam, token).json()["error"] == "signage_not_confirmed"
    confirmed = admin.call("compliance", "POST", SIGNAGE)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_by"].startswith("compliance")
    assert admin.call("manager", "GET", CAMERAS).json()["signage_confirmed_at"] is not None
    assert admin.push(cam, token).status_code == 200


def test_switching_a_camera_off_refuses_its_input_and_on_again_accepts_it(admin: Admin) -> None:
    added = admin.add()
    cam, token = str(added["id"]), str(added["token"])
    admin.call("admin", "POST", SIGNAGE)
    off = admin.call("manager", "PUT", f"/api/cameras/{cam}/enabled", json={"enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert admin.push(cam, token).json()["error"] == "camera_disabled"
    assert admin.call("manager", "GET", CAMERAS).json()["cameras"][0]["enabled"] is False
    on = admin.call("admin", "PUT", f"/api/cameras/{cam}/enabled", json={"enabled": True})
    assert on.json()["enabled"] is True and admin.push(cam, token).status_code == 200
    with admin.live.app.deps.uow() as uow:
        switched = [e for e in uow.audit.all() if e.action == "camera_switched"]
    assert [e.detail["enabled"] for e in switched] == [True, False, True]  # on after adding


def test_a_new_camera_is_registered_off_and_feeds_nothing_until_switched_on(
    admin: Admin,
) -> None:
    """C11, C23: lane confirmed on site, poster up, notice and assessment done — a camera
    nobody switched on still feeds nothing; switched on, it waits for the notice and the
    assessment to name it."""
    added = admin.add(switch_on=False)
    cam, token = str(added["id"]), str(added["token"])
    admin.call("compliance", "POST", SIGNAGE)
    assert added["enabled"] is False
    assert admin.push(cam, token).json()["error"] == "camera_disabled"

    on = admin.call("manager", "PUT", f"/api/cameras/{cam}/enabled", json={"enabled": True})

    assert on.status_code == 200 and on.json()["enabled"] is True
    assert admin.push(cam, token).status_code == 409  # the notice and assessment: once more
    notices.republish(OFFICE, admin.live.app.deps, actor="dpo")
    record_office_pia(admin.live.app.deps)
    assert admin.push(cam, token).status_code == 200


def test_other_roles_may_not_list_add_or_switch_cameras(admin: Admin) -> None:
    cam = str(admin.add()["id"])
    for role in ("sales", "reception", "signing", "finance", "compliance", "distributor",
                 "agent"):
        refused = [admin.call(role, "GET", CAMERAS),
                   admin.call(role, "POST", CAMERAS, json={"name": "sneaky"}),
                   admin.call(role, "PUT", f"/api/cameras/{cam}/enabled", json={"enabled": False})]
        assert [(r.status_code, r.json()["error"]) for r in refused] == [(403, "forbidden")] * 3
    assert len(admin.token_hashes()) == 1
    assert admin.call("manager", "GET", CAMERAS).json()["cameras"][0]["enabled"] is True


def test_only_compliance_and_admin_confirm_signage(admin: Admin) -> None:
    for role in ("manager", "sales", "reception", "signing", "finance", "distributor", "agent"):
        refused = admin.call(role, "POST", SIGNAGE)
        assert (refused.status_code, refused.json()["error"]) == (403, "forbidden"), role
    with admin.live.app.deps.uow() as uow:
        assert uow.capture.signage(OFFICE) is None


def test_nobody_logged_in_is_refused_with_401(admin: Admin) -> None:
    for method, path in (("GET", CAMERAS), ("POST", CAMERAS), ("POST", SIGNAGE),
                         ("PUT", "/api/cameras/cam_x/enabled")):
        assert admin.call("nobody", method, path, json={"name": "x"}).status_code == 401


def test_bad_requests_are_clear_errors_and_write_nothing(admin: Admin) -> None:
    assert admin.call("manager", "GET", "/api/offices/nope/cameras").status_code == 404
    unknown = admin.call("manager", "POST", "/api/offices/nope/cameras",
                         json={"name": "x", "lane": LANE, "alternative": ALTERNATIVE})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_office")
    for body in ({"name": ""}, {"name": "x" * 101}, {}, {"name": "x"},
                 {"name": "x", "lane": LANE}, {"name": "x", "alternative": ALTERNATIVE},
                 {"name": "x", "lane": "  ", "alternative": ALTERNATIVE},
                 {"name": "x", "lane": LANE, "alternative": "y" * 201}):
        assert admin.call("manager", "POST", CAMERAS, json=body).status_code == 422
    missing = admin.call("manager", "PUT", "/api/cameras/cam_nope/enabled", json={"enabled": 1.5})
    assert missing.status_code == 422
    missing = admin.call("manager", "PUT", "/api/cameras/cam_nope/enabled", json={"enabled": True})
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown_camera")
    assert admin.call("compliance", "POST", "/api/offices/nope/signage").status_code == 404
    assert admin.token_hashes() == []


def test_no_response_ever_contains_a_token_hash(admin: Admin) -> None:
    first, second = admin.add("a"), admin.add("b", role="admin")
    admin.call("compliance", "POST", SIGNAGE)
    for added in (first, second):
        cam = str(added["id"])
        admin.call("manager", "PUT", f"/api/cameras/{cam}/enabled", json={"enabled": False})
        admin.call("manager", "PUT", f"/api/cameras/{cam}/enabled", json={"enabled": True})
        admin.push(cam, str(added["token"]))
    for role in ("manager", "admin", "sales", "distributor", "agent", "compliance", "nobody"):
        admin.call(role, "GET", CAMERAS)
    admin.call("compliance", "GET", "/api/compliance/audit")
    hashes = admin.token_hashes()
    assert len(hashes) == 2 and len(admin.bodies) > 10
    assert [h for h in hashes for body in admin.bodies if h in body] == []
    assert "token_hash" not in "".join(admin.bodies)


def test_c11_a_camera_without_its_lane_and_alternative_route_is_refused(admin: Admin) -> None:
    for body in ({"name": "x"}, {"name": "x", "lane": LANE}, {"name": "x", "alternative": "旁门"},
                 {"name": "x", "lane": " ", "alternative": ALTERNATIVE}):
        refused = admin.call("manager", "POST", CAMERAS, json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] in ("invalid_request", "camera_lane_required"), body
    blank = admin.call("manager", "POST", CAMERAS,
                       json={"name": "x", "lane": LANE, "alternative": "\t "})
    assert blank.json()["error"] == "camera_lane_required" and blank.json()["message"]
    assert admin.token_hashes() == []
    with admin.live.app.deps.uow() as uow:
        assert not [e for e in uow.audit.all() if e.action == "camera_registered"]


def test_c11_the_gate_stays_closed_until_the_office_confirms_the_lane(admin: Admin) -> None:
    admin.call("compliance", "POST", SIGNAGE)
    added = admin.add("东门", confirm=False)
    cam, token = str(added["id"]), str(added["token"])
    assert added["lane_confirmed_at"] is None
    refused = admin.push(cam, token)
    assert (refused.status_code, refused.json()["error"]) == (409, "camera_lane_not_confirmed")
    for role in ("manager", "sales", "reception", "signing", "finance", "distributor", "agent"):
        forbidden = admin.call(role, "POST", f"/api/cameras/{cam}/lane/confirm")
        assert (forbidden.status_code, forbidden.json()["error"]) == (403, "forbidden"), role
    assert admin.push(cam, token).json()["error"] == "camera_lane_not_confirmed"
    confirmed = admin.call("compliance", "POST", f"/api/cameras/{cam}/lane/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["lane_confirmed_by"].startswith("compliance")
    assert admin.push(cam, token).status_code == 200
    with admin.live.app.deps.uow() as uow:
        audited = [e for e in uow.audit.all() if e.action == "camera_lane_confirmed"]
    assert [(e.subject, e.detail) for e in audited] == [
        (cam, {"lane": LANE, "alternative": ALTERNATIVE})]
    missing = admin.call("compliance", "POST", "/api/cameras/cam_nope/lane/confirm")
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown_camera")


def test_c11_a_changed_lane_closes_the_gate_until_confirmed_published_and_assessed(
    admin: Admin,
) -> None:
    admin.call("compliance", "POST", SIGNAGE)
    added = admin.add("东门")
    cam, token = str(added["id"]), str(added["token"])
    assert admin.push(cam, token).status_code == 200
    lane = {"lane": "西门地面蓝线标示的刷脸通道", "alternative": "西门北侧普通入口"}
    changed = admin.call("manager", "PUT", f"/api/cameras/{cam}/lane", json=lane)
    assert changed.status_code == 200, changed.text
    assert changed.json()["lane_confirmed_at"] is None and changed.json()["lane"] == lane["lane"]
    assert admin.push(cam, token).json()["error"] == "camera_lane_not_confirmed"
    admin.call("compliance", "POST", f"/api/cameras/{cam}/lane/confirm")
    assert admin.push(cam, token).json()["error"] == "impact_assessment_stale"
    record_office_pia(admin.live.app.deps)
    assert admin.push(cam, token).json()["error"] == "lane_not_in_notice"
    notices.republish(OFFICE, admin.live.app.deps, actor="dpo")
    assert admin.push(cam, token).status_code == 200
    bad = admin.call("manager", "PUT", f"/api/cameras/{cam}/lane",
                     json={"lane": lane["lane"], "alternative": " "})
    assert (bad.status_code, bad.json()["error"]) == (422, "camera_lane_required")
    assert admin.push(cam, token).status_code == 200  # nothing half-written
