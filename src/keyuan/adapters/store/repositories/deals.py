"""The few Core queries through which deals (签约 + 佣金结算) reach retention and rights:
who signed, which statements were paid, whose visits are a deal's evidence. Read-only except
`delete_corrections`, which the purge runs before deleting the visits they amend (with every other
row that references those visits: `_release`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import CursorResult, Select, delete, func, select, update
from sqlalchemy.orm import Session

from keyuan.adapters.store.tables.attribution import (
    channels,
    escort_passes,
    signing_buyers,
    signings,
    statements,
    visit_corrections,
)
from keyuan.adapters.store.tables.checkin import visits
from keyuan.adapters.store.tables.consultants import visit_consultants
from keyuan.domain.attribution.adjudication import SigningStatus
from keyuan.domain.attribution.commission import StatementStatus
from keyuan.domain.attribution.household import buyer_label
from keyuan.domain.compliance.deals import DecisionAbout, SigningFact


class DealRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def signing_facts(self) -> list[SigningFact]:
        """Every signing as a deal of each of its buyers (主购人 and 共同购房人 alike);
        `decision` is read for the visit ids it cites."""
        s, b = signings.c, signing_buyers.c
        rows = self.session.execute(select(
            s.id, b.person_id, s.status, s.channel_id, s.signed_at, s.reviewed_at, s.decision)
            .join(signing_buyers, b.signing_id == s.id))
        return [SigningFact(signing_id=sid, person_id=person, channel_id=channel,
                            final=SigningStatus(status) is SigningStatus.FINAL,
                            signed_at=signed_at, reviewed_at=reviewed_at,
                            evidence_visits=decision.evidence.visit_ids)
                for sid, person, status, channel, signed_at, reviewed_at, decision in rows]

    def paid_lines(self) -> dict[str, datetime]:
        """signing id → when the statement listing it was paid."""
        rows = self.session.execute(select(statements.c.lines, statements.c.paid_at).where(
            statements.c.status == StatementStatus.PAID))
        return {line.signing_id: paid_at for lines, paid_at in rows
                for line in lines if line.signing_id and paid_at is not None}

    def owners_of_visits(self, visit_ids: Collection[str]) -> dict[str, str]:
        """visit id → person id, for visits that still exist."""
        if not visit_ids:
            return {}
        rows = self.session.execute(select(visits.c.id, visits.c.person_id).where(
            visits.c.id.in_(list(visit_ids)), visits.c.person_id.is_not(None)))
        return {visit_id: person_id for visit_id, person_id in rows}

    def delete_escorts(self, before: datetime, keep: Collection[str]) -> int:
        """Escorted visits of no person older than `before`, not in `keep`; corrections first."""
        doomed = select(visits.c.id).where(visits.c.person_id.is_(None), visits.c.at < before,
                                           visits.c.id.not_in(list(keep)))
        _release(self.session, doomed)
        result = self.session.execute(delete(visits).where(visits.c.id.in_(doomed)))
        return int(result.rowcount) if isinstance(result, CursorResult) else 0

    def delete_corrections(self, person_id: str, before: datetime) -> int:
        """Corrections of this person's visits older than `before`, and every other row that
        references those visits (`_release`): they go first, since the purge and the rights
        deletion must never break a foreign key. Returns the corrections deleted."""
        doomed = select(visits.c.id).where(visits.c.person_id == person_id,
                                           visits.c.at < before)
        return _release(self.session, doomed)

    def decisions_about(self, person_id: str) -> list[DecisionAbout]:
        """The signings naming this person as a buyer (main or co-buyer) with the winning
        channel's kind and name, their own masked ID number and role; no price, commission, ID
        hash or photo score is selected."""
        s, b = signings.c, signing_buyers.c
        others = signing_buyers.alias("household")
        buyers = (select(func.count()).select_from(others)
                  .where(others.c.signing_id == s.id).correlate(signings).scalar_subquery())
        rows = self.session.execute(
            select(s.id, s.office_id, s.signed_at, b.id_masked, s.status, s.decision,
                   s.reviewed_at, s.review_reason, channels.c.kind, channels.c.name,
                   b.position, buyers)
            .join(signing_buyers, b.signing_id == s.id)
            .outerjoin(channels, channels.c.id == s.channel_id)
            .where(b.person_id == person_id).order_by(s.signed_at, s.id))
        return [DecisionAbout(sid, office, signed_at, masked, _value(status), decision,
                              reviewed_at, review_reason,
                              None if kind is None else _value(kind), name,
                              role=buyer_label(position), household=count > 1)
                for sid, office, signed_at, masked, status, decision, reviewed_at,
                review_reason, kind, name, position, count in rows]


def _value(enum_or_text: object) -> str:
    return str(getattr(enum_or_text, "value", enum_or_text))


def _release(session: Session, doomed: Select[tuple[str]]) -> int:
    """Free the visits `doomed` selects for deletion: their corrections and their 置业顾问
    assignments go with them; a 扫码带访 pass keeps its row (no personal data) without the
    visit. Returns the corrections deleted."""
    session.execute(delete(visit_consultants).where(visit_consultants.c.visit_id.in_(doomed)))
    session.execute(update(escort_passes).where(escort_passes.c.visit_id.in_(doomed))
                    .values(visit_id=None))
    result = session.execute(delete(visit_corrections).where(
        visit_corrections.c.visit_id.in_(doomed)))
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
