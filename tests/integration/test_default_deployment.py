"""A fresh deployment with the shipped liveness settings (issue 18: the challenge wherever a
decision counts), over real HTTP with the real default engine on real photos: a kiosk face return
and a rights-desk in-person check without a liveness challenge are refused (`challenge_missing`)
before any face is compared, and the kiosk, the signing desk and the reception pages prompt for
the challenge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.biometrics.engines import make_engine
from keyuan.config.face import FaceSettings
from keyuan.config.liveness import LivenessSettings
from keyuan.domain.accounts.model import Role
from support import auth
from support.challenge import AS_SHIPPED
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import identity_photos, photo_shots

pytestmark = pytest.mark.faces
OFFICE = "demo-office"
PERSON = "df_id01"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("default"), engine=make_engine(FaceSettings()),
                     liveness=AS_SHIPPED) as server:
        yield server


def audited(live: Live, action: str) -> list[object]:
    with live.app.deps.uow() as uow:
        return [e.detail for e in uow.audit.all() if e.action == action]


def enrolled(http: httpx.Client, face_root: Path) -> str:
    """A visitor checks in by face (consent, three distinct photos of one person): the receipt."""
    s = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
    consent = http.post(f"/api/kiosk/sessions/{s['session_id']}/face-consent", json={
        "notice_hash": s["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
    assert consent.status_code == 201, consent.text
    receipt = str(consent.json()["receipt_id"])
    r = http.post(f"/api/kiosk/sessions/{s['session_id']}/face-enrollment", json={
        "consent_id": receipt, **photo_shots(identity_photos(face_root, PERSON)).wire()})
    assert r.status_code == 201, r.text
    return receipt


def test_the_shipped_settings_require_the_challenge(live: Live) -> None:
    assert LivenessSettings().challenge_required is True
    assert live.app.deps.liveness == LivenessSettings()


def test_a_face_return_without_a_challenge_is_refused_before_any_comparison(
        live: Live, face_root: Path) -> None:
    """The visitor's own other photos: they would match (1:1), and still no visit is made."""
    again = photo_shots(identity_photos(face_root, PERSON), skip=3).wire()
    with kiosk_client(live) as http:
        receipt = enrolled(http, face_root)
        s = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        back = http.post(f"/api/kiosk/sessions/{s['session_id']}/return",
                         json={"receipt_id": receipt, **again})
        assert (back.status_code, back.json()["error"]) == (422, "challenge_missing"), back.text
        assert back.json()["message"]
        issued = http.post(f"/api/kiosk/sessions/{s['session_id']}/liveness-challenge",
                           json={"receipt_id": receipt})
        assert issued.status_code == 201, issued.text
        assert len(issued.json()["steps"]) == 3
    assert audited(live, "face_verified") == []  # nothing was compared
    with auth.client(live.base_url, live.app, Role.reception) as reception:
        desk = reception.post("/api/rights/in-person", json={"receipt_id": receipt, **again})
    assert (desk.status_code, desk.json()["error"]) == (422, "challenge_missing"), desk.text
    assert audited(live, "rights_face_verified") == []


def test_the_kiosk_desk_and_reception_pages_prompt_for_the_challenge(live: Live) -> None:
    with kiosk_client(live) as tablet:
        kiosk = tablet.get(f"/kiosk/{OFFICE}", headers=HTML)
    with auth.client(live.base_url, live.app, Role.signing) as signing:
        desk = signing.get(f"/desk/signing?office={OFFICE}", headers=HTML)
    with auth.client(live.base_url, live.app, Role.reception) as reception:
        rights = reception.get(f"/reception?office={OFFICE}", headers=HTML)
    for page, marker in ((kiosk, 'id="kiosk"'), (desk, 'id="desk-form"'),
                         (rights, 'id="reception"')):
        assert page.status_code == 200, page.text
        tag = page.text[page.text.index(marker):].split(">", 1)[0]
        assert 'data-challenge="on"' in tag, tag
