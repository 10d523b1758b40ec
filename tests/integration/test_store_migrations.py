"""Alembic migrations on each store: up to head, down to base, up again; schema matches the code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from keyuan.adapters.store import migrate
from keyuan.adapters.store.db import make_engine
from keyuan.adapters.store.tables import metadata
from keyuan.adapters.store.tables.base import VAULT_SCHEMA

MAIN_TABLES = {
    "offices", "legal_entities", "notices", "persons", "consents", "kiosk_sessions", "visits",
    "one_time_codes",
    "outbox", "audit_events",
}
MAIN_TABLES |= {"impact_assessments", "receipt_signatures", "filing_thresholds",  # compliance
                "rights_access", "rights_requests"}
MAIN_TABLES |= {"attribution_rules", "channels", "agents", "registrations",  # attribution
                "visit_corrections", "signings", "signing_reviews", "signing_buyers",
                "channel_agreements", "statements", "disputes", "statement_deals", "desk_consents",
                "risk_thresholds"}
MAIN_TABLES |= {"idempotency_keys"}
MAIN_TABLES |= {"cameras", "office_signage", "capture_hourly"}  # capture
MAIN_TABLES |= {"users", "account_sessions"}  # accounts
MAIN_TABLES |= {"throttle_counters"}  # throttles shared by every worker
MAIN_TABLES |= {"sms_deliveries"}  # what became of each one-time code at the gateway
MAIN_TABLES |= {"kiosk_devices", "pairing_codes"}  # paired reception tablets
MAIN_TABLES |= {"escort_passes"}  # 扫码带访: the agents' one-time passes
MAIN_TABLES |= {"channel_teams"}  # 渠道团队: a distributor company's teams
MAIN_TABLES |= {"liveness_challenges"}  # 活体挑战: the steps asked, never a frame
MAIN_TABLES |= {"consultant_queue", "consultant_cursors", "visit_consultants"}  # 置业顾问
VAULT_TABLES = {"templates", "gallery_version"}


@pytest.fixture
def engine(empty_store_url: str, tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "data").mkdir(exist_ok=True)
    db = make_engine(empty_store_url, vault_path=tmp_path / "data" / "vault.db")
    yield db
    db.dispose()


def tables(db: Engine) -> tuple[set[str], set[str]]:
    with db.connect() as conn:
        inspector = inspect(conn)
        main = set(inspector.get_table_names()) - {"alembic_version"}
        vault = (
            set(inspector.get_table_names(schema=VAULT_SCHEMA))
            if VAULT_SCHEMA in inspector.get_schema_names() else set()
        )
    return main, vault


def revision(db: Engine) -> tuple[str, ...] | None:
    """The applied heads."""
    with db.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads())) or None


def drift(db: Engine) -> list[object]:
    with db.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_schemas": True, "compare_type": True,
                        "include_name": _only_ours},
        )
        return list(compare_metadata(context, metadata))


def _only_ours(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "schema":
        return name in (None, VAULT_SCHEMA)
    return True


def test_migrations_upgrade_to_head_creating_main_and_vault_tables(engine: Engine) -> None:
    migrate.upgrade(engine)

    main, vault = tables(engine)
    assert main == MAIN_TABLES
    assert vault == VAULT_TABLES
    assert revision(engine) is not None


def test_the_migrated_schema_matches_the_table_definitions(engine: Engine) -> None:
    migrate.upgrade(engine)

    assert drift(engine) == []


def test_migrations_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    head = revision(engine)

    migrate.downgrade(engine, "base")

    assert tables(engine) == (set(), set())
    assert revision(engine) is None

    migrate.upgrade(engine)

    assert tables(engine) == (MAIN_TABLES, VAULT_TABLES)
    assert revision(engine) == head
    assert drift(engine) == []


def test_upgrading_an_up_to_date_store_changes_nothing(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO offices (id, name, legal_entity) VALUES ('o', 'n', 'e')"))

    migrate.upgrade(engine)

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM offices")).scalar_one() == 1


def test_the_migration_history_has_exactly_one_head() -> None:
    from alembic.script import ScriptDirectory

    from keyuan.adapters.store.migrate import MIGRATIONS

    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1, "parallel branches need a merge revision"


def test_revision_0008_gives_each_deal_already_on_two_statements_to_the_earlier_one(
    engine: Engine,
) -> None:
    migrate.upgrade(engine, "0007")
    at = "2026-11-28 02:00:00+00:00"
    line = '[{"signing_id": "s1", "amount_fen": 5, "rule": "r"}, {"amount_fen": 1, "rule": "x"}]'
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO offices (id, name, legal_entity) VALUES ('o', 'n', 'e')",
            f"INSERT INTO persons (id, created_at, minor) VALUES ('p', '{at}', false)",
            "INSERT INTO channels (id, office_id, kind, name, created_at) "
            f"VALUES ('c', 'o', 'distributor', 'n', '{at}')",
            "INSERT INTO signings (id, office_id, person_id, buyer_name, id_hash, id_masked, "
            "contract_price_fen, signed_at, decision, status, channel_id) VALUES ('s1', 'o', "
            f"'p', 'b', 'h', 'm', 100, '{at}', '{{}}', 'final', 'c')",
        ):
            conn.execute(text(sql))
        for statement, start, created in (("late", "2026-11-15", "2026-12-02"),
                                          ("early", "2026-11-01", "2026-12-01")):
            conn.execute(text(
                "INSERT INTO statements (id, channel_id, period_start, period_end, status, "
                "lines, total_fen, created_at) VALUES (:id, 'c', :start, '2026-12-15', 'paid', "
                ":lines, 6, :created)"), {"id": statement, "start": start, "lines": line,
                                          "created": created})

    migrate.upgrade(engine)

    with engine.connect() as conn:
        deals = conn.execute(text("SELECT signing_id, statement_id FROM statement_deals"))
        assert [tuple(row) for row in deals] == [("s1", "early")]
    assert drift(engine) == []


def test_revision_0014_gives_each_existing_office_an_incomplete_legal_entity(
    engine: Engine,
) -> None:
    """Offices made before legal entities existed (init used to make the demo's) keep working
    as rows, but their controller is incomplete until an admin fills it in."""
    migrate.upgrade(engine, "0013")
    with engine.begin() as conn:
        for office, entity in (("a", "甲置业"), ("b", "甲置业"), ("c", "乙地产")):
            conn.execute(text("INSERT INTO offices (id, name, legal_entity) VALUES "
                              "(:id, 'n', :entity)"), {"id": office, "entity": entity})
        texts = ("controller", "controller_contact", "responsible_person", "purpose", "method",
                 "data_types", "retention", "after_retention", "necessity", "impact", "rights",
                 "summary", "processing")
        blanks = ", ''" * len(texts)
        conn.execute(text(  # a row referencing an office: the migration must not copy offices
            f"INSERT INTO notices (office_id, language, version, content_hash, face_uses, "
            f"{', '.join(texts)}) VALUES ('a', 'zh-CN', 1, 'h', '[]'{blanks})"))

    migrate.upgrade(engine)

    with engine.connect() as conn:
        entities = {row[0]: row[1] for row in conn.execute(text(
            "SELECT name, id FROM legal_entities WHERE credit_code = '' AND contact = '' "
            "AND pi_name = '' AND pi_contact = ''"))}
        offices = {row[0]: row[1] for row in conn.execute(
            text("SELECT id, legal_entity_id FROM offices"))}
    assert set(entities) == {"甲置业", "乙地产"}
    assert offices == {"a": entities["甲置业"], "b": entities["甲置业"], "c": entities["乙地产"]}
    assert drift(engine) == []


def test_revision_0022_makes_each_existing_signing_one_main_buyer(engine: Engine) -> None:
    """Signings made before households (共同购房人) read back with their one buyer as the main
    buyer, ID-photo result included; a desk consent stays tied to its signing."""
    migrate.upgrade(engine, "0019")
    at = "2026-11-28 02:00:00+00:00"
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO offices (id, name, legal_entity) VALUES ('o', 'n', 'e')",
            f"INSERT INTO persons (id, created_at, minor) VALUES ('p', '{at}', false)",
            "INSERT INTO signings (id, office_id, person_id, buyer_name, id_hash, id_masked, "
            "contract_price_fen, signed_at, decision, status, id_photo_passed, id_photo_score) "
            f"VALUES ('s1', 'o', 'p', '李雷', 'h1', '110105********0011', 100, '{at}', '{{}}', "
            "'final', true, 0.31)",
        ):
            conn.execute(text(sql))

    migrate.upgrade(engine)

    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT signing_id, position, person_id, name, id_hash, id_masked, relation, "
            "id_photo_passed, id_photo_score FROM signing_buyers"))
        assert [tuple(row) for row in rows] == [
            ("s1", 0, "p", "李雷", "h1", "110105********0011", None, True, 0.31)]
    assert drift(engine) == []
    migrate.downgrade(engine, "0019")
    assert "signing_buyers" not in tables(engine)[0]


def test_revision_0021_gives_each_existing_receipt_its_own_code(engine: Engine) -> None:
    """Receipts issued before 回执编号 existed get one in the migration (not on first read), so
    every stored receipt can be looked up by code from the start."""
    from keyuan.domain.checkin.receipt_code import ALPHABET, LENGTH

    migrate.upgrade(engine, "0022")
    at = "2026-11-28 02:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO offices (id, name, legal_entity) VALUES ('o', 'n', 'e')"))
        conn.execute(text(f"INSERT INTO persons (id, created_at, minor) VALUES ('p', '{at}', "
                          "false)"))
        for consent in ("a" * 32, "b" * 32, "c" * 32):
            conn.execute(text(
                "INSERT INTO consents (id, person_id, office_id, scope, purpose, notice_version, "
                "notice_hash, method, given_at, receipt, receipt_hash) VALUES (:id, 'p', 'o', "
                f"'phone', 'visit_attribution', 1, 'h', 'kiosk_sms_code', '{at}', '{{}}', 'h')"),
                {"id": consent})

    migrate.upgrade(engine)

    with engine.connect() as conn:
        codes = [row[0] for row in conn.execute(text("SELECT receipt_code FROM consents"))]
    assert len(codes) == len(set(codes)) == 3
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert drift(engine) == []


def test_revision_0028_keeps_escorts_on_their_claims_and_their_corrections(
    engine: Engine,
) -> None:
    """Escorts recorded before 0028 get their registration id; a corrected visit keeps its
    correction (on SQLite the NOT NULL is dropped without copying the referenced table); and an
    escort of no person can be stored afterwards."""
    migrate.upgrade(engine, "0027")
    at = "2026-11-28 02:00:00+00:00"
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO offices (id, name, legal_entity) VALUES ('o', 'n', 'e')",
            f"INSERT INTO persons (id, created_at, minor) VALUES ('p', '{at}', false)",
            "INSERT INTO visits (id, person_id, office_id, at, method, evidence) VALUES "
            f"('v1', 'p', 'o', '{at}', 'staff', '{{\"registration\": \"r1\"}}')",
            "INSERT INTO visits (id, person_id, office_id, at, method, evidence) VALUES "
            f"('v2', 'p', 'o', '{at}', 'phone', '{{}}')",
            "INSERT INTO visit_corrections (id, visit_id, corrected_at, reason, actor, "
            f"recorded_at) VALUES ('c1', 'v1', '{at}', 'typo', 'a', '{at}')",
        ):
            conn.execute(text(sql))

    migrate.upgrade(engine)

    with engine.begin() as conn:
        claims = {row[0]: row[1] for row in conn.execute(
            text("SELECT id, registration_id FROM visits"))}
        assert claims == {"v1": "r1", "v2": None}
        assert conn.execute(text("SELECT visit_id FROM visit_corrections")).scalar_one() == "v1"
        conn.execute(text("INSERT INTO visits (id, person_id, office_id, at, method, evidence, "
                          f"registration_id) VALUES ('v3', NULL, 'o', '{at}', 'staff', '{{}}', "
                          "'r2')"))
    assert drift(engine) == []
    migrate.downgrade(engine, "0027")
    with engine.connect() as conn:  # the escort of no person cannot go back: it is removed
        assert {row[0] for row in conn.execute(text("SELECT id FROM visits"))} == {"v1", "v2"}
