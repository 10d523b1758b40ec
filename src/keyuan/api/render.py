"""Domain objects → public wire shapes."""

from __future__ import annotations

from keyuan.api.schemas import CheckInPublic, NoticePublic, ReceiptPublic
from keyuan.domain.checkin.consent import Consent
from keyuan.domain.checkin.notice import REQUIRED_FIELDS, Notice
from keyuan.services.checkin.face import CheckInResult


def notice(n: Notice) -> NoticePublic:
    return NoticePublic(
        office_id=n.office_id, language=n.language, version=n.version,
        content_hash=n.content_hash, published_at=n.published_at, summary=n.summary,
        sections={name: getattr(n, name) for name in REQUIRED_FIELDS},
    )


def receipt(c: Consent) -> ReceiptPublic:
    return ReceiptPublic(
        receipt_id=c.id, scope=c.scope.value, status="active" if c.is_active else "withdrawn",
        given_at=c.given_at, withdrawn_at=c.withdrawn_at, receipt_sha256=c.receipt_hash,
        receipt=c.receipt,
    )


def check_in(r: CheckInResult) -> CheckInPublic:
    v = r.visit
    return CheckInPublic(visit_id=v.id, office_id=v.office_id, method=v.method.value, at=v.at,
                         receipt=receipt(r.consent))
