"""The signing desk's one-statement read (`signing.desk_facts`) decides exactly as the
query-per-step path (`resolve` + `facts_for`) and the batched re-adjudication, on a small seeded
store with full and masked claims, corrected visits and buyers found by an earlier signing's ID."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from keyuan.adapters.store.tables import attribution as t
from keyuan.bench.attribution import OFFICE_ID, WINDOW_END, _mobile, _seed
from keyuan.bootstrap import App, build, prepare_data_dir
from keyuan.config.settings import Settings
from keyuan.domain.attribution.adjudication import Decision, VisitLink, adjudicate
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.attribution import signing

PERSONS = 300


def _id_number(i: int) -> str:
    first17 = f"11010119900101{i:03d}"
    return first17 + check_digit(first17)


@pytest.fixture
def seeded(store_url: str, tmp_path: Path) -> Iterator[tuple[App, list[signing.Signer]]]:
    database_url = None if store_url.startswith("sqlite") else store_url
    settings = Settings(environment="test", data_dir=tmp_path / "data", database_url=database_url,
                        face_module="off", secret_key="signing-queries-secret")
    prepare_data_dir(settings)
    app = build(settings)
    try:
        first = _seed(app.db, app.deps.hasher, persons=PERSONS, visits=3_000, registrations=900)
        _correct_some_visits(app)
        for i in range(0, 40, 2):  # earlier signings: these ID numbers now lead to a person
            signing.sign(signing.SigningCmd(
                office_id=OFFICE_ID, buyer_name=f"客户{i}", id_number=_id_number(i),
                mobile=_mobile(i), contract_price_fen=1_000_000, actor="test"), app.deps)
        yield app, _signers(app, first)
    finally:
        app.close()


def _correct_some_visits(app: App) -> None:
    """Two edits each on the first visits of persons 0..59: the latest one is reported."""
    rows = [{"id": f"c{i:04d}{k}", "visit_id": f"v{i:012d}", "reason": "typo", "actor": "staff",
             "corrected_at": WINDOW_END - timedelta(days=100 + k),
             "recorded_at": WINDOW_END + timedelta(hours=k)} for i in range(60) for k in (0, 1)]
    with app.db.begin() as conn:
        conn.execute(insert(t.visit_corrections), rows)


def _signers(app: App, first: list[datetime]) -> list[signing.Signer]:
    hasher, rnd = app.deps.hasher, random.Random(3)
    signers = []
    for n in range(120):
        p = rnd.randrange(PERSONS)
        at = first[p] + timedelta(days=rnd.uniform(0.5, 40))
        id_of = n % 40 if n % 3 == 0 else 999  # a third carry an ID that signed before
        mobile = _mobile(p) if n % 7 else "13700000000"  # some mobiles are not on file
        signers.append(signing.Signer(mobile_hash=hasher.mobile(mobile),
                                      id_hash=hasher.id_number(_id_number(id_of)), signed_at=at))
    return signers


Outcome = tuple[Decision, list[str], dict[str, VisitLink]]


def _desk(app: App, s: signing.Signer) -> Outcome:
    with app.deps.uow() as uow:
        resolved, (visits, claims, registrations) = signing.desk_facts(
            uow, OFFICE_ID, s.mobile_hash, s.id_hash)
        rules = uow.attribution.rules(OFFICE_ID)
    return adjudicate(visits, claims, signed_at=s.signed_at, rules=rules), sorted(
        r.id for r in registrations), resolved.links


def _step_by_step(app: App, s: signing.Signer) -> Outcome:
    with app.deps.uow() as uow:
        resolved = signing.resolve(uow, s.mobile_hash, s.id_hash)
        visits, claims, registrations = signing.facts_for(uow, OFFICE_ID, resolved)
        rules = uow.attribution.rules(OFFICE_ID)
    return adjudicate(visits, claims, signed_at=s.signed_at, rules=rules), sorted(
        r.id for r in registrations), resolved.links


def test_the_one_statement_desk_read_decides_exactly_as_the_query_per_step_path(
    seeded: tuple[App, list[signing.Signer]],
) -> None:
    app, signers = seeded

    desk = [_desk(app, s) for s in signers]
    step = [_step_by_step(app, s) for s in signers]

    assert desk == step
    decisions = [d for d, *_ in desk]
    assert any(not d.is_natural for d in decisions) and any(d.is_natural for d in decisions)
    assert any(len(regs) > 1 for _, regs, _ in desk)  # several claims on one buyer were compared
    assert any("later edited" in line for d in decisions for line in d.trace)
    assert any(VisitLink.ID_NUMBER in links.values() for *_, links in desk)


def test_the_desk_read_decides_as_the_batched_re_adjudication(
    seeded: tuple[App, list[signing.Signer]],
) -> None:
    app, signers = seeded

    with app.deps.uow() as uow:
        batched = signing.adjudicate_batch(uow, OFFICE_ID, signers)

    assert [d for d, *_ in (_desk(app, s) for s in signers)] == batched
