"""Attribution repositories inside a unit of work (`uow.attribution`), and their ORM mapping."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, registry, relationship

from keyuan.adapters.store.locks import locked, serialize_on
from keyuan.adapters.store.tables import attribution as t
from keyuan.adapters.store.tables import checkin as tables
from keyuan.adapters.store.types import UTCDateTime
from keyuan.domain.attribution.adjudication import (
    ReviewNote,
    ReviewStep,
    Signing,
    SigningStatus,
    VisitCorrection,
)
from keyuan.domain.attribution.channels import Agent, Channel
from keyuan.domain.attribution.commission import (
    Agreement,
    Dispute,
    DisputeStatus,
    Statement,
    StatementStatus,
)
from keyuan.domain.attribution.desk_consent import DeskConsent
from keyuan.domain.attribution.escort import EscortPass
from keyuan.domain.attribution.household import SigningBuyer
from keyuan.domain.attribution.registration import (
    AttributionRules,
    ConflictPolicy,
    Registration,
)
from keyuan.domain.attribution.repositories import DeskEvidence, VisitEvidence
from keyuan.domain.attribution.risk import THRESHOLD_NAMES, OfficeThresholds, RiskThresholds
from keyuan.domain.attribution.teams import Team
from keyuan.domain.checkin.person import Person
from keyuan.domain.checkin.visit import Visit


def map_attribution(reg: registry) -> None:
    """Called once from `orm.start_mappers`."""
    reg.map_imperatively(Channel, t.channels)
    reg.map_imperatively(Agent, t.agents)
    reg.map_imperatively(Team, t.channel_teams)
    reg.map_imperatively(Registration, t.registrations)
    reg.map_imperatively(VisitCorrection, t.visit_corrections)
    reg.map_imperatively(SigningBuyer, t.signing_buyers)
    reg.map_imperatively(Signing, t.signings, properties={"buyers": relationship(
        SigningBuyer, order_by=t.signing_buyers.c.position, lazy="selectin",
        cascade="all, delete-orphan")})
    reg.map_imperatively(ReviewNote, t.signing_reviews)
    reg.map_imperatively(Agreement, t.channel_agreements)
    reg.map_imperatively(Statement, t.statements)
    reg.map_imperatively(Dispute, t.disputes)
    reg.map_imperatively(DeskConsent, t.desk_consents)
    reg.map_imperatively(EscortPass, t.escort_passes)


class DeskConsents:
    """`uow.desk_consents` (`domain.attribution.repositories.DeskConsents`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: DeskConsent) -> DeskConsent:
        self.session.add(item)
        self.session.flush()
        return item

    def get(self, key: str) -> DeskConsent | None:
        return self.session.get(DeskConsent, key)

    def lock(self, key: str) -> DeskConsent | None:
        return locked(self.session, DeskConsent, key)


class EscortPasses:
    """`uow.escort_passes` (`domain.attribution.repositories.EscortPasses`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: EscortPass) -> EscortPass:
        self.session.add(item)
        self.session.flush()
        return item

    def lock(self, pass_id: str) -> EscortPass | None:
        return locked(self.session, EscortPass, pass_id)

    def lock_by_code(self, code_hash: str) -> EscortPass | None:
        c = t.escort_passes.c
        newest = self.session.scalar(select(c.id).where(c.code_hash == code_hash)
                                     .order_by(c.issued_at.desc(), c.id).limit(1))
        return None if newest is None else self.lock(newest)


# The signing desk's queries, built once (after the mappers start) with bound parameters:
# building a statement costs more than running it on an indexed table.
@cache
def person_by_mobile_query() -> Select[Any]:
    return select(Person).where(tables.persons.c.mobile_hash == bindparam("mobile_hash"))


@cache
def persons_by_id_query() -> Select[Any]:
    # A join, not "mobile_hash = ? OR id IN (subquery)": PostgreSQL cannot turn that OR into
    # index scans and reads the whole persons table.
    b = t.signing_buyers.c  # every buyer of every signing, co-buyers too
    return (select(Person).distinct()
            .join(t.signing_buyers, b.person_id == tables.persons.c.id)
            .where(b.id_hash == bindparam("id_hash")))


@cache
def visit_evidence_query() -> Select[Any]:
    v, vc = tables.visits.c, t.visit_corrections.c
    latest = (select(vc.corrected_at).where(vc.visit_id == v.id)
              .order_by(vc.recorded_at.desc()).limit(1).scalar_subquery())
    return (select(v.id, v.person_id, v.office_id, v.at, v.method, latest.label("corrected_at"))
            .where(v.person_id.in_(bindparam("person_ids", expanding=True))).order_by(v.at))


@cache
def claims_of_one_query() -> Select[Any]:
    c = t.registrations.c
    # No "mobile_hash IS NULL" here: with statistics the planner would walk every masked claim
    # through the hash index. Full-number claims that share 前三后四 are dropped by `may_be`.
    return select(Registration).where(c.office_id == bindparam("office_id"), or_(
        c.mobile_hash == bindparam("mobile_hash"),
        and_(c.mobile_prefix == bindparam("prefix"), c.mobile_suffix == bindparam("suffix"))))


def _typed_null(type_: Any) -> Any:
    return cast(null(), type_)


@cache
def desk_evidence_query() -> CompoundSelect[Any]:
    """One round trip for the signing desk: UNION ALL of persons ('p'), visits ('v') and
    claims ('r'), on 14 shared columns. Each arm is an indexed lookup driven by the small
    `buyer` CTE (persons.mobile_hash, signings.id_hash, ix_visits_person_at,
    ix_registrations_mobile_hash, ix_registrations_masked)."""
    p, s, v, vc = tables.persons.c, t.signing_buyers.c, tables.visits.c, t.visit_corrections.c
    r, ch = t.registrations.c, t.channels.c
    cols = (p.id, p.created_at, p.name, p.mobile, p.mobile_hash, p.minor)
    buyer = union_all(
        select(*cols).where(p.mobile_hash == bindparam("mobile_hash")),
        select(*cols).distinct().join(t.signing_buyers, s.person_id == p.id)
        .where(s.id_hash == bindparam("id_hash")),
    ).cte("buyer")
    b = buyer.c
    text_null, time_null = _typed_null(String), _typed_null(UTCDateTime)
    persons = select(literal_column("'p'").label("kind"), b.id, b.name, b.mobile,
                     b.mobile_hash, text_null, text_null, text_null, text_null, text_null,
                     b.created_at, time_null, b.minor, text_null)
    latest = (select(vc.corrected_at).where(vc.visit_id == v.id)
              .order_by(vc.recorded_at.desc()).limit(1).scalar_subquery())
    visits = select(literal_column("'v'"), v.id, v.person_id, v.office_id, v.method, null(),
                    null(), null(), null(), null(), v.at, latest, null(), null()).where(
        v.person_id.in_(select(b.id)))
    office: Any = bindparam("office_id")
    claim_cols: tuple[Any, ...] = (
        literal_column("'r'"), r.id, r.office_id, r.channel_id, r.agent_id, r.customer_name,
        r.mobile_prefix, r.mobile_suffix, r.mobile_hash, ch.kind, r.created_at,
        r.expected_visit_at, _typed_null(Boolean), r.conflict)
    by_hash = select(*claim_cols).join(t.channels, ch.id == r.channel_id).where(
        r.office_id == office, r.mobile_hash.in_(select(b.mobile_hash)))
    # The buyer's own number, found also when nobody holds it on file: a customer escorted by
    # a channel is kept on no person (到访确认 records the visit on the claim only).
    own_hash = select(*claim_cols).join(t.channels, ch.id == r.channel_id).where(
        r.office_id == office, r.mobile_hash == bindparam("mobile_hash"))
    own_mask = select(*claim_cols).join(t.channels, ch.id == r.channel_id).where(
        r.office_id == office, r.mobile_prefix == bindparam("prefix"),
        r.mobile_suffix == bindparam("suffix"))
    # 前三后四 as a row-value IN, not a join with `buyer`: SQLite would build a Bloom filter
    # over the whole registrations table for the join, on every signing.
    masks = select(func.substr(b.mobile, 1, 3), func.substr(b.mobile, func.length(b.mobile) - 3, 4))
    by_mask = select(*claim_cols).join(t.channels, ch.id == r.channel_id).where(
        r.office_id == office, tuple_(r.mobile_prefix, r.mobile_suffix).in_(masks))
    return union_all(persons, visits, by_hash, by_mask, own_hash, own_mask)


def _desk_evidence(rows: list[Row[Any]]) -> DeskEvidence:
    persons: list[Person] = []
    visits: list[VisitEvidence] = []
    claims: dict[str, tuple[Registration, str]] = {}
    for row in rows:
        kind, id_, s1, s2, s3, s4, s5, s6, s7, s8, t1, t2, flag, s9 = tuple(row)
        if kind == "p":
            persons.append(Person(id=id_, created_at=t1, name=s1, mobile=s2, mobile_hash=s3,
                                  minor=bool(flag)))
        elif kind == "v":
            visits.append(VisitEvidence(id_, s1, s2, t1, str(s3), t2))
        elif id_ not in claims:  # a full-number claim is found by hash and by 前三后四 alike
            claims[id_] = (Registration(
                id=id_, office_id=s1, channel_id=s2, agent_id=s3, customer_name=s4,
                mobile_prefix=s5, mobile_suffix=s6, mobile_hash=s7, created_at=t1,
                expected_visit_at=t2, conflict=s9), str(s8))
    return DeskEvidence(persons, visits, list(claims.values()))


class AttributionStore:
    """Queries for channels, registrations, signings and the evidence behind a decision."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: Channel | Agent | Registration | VisitCorrection | Signing | ReviewNote
            | Agreement | Statement | Dispute) -> None:
        self.session.add(item)
        self.session.flush()

    # --- rules ---
    def rules(self, office_id: str) -> AttributionRules:
        row = self.session.execute(
            select(t.attribution_rules).where(t.attribution_rules.c.office_id == office_id)
        ).first()
        if row is None:
            return AttributionRules()
        return AttributionRules(row.registration_valid_hours, row.protection_days,
                                row.known_lookback_days, ConflictPolicy(row.conflict_policy))

    def set_rules(self, office_id: str, rules: AttributionRules) -> None:
        self.session.execute(delete(t.attribution_rules).where(
            t.attribution_rules.c.office_id == office_id))
        self.session.execute(insert(t.attribution_rules).values(
            office_id=office_id, registration_valid_hours=rules.registration_valid_hours,
            protection_days=rules.protection_days, known_lookback_days=rules.known_lookback_days,
            conflict_policy=rules.conflict_policy.value))

    def risk_thresholds(self, office_id: str) -> OfficeThresholds | None:
        row = self.session.execute(select(t.risk_thresholds).where(
            t.risk_thresholds.c.office_id == office_id)).first()
        if row is None:
            return None
        values = row._mapping
        return OfficeThresholds(RiskThresholds(**{n: values[n] for n in THRESHOLD_NAMES}),
                                values["set_at"], values["set_by"])

    def set_risk_thresholds(self, office_id: str, office: OfficeThresholds) -> None:
        """One row per office, written in one statement (an upsert): parallel writers each
        leave a whole set, never a mix."""
        values = {**vars(office.thresholds), "set_at": office.set_at, "set_by": office.set_by}
        dialect = self.session.get_bind().dialect.name
        module: Any = postgresql if dialect == "postgresql" else sqlite
        self.session.execute(module.insert(t.risk_thresholds).values(
            office_id=office_id, **values).on_conflict_do_update(
            index_elements=["office_id"], set_=values))

    # --- channels ---
    def channel(self, channel_id: str, *, lock: bool = False) -> Channel | None:
        if lock:
            return locked(self.session, Channel, channel_id)
        return self.session.get(Channel, channel_id)

    def channels(self, office_id: str) -> list[Channel]:
        return list(self.session.scalars(select(Channel).where(
            t.channels.c.office_id == office_id).order_by(t.channels.c.created_at)))

    def all_channels(self) -> list[Channel]:
        return list(self.session.scalars(select(Channel).order_by(t.channels.c.created_at,
                                                                  t.channels.c.id)))

    def agent(self, agent_id: str, *, lock: bool = False) -> Agent | None:
        if lock:
            return locked(self.session, Agent, agent_id)
        return self.session.get(Agent, agent_id)

    def agents_of(self, channel_id: str) -> list[Agent]:
        return list(self.session.scalars(select(Agent).where(
            t.agents.c.channel_id == channel_id).order_by(t.agents.c.created_at, t.agents.c.id)))

    # --- registrations ---
    def registration(self, registration_id: str) -> Registration | None:
        return self.session.get(Registration, registration_id)

    def registrations_of_channel(self, channel_id: str) -> list[Registration]:
        return list(self.session.scalars(select(Registration).where(
            t.registrations.c.channel_id == channel_id).order_by(t.registrations.c.created_at)))

    def registrations_masked_as(self, office_id: str, prefix: str, suffix: str
                                ) -> list[Registration]:
        c = t.registrations.c
        return list(self.session.scalars(select(Registration).where(
            c.office_id == office_id, c.mobile_prefix == prefix, c.mobile_suffix == suffix,
        ).order_by(c.created_at, c.id)))

    def registrations_ending(self, office_id: str, suffix: str, since: datetime
                             ) -> list[Registration]:
        c = t.registrations.c
        return list(self.session.scalars(select(Registration).where(
            c.office_id == office_id, c.mobile_suffix == suffix, c.created_at >= since,
        ).order_by(c.created_at.desc(), c.id).limit(50)))

    def lock_customer(self, office_id: str, prefix: str, suffix: str) -> None:
        serialize_on(self.session, f"registration:{office_id}:{prefix}{suffix}")

    def registrations_for(self, office_id: str, persons: Collection[Person]) -> list[Registration]:
        """Every claim that could be about one of these persons: full mobiles by hash, masked
        ones by 前三后四 (name checked by `Registration.may_be`)."""
        hashes = [p.mobile_hash for p in persons if p.mobile_hash]
        masks = [(p.mobile[:3], p.mobile[-4:]) for p in persons if p.mobile]
        if not hashes and not masks:
            return []
        if len(hashes) == 1 and len(masks) == 1:  # the usual buyer: one person, one mobile
            found = self.session.scalars(claims_of_one_query(), {
                "office_id": office_id, "mobile_hash": hashes[0], "prefix": masks[0][0],
                "suffix": masks[0][1]})
        else:
            c = t.registrations.c
            masked = [and_(c.mobile_prefix == pre, c.mobile_suffix == suf) for pre, suf in masks]
            found = self.session.scalars(select(Registration).where(
                c.office_id == office_id, or_(c.mobile_hash.in_(hashes), *masked)))
        return [r for r in found if any(
            r.may_be(name=p.name, mobile=p.mobile, mobile_hash=p.mobile_hash) for p in persons)]

    # --- evidence ---
    def persons_by_mobile_or_id(self, mobile_hash: str, id_hash: str) -> list[Person]:
        """The buyer on file: the person with this mobile, and whoever signed with this ID."""
        by_mobile = self.session.scalars(person_by_mobile_query(), {"mobile_hash": mobile_hash})
        by_id = self.session.scalars(persons_by_id_query(), {"id_hash": id_hash})
        return [*by_mobile, *by_id]

    def desk_evidence(self, office_id: str, mobile_hash: str, id_hash: str,
                      mobile: str = "") -> DeskEvidence:
        """The signing desk's reads for one buyer in one round trip (see `DeskEvidence`)."""
        rows = self.session.execute(desk_evidence_query(), {
            "office_id": office_id, "mobile_hash": mobile_hash, "id_hash": id_hash,
            "prefix": mobile[:3], "suffix": mobile[-4:] if mobile else ""})
        return _desk_evidence(list(rows))

    def visit_evidence(self, person_ids: Collection[str]) -> list[VisitEvidence]:
        """Original visits (id, person_id, office_id, at, method) with the time of the latest
        correction, if any, as `corrected_at`. Core rows: this is the hot path."""
        rows = self.session.execute(visit_evidence_query(), {"person_ids": list(person_ids)})
        return [VisitEvidence(v_id, person, office, at, str(method), corrected)
                for v_id, person, office, at, method, corrected in rows]

    # --- many signers at once (re-adjudication, the benchmark) ---
    def persons_by_mobile_hashes(self, hashes: Collection[str]) -> list[Person]:
        return list(self.session.scalars(select(Person).where(
            tables.persons.c.mobile_hash.in_(list(hashes)))))

    def persons_by_id_hashes(self, id_hashes: Collection[str]) -> list[tuple[str, Person]]:
        rows = self.session.execute(
            select(t.signing_buyers.c.id_hash, Person).distinct()
            .join(t.signing_buyers, t.signing_buyers.c.person_id == tables.persons.c.id)
            .where(t.signing_buyers.c.id_hash.in_(list(id_hashes))))
        return [(row[0], row[1]) for row in rows]

    def registrations_for_many(
        self, office_id: str, persons: Collection[Person],
    ) -> list[Registration]:
        """A superset of the claims on these persons (callers match with `may_be`)."""
        c = t.registrations.c
        hashes = [p.mobile_hash for p in persons if p.mobile_hash]
        prefixes = {p.mobile[:3] for p in persons if p.mobile}
        suffixes = {p.mobile[-4:] for p in persons if p.mobile}
        if not hashes and not suffixes:
            return []
        return list(self.session.scalars(select(Registration).where(
            c.office_id == office_id, or_(c.mobile_hash.in_(hashes), and_(
                c.mobile_prefix.in_(sorted(prefixes)),
                c.mobile_suffix.in_(sorted(suffixes)))))))

    def persons_matching_mask(self, prefix: str, suffix: str) -> list[Person]:
        return list(self.session.scalars(select(Person).where(
            tables.persons.c.mobile.like(f"{prefix}____{suffix}"))))

    def visits_of(self, person_ids: Collection[str]) -> list[Visit]:
        return list(self.session.scalars(select(Visit).where(
            tables.visits.c.person_id.in_(list(person_ids))).order_by(tables.visits.c.at)))

    def corrections_of(self, visit_id: str) -> list[VisitCorrection]:
        return list(self.session.scalars(select(VisitCorrection).where(
            t.visit_corrections.c.visit_id == visit_id).order_by(
            t.visit_corrections.c.recorded_at)))

    # --- signings ---
    def signing(self, signing_id: str, *, lock: bool = False) -> Signing | None:
        if lock:
            return locked(self.session, Signing, signing_id)
        return self.session.get(Signing, signing_id)

    def lock_buyer(self, id_hash: str) -> None:
        """Until the transaction ends, no other signing of this ID number gets past here."""
        serialize_on(self.session, f"signing:{id_hash}")

    def recent_signing(
        self, office_id: str, buyers: Collection[tuple[str, str]], price_fen: int,
        unit: str | None, since: datetime,
    ) -> str | None:
        """A signing since `since` naming one of these buyers (ID hash and mobile hash, main or
        co-buyer) for the same price and unit (no unit matches no unit)."""
        s, p, b = t.signings.c, tables.persons.c, t.signing_buyers.c
        return self.session.scalars(
            select(s.id).join(t.signing_buyers, b.signing_id == s.id)
            .join(tables.persons, p.id == b.person_id).where(
                s.office_id == office_id, tuple_(b.id_hash, p.mobile_hash).in_(list(buyers)),
                s.contract_price_fen == price_fen,
                s.unit.is_(None) if unit is None else s.unit == unit, s.signed_at >= since,
            ).order_by(s.signed_at.desc()).limit(1)).first()

    def review_notes(self, signing_ids: Collection[str]) -> list[ReviewNote]:
        if not signing_ids:
            return []
        r = t.signing_reviews.c
        sent_first = case((r.step == ReviewStep.SENT, 0), else_=1)  # one instant: sent, decided
        return list(self.session.scalars(select(ReviewNote).where(
            r.signing_id.in_(list(signing_ids))).order_by(r.at, sent_first, r.id)))

    def review_queue(self, office_id: str) -> list[Signing]:
        return list(self.session.scalars(select(Signing).where(
            t.signings.c.office_id == office_id,
            t.signings.c.status == SigningStatus.PENDING_REVIEW,
        ).order_by(t.signings.c.signed_at)))

    def final_signings(self, channel_id: str, start: datetime, end: datetime) -> list[Signing]:
        """Final signings won by a channel in [start, end)."""
        return list(self.session.scalars(select(Signing).where(
            t.signings.c.channel_id == channel_id, t.signings.c.status == SigningStatus.FINAL,
            t.signings.c.signed_at >= start, t.signings.c.signed_at < end,
        ).order_by(t.signings.c.signed_at, t.signings.c.id)))

    def final_signings_of_persons(
        self, person_ids: Collection[str], until: datetime
    ) -> list[Signing]:
        """Final signings naming one of these customers as a buyer (main or co-buyer) up to
        `until`, earliest first."""
        if not person_ids:
            return []
        c, b = t.signings.c, t.signing_buyers.c
        named = select(b.signing_id).where(b.person_id.in_(list(person_ids)))
        return list(self.session.scalars(select(Signing).where(
            c.id.in_(named), c.status == SigningStatus.FINAL,
            c.signed_at <= until).order_by(c.signed_at, c.id)))

    def signings_of_registrations(self, registration_ids: Collection[str]) -> list[Signing]:
        return list(self.session.scalars(select(Signing).where(
            t.signings.c.registration_id.in_(list(registration_ids)))))

    # --- settlement ---
    def agreements(self, channel_id: str) -> list[Agreement]:
        return list(self.session.scalars(select(Agreement).where(
            t.channel_agreements.c.channel_id == channel_id).order_by(
            t.channel_agreements.c.effective_from)))

    def statement(self, statement_id: str, *, lock: bool = False) -> Statement | None:
        if lock:
            return locked(self.session, Statement, statement_id)
        return self.session.get(Statement, statement_id)

    def statements_overlapping(
        self, channel_id: str, start: datetime, end: datetime,
    ) -> list[Statement]:
        """The channel's non-void statements sharing time with [start, end)."""
        c = t.statements.c
        return list(self.session.scalars(select(Statement).where(
            c.channel_id == channel_id, c.status != StatementStatus.VOID,
            c.period_start < end, c.period_end > start).order_by(c.period_start)))

    def deals_on_other_statements(self, signing_ids: Collection[str],
                                  statement_id: str | None) -> set[str]:
        d = t.statement_deals.c
        return set(self.session.scalars(select(d.signing_id).where(
            d.signing_id.in_(list(signing_ids)), d.statement_id != (statement_id or ""))))

    def set_statement_deals(self, statement_id: str, signing_ids: Collection[str]) -> None:
        """The deals this statement settles: the primary key on `signing_id` refuses a deal
        that another non-void statement holds (IntegrityError: a bug upstream, never money
        paid twice)."""
        self.release_statement_deals(statement_id)
        if signing_ids:
            self.session.execute(insert(t.statement_deals), [
                {"signing_id": s, "statement_id": statement_id} for s in signing_ids])

    def release_statement_deals(self, statement_id: str) -> None:
        self.session.execute(delete(t.statement_deals).where(
            t.statement_deals.c.statement_id == statement_id))

    def statements_of(self, channel_id: str) -> list[Statement]:
        return list(self.session.scalars(select(Statement).where(
            t.statements.c.channel_id == channel_id).order_by(t.statements.c.period_start)))

    def dispute(self, dispute_id: str, *, lock: bool = False) -> Dispute | None:
        if lock:
            return locked(self.session, Dispute, dispute_id)
        return self.session.get(Dispute, dispute_id)

    def open_disputes(self, statement_id: str) -> int:
        return len(list(self.session.scalars(select(Dispute).where(
            t.disputes.c.statement_id == statement_id,
            t.disputes.c.status == DisputeStatus.OPEN))))

    def open_disputes_of(self, statement_id: str) -> list[Dispute]:
        return list(self.session.scalars(select(Dispute).where(
            t.disputes.c.statement_id == statement_id,
            t.disputes.c.status == DisputeStatus.OPEN).order_by(
                t.disputes.c.opened_at, t.disputes.c.id)))
