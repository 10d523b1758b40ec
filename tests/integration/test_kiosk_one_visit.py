"""One arrival, one visit, on SQLite and PostgreSQL over real HTTP with the real dlib engine on
public photos: a visitor who checks in by mobile and then, in the same kiosk session, agrees to
face check-in and enrolls is counted once — the enrollment attaches to the session's visit. The
first visit, the visit count, reception's list and the channel's claim stay as for one visit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg
from support import auth
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import identity_photos, photo_shots

OFFICE = "demo-office"
PERSON = "df_id01"
MOBILE = "13600007788"


@pytest.fixture
def live(store_url: str, tmp_path: Path) -> Iterator[Live]:
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "live", engine=DlibEngine(FaceSettings()),
                     database_url=database_url) as server:
        yield server


def test_phone_check_in_then_face_enrollment_in_one_session_is_one_visit(
        live: Live, face_root: Path) -> None:
    channel = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "链家分销", live.app.deps).id
    claim = reg.register(reg.RegisterCmd(channel, "王芳", MOBILE), live.app.deps).id
    live.clock.advance(minutes=10)
    with kiosk_client(live) as http:
        s = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        sid, notice_hash = s["session_id"], s["notice"]["content_hash"]
        assert http.post(f"/api/kiosk/sessions/{sid}/phone-code",
                         json={"mobile": MOBILE}).status_code == 202
        phone = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": MOBILE, "code": live.last_code(), "agree": True, "name": "王芳",
            "notice_hash": notice_hash})
        assert phone.status_code == 201, phone.text
        live.clock.advance(minutes=6)  # past the 5-minute repeat window: one session, one visit
        consent = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": notice_hash, "age_14_or_over": True, "agree": True})
        assert consent.status_code == 201, consent.text
        enrolled = http.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
            "consent_id": consent.json()["receipt_id"],
            **photo_shots(identity_photos(face_root, PERSON)).wire()})
    assert enrolled.status_code == 201, enrolled.text

    assert enrolled.json()["visit_id"] == phone.json()["visit_id"]
    assert enrolled.json()["visit_number"] == 1
    with live.app.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM visits")).scalar() == 1
    with auth.client(live.base_url, live.app, Role.reception) as reception:
        rows = reception.get(f"/api/offices/{OFFICE}/reception/today").json()["visits"]
    assert [(r["visit_id"], r["first_visit"], r["method"], r["registration_id"])
            for r in rows] == [(phone.json()["visit_id"], True, "phone", claim)]
    with live.app.deps.uow() as uow:
        enrolled_events = [e for e in uow.audit.all() if e.action == "template_enrolled"]
    assert len(enrolled_events) == 1 and len(live.app.deps.gallery) == 1
