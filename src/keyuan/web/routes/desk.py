"""Pages of the desk area: the signing desk (签约核验).

`/desk/signing` is the form (ID number with a live check-digit check, buyer, price, an explicit
live capture); its script calls `POST /api/offices/{office_id}/signings` and then opens
`/desk/signing/{id}`, the result card, rendered here from the stored signing so a reload shows
the same card. Both use one template. Times are stored in UTC and shown in Asia/Shanghai."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from keyuan.api.deps import ServiceDeps
from keyuan.domain.accounts.policy import MANAGERS
from keyuan.domain.attribution.adjudication import EvidenceVisit, SigningStatus
from keyuan.domain.display import local_time, yuan
from keyuan.services.attribution import signing_desk as desk_svc
from keyuan.web.pages import principal_of, render

router = APIRouter(include_in_schema=False)
# Where managers review (the dashboard area owns that page).
REVIEW_QUEUE_PAGE = "/dashboard#review-heading"
REVIEWERS = MANAGERS  # who may review (the policy of POST /api/signings/{id}/review)


@router.get("/desk/signing", response_class=HTMLResponse)
def signing_desk(request: Request, deps: ServiceDeps, office: str | None = None) -> Response:
    office_id = desk_svc.desk_office(office, deps)
    return render(request, "desk.html", areas=("desk",), office_id=office_id, card=None)


@router.get("/desk/signing/{signing_id}", response_class=HTMLResponse)
def signing_result(signing_id: str, request: Request, deps: ServiceDeps) -> Response:
    card = desk_svc.card(signing_id, deps)
    return render(request, "desk.html", areas=("desk",), office_id=card.signing.office_id,
                  card=card_view(card, request))


def card_view(card: desk_svc.DeskCard, request: Request) -> dict[str, Any]:
    """What the result card shows: no raw distance or score, only the ID-photo check's
    passed / failed / not done (C22)."""
    s = card.signing
    evidence = s.decision.evidence
    who = principal_of(request)
    first = evidence.first_visit
    reviewer = who is not None and who.role in REVIEWERS
    return {
        "id": s.id, "buyer_name": s.buyer_name, "id_masked": s.id_masked,
        "signed_at": local_time(s.signed_at), "price": yuan(s.contract_price_fen),
        "status": s.status.value, "natural": s.registration_id is None,
        "channel_name": card.channel_name, "channel_kind": s.decision.channel_kind,
        "reasons": list(s.decision.reason_codes),
        "first_visit": None if first is None else _shown(first),
        "visit_count": evidence.visit_count,
        "visits": [_shown(v) for v in evidence.visits],
        "claims": [{"registration_id": c.registration_id, "channel": c.channel_name,
                    "kind": c.channel_kind,
                    "created_at": local_time(c.created_at), "verdict": c.verdict, "won": c.won}
                   for c in card.claims],
        "face_check": ("not_done" if s.id_photo_passed is None
                       else "passed" if s.id_photo_passed else "failed"),
        "trace": list(s.decision.trace),
        "reviewed_by": s.reviewed_by, "review_reason": s.review_reason,
        "can_send": s.status is SigningStatus.FINAL and s.reviewed_by is None,
        "review_page": REVIEW_QUEUE_PAGE if reviewer else None,
        "can_review": reviewer and s.status is SigningStatus.PENDING_REVIEW,
    }


def _shown(visit: EvidenceVisit) -> dict[str, str]:
    return {"id": visit.id, "at": local_time(visit.at), "method": visit.method,
            "link": visit.link, "corrected_at": local_time(visit.corrected_at)}
