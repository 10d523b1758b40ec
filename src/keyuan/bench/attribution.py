"""Attribution benchmark: adjudicate N signings against a store seeded with M visits and R
registrations, through the same statement the signing desk runs (`services.signing.desk_facts`,
one round trip per signing) and the pure `adjudicate`. Prints time, peak memory and the query plans.

Seeding is bulk Core inserts and is not part of the timed phase. The store must be empty of
the bench office (use a scratch SQLite directory or a scratch PostgreSQL database)."""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from keyuan.adapters.store.repositories.attribution import (
    claims_of_one_query,
    desk_evidence_query,
    person_by_mobile_query,
    persons_by_id_query,
    visit_evidence_query,
)
from keyuan.adapters.store.tables import attribution as t
from keyuan.adapters.store.tables import checkin as tables
from keyuan.bootstrap import App, build, prepare_data_dir
from keyuan.config.settings import Settings
from keyuan.domain.attribution.adjudication import adjudicate
from keyuan.domain.keyed_hash import Hasher
from keyuan.services.attribution.signing import Signer, adjudicate_batch, desk_facts

OFFICE_ID = "bench-office"
WINDOW_END = datetime(2026, 6, 1, tzinfo=UTC)
WINDOW = timedelta(days=180)
CHANNELS = 20
BATCH = 20_000
Out = Callable[[str], object]


def _chunks(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _mobile(i: int) -> str:
    return f"139{i:08d}"


def _at(rnd: random.Random) -> datetime:
    return WINDOW_END - timedelta(seconds=rnd.randrange(int(WINDOW.total_seconds())))


def _seed(db: Engine, hasher: Hasher, *, persons: int, visits: int, registrations: int,
          ) -> list[datetime]:
    """Every person walks in first at `first[p]` and may come back within 60 days; 70% of the
    claims are made hours before a person's first visit (valid), 30% at random (mostly late).
    Returns the first-visit times."""
    rnd = random.Random(7)
    hashes = [hasher.mobile(_mobile(i)) for i in range(persons)]
    first = [_at(rnd) for _ in range(persons)]
    with db.begin() as conn:
        conn.execute(insert(tables.offices).values(id=OFFICE_ID, name="bench",
                                                   legal_entity="bench"))
        conn.execute(insert(t.channels), [
            {"id": f"ch{c:02d}", "office_id": OFFICE_ID, "kind": "distributor",
             "name": f"channel {c}", "created_at": WINDOW_END - WINDOW, "contract_ref": None}
            for c in range(CHANNELS)])
        for chunk in _chunks({"id": f"p{i:010d}", "created_at": WINDOW_END - WINDOW,
                              "name": f"客户{i}", "mobile": _mobile(i), "mobile_hash": hashes[i],
                              "minor": False} for i in range(persons)):
            conn.execute(insert(tables.persons), chunk)
        for chunk in _chunks(_visit_rows(rnd, first, visits)):
            conn.execute(insert(tables.visits), chunk)
        for chunk in _chunks(_registration_rows(rnd, hashes, first, registrations)):
            conn.execute(insert(t.registrations), chunk)
        conn.execute(text("ANALYZE" if db.dialect.name == "postgresql" else "ANALYZE main"))
    return first


def _visit_rows(rnd: random.Random, first: list[datetime], count: int,
                ) -> Iterator[dict[str, Any]]:
    for i in range(count):
        p = i if i < len(first) else rnd.randrange(len(first))
        later = timedelta(days=60 * rnd.random() * rnd.random()) if i >= len(first) else (
            timedelta(0))
        yield {"id": f"v{i:012d}", "person_id": f"p{p:010d}", "office_id": OFFICE_ID,
               "at": min(first[p] + later, WINDOW_END), "method": "phone", "evidence": {}}


def _registration_rows(
    rnd: random.Random, hashes: list[str], first: list[datetime], count: int,
) -> Iterator[dict[str, Any]]:
    for i in range(count):
        p = rnd.randrange(len(hashes))
        on_time = rnd.random() < 0.7
        created = first[p] - timedelta(hours=rnd.uniform(1, 60)) if on_time else _at(rnd)
        yield {"id": f"r{i:012d}", "office_id": OFFICE_ID,
               "channel_id": f"ch{rnd.randrange(CHANNELS):02d}", "agent_id": None,
               "customer_name": f"客户{p}", "mobile_prefix": _mobile(p)[:3],
               "mobile_suffix": _mobile(p)[-4:],
               "mobile_hash": None if rnd.random() < 0.2 else hashes[p], "created_at": created,
               "expected_visit_at": None}


def _adjudicate_all(
    app: App, signers: list[tuple[str, datetime]], batch: int = 500,
) -> dict[str, int]:
    """The timed phase: the desk's one-statement read, then adjudicate — one read transaction
    per batch of signings."""
    deps = app.deps
    outcomes = {"attributed": 0, "natural": 0, "needs_review": 0}
    for start in range(0, len(signers), batch):
        with deps.uow() as uow:
            rules = uow.attribution.rules(OFFICE_ID)
            for mobile_hash, signed_at in signers[start:start + batch]:
                _, (visits, claims, _) = desk_facts(uow, OFFICE_ID, mobile_hash, "no-id-on-file")
                decision = adjudicate(visits, claims, signed_at=signed_at, rules=rules)
                outcomes["natural" if decision.is_natural else "attributed"] += 1
                outcomes["needs_review"] += decision.needs_review
    return outcomes


def _adjudicate_batched(
    app: App, signers: list[tuple[str, datetime]], batch: int = 500,
) -> dict[str, int]:
    """Re-adjudication of the same signings, `batch` at a time in one set of queries."""
    outcomes = {"attributed": 0, "natural": 0, "needs_review": 0}
    for start in range(0, len(signers), batch):
        chunk = [Signer(mobile_hash=m, id_hash="no-id-on-file", signed_at=at)
                 for m, at in signers[start:start + batch]]
        with app.deps.uow() as uow:
            for decision in adjudicate_batch(uow, OFFICE_ID, chunk):
                outcomes["natural" if decision.is_natural else "attributed"] += 1
                outcomes["needs_review"] += decision.needs_review
    return outcomes


def query_plans(db: Engine) -> dict[str, str]:
    """EXPLAIN the signing desk's own statements, with sample values bound."""
    statements = {
        "signing desk, one statement (buyer + visits + claims)": desk_evidence_query().params(
            office_id=OFFICE_ID, mobile_hash="x", id_hash="y"),
        "buyer by mobile hash": person_by_mobile_query().params(mobile_hash="x"),
        "buyer by ID hash (earlier signings)": persons_by_id_query().params(id_hash="y"),
        "visits + latest correction": visit_evidence_query().params(person_ids=["p1", "p2"]),
        "registrations by mobile (full or 前三后四)": claims_of_one_query().params(
            office_id=OFFICE_ID, mobile_hash="x", prefix="139", suffix="0001"),
    }
    prefix = "EXPLAIN QUERY PLAN " if db.dialect.name == "sqlite" else "EXPLAIN "
    plans = {}
    with db.connect() as conn:
        for name, stmt in statements.items():
            sql = str(stmt.compile(dialect=db.dialect, compile_kwargs={"literal_binds": True}))
            rows = conn.execute(text(prefix + sql)).all()
            plans[name] = " | ".join(str(row[-1]).strip() for row in rows)
    return plans


def run_attribution_bench(
    data_dir: Path, *, database_url: str | None = None, signings: int = 10_000,
    visits: int = 1_000_000, registrations: int = 100_000, persons: int | None = None,
    out: Out = print,
) -> dict[str, Any]:
    """Seed, then time the adjudication of `signings` signers; return the numbers."""
    settings = Settings(environment="test", data_dir=data_dir, database_url=database_url,
                        face_module="off", secret_key="attribution-bench-secret")
    prepare_data_dir(settings)
    app = build(settings)
    try:
        with app.deps.uow() as uow:
            if uow.offices.get(OFFICE_ID) is not None:
                raise RuntimeError("the bench office exists: use an empty store")
        persons = persons or max(signings, visits // 5)
        started = time.perf_counter()
        first = _seed(app.db, app.deps.hasher, persons=persons, visits=visits,
                      registrations=registrations)
        seed_s = time.perf_counter() - started
        rnd = random.Random(11)
        signers = []
        for _ in range(signings):
            p = rnd.randrange(persons)
            signed_at = min(first[p] + timedelta(days=rnd.uniform(0.5, 40)), WINDOW_END)
            signers.append((app.deps.hasher.mobile(_mobile(p)), signed_at))
        started = time.perf_counter()
        outcomes = _adjudicate_all(app, signers)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        batched = _adjudicate_batched(app, signers)
        batched_s = time.perf_counter() - started
        if batched != outcomes:
            raise RuntimeError(f"batched re-adjudication differs: {batched} != {outcomes}")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        plans = query_plans(app.db)
    finally:
        app.close()
    result = {"store": app.db.dialect.name, "signings": signings, "visits": visits,
              "registrations": registrations, "persons": persons, "seed_s": round(seed_s, 2),
              "adjudicate_s": round(elapsed, 2), "per_signing_ms": round(1000 * elapsed /
                                                                         max(signings, 1), 3),
              "batched_s": round(batched_s, 2), "peak_rss_mb": round(peak_mb, 1),
              "outcomes": outcomes, "plans": plans}
    _print(result, out)
    return result


def _print(r: dict[str, Any], out: Out) -> None:
    out(f"attribution bench on {r['store']}: {r['signings']:,} signings vs {r['visits']:,} "
        f"visits, {r['registrations']:,} registrations, {r['persons']:,} persons "
        f"(seeded in {r['seed_s']} s, not timed)")
    out(f"  adjudication: {r['adjudicate_s']} s ({r['per_signing_ms']} ms / signing); peak RSS "
        f"of the process {r['peak_rss_mb']} MB (targets: < 10 s, < 1 GB)")
    out(f"  batched re-adjudication of the same signings (500 per query set): {r['batched_s']} s"
        " — same outcomes")
    out(f"  outcomes: {r['outcomes']}")
    for name, plan in r["plans"].items():
        out(f"  plan, {name}: {plan}")


def bench_attribution_command(
    data_dir: Path = Path("var/bench-attribution"), database_url: str | None = None,
    signings: int = 10_000, visits: int = 1_000_000, registrations: int = 100_000,
) -> None:
    """Adjudicate signings against seeded visits and registrations; print time, peak memory
    and query plans. Needs an empty data dir or a scratch PostgreSQL database."""
    # registered in cli.py as: bench_cli.command("attribution")(bench_attribution_command)
    run_attribution_bench(data_dir, database_url=database_url, signings=signings, visits=visits,
                          registrations=registrations)
