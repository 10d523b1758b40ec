"""The notice says what the system does (C3, C7, C1): its processing section and the poster are
generated from the face uses switched on; a use switched on later is refused until a notice
naming it is published, and a consent given under a notice that did not name a use does not
cover it. Real HTTP against a real server on SQLite, the fake face engine (a person is a colour).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse, liveness_line, use_text, uses_told
from keyuan.domain.checkin.notice import LANGUAGES
from keyuan.domain.errors import PurposeMismatch
from keyuan.services.capture import service as capture_service
from keyuan.services.compliance import notices
from support import auth
from support.cameras import ALTERNATIVE, LANE, lane_camera
from support.devices import kiosk_client
from support.images import face_jpeg
from support.live import Live, live_server
from support.pia import record_office_pia
from support.sequences import fake_shots

OFFICE = "demo-office"
PERSON = (200, 60, 60)
FIRST17 = "11010519491231002"
ID_NUMBER = FIRST17 + check_digit(FIRST17)
SWITCHES = {
    FaceUse.RETURN_VISIT: "return_visit",
    FaceUse.ENROLLMENT_DEDUP: "enrollment_dedup",
    FaceUse.SIGNING_ID_CHECK: "signing_id_check",
    FaceUse.SIGNING_LINK: "signing_link",
    FaceUse.SIGNING_SEARCH: "signing_search",
    FaceUse.RIGHTS_IN_PERSON: "rights_in_person",
}


@contextmanager
def serving(data_dir: Path, *off: FaceUse,
            challenge: bool = False) -> Iterator[tuple[Live, httpx.Client]]:
    """A live server on `data_dir` with the face uses `off` switched off (the rest on), the
    liveness challenge required or not (`challenge`)."""
    face = {"min_sharpness": 0.0, "uses": {SWITCHES[use]: False for use in off}}
    with live_server(data_dir, engine=FakeEngine(), face=face,
                     liveness={"challenge_required": challenge}) as live, \
            kiosk_client(live, timeout=30) as http:
        yield live, http


def frames(rgb: tuple[int, int, int] = PERSON) -> dict[str, Any]:
    """A live face of `rgb`: the frames and their capture times."""
    return fake_shots(rgb).wire()


def session(http: httpx.Client) -> tuple[str, str]:
    started = http.post("/api/kiosk/sessions", json={"office_id": OFFICE})
    assert started.status_code == 201, started.text
    return started.json()["session_id"], started.json()["notice"]["content_hash"]


def consent(http: httpx.Client, sid: str, notice_hash: str) -> str:
    given = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": notice_hash, "age_14_or_over": True, "agree": True})
    assert given.status_code == 201, given.text
    return str(given.json()["receipt_id"])


def enroll(http: httpx.Client, rgb: tuple[int, int, int] = PERSON) -> httpx.Response:
    sid, notice_hash = session(http)
    receipt = consent(http, sid, notice_hash)
    return http.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                     json={"consent_id": receipt, **frames(rgb)})


def enrolled(http: httpx.Client, rgb: tuple[int, int, int] = PERSON) -> str:
    done = enroll(http, rgb)
    assert done.status_code == 201, done.text
    return str(done.json()["receipt"]["receipt_id"])


def return_visit(http: httpx.Client, receipt: str,
                 rgb: tuple[int, int, int] = PERSON) -> httpx.Response:
    sid, _ = session(http)
    return http.post(f"/api/kiosk/sessions/{sid}/return",
                     json={"receipt_id": receipt, **frames(rgb)})


def sign(live: Live, body: dict[str, Any]) -> httpx.Response:
    """The buyer says yes to the desk's face check first (C1), then the signing."""
    with auth.client(live.base_url, live.app, "signing") as staff:
        notice = staff.get(f"/api/offices/{OFFICE}/desk-notice").json()["notice_hash"]
        yes = staff.post(f"/api/offices/{OFFICE}/desk-consents", json={
            "id_number": ID_NUMBER, "notice_hash": notice, "given": True})
        assert yes.status_code == 201, yes.text
        body = {**body, "desk_consent_id": yes.json()["desk_consent_id"]}
        return staff.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "李雷", "id_number": ID_NUMBER, "mobile": "13612345678",
            "contract_price_fen": 100_000_00, **body})


def in_person(live: Live, receipt: str, rgb: tuple[int, int, int] = PERSON) -> httpx.Response:
    with auth.client(live.base_url, live.app, "reception") as staff:
        return staff.post("/api/rights/in-person",
                          json={"receipt_id": receipt, **frames(rgb)})


def republish(live: Live) -> list[dict[str, Any]]:
    with auth.client(live.base_url, live.app, "compliance") as dpo:
        done = dpo.post(f"/api/offices/{OFFICE}/notices/republish")
    assert done.status_code == 200, done.text
    return list(done.json())


def refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"] == code, response.text


def run(use: FaceUse, live: Live, http: httpx.Client, receipt: str,
        rgb: tuple[int, int, int] = PERSON) -> httpx.Response:
    """Trigger `use` once, the way its user does, over HTTP (`rgb`: the live face)."""
    if use is FaceUse.RETURN_VISIT:
        return return_visit(http, receipt, rgb)
    if use is FaceUse.ENROLLMENT_DEDUP:
        return enroll(http, (60, 60, 200))
    if use is FaceUse.SIGNING_ID_CHECK:
        return sign(live, {**fake_shots(rgb).desk_wire(),
                           "chip_photo": fake_shots(rgb).desk_wire()["live_frames"][0]})
    if use is FaceUse.SIGNING_LINK:
        return sign(live, {**fake_shots(rgb).desk_wire(), "face_receipt_id": receipt})
    if use is FaceUse.SIGNING_SEARCH:
        return sign(live, fake_shots(rgb).desk_wire())
    return in_person(live, receipt, rgb)


# --- the rendered notice and poster name exactly the uses switched on ---

@pytest.mark.parametrize("language", LANGUAGES)
def test_c3_the_notice_kiosk_page_and_poster_name_exactly_the_uses_switched_on(
    tmp_path: Path, language: str,
) -> None:
    off = (FaceUse.SIGNING_SEARCH, FaceUse.RIGHTS_IN_PERSON)
    with serving(tmp_path, *off) as (live, http):
        lane_camera(live.app.capture, OFFICE, "东侧刷脸通道", actor="test")
        republish(live)
        notice = http.get(f"/api/offices/{OFFICE}/notice", params={"lang": language}).json()
        page = http.get(f"/kiosk/{OFFICE}", params={"lang": language}).text
        poster = http.get(f"/api/offices/{OFFICE}/poster", params={"lang": language}).text

    on = [use for use in FaceUse if use not in off]
    assert notice["face_uses"] == [use.value for use in on]
    for text in (notice["sections"]["processing"], page, poster):
        for use in FaceUse:
            named = use_text(use, language).title in text
            assert named is (use in on), (use, language)
            assert use.value not in text  # the stable name is the record's, not the reader's
        assert "东侧刷脸通道" in text  # where the lane is
    assert uses_told(notice["sections"]["processing"], language) == on
    assert ("刷脸通道" if language == "zh-CN" else "face lane") in poster.split("<table")[0]


NOT_WATCHED = {"zh-CN": "不设摄像头，不识别任何人", "en": "no camera watches"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_c3_c11_the_notice_and_poster_name_each_lane_and_say_the_other_way_is_not_watched(
    tmp_path: Path, language: str,
) -> None:
    with serving(tmp_path) as (live, http):
        rt = live.app.capture
        lane_camera(rt, OFFICE, "东门", actor="test")
        lane_camera(rt, OFFICE, "西门", lane="西门蓝线刷脸通道", alternative="西门北侧普通入口",
                    actor="test")
        republish(live)
        notice = http.get(f"/api/offices/{OFFICE}/notice", params={"lang": language}).json()
        poster = http.get(f"/api/offices/{OFFICE}/poster", params={"lang": language}).text
    for text in (notice["sections"]["processing"], poster):
        for name, lane, alternative in (("东门", LANE, ALTERNATIVE),
                                        ("西门", "西门蓝线刷脸通道", "西门北侧普通入口")):
            [line] = [line for line in text.splitlines() if lane in line]
            assert name in line and alternative in line and NOT_WATCHED[language] in line
    assert NOT_WATCHED[language] in poster.split("<table")[0]  # the poster's first lines say it


def test_c3_c11_a_lane_moved_after_publishing_is_refused_until_the_notice_names_it(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as (live, http):
        rt = live.app.capture
        capture_service.confirm_signage(rt, OFFICE, actor="dpo")
        camera, token = lane_camera(rt, OFFICE, "东门通道", actor="test")
        republish(live)
        capture_service.set_camera_lane(rt, camera.id, "东门北侧新划的刷脸通道", ALTERNATIVE,
                                        actor="test")
        capture_service.confirm_lane(rt, camera.id, actor="dpo")
        record_office_pia(live.app.deps)
        push = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg",
                "X-Capture-Time": live.clock.now().isoformat()}
        _, stale = notices.face_use_status(OFFICE, live.app.deps)  # `keyuan notice uses`
        first = http.post(f"/api/cameras/{camera.id}/captures", content=face_jpeg(PERSON),
                          headers=push)
        refused(first, "lane_not_in_notice")
        assert camera.id in first.json()["message"]
        [zh, en] = republish(live)
        assert "东门北侧新划的刷脸通道" in zh["text"]["processing"]
        assert "东门北侧新划的刷脸通道" in en["text"]["processing"]
        again = http.post(f"/api/cameras/{camera.id}/captures", content=face_jpeg(PERSON),
                          headers=push)
        assert again.status_code == 200, again.text
    assert stale == {language: [FaceUse.CAMERA_LANE.value] for language in LANGUAGES}


def test_c3_with_the_face_module_off_the_notice_names_no_face_use(tmp_path: Path) -> None:
    with live_server(tmp_path, engine=None, face_module="off") as live, \
            kiosk_client(live, timeout=30) as http:
        notice = http.get(f"/api/offices/{OFFICE}/notice").json()
        page = http.get(f"/kiosk/{OFFICE}").text
    assert notice["face_uses"] == []
    assert "未开启任何人脸用途" in notice["sections"]["processing"]
    assert not any(use.value in page for use in FaceUse)
    assert "活体检测" not in notice["sections"]["processing"] and "防录像回放" not in page


def test_c3_the_poster_of_an_office_without_cameras_mentions_no_lane(tmp_path: Path) -> None:
    with serving(tmp_path) as (_, http):
        poster = http.get(f"/api/offices/{OFFICE}/poster").text
    assert FaceUse.CAMERA_LANE.value not in poster and "刷脸通道" not in poster


# --- a use switched on is refused until a notice names it ---

@pytest.mark.parametrize("use", list(SWITCHES), ids=lambda u: u.value)
def test_c3_each_use_switched_on_is_refused_until_a_published_notice_names_it(
    tmp_path: Path, use: FaceUse,
) -> None:
    with serving(tmp_path, use) as (live, http):
        receipt = enrolled(http)  # the person consented under a notice without `use`
        if use in (FaceUse.RETURN_VISIT, FaceUse.SIGNING_ID_CHECK, FaceUse.SIGNING_LINK):
            refused(run(use, live, http, receipt), "face_use_off")  # asked for explicitly
    with serving(tmp_path) as (live, http):  # the configuration switches `use` on
        refused(run(use, live, http, receipt), "use_not_in_notice")
        published = republish(live)
        assert all(use.value in n["face_uses"] for n in published)
        assert [n["language"] for n in published] == list(LANGUAGES)
        fresh = enrolled(http, (20, 160, 20))  # consented under the notice that names it
        if use is FaceUse.ENROLLMENT_DEDUP:
            assert enroll(http, (60, 60, 200)).status_code == 201
            return
        answer = run(use, live, http, fresh, (20, 160, 20))
        assert answer.status_code in (200, 201), answer.text


def test_c7_a_camera_is_refused_until_the_notice_names_its_lane(tmp_path: Path) -> None:
    with serving(tmp_path) as (live, http):
        rt = live.app.capture
        capture_service.confirm_signage(rt, OFFICE, actor="dpo")
        camera, token = lane_camera(rt, OFFICE, "东门通道", actor="test")
        record_office_pia(live.app.deps)  # C23 covers the camera; the notice is next
        push = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg",
                "X-Capture-Time": live.clock.now().isoformat()}
        first = http.post(f"/api/cameras/{camera.id}/captures", content=face_jpeg(PERSON),
                          headers=push)
        refused(first, "use_not_in_notice")
        assert FaceUse.CAMERA_LANE.value in first.json()["message"]
        # the camera waits for the notice; what the notice already tells of goes on as told
        _, stale = notices.face_use_status(OFFICE, live.app.deps)
        assert stale == {language: [FaceUse.CAMERA_LANE.value] for language in LANGUAGES}
        assert notices.liveness_lagging(OFFICE, live.app.deps) == []
        assert enroll(http, (20, 160, 20)).status_code == 201
        [zh, _] = republish(live)
        assert FaceUse.CAMERA_LANE.value in zh["face_uses"] and "东门通道" in zh["text"][
            "processing"]
        again = http.post(f"/api/cameras/{camera.id}/captures", content=face_jpeg(PERSON),
                          headers=push)
        assert again.status_code == 200, again.text


# --- a consent covers only the uses its notice named: the visitor is asked again ---

def test_c1_a_consent_under_a_notice_without_the_use_does_not_cover_it(tmp_path: Path) -> None:
    with serving(tmp_path, FaceUse.RETURN_VISIT) as (_, http):
        old = enrolled(http)
    with serving(tmp_path) as (live, http):
        republish(live)
        not_asked = return_visit(http, old)  # no consent under the notice in force came with it
        assert not_asked.status_code == 401, not_asked.text
        stranger = return_visit(http, "0123456789abcdef0123456789abcdef")
        assert not_asked.json() == stranger.json()  # tells nobody the receipt is known
        with live.app.deps.uow() as uow:
            assert not [e for e in uow.audit.all() if e.action == "face_verified"]  # not read
        fresh = enrolled(http, (20, 160, 20))
        sid, _ = session(http)
        back = http.post(f"/api/kiosk/sessions/{sid}/return",
                         json={"receipt_id": fresh, **frames((20, 160, 20))})
        assert back.status_code == 201, back.text


def test_c7_a_camera_never_records_a_visit_of_someone_whose_consent_named_no_lane(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as (live, http):
        enrolled(http)  # before any camera: the notice named no lane
        rt = live.app.capture
        capture_service.confirm_signage(rt, OFFICE, actor="dpo")
        camera, token = lane_camera(rt, OFFICE, "东门通道", actor="test")
        record_office_pia(live.app.deps)  # C23 covers the camera; the notice is next
        republish(live)
        live.clock.advance(hours=3)
        outcomes = []
        for second in range(3):
            at = live.clock.now().isoformat()[:19] + f".{second}+00:00"
            outcomes.append(http.post(
                f"/api/cameras/{camera.id}/captures", content=face_jpeg(PERSON),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg",
                         "X-Capture-Time": at}))
        with live.app.deps.uow() as uow:
            visits = [v for v in uow.visits.for_office(OFFICE) if v.method.value == "camera"]
            matches = [e for e in uow.audit.all() if e.action == "camera_match"]
    assert all(o.status_code == 200 for o in outcomes), [o.text for o in outcomes]
    assert [(o.json()["matched"], o.json()["unmatched"]) for o in outcomes] == [(0, 1)] * 3
    assert all(o.json()["visits_recorded"] == 0 for o in outcomes)
    assert visits == [] and not matches  # dropped like a stranger: no audit entry, no visit


def test_c1_asked_again_the_visitor_renews_consent_and_the_return_visit_runs(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, FaceUse.RETURN_VISIT) as (_, http):
        old = enrolled(http)
    with serving(tmp_path) as (live, http):
        live.clock.advance(days=1)  # both servers' clocks start at the same instant
        republish(live)
        sid, notice_hash = session(http)
        claim = {"receipt_id": old, **frames()}
        not_asked = http.post(f"/api/kiosk/sessions/{sid}/return", json=claim)
        assert not_asked.json()["error"] == "not_verified", not_asked.text  # as for anyone
        renewal = {"notice_hash": notice_hash, "age_14_or_over": True, "agree": True}
        stranger = http.post(f"/api/kiosk/sessions/{sid}/return", json={
            **claim, **frames((20, 160, 20)), "renewal": renewal})
        assert stranger.json()["error"] == "not_verified", stranger.text  # nothing recorded
        with live.app.deps.uow() as uow:
            person = uow.consents.get(old).person_id
            kept = uow.consents.for_person(person)
            assert [c.id for c in kept if c.is_active] == [old]  # the renewal is void
        back = http.post(f"/api/kiosk/sessions/{sid}/return", json={**claim, "renewal": renewal})
        assert back.status_code == 201, back.text
        renewed = back.json()["receipt"]["receipt_id"]
        assert renewed != old and back.json()["receipt"]["receipt"]["noticeHash"] == notice_hash
        again = return_visit(http, renewed)
        assert again.status_code == 201, again.text  # covered from now on
        assert return_visit(http, old).status_code == 201  # the person's consent now covers it
        withdrawn = http.post(f"/api/receipts/{old}/withdraw")  # the old paper receipt
        assert withdrawn.status_code == 200, withdrawn.text
        with live.app.deps.uow() as uow:
            assert uow.consents.active_for(person, ConsentScope.FACE) is None
            assert not uow.vault.has(person)


def test_c1_the_kiosk_page_asks_every_return_for_its_consent(tmp_path: Path) -> None:
    with serving(tmp_path) as (_, http):
        page = http.get(f"/kiosk/{OFFICE}").text
    assert 'id="consent-return"' in page and "每次再次到访都会请您按上方现行告知单独同意" in page


# --- purpose enforced by the vault (C7) ---

def test_c7_the_in_person_rights_check_reads_no_template_its_consent_did_not_name(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, FaceUse.RIGHTS_IN_PERSON) as (_, http):
        old = enrolled(http)
    with serving(tmp_path) as (live, http):
        live.clock.advance(days=1)
        republish(live)
        queued = in_person(live, old)
        assert queued.status_code == 202, queued.text  # to staff: no face compared
        assert queued.json()["outcome"] == "queued"
        with live.app.deps.uow() as uow:
            person = uow.consents.get(old).person_id
            assert not [e for e in uow.audit.all() if e.action == "rights_face_verified"]
            with pytest.raises(PurposeMismatch):
                uow.vault.get(person, purpose=FaceUse.RIGHTS_IN_PERSON)
        fresh = enrolled(http, (20, 160, 20))
        verified = in_person(live, fresh, (20, 160, 20))
        assert verified.status_code == 200 and verified.json()["outcome"] == "verified"


def test_c7_a_1_to_n_search_compares_only_people_whose_consent_named_it(tmp_path: Path) -> None:
    with serving(tmp_path, FaceUse.ENROLLMENT_DEDUP) as (_, http):
        enrolled(http)  # consented under a notice without the duplicate check
    with serving(tmp_path) as (live, http):
        live.clock.advance(days=1)
        republish(live)
        enrolled(http, (20, 160, 20))
        again = enroll(http, (20, 160, 20))  # named: found, one person one record
        refused(again, "possibly_checked_in_before")
        searched = enroll(http)  # not named by the first person's consent: not compared
        assert searched.status_code == 201, searched.text
        with live.app.deps.uow() as uow:
            searches = [e.detail for e in uow.audit.all()
                        if e.action == "face_candidates_searched"]
    assert searches[-1]["use"] == FaceUse.ENROLLMENT_DEDUP.value
    assert searches[-1]["searched"] == 1 and searches[-1]["candidates"] == 0


# --- the notice tells of the liveness check (活体检测) as it runs (issue 18) ---

LIVENESS = {"zh-CN": ("活体检测（防照片、防录像回放）", "三个头部动作"),
            "en": ("Liveness check (against photos and replayed recordings)",
                   "three head movements")}


@pytest.mark.parametrize("challenge", [True, False], ids=["challenge", "passive-only"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notice_kiosk_page_and_desk_notice_tell_of_the_liveness_check_as_it_runs(
    tmp_path: Path, language: str, challenge: bool,
) -> None:
    with serving(tmp_path, FaceUse.SIGNING_SEARCH, challenge=challenge) as (live, http):
        republish(live)
        notice = http.get(f"/api/offices/{OFFICE}/notice", params={"lang": language}).json()
        page = http.get(f"/kiosk/{OFFICE}", params={"lang": language}).text
        with auth.client(live.base_url, live.app, "signing") as staff:
            desk = staff.get(f"/api/offices/{OFFICE}/desk-notice",
                             params={"lang": language}).json()
    on = [use for use in FaceUse if use not in (FaceUse.SIGNING_SEARCH, FaceUse.CAMERA_LANE)]
    told = liveness_line(on, language, enrollment=True, challenge=challenge)
    assert told in notice["sections"]["processing"]
    named, movements = LIVENESS[language]
    for text in (notice["sections"]["processing"], page, desk["processing"]):
        assert named in text
        assert (movements in text) is challenge  # asked to move only where it is required
    assert ("刷脸登记" if language == "zh-CN" else "face enrollment") in told
    desk_told = desk["processing"].split("\n")[-1]
    assert ("刷脸登记" if language == "zh-CN" else "face enrollment") not in desk_told


def test_the_challenge_switched_on_after_publishing_stops_every_face_use_until_republished(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, challenge=False) as (_, http):
        receipt = enrolled(http)  # the notice in force says: no head movements
    with serving(tmp_path, challenge=True) as (live, http):
        _, stale = notices.face_use_status(OFFICE, live.app.deps)
        lagging = notices.liveness_lagging(OFFICE, live.app.deps)  # what `notice uses` says
        refused(enroll(http, (20, 160, 20)), "liveness_not_in_notice")
        sid, _ = session(http)
        refused(http.post(f"/api/kiosk/sessions/{sid}/liveness-challenge",
                          json={"receipt_id": receipt}), "liveness_not_in_notice")
        refused(in_person(live, receipt), "liveness_not_in_notice")
        for staff, desk in (("reception", "rights-desk"), ("signing", "desk")):
            with auth.client(live.base_url, live.app, staff) as http_staff:
                refused(http_staff.post(f"/api/offices/{OFFICE}/{desk}/liveness-challenges"),
                        "liveness_not_in_notice")  # no challenge drawn for a refused check
        with live.app.deps.uow() as uow:
            templates_before = sum(1 for e in uow.audit.all() if e.action == "template_enrolled")
        [zh, en] = republish(live)
        assert notices.liveness_lagging(OFFICE, live.app.deps) == []
        assert LIVENESS["zh-CN"][1] in zh["text"]["processing"]
        assert LIVENESS["en"][1] in en["text"]["processing"]
        assert enroll(http, (20, 160, 20)).status_code == 201
        with live.app.deps.uow() as uow:
            templates_after = sum(1 for e in uow.audit.all() if e.action == "template_enrolled")
    assert set(stale) == set(lagging) == set(LANGUAGES)
    assert all(set(uses) == {use.value for use in SWITCHES} for uses in stale.values())
    assert (templates_before, templates_after) == (1, 2)  # the refused one wrote nothing


def test_an_enrollment_without_the_duplicate_check_waits_for_the_notice_too(
        tmp_path: Path) -> None:
    """Enrollment names no use when the duplicate check is off: it still needs the notice to
    tell of the liveness check as it runs."""
    with serving(tmp_path, FaceUse.ENROLLMENT_DEDUP, challenge=False) as (_, http):
        assert enroll(http).status_code == 201
    with serving(tmp_path, FaceUse.ENROLLMENT_DEDUP, challenge=True) as (live, http):
        refused(enroll(http, (20, 160, 20)), "liveness_not_in_notice")
        republish(live)
        assert enroll(http, (20, 160, 20)).status_code == 201


def test_the_challenge_switched_off_after_publishing_is_refused_too(tmp_path: Path) -> None:
    """A notice that promises head movements the pages no longer ask for is wrong too."""
    with serving(tmp_path, challenge=True) as (_, http):
        assert enroll(http).status_code == 201
    with serving(tmp_path, challenge=False) as (live, http):
        refused(enroll(http, (20, 160, 20)), "liveness_not_in_notice")
        [zh, _] = republish(live)
        assert LIVENESS["zh-CN"][0] in zh["text"]["processing"]
        assert LIVENESS["zh-CN"][1] not in zh["text"]["processing"]
        assert enroll(http, (20, 160, 20)).status_code == 201
