"""What backups and restores leave in the audit log (C17): a backup is noted after its copy was
taken; a restore first proves the restored chain reaches the head the backup's manifest names
(no entry edited, removed or cut off on the way), then notes itself and how many templates it
opened to check the key."""

from __future__ import annotations

from keyuan.domain.compliance.audit import Anchor
from keyuan.services.compliance.audit import AuditReport, verify_audit
from keyuan.services.ports import Deps


def record_backup(deps: Deps, *, actor: str, store: str, audit_seq: int) -> None:
    """Note a backup (its copy ends at audit entry `audit_seq`)."""
    with deps.uow() as uow:
        uow.audit.append(at=deps.clock.now(), actor=actor, action="backup_made", subject=None,
                         detail={"store": store, "audit_seq": audit_seq})
        uow.commit()


def record_restore(deps: Deps, *, actor: str, head: Anchor | None, created_at: str,
                   templates_opened: int) -> AuditReport:
    """Verify the restored chain against the backup's head; note the restore only if intact."""
    report = verify_audit(deps, head)
    if report.intact:
        with deps.uow() as uow:
            uow.audit.append(at=deps.clock.now(), actor=actor, action="store_restored",
                             subject=None,
                             detail={"backup_created_at": created_at,
                                     "audit_seq": head.seq if head else 0,
                                     "templates_opened": templates_opened})
            uow.commit()
    return report
