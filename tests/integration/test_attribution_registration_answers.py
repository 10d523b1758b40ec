"""报备 answered at once, on SQLite and PostgreSQL over real HTTP: the same channel's second claim
on a customer is refused with its first; a claim that cannot win (customer already known to the
office, protected for another channel) is refused — or, under the office's `mark` policy,
recorded and marked — and the answer never names the other channel. Parallel duplicates store
exactly one registration. The manager funnel never counts such a claim as signed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from keyuan.adapters.store.tables import attribution as t
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.attribution import dashboard
from support import auth
from support.live import Live
from support.parallel import together

OFFICE = "demo-office"
PARALLEL = 4
MOBILE = "13712345678"


@pytest.fixture
def admin(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, "admin") as http:
        yield http


def channel(http: httpx.Client, name: str) -> str:
    r = http.post(f"/api/offices/{OFFICE}/channels", json={"kind": "distributor", "name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["channel_id"])


def register(http: httpx.Client, cid: str, mobile: str = MOBILE, name: str = "赵敏"
             ) -> httpx.Response:
    return http.post(f"/api/channels/{cid}/registrations",
                     json={"customer_name": name, "mobile": mobile})


def registrations(live: Live) -> int:
    with live.app.deps.uow() as uow:
        return int(uow.visits.session.execute(
            select(func.count()).select_from(t.registrations)).scalar_one())



def phone_visit(live: Live, mobile: str = MOBILE) -> None:
    """The customer checks in at the kiosk on their own (a natural visit, 自访)."""
    from keyuan.services.checkin import kiosk
    from keyuan.services.checkin.phone import PhoneCheckInCmd, phone_check_in, request_code

    deps = live.app.deps
    session, notice = kiosk.start_session(OFFICE, deps)
    request_code(session.id, mobile, deps)
    phone_check_in(PhoneCheckInCmd(session.id, mobile, live.last_code(), notice.content_hash,
                                   agree=True, name="赵敏"), deps)


def body(r: httpx.Response) -> dict[str, Any]:
    data: dict[str, Any] = r.json()
    return data


# --- duplicates, in parallel --------------------------------------------------------------

def test_parallel_duplicate_registrations_by_one_channel_store_exactly_one(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin, "链家分销")

    answers = together(PARALLEL, lambda http, _: register(http, cid), live.base_url,
                       dict(admin.headers))

    assert Counter(r.status_code for r in answers) == {201: 1, 409: PARALLEL - 1}, \
        [r.text for r in answers]
    first = body(next(r for r in answers if r.status_code == 201))
    for refused in (body(r) for r in answers if r.status_code == 409):
        assert refused["error"] == "registration_duplicate"
        assert refused["details"]["registration_id"] == first["registration_id"]
        assert refused["details"]["created_at"]
    assert registrations(live) == 1


def test_parallel_registrations_by_two_channels_leave_one_protected_claim(
    live: Live, admin: httpx.Client,
) -> None:
    a, b = channel(admin, "甲分销"), channel(admin, "乙分销")

    answers = together(2, lambda http, i: register(http, (a, b)[i]), live.base_url,
                       dict(admin.headers))

    assert Counter(r.status_code for r in answers) == {201: 1, 409: 1}, [r.text for r in answers]
    refused = next(r for r in answers if r.status_code == 409)
    assert body(refused)["error"] == "registration_protected_elsewhere"
    for leak in (a, b, "甲分销", "乙分销", body(next(
            r for r in answers if r.status_code == 201))["registration_id"]):
        assert leak not in refused.text
    assert registrations(live) == 1


def test_a_masked_and_a_full_claim_on_one_customer_are_duplicates(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin, "链家分销")
    assert register(admin, cid, "137****5678").status_code == 201

    again = register(admin, cid)
    other_name = register(admin, cid, name="周芷若")  # another person with the same 前三后四

    assert (again.status_code, body(again)["error"]) == (409, "registration_duplicate")
    assert other_name.status_code == 201, other_name.text


def test_the_same_channel_may_register_again_once_its_claim_lapsed(
    live: Live, admin: httpx.Client,
) -> None:
    a, b = channel(admin, "甲分销"), channel(admin, "乙分销")
    assert register(admin, a).status_code == 201
    live.clock.advance(hours=73)  # no visit within the 72 h: the claim is over

    assert register(admin, b).status_code == 201  # nobody protects the customer now
    assert body(register(admin, a))["error"] == "registration_protected_elsewhere"


# --- claims that cannot win ---------------------------------------------------------------

def test_a_customer_who_already_visited_is_refused_as_known_and_nothing_is_stored(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin, "链家分销")
    phone_visit(live)
    live.clock.advance(hours=2)

    r = register(admin, cid)

    assert (r.status_code, body(r)["error"]) == (409, "registration_customer_known")
    assert "details" not in body(r)  # nothing about the person beyond "known"
    assert MOBILE not in r.text and "赵敏" not in r.text
    assert registrations(live) == 0


def test_under_the_mark_policy_the_claim_is_recorded_marked_and_shown_as_such(
    live: Live, admin: httpx.Client,
) -> None:
    r = admin.put(f"/api/offices/{OFFICE}/attribution-rules", json={"conflict_policy": "mark"})
    assert r.status_code == 200, r.text
    a, b = channel(admin, "甲分销"), channel(admin, "乙分销")
    phone_visit(live, "13900001111")
    live.clock.advance(hours=1)

    known = register(admin, a, "13900001111")
    first = register(admin, a)
    protected = register(admin, b)
    duplicate = register(admin, a)  # a duplicate is refused under both policies

    assert (known.status_code, body(known)["conflict"]) == (201, "registration_customer_known")
    assert (first.status_code, body(first)["conflict"]) == (201, None)
    assert (protected.status_code, body(protected)["conflict"]) == (
        201, "registration_protected_elsewhere")
    assert "甲分销" not in protected.text and a not in protected.text
    assert (duplicate.status_code, body(duplicate)["error"]) == (409, "registration_duplicate")
    statuses = {c["registration_id"]: c["status"]
                for c in admin.get(f"/api/channels/{b}/registrations").json()}
    assert statuses == {body(protected)["registration_id"]: "registration_protected_elsewhere"}
    assert registrations(live) == 3


def test_the_funnel_never_counts_a_marked_or_losing_claim_as_signed(
    live: Live, admin: httpx.Client,
) -> None:
    admin.put(f"/api/offices/{OFFICE}/attribution-rules", json={"conflict_policy": "mark"})
    a, b = channel(admin, "甲分销"), channel(admin, "乙分销")
    first = body(register(admin, a))["registration_id"]
    assert body(register(admin, b))["conflict"] == "registration_protected_elsewhere"
    live.clock.advance(hours=1)
    r = admin.post(f"/api/registrations/{first}/visit-confirmation", json={"mobile": MOBILE})
    assert r.status_code == 201, r.text
    id17 = "44030619900307123"
    r = admin.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "赵敏", "id_number": id17 + check_digit(id17), "mobile": MOBILE,
        "contract_price_fen": 2_000_000_00})
    assert (r.status_code, r.json()["registration_id"]) == (201, first), r.text

    board = dashboard.manager_dashboard(live.app.deps, office_id=OFFICE, days=7)

    assert board.funnel == (2, 1, 1)  # two registered; only the credited claim visited + signed
