"""Signings with several buyers (主购人 + 共同购房人) over real HTTP on SQLite and PostgreSQL:
the wife-first fraud judged as the household's natural visit, the distributor told only "lost"
and why, each buyer on their own face or mobile path, clear errors for a bad household, and
one signing however many identical posts race."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from keyuan.adapters.store.tables import attribution as tables
from keyuan.domain.attribution.idcard import check_digit
from support import auth
from support.live import Live, mobile_check_in
from support.parallel import parallel
from support.sequences import fake_shots

from .conftest import png_bytes

OFFICE = "demo-office"
ALICE = (30, 200, 90)
HUSBAND, WIFE = "13712345601", "13712345602"


def id_of(first17: str) -> str:
    return first17 + check_digit(first17)


HUSBAND_ID, WIFE_ID = id_of("44030619850307123"), id_of("44030619870412234")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def couple(price: int = 3_000_000_00, **main: Any) -> dict[str, Any]:
    return {"contract_price_fen": price, "unit": "2-1801", "buyers": [
        {"name": "张伟", "id_number": HUSBAND_ID, "mobile": HUSBAND, "main": True, **main},
        {"name": "李娜", "id_number": WIFE_ID, "mobile": WIFE, "relation": "spouse"}]}


@pytest.fixture
def desk(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, "admin") as http:
        yield http


def distributor(desk: httpx.Client) -> str:
    r = desk.post(f"/api/offices/{OFFICE}/channels", json={"kind": "distributor",
                                                           "name": "某某房产分销"})
    assert r.status_code == 201, r.text
    return str(r.json()["channel_id"])


def counts(live: Live) -> tuple[int, int]:
    with live.app.db.connect() as conn:
        return (int(conn.scalar(select(func.count()).select_from(tables.signings)) or 0),
                int(conn.scalar(select(func.count()).select_from(tables.signing_buyers)) or 0))


def test_wife_first_is_the_households_natural_visit_and_the_distributor_sees_only_lost(
    live: Live, desk: httpx.Client,
) -> None:
    wife_visit = mobile_check_in(live, WIFE, name="李娜")  # she comes alone, no channel
    live.clock.advance(days=2)
    cid = distributor(desk)
    with auth.client(live.base_url, live.app, "distributor", channel=cid) as theirs:
        claim = theirs.post(f"/api/channels/{cid}/registrations",
                            json={"customer_name": "张伟", "mobile": HUSBAND})
        assert claim.status_code == 201, claim.text  # a new mobile: nothing to refuse yet
        live.clock.advance(hours=2)
        escorted = desk.post(f"/api/registrations/{claim.json()['registration_id']}/"
                             "visit-confirmation", json={"mobile": HUSBAND})
        assert escorted.status_code == 201, escorted.text
        live.clock.advance(days=3)

        signed = desk.post(f"/api/offices/{OFFICE}/signings", json=couple())
        view = theirs.get(f"/api/channels/{cid}/registrations")

    assert signed.status_code == 201, signed.text
    body = signed.json()
    assert (body["status"], body["channel_id"], body["registration_id"]) == ("final", None, None)
    assert body["decision"]["decided_by"] == {"visit": "co1"}
    assert "decided by: visit of buyer co1" in body["decision"]["trace"]
    [verdict] = body["decision"]["verdicts"]
    assert (verdict["reason"], verdict["visit_id"]) == ("customer_known",
                                                        wife_visit["visit_id"])
    assert [(b["role"], b["name"], b["relation"]) for b in body["buyers"]] == [
        ("main", "张伟", None), ("co1", "李娜", "spouse")]
    assert body["id_masked"] == body["buyers"][0]["id_masked"]

    assert view.status_code == 200
    [mine] = view.json()
    assert (mine["status"], mine["outcome"], mine["lost_reason"]) == (
        "lost", "lost", "customer_known")
    assert mine["visited_at"] is None
    for leak in ("李娜", WIFE, WIFE[:3] + "****" + WIFE[-4:], WIFE_ID, wife_visit["visit_id"],
                 body["signing_id"], "co1", "spouse", "decided"):
        assert leak not in view.text


def test_a_co_buyer_on_the_face_path_beside_a_main_buyer_on_the_mobile_path(
    live: Live, desk: httpx.Client,
) -> None:
    notice = desk.get(f"/api/offices/{OFFICE}/desk-notice").json()["notice_hash"]
    wife_yes = desk.post(f"/api/offices/{OFFICE}/desk-consents", json={
        "id_number": WIFE_ID, "notice_hash": notice, "given": True}).json()["desk_consent_id"]
    face = {**fake_shots(ALICE).desk_wire(), "chip_photo": b64(png_bytes(ALICE))}
    body = couple()
    body["buyers"][1].update(face)
    no_consent = couple()
    no_consent["buyers"][1].update(face)
    someone_elses = couple()
    someone_elses["buyers"][0].update({**face, "desk_consent_id": wife_yes})

    refused = desk.post(f"/api/offices/{OFFICE}/signings", json=no_consent)
    not_his = desk.post(f"/api/offices/{OFFICE}/signings", json=someone_elses)
    assert counts(live) == (0, 0)  # refused before anything was written
    body["buyers"][1]["desk_consent_id"] = wife_yes
    signed = desk.post(f"/api/offices/{OFFICE}/signings", json=body)

    assert (refused.status_code, refused.json()["error"]) == (403, "desk_consent_missing")
    assert refused.json()["details"]["buyer"] == "co1"
    assert refused.json()["message"].startswith("Co-buyer 1: ")
    assert not_his.status_code == 403 and not_his.json()["details"]["buyer"] == "main"
    assert signed.status_code == 201, signed.text
    got = signed.json()
    assert got["status"] == "final"
    assert [(b["role"], b["id_photo_passed"]) for b in got["buyers"]] == [
        ("main", None), ("co1", True)]  # each buyer's own check, the main buyer took none
    assert got["id_photo_passed"] is None  # the signing's columns are the main buyer's
    with live.app.deps.uow() as uow:
        consent = uow.desk_consents.get(wife_yes)
        assert consent is not None and consent.signing_id == got["signing_id"]
    again = desk.post(f"/api/offices/{OFFICE}/signings",
                      json={**body, "contract_price_fen": 2_000_000_00})
    assert (again.status_code, again.json()["error"]) == (403, "desk_consent_missing")
    assert counts(live) == (1, 2)


def test_a_bad_household_gets_a_clear_json_error_and_writes_nothing(
    live: Live, desk: httpx.Client,
) -> None:
    def post(body: dict[str, Any]) -> httpx.Response:
        return desk.post(f"/api/offices/{OFFICE}/signings", json=body)

    def with_buyers(change: Any) -> dict[str, Any]:
        body = couple()
        change(body["buyers"])
        return body

    no_main = post(with_buyers(lambda b: b[0].update(main=False)))
    two_main = post(with_buyers(lambda b: b[1].update(main=True)))
    same_id = post(with_buyers(lambda b: b[1].update(id_number=HUSBAND_ID)))
    same_mobile = post(with_buyers(lambda b: b[1].update(mobile=HUSBAND)))
    bad_id = post(with_buyers(lambda b: b[1].update(id_number=WIFE_ID[:17] + (
        "0" if WIFE_ID[17] != "0" else "1"))))
    bad_mobile = post(with_buyers(lambda b: b[1].update(mobile="1234")))
    both_shapes = post({**couple(), "buyer_name": "张伟"})
    neither = post({"contract_price_fen": 100})
    bad_relation = post(with_buyers(lambda b: b[1].update(relation="neighbour")))
    too_many = post(with_buyers(lambda b: b.extend(
        {"name": f"买受人{i}", "id_number": id_of(f"4403061990010{i:03d}1")[:18],
         "mobile": f"1391234{i:04d}"} for i in range(6))))

    def said(r: httpx.Response) -> tuple[int, str]:
        return r.status_code, r.json()["error"]

    assert said(no_main) == (422, "no_main_buyer")
    assert said(two_main) == (422, "several_main_buyers")
    assert said(same_id) == (422, "duplicate_buyer")
    assert same_id.json()["details"] == {"buyer": "co1", "field": "ID number"}
    assert said(same_mobile) == (422, "duplicate_buyer")
    assert said(bad_id) == (422, "invalid_id_number")
    assert bad_id.json()["details"] == {"buyer": "co1"}
    assert WIFE_ID[:17] not in bad_id.text
    assert said(bad_mobile) == (422, "invalid_mobile")
    assert said(both_shapes) == said(neither) == said(bad_relation) == (422, "invalid_request")
    assert said(too_many) == (422, "too_many_buyers")
    for r in (no_main, two_main, same_id, bad_id, bad_mobile, both_shapes, too_many):
        assert set(r.json()) <= {"error", "message", "details"}
        assert HUSBAND not in r.text and WIFE not in r.text
    assert counts(live) == (0, 0)


def test_the_same_household_posted_in_parallel_signs_once(
    live: Live, desk: httpx.Client,
) -> None:
    main_first = couple()
    main_second = couple()
    main_second["buyers"].reverse()  # the same contract, the buyers listed the other way
    wife_main = couple()  # and the same contract with the wife entered as the main buyer
    wife_main["buyers"][0]["main"], wife_main["buyers"][1]["main"] = False, True
    bodies = [main_first, main_second, wife_main, main_first, main_second, wife_main]

    def post(i: int) -> httpx.Response:
        with httpx.Client(base_url=live.base_url, headers=desk.headers, timeout=60) as http:
            return http.post(f"/api/offices/{OFFICE}/signings", json=bodies[i])

    answers = parallel(len(bodies), post)

    assert Counter(r.status_code for r in answers) == {201: 1, 409: len(bodies) - 1}, [
        r.text for r in answers]
    signed = next(r for r in answers if r.status_code == 201).json()["signing_id"]
    for refused in (r.json() for r in answers if r.status_code == 409):
        assert (refused["error"], refused["details"]["signing_id"]) == ("duplicate_signing",
                                                                        signed)
    assert counts(live) == (1, 2)
    with live.app.db.connect() as conn:
        persons = conn.scalars(select(tables.signing_buyers.c.person_id)).all()
    assert len(set(persons)) == 2  # each buyer is their own person on file, once


def test_the_single_buyer_shape_still_signs_as_one_main_buyer(
    live: Live, desk: httpx.Client,
) -> None:
    signed = desk.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "王芳", "id_number": HUSBAND_ID, "mobile": HUSBAND,
        "contract_price_fen": 1_000_000_00})

    assert signed.status_code == 201, signed.text
    assert [b["role"] for b in signed.json()["buyers"]] == ["main"]
    assert "decided_by" not in signed.json()["decision"]
    assert desk.get(f"/api/signings/{signed.json()['signing_id']}").json()["buyers"][0][
        "name"] == "王芳"
