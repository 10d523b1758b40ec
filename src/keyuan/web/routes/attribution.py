"""Attribution pages: the distributor portal (渠道报备) — register customers, follow each claim's
status, and, for the distributor company only, statements and disputes; the signing desk
(签约核验) with its result card; the manager dashboard; and the printable statement (佣金结算单).

The signing desk form calls `POST /api/offices/{office_id}/signings`, then opens
`/desk/signing/{id}`, the result card rendered from the stored signing so a reload shows the
same card. Dashboards are server-rendered SVG and work without JavaScript.

The policy scopes every page to the account's own channel (the channel is in the path); the
pages' JS reads and writes through the distributor JSON API, whose responses carry no
biometric field (C21). These pages never show a score, a distance or any face wording."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from keyuan.api.deps import ServiceDeps
from keyuan.api.routes.attribution import STAFF
from keyuan.domain.accounts.model import Role
from keyuan.domain.accounts.policy import MANAGERS, decide, rule_for
from keyuan.domain.attribution.adjudication import EvidenceVisit, SigningStatus
from keyuan.domain.attribution.commission import StatementStatus
from keyuan.domain.attribution.escort import EscortFact
from keyuan.domain.attribution.risk import RULES as RISK_RULES
from keyuan.domain.attribution.risk import THRESHOLD_NAMES, threshold_bounds
from keyuan.domain.display import DAY_CHOICES, local_time, parse_days, yuan
from keyuan.services.attribution import dashboard as manager_board
from keyuan.services.attribution import desk_consent as desk_consent_svc
from keyuan.services.attribution import finance_desk as finance_svc
from keyuan.services.attribution import portal_search
from keyuan.services.attribution import risk as risk_svc
from keyuan.services.attribution import signing_desk as desk_svc
from keyuan.services.attribution import statements as statements_svc
from keyuan.web import charts
from keyuan.web.charts import Series
from keyuan.web.i18n import Translator
from keyuan.web.pages import lang_of, principal_of, render, switch_url
from keyuan.web.printing import page

router = APIRouter(include_in_schema=False)
printouts = APIRouter(prefix="/api")
AREAS = ("channel", "escort")
DESK_AREAS = ("desk", "challenge", "liveness")  # liveness.js: its prompts and refusals


@router.get("/channel", response_class=HTMLResponse)
def channel_home(request: Request) -> Response:
    """A channel account goes on to its own portal. A staff account has no channel: it gets a
    page saying this portal is for distributor and agent accounts (403)."""
    who = principal_of(request)
    if who is not None and who.role.is_channel and who.channel_id:
        return RedirectResponse(f"/channel/{who.channel_id}", status_code=303)
    message = Translator(lang_of(request))("errors.channel_only")
    return render(request, "error.html", status=403, code="channel_only", message=message)


@router.get("/channel/{channel_id}", response_class=HTMLResponse)
def channel_portal(channel_id: str, request: Request) -> HTMLResponse:
    """Register a customer; the claims and their status; the statements (company only). The
    search and filters are query parameters, checked here (a bad one: a page in words, 422)
    and sent on by the page's script to the list APIs, which apply them."""
    who = principal_of(request)
    company = who is not None and who.role is Role.distributor
    q = request.query_params
    filters = {key: q.get(key, "") for key in SEARCH_KEYS}
    portal_search.ClaimFilter.parse(name=filters["name"], last4=filters["last4"],
                                    status=filters["status"], since=filters["since"],
                                    until=filters["until"])
    portal_search.StatementFilter.parse(status=filters["st_status"], period=filters["period"])
    t = Translator(lang_of(request))
    return render(request, "channel.html", areas=AREAS, channel_id=channel_id, company=company,
                  filters=filters, claim_states=[(s.value, t(f"channel.status_{s.value}"))
                                                 for s in portal_search.ClaimState],
                  statement_states=[(s.value, t(f"channel.st_{s.value}"))
                                    for s in StatementStatus],
                  filtered_claims=any(filters[k] for k in SEARCH_KEYS[:5]),
                  filtered_statements=bool(filters["st_status"] or filters["period"]))


SEARCH_KEYS = ("name", "last4", "status", "since", "until", "st_status", "period")


@router.get("/channel/{channel_id}/statements/{statement_id}", response_class=HTMLResponse)
def channel_statement(channel_id: str, statement_id: str, request: Request) -> HTMLResponse:
    """One statement's lines and a dispute form (the policy lets only the company open it)."""
    return render(request, "channel_statement.html", areas=AREAS, channel_id=channel_id,
                  statement_id=statement_id)


@printouts.get("/statements/{statement_id}/print", tags=STAFF, response_class=HTMLResponse)
def print_statement(statement_id: str, request: Request, deps: ServiceDeps) -> HTMLResponse:
    """The statement as a printable A4 page (zh-CN, `?lang=en`): the browser prints it."""
    lang = lang_of(request)
    other = "en" if lang == "zh-CN" else "zh-CN"
    return HTMLResponse(page("statement.html", lang=lang, switch_url=switch_url(request, other),
                             demo=deps.demo, view=statements_svc.load(statement_id, deps)))


# --- the finance page (月度结算) ---
DECIDE_DISPUTE = "/api/disputes/{dispute_id}/decision"


@router.get("/finance/statements", response_class=HTMLResponse)
def finance_statements(request: Request, deps: ServiceDeps,
                       channel: str | None = None) -> HTMLResponse:
    """Per channel: its statements (period, status, total, open disputes), a form to create
    one, and approve / paid / void / export / dispute decision buttons calling the staff API."""
    desk = finance_svc.finance_desk(deps, channel or None)
    can_decide = decide(rule_for("POST", DECIDE_DISPUTE), principal_of(request)).allowed
    return render(request, "finance_statements.html", areas=("finance",), desk=desk,
                  can_decide=can_decide)


# --- the signing desk (签约核验) ---
# Where managers review (the dashboard area owns that page).
REVIEW_QUEUE_PAGE = "/dashboard#review-heading"
REVIEWERS = MANAGERS  # who may review (the policy of POST /api/signings/{id}/review)


@router.get("/desk/signing", response_class=HTMLResponse)
def signing_desk(request: Request, deps: ServiceDeps, office: str | None = None) -> Response:
    office_id = desk_svc.desk_office(office, deps)
    notice = desk_consent_svc.desk_notice(office_id, lang_of(request), deps)
    return render(request, "desk.html", areas=DESK_AREAS, office_id=office_id, card=None,
                  desk_notice=notice, challenge=deps.liveness.challenge_required)


@router.get("/desk/signing/{signing_id}", response_class=HTMLResponse)
def signing_result(signing_id: str, request: Request, deps: ServiceDeps) -> Response:
    card = desk_svc.card(signing_id, deps)
    return render(request, "desk.html", areas=DESK_AREAS, office_id=card.signing.office_id,
                  card=card_view(card, request))


def card_view(card: desk_svc.DeskCard, request: Request) -> dict[str, Any]:
    """What the result card shows: no raw distance or score, only the ID-photo check's
    passed / failed / not done (C22)."""
    s = card.signing
    evidence = s.decision.evidence
    who = principal_of(request)
    first = evidence.first_visit
    reviewer = who is not None and who.role in REVIEWERS
    decided = dict(s.decision.decided_by)
    return {
        "id": s.id, "buyer_name": s.buyer_name, "id_masked": s.id_masked,
        "signed_at": local_time(s.signed_at), "price": yuan(s.contract_price_fen),
        "status": s.status.value, "natural": s.registration_id is None,
        "channel_name": card.channel_name, "channel_kind": s.decision.channel_kind,
        "reasons": list(s.decision.reason_codes),
        "first_visit": None if first is None else _shown(first, card.escorts.get(first.id)),
        "visit_count": evidence.visit_count,
        "visits": [_shown(v, card.escorts.get(v.id)) for v in evidence.visits],
        "claims": [{"registration_id": c.registration_id, "channel": c.channel_name,
                    "kind": c.channel_kind,
                    "created_at": local_time(c.created_at), "verdict": c.verdict, "won": c.won}
                   for c in card.claims],
        "face_check": _face_check(s.id_photo_passed),
        "buyers": [{"role": b.label, "name": b.name, "id_masked": b.id_masked,
                    "relation": b.relation, "face_check": _face_check(b.id_photo_passed),
                    "decided": b.label in decided.values()} for b in s.buyers],
        "decided_by": [{"kind": kind, "who": who} for kind, who in s.decision.decided_by],
        "trace": list(s.decision.trace),
        "reviewed_by": s.reviewed_by, "review_reason": s.review_reason,
        "reviews": [{"step": r.step.value, "actor": r.actor, "at": local_time(r.at),
                     "reason": r.reason} for r in card.reviews],
        "can_send": s.status is SigningStatus.FINAL and s.reviewed_by is None,
        "review_page": REVIEW_QUEUE_PAGE if reviewer else None,
        "can_review": reviewer and s.status is SigningStatus.PENDING_REVIEW,
    }


def _shown(visit: EvidenceVisit, escort: EscortFact | None = None) -> dict[str, Any]:
    """A cited visit in the card's words; `consultant`: the 置业顾问 reception assigned to it; an
    escorted one (扫码带访) also says who showed the pass, when, and how reception took it."""
    return {"id": visit.id, "at": local_time(visit.at), "method": visit.method,
            "link": visit.link, "corrected_at": local_time(visit.corrected_at),
            "buyer": visit.buyer, "consultant": visit.consultant or "",
            "escort": None if escort is None else {
                "agent": escort.agent_name or escort.agent, "account": escort.agent,
                "via": escort.via, "shown_at": local_time(escort.shown_at)}}


def _face_check(passed: bool | None) -> str:
    """The ID-photo check as words' keys: never a raw score (C22)."""
    return "not_done" if passed is None else "passed" if passed else "failed"


# --- the manager dashboard ---
METHOD_COLOURS = {"face_kiosk": "#0b5cad", "camera": "#7a3db8", "phone": "#e08a00",
                  "staff": "#1b6e3a", "reception": "#8a5a00"}
DESK_PAGE = "/desk/signing/{signing_id}"
THRESHOLDS_API = "/api/offices/{office_id}/risk-thresholds"


def reason(t: Translator, code: str) -> str:
    key = f"dashboard.reason_{code}"
    return t(key) if t.has(key) else code


@router.get("/dashboard/risk", response_class=HTMLResponse)
def risk_page(request: Request, deps: ServiceDeps, office: str | None = None,
              days: str | None = None) -> HTMLResponse:
    """风控报告: the signals per channel, in words (rules from `domain/attribution/risk`)."""
    report = risk_svc.risk_report(deps, office_id=office, days=parse_days(days))
    t = Translator(lang_of(request))
    words = {rule: t(f"dashboard.risk_rule_{rule}") for rule in RISK_RULES}
    can_edit = decide(rule_for("PUT", THRESHOLDS_API), principal_of(request)).allowed
    bounds = {name: threshold_bounds(name) for name in THRESHOLD_NAMES}
    names = {name: t(f"dashboard.risk_threshold_{name}") for name in THRESHOLD_NAMES}
    return render(request, "risk.html", areas=("dashboard",), report=report, rule_words=words,
                  can_edit=can_edit, bounds=bounds, threshold_words=names)


@router.get("/dashboard", response_class=HTMLResponse)
def manager_dashboard(request: Request, deps: ServiceDeps, office: str | None = None,
                      days: str | None = None) -> HTMLResponse:
    board = manager_board.manager_dashboard(deps, office_id=office,
                                         days=parse_days(days))
    t = Translator(lang_of(request))
    # finance sees the queue's size but has no signing desk to open: no dead link for them
    can_review = decide(rule_for("GET", DESK_PAGE), principal_of(request)).allowed
    return render(request, "dashboard.html", board=board, methods=manager_board.METHODS,
                  tiles=manager_board.visit_tiles(board),
                  day_choices=DAY_CHOICES, reason=lambda c: reason(t, c),
                  can_review=can_review, charts=manager_charts(board, t),
                  risk_today=risk_svc.alerts_today(deps, office_id=board.office.id))


def manager_charts(board: manager_board.ManagerDashboard, t: Translator) -> dict[str, Markup]:
    series = [Series(m, t(f"dashboard.method_{m}"), METHOD_COLOURS[m])
              for m in manager_board.METHODS]
    empty = t("dashboard.no_data")
    per_day = [(f"{d:%m-%d}", counts) for d, counts in board.per_day]
    mix = [(row.name or t("dashboard.natural"), row.signings) for row in board.mix]
    registered, visited, signed = board.funnel
    return {
        "visits": charts.stacked_bars(
            "chart-visits", per_day, series, title=t("dashboard.chart_visits"),
            desc=t("dashboard.chart_visits_desc", days=board.window.days,
                   total=board.visits_total), empty=empty),
        "mix": charts.hbars(
            "chart-mix", mix, title=t("dashboard.chart_mix"),
            desc=t("dashboard.chart_mix_desc", days=board.window.days), empty=empty),
        "funnel": charts.funnel(
            "chart-funnel", [(t("dashboard.stage_registered"), registered),
                             (t("dashboard.stage_visited"), visited),
                             (t("dashboard.stage_signed"), signed)],
            title=t("dashboard.chart_funnel"),
            desc=t("dashboard.chart_funnel_desc", registered=registered, visited=visited,
                   signed=signed), empty=empty),
    }
