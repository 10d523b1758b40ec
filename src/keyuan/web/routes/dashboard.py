"""Pages of the dashboard area: the manager dashboard (/dashboard) and the compliance dashboard
(/compliance). Server-rendered with server-side SVG charts; they work without JavaScript.

Each route parses its query, calls one service, turns the numbers into charts in the page's
language and renders. The policy (accounts.policy) decides who may open them."""

from __future__ import annotations

from itertools import pairwise

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from keyuan.api.deps import ServiceDeps
from keyuan.domain.accounts.policy import decide, rule_for
from keyuan.domain.compliance.filing import FILING_AT, WARNING_AT
from keyuan.services.compliance import dashboards
from keyuan.services.compliance.dashboards import AGE_BUCKETS_DAYS, ComplianceDashboard
from keyuan.services.compliance.dashboards import ManagerDashboard as Board
from keyuan.web import charts
from keyuan.web.charts import Series
from keyuan.web.i18n import Translator
from keyuan.web.pages import lang_of, principal_of, render

router = APIRouter(include_in_schema=False)
METHOD_COLOURS = {"face_kiosk": "#0b5cad", "camera": "#7a3db8", "phone": "#e08a00",
                  "staff": "#1b6e3a"}
DAY_CHOICES = (7, 30, 90)
DESK_PAGE = "/desk/signing/{signing_id}"


def reason(t: Translator, code: str) -> str:
    key = f"dashboard.reason_{code}"
    return t(key) if t.has(key) else code


@router.get("/dashboard", response_class=HTMLResponse)
def manager_dashboard(request: Request, deps: ServiceDeps, office: str | None = None,
                      days: str | None = None) -> HTMLResponse:
    board = dashboards.manager_dashboard(deps, office_id=office,
                                         days=dashboards.parse_days(days))
    t = Translator(lang_of(request))
    # finance sees the queue's size but has no signing desk to open: no dead link for them
    can_review = decide(rule_for("GET", DESK_PAGE), principal_of(request)).allowed
    return render(request, "dashboard.html", board=board, methods=dashboards.METHODS,
                  day_choices=DAY_CHOICES, reason=lambda c: reason(t, c),
                  can_review=can_review, charts=manager_charts(board, t))


def manager_charts(board: Board, t: Translator) -> dict[str, Markup]:
    series = [Series(m, t(f"dashboard.method_{m}"), METHOD_COLOURS[m])
              for m in dashboards.METHODS]
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


@router.get("/compliance", response_class=HTMLResponse)
def compliance_dashboard(request: Request, deps: ServiceDeps, office: str | None = None,
                         days: str | None = None) -> HTMLResponse:
    board = dashboards.compliance_dashboard(deps, office_id=office,
                                            days=dashboards.parse_days(days))
    t = Translator(lang_of(request))
    return render(request, "compliance_dashboard.html", board=board,
                  day_choices=DAY_CHOICES, age_labels=age_labels(t),
                  warning_at=WARNING_AT, filing_at=FILING_AT,
                  charts=compliance_charts(board, t))


def age_labels(t: Translator) -> list[str]:
    edges = (0, *AGE_BUCKETS_DAYS)
    labels = [t("dashboard.age_range", low=lo + (1 if lo else 0), high=hi)
              for lo, hi in pairwise(edges)]
    return [*labels, t("dashboard.age_older", days=AGE_BUCKETS_DAYS[-1])]


def compliance_charts(board: ComplianceDashboard, t: Translator) -> dict[str, Markup]:
    empty = t("dashboard.no_data")
    v = board.visits_by_method
    coverage = [(t("dashboard.coverage_face"), v.get("face_kiosk", 0) + v.get("camera", 0)),
                (t("dashboard.coverage_phone"), v.get("phone", 0)),
                (t("dashboard.coverage_staff"), v.get("staff", 0)),
                (t("dashboard.coverage_declined"), board.declined_face)]
    buckets = [sum(counts[i] for _, counts in board.templates) for i in range(len(
        AGE_BUCKETS_DAYS) + 1)]
    filing = [(s.legal_entity, s.people) for s in board.filing]
    return {
        "coverage": charts.hbars(
            "chart-coverage", coverage, title=t("dashboard.chart_coverage"),
            desc=t("dashboard.chart_coverage_desc", days=board.window.days), empty=empty),
        "ages": charts.hbars(
            "chart-ages", list(zip(age_labels(t), buckets, strict=True)),
            title=t("dashboard.chart_ages"), desc=t("dashboard.chart_ages_desc"),
            empty=t("dashboard.no_templates")),
        "filing": charts.hbars(
            "chart-filing", filing, title=t("dashboard.chart_filing"),
            desc=t("dashboard.chart_filing_desc", warning=f"{WARNING_AT:,}",
                   filing=f"{FILING_AT:,}"),
            empty=empty, scale_max=FILING_AT,
            marks=[(WARNING_AT, t("dashboard.mark_warning")),
                   (FILING_AT, t("dashboard.mark_filing"))]),
    }
