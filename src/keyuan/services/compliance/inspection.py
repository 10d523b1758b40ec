"""The inspector's report: proof, for the whole vault, that every template stands on a valid,
active consent under a published notice, with a genuine signed receipt and an unexpired
purpose (C1, C3, C7, C8, C18). Reads template metadata only — nothing is decrypted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from keyuan.domain.canonical import sha256_hex
from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.domain.compliance.audit import Anchor, verify_chain
from keyuan.domain.compliance.pia import ImpactAssessment
from keyuan.domain.compliance.retention import DealSource, RetentionPolicy, purpose_ended
from keyuan.services.checkin.face_gate import assessed_settings
from keyuan.services.checkin.signatures import signature_problems, signed_document
from keyuan.services.compliance.audit import kept_anchor
from keyuan.services.compliance.deals import SigningDeals
from keyuan.services.ports import Deps, UnitOfWork

AssessmentState = Literal["current", "not_needed", "missing", "stale", "demo"]


@dataclass
class InspectionReport:
    at: datetime
    templates: int = 0
    violations: list[tuple[str, str]] = field(default_factory=list)
    """(pseudonym, what is wrong)"""
    audit_problems: list[str] = field(default_factory=list)
    audit_entries: int = 0
    anchor: tuple[Anchor, datetime] | None = None
    """The newest anchor kept outside the store (and when): the chain must still reach it."""
    assessment: AssessmentState = "missing"
    """The impact assessment (C23): `current`, `not_needed` (face module off), or what is wrong:
    `missing`, `stale` (the face settings changed since), `demo` (a demonstration, never the
    office's own: a violation even in demo mode)."""

    @property
    def assessment_current(self) -> bool:
        return self.assessment in ("current", "not_needed")

    @property
    def clean(self) -> bool:
        return not self.violations and not self.audit_problems and self.assessment_current


def inspect_vault(
    deps: Deps, *, policy: RetentionPolicy | None = None, deals: DealSource | None = None,
    actor: str = "inspector",
) -> InspectionReport:
    policy = policy or deps.retention
    with deps.uow() as uow:
        deals = deals or SigningDeals.load(uow)  # the same deals the purge honours
        report = InspectionReport(at=deps.clock.now())
        keys = uow.compliance.signing_keys() | (
            {deps.receipt_signer.public_key} if deps.receipt_signer else set())
        last_visits = uow.compliance.last_visits()
        for pseudonym, purpose, consent_id, created in uow.compliance.template_rows():
            report.templates += 1
            problems = _consent_problems(uow, pseudonym, purpose, consent_id, keys)
            last = max(last_visits.get(pseudonym, created), created)
            if (why := purpose_ended(last_visit=last, deal=deals.status(pseudonym),
                                     now=report.at, policy=policy)) is not None:
                problems.append(f"kept past its purpose ({why}): overdue for purge")
            report.violations += [(pseudonym, problem) for problem in problems]
        events = uow.audit.all()
        report.anchor = kept_anchor(deps)
        report.audit_entries = len(events)
        report.audit_problems = verify_chain(events, report.anchor[0] if report.anchor else None)
        pia = uow.compliance.latest_assessment()
        report.assessment = _assessment_state(deps, uow, pia)
        uow.audit.append(at=report.at, actor=actor, action="vault_inspected", subject=None,
                         detail={"templates": report.templates,
                                 "violations": len(report.violations)})
        uow.commit()
    return report


def _assessment_state(deps: Deps, uow: UnitOfWork,
                      pia: ImpactAssessment | None) -> AssessmentState:
    if deps.engine is None:  # C23 binds face processing: with the module off none is assessed
        return "not_needed"
    if pia is None:
        return "missing"
    if pia.demo:
        return "demo"
    return "current" if pia.covers(assessed_settings(deps, uow)) else "stale"


def _consent_problems(uow: UnitOfWork, pseudonym: str, purpose: str, consent_id: str,
                      keys: set[str]) -> list[str]:
    consent = uow.consents.get(consent_id)
    if consent is None:
        return ["no consent record at all (C1)"]
    problems = []
    if consent.person_id != pseudonym:
        problems.append("its consent belongs to someone else (C1)")
    if consent.scope is not ConsentScope.FACE:
        problems.append(f"its consent covers '{consent.scope}', not face (C1)")
    if not consent.is_active:
        problems.append(f"its consent was withdrawn {consent.withdrawn_at:%Y-%m-%d} (C6)")
    if consent.purpose != purpose:
        problems.append(f"held for '{purpose}' but consented for '{consent.purpose}' (C7)")
    return problems + _notice_problems(uow, consent) + _receipt_problems(uow, consent, keys)


def _notice_problems(uow: UnitOfWork, consent: Consent) -> list[str]:
    notice = uow.notices.by_hash(consent.notice_hash)
    if notice is None or not notice.is_published:
        return ["its consent refers to no published notice (C3)"]
    if notice.office_id != consent.office_id or notice.version != consent.notice_version:
        return ["its consent's notice is another office's or version (C3)"]
    return []


def _receipt_problems(uow: UnitOfWork, consent: Consent, keys: set[str]) -> list[str]:
    if sha256_hex(consent.receipt) != consent.receipt_hash:
        return ["the stored receipt does not match its hash (C8)"]
    signature = uow.compliance.signature_for(consent.id)
    if signature is None:
        return ["the consent receipt is not signed (C8)"]
    document = signed_document(consent.receipt, signature.signature)
    return [f"receipt: {p} (C8)" for p in signature_problems(document, keys)]
