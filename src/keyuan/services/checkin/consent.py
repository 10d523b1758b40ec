"""Consent lifecycle: look a receipt up, withdraw (C6)."""

from __future__ import annotations

from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.services.checkin.face_gate import forget_face
from keyuan.services.checkin.receipts import find_receipt
from keyuan.services.ports import Deps


def get_receipt(receipt_id: str, deps: Deps, *, client: str | None = None) -> Consent:
    """By 回执编号 or long id; unknown codes counted per `client` (`find_receipt`)."""
    with deps.uow() as uow:
        return find_receipt(uow, receipt_id, deps, client=client)


def withdraw(receipt_id: str, deps: Deps, *, actor: str = "visitor",
             client: str | None = None) -> Consent:
    """One step. The template goes in the same transaction, matching stops at commit, visits
    stay as non-face evidence, and the audit log says so. `receipt_id`: 回执编号 or long id
    (whoever holds the receipt may withdraw; unknown codes counted per `client`)."""
    with deps.uow() as uow:
        consent = find_receipt(uow, receipt_id, deps, client=client)
        if not consent.is_active:
            return consent
        now = deps.clock.now()
        # A renewed face consent (given again under a newer notice) and the one it renewed go
        # together: whichever receipt the visitor holds, withdrawing it ends face processing.
        same = [c for c in uow.consents.for_person(consent.person_id)
                if c.scope is consent.scope and c.is_active and c.id != consent.id]
        for withdrawn in (consent, *(same if consent.scope is ConsentScope.FACE else [])):
            withdrawn.withdraw(now)
            uow.audit.append(at=now, actor=actor, action="consent_withdrawn",
                             subject=withdrawn.person_id, detail={
                                 "consent": withdrawn.id, "scope": withdrawn.scope.value})
        if consent.scope is ConsentScope.FACE and uow.vault.delete(consent.person_id):
            uow.audit.append(at=now, actor=actor, action="template_deleted",
                             subject=consent.person_id, detail={"reason": "consent_withdrawn"})
            person_id = consent.person_id
            uow.on_commit(lambda: forget_face(deps, person_id))
        uow.commit()
        return consent

