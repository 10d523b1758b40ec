"""Read-only aggregate queries for the dashboards (`uow.dashboard`), SQLAlchemy Core over the
existing tables, answered as plain tuples and dataclasses.

Nothing here reads a biometric column: template rows are counted by purpose and creation time
only (never the ciphertext), signings are read without the ID-photo check's score, and the
review queue carries reason codes, not the evidence behind them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session

from keyuan.adapters.store.tables import attribution as a
from keyuan.adapters.store.tables import checkin as m
from keyuan.domain.attribution.adjudication import ReviewStep, SigningStatus
from keyuan.domain.attribution.commission import DisputeStatus
from keyuan.domain.attribution.risk import Arrival, Claim
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.compliance.dashboard import AnchorEntry, MixRow, OpenDispute, QueuedSigning

CHUNK = 400
"""Row values per `IN` list: well under SQLite's bound-parameter limit."""


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


def _arrival(at: datetime, method: Any, evidence: dict[str, Any] | None, mobile: str | None,
             mobile_hash: str | None, name: str | None, *claim: Any) -> Arrival:
    # only an escort's evidence is opened, and only for its registration id
    escort = (evidence or {}).get("registration") \
        if str(getattr(method, "value", method)) == VisitMethod.STAFF.value else None
    c_hash, c_prefix, c_suffix, c_name = claim or (None, None, None, None)
    if mobile is None and mobile_hash is None and c_prefix is not None:
        # an escort kept on its claim only (no person, 到访确认): the claim's number stands in
        return Arrival(c_hash, c_prefix, c_suffix, at, str(escort) if escort else None, c_name)
    number = mobile or ""
    return Arrival(mobile_hash, number[:3], number[-4:] if number else "", at,
                   str(escort) if escort else None, name)


class DashboardQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- manager dashboard ---
    def visit_rows(self, office_id: str, start: datetime, end: datetime
                   ) -> list[tuple[datetime, str]]:
        """(time, method) of every visit in [start, end): the caller buckets by local day."""
        v = m.visits.c
        rows = self.session.execute(select(v.at, v.method).where(
            v.office_id == office_id, v.at >= start, v.at < end))
        return [(at, str(getattr(method, "value", method))) for at, method in rows]

    def channel_mix(self, office_id: str, start: datetime, end: datetime) -> list[MixRow]:
        s, c = a.signings.c, a.channels.c
        pending = func.sum(case((s.status == SigningStatus.PENDING_REVIEW, 1), else_=0))
        rows = self.session.execute(
            select(s.channel_id, c.kind, c.name, func.count(s.id), pending)
            .select_from(a.signings.outerjoin(a.channels, c.id == s.channel_id))
            .where(s.office_id == office_id, s.signed_at >= start, s.signed_at < end)
            .group_by(s.channel_id, c.kind, c.name))
        return [MixRow(cid, str(getattr(kind, "value", kind)) if kind is not None else None,
                       name, int(n), int(p or 0)) for cid, kind, name, n, p in rows]

    def funnel(self, office_id: str, start: datetime, end: datetime) -> tuple[int, int, int]:
        """Registrations made in [start, end); of those not marked at once (customer known,
        protected elsewhere), the ones whose customer (by mobile: hash, or 前三后四 for masked
        claims) visited after registering; of those, the ones a signing credits. A duplicate,
        late or losing claim never counts as signed. Each stage is a subset of the one before."""
        r, p, v, s = a.registrations.c, m.persons.c, m.visits.c, a.signings.c
        customer = or_(p.mobile_hash == r.mobile_hash, and_(
            r.mobile_hash.is_(None),
            p.mobile.like(r.mobile_prefix + "____" + r.mobile_suffix)))
        visited = and_(r.conflict.is_(None), or_(exists(
            select(v.id).select_from(m.visits.join(m.persons, p.id == v.person_id))
            .where(customer, v.at >= r.created_at, v.office_id == r.office_id)),
            exists(select(v.id).where(v.registration_id == r.id))))  # its escort, on the claim
        credited = exists(select(s.id).where(s.registration_id == r.id))
        in_window = and_(r.office_id == office_id, r.created_at >= start, r.created_at < end)
        registered = self._count(select(func.count(r.id)).where(in_window))
        reached = self._count(select(func.count(r.id)).where(in_window, visited))
        won = self._count(select(func.count(r.id)).where(in_window, visited, credited))
        return registered, reached, won

    def review_queue(self, office_id: str, limit: int = 50) -> tuple[int, list[QueuedSigning]]:
        """The signings waiting for a manager, each with its reason codes and the desk's
        latest reason for sending it to review (none when the decision itself asked)."""
        s, c, n = a.signings.c, a.channels.c, a.signing_reviews.c
        where = and_(s.office_id == office_id, s.status == SigningStatus.PENDING_REVIEW)
        total = self._count(select(func.count(s.id)).where(where))
        rows = list(self.session.execute(
            select(s.id, s.signed_at, c.name, s.decision)
            .select_from(a.signings.outerjoin(a.channels, c.id == s.channel_id))
            .where(where).order_by(s.signed_at, s.id).limit(limit)))
        sent: dict[str, str] = {}
        if rows:
            for sid, reason in self.session.execute(
                    select(n.signing_id, n.reason).where(
                        n.signing_id.in_([row[0] for row in rows]), n.step == ReviewStep.SENT)
                    .order_by(n.at, n.id)):
                sent[sid] = reason  # the latest wins
        return total, [QueuedSigning(sid, at, name, decision.reason_codes, sent.get(sid))
                       for sid, at, name, decision in rows]

    def open_disputes(self, office_id: str) -> list[OpenDispute]:
        d, c, st = a.disputes.c, a.channels.c, a.statements.c
        rows = self.session.execute(
            select(d.id, c.name, d.opened_at, d.reason, st.period_start, st.period_end,
                   d.signing_id)
            .select_from(a.disputes.join(a.channels, c.id == d.channel_id)
                         .join(a.statements, st.id == d.statement_id))
            .where(c.office_id == office_id, d.status == DisputeStatus.OPEN)
            .order_by(d.opened_at, d.id))
        return [OpenDispute(*row) for row in rows]

    # --- compliance dashboard ---
    def declined_sessions(self, office_id: str, start: datetime, end: datetime) -> int:
        k = m.kiosk_sessions.c
        return self._count(select(func.count(k.id)).where(
            k.office_id == office_id, k.face_declined.is_(True), k.started_at >= start,
            k.started_at < end))

    def consent_counts(self, office_id: str) -> list[tuple[str, int, int]]:
        """(scope, active, withdrawn) for the office's consents."""
        c = m.consents.c
        withdrawn = func.sum(case((c.withdrawn_at.is_not(None), 1), else_=0))
        rows = self.session.execute(select(c.scope, func.count(c.id), withdrawn)
                                    .where(c.office_id == office_id).group_by(c.scope))
        out = []
        for scope, total, gone in rows:
            gone = int(gone or 0)
            out.append((str(getattr(scope, "value", scope)), int(total) - gone, gone))
        return sorted(out)

    def template_ages(self, bounds: list[datetime]) -> list[tuple[str, list[int]]]:
        """(purpose, counts per age bucket) of the whole vault. `bounds`: creation-time
        boundaries, newest first; bucket i holds templates created after bounds[i] and at or
        before bounds[i-1]; the last bucket everything older. Counts only."""
        t = m.templates.c
        columns: list[Any] = []
        upper: datetime | None = None
        for bound in [*bounds, None]:
            cond = [t.created_at > bound] if bound is not None else []
            if upper is not None:
                cond.append(t.created_at <= upper)
            columns.append(func.sum(case((and_(*cond), 1), else_=0)) if cond else func.count())
            upper = bound
        rows = self.session.execute(select(t.purpose, *columns).group_by(t.purpose)
                                    .order_by(t.purpose))
        return [(purpose, [int(n or 0) for n in counts]) for purpose, *counts in rows]

    def last_anchor(self) -> AnchorEntry | None:
        e = m.audit_events.c
        row = self.session.execute(select(e.at, e.detail).where(e.action == "audit_anchored")
                                   .order_by(e.seq.desc()).limit(1)).first()
        if row is None:
            return None
        detail = row.detail or {}
        seq = detail.get("seq")
        return AnchorEntry(row.at, int(seq) if seq is not None else None, detail.get("hash"))

    # --- 风控报告 (risk report): registrations and visits, never a biometric column ---
    def _claims(self, where: Any) -> list[Claim]:
        r, c, g = a.registrations.c, a.channels.c, a.agents.c
        rows = self.session.execute(
            select(r.id, r.office_id, r.channel_id, c.name, r.agent_id, g.name, r.customer_name,
                   r.mobile_prefix, r.mobile_suffix, r.mobile_hash, r.created_at, r.conflict,
                   r.team_id)
            .select_from(a.registrations.join(a.channels, c.id == r.channel_id)
                         .outerjoin(a.agents, g.id == r.agent_id))
            .where(where).order_by(r.created_at, r.id))
        return [Claim(*row) for row in rows]

    def risk_claims(self, office_id: str, since: datetime, *,
                    channels: Collection[str] | None = None,
                    masks: Collection[tuple[str, str]] | None = None) -> list[Claim]:
        r = a.registrations.c
        at_office = and_(r.office_id == office_id, r.created_at >= since)
        if channels is not None:
            found = [c for chunk in _chunks(sorted(channels))
                     for c in self._claims(and_(at_office, r.channel_id.in_(chunk)))]
        elif masks is not None:
            found = [c for chunk in _chunks(sorted(masks)) for c in self._claims(and_(
                at_office, tuple_(r.mobile_prefix, r.mobile_suffix).in_(chunk)))]
        else:
            return self._claims(at_office)
        return sorted(found, key=lambda c: (c.created_at, c.id))

    def risk_news(self, office_id: str, since: datetime, lapsing: tuple[datetime, datetime]
                  ) -> list[Claim]:
        """The office's registrations made since `since` or made between `lapsing` (those
        whose registration window ends in the alert's day)."""
        r = a.registrations.c
        return self._claims(and_(r.office_id == office_id, or_(
            r.created_at >= since, and_(r.created_at >= lapsing[0], r.created_at < lapsing[1]))))

    def claims_by_id(self, ids: Collection[str]) -> list[Claim]:
        r = a.registrations.c
        return [c for chunk in _chunks(sorted(ids)) for c in self._claims(r.id.in_(chunk))]

    def channels_named_elsewhere(self, office_id: str, since: datetime) -> set[str]:
        """The office's channels named like a channel that registered someone at another
        office since `since` (one agent's claims across projects)."""
        r, c = a.registrations.c, a.channels.c
        names = select(c.name).select_from(a.registrations.join(
            a.channels, c.id == r.channel_id)).where(r.office_id != office_id,
                                                     r.created_at >= since)
        return set(self.session.scalars(select(c.id).where(c.office_id == office_id,
                                                           c.name.in_(names))))

    def claims_elsewhere(self, office_id: str, masks: Collection[tuple[str, str]]
                         ) -> list[Claim]:
        r = a.registrations.c
        return [claim for chunk in _chunks(sorted(masks)) for claim in self._claims(and_(
            r.office_id != office_id, tuple_(r.mobile_prefix, r.mobile_suffix).in_(chunk)))]

    def risk_arrivals(self, office_id: str, since: datetime, *,
                      hashes: Collection[str] | None = None,
                      masks: Collection[tuple[str, str]] | None = None) -> list[Arrival]:
        v, p, r = m.visits.c, m.persons.c, a.registrations.c
        at_office = and_(v.office_id == office_id, v.at >= since)
        if hashes is None and masks is None:
            wheres = [at_office]
        else:  # an escort kept on its claim only (no person): the claim's number stands in
            mask = tuple_(func.coalesce(func.substr(p.mobile, 1, 3), r.mobile_prefix),
                          func.coalesce(func.substr(p.mobile, 8, 4), r.mobile_suffix))
            number = func.coalesce(p.mobile_hash, r.mobile_hash)
            wheres = [and_(at_office, number.in_(chunk))
                      for chunk in _chunks(sorted(hashes or ()))]
            wheres += [and_(at_office, mask.in_(chunk)) for chunk in _chunks(sorted(masks or ()))]
        seen: dict[str, Arrival] = {}
        for where in wheres:
            for visit_id, *row in self.session.execute(
                    select(v.id, v.at, v.method, v.evidence, p.mobile, p.mobile_hash, p.name,
                           r.mobile_hash, r.mobile_prefix, r.mobile_suffix, r.customer_name)
                    .select_from(m.visits.outerjoin(m.persons, p.id == v.person_id)
                                 .outerjoin(a.registrations, r.id == v.registration_id))
                    .where(where)):
                seen[visit_id] = _arrival(*row)
        return sorted(seen.values(), key=lambda arrival: arrival.at)

    def _count(self, query: Any) -> int:
        return int(self.session.execute(query).scalar() or 0)
