"""Compliance pages: the visitor portal (我的数据, C19), the compliance dashboard, and the
printouts (receipt, poster, filing pack, inspection report, a readable copy of my data).

The visitor portal is phone-sized self-service.

The page holds no personal data itself: its JS asks `/api/rights/code` for a code to the mobile
on file, trades it for a 30-minute token at `/api/rights/verify`, keeps that token in
sessionStorage only (gone when the tab closes), and sends it as `X-Rights-Token` to the rights
API for the data, the export, withdrawal and deletion."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from keyuan.api.deps import ClientAddress, ServiceDeps
from keyuan.api.routes.compliance import RightsToken
from keyuan.domain.checkin.consent import Consent
from keyuan.domain.checkin.receipt_code import format_code, is_long_id, parse_code
from keyuan.domain.compliance.filing import FILING_AT, WARNING_AT
from keyuan.domain.display import DAY_CHOICES, local_time, parse_days
from keyuan.domain.errors import (
    ReceiptCodeInvalid,
    ReceiptLookupThrottled,
    ReceiptNotSigned,
    UnknownConsent,
)
from keyuan.services.checkin import receipts as compliance_receipts
from keyuan.services.compliance import dashboard as compliance_board
from keyuan.services.compliance import filing as compliance_filing
from keyuan.services.compliance import inspection as compliance_inspect
from keyuan.services.compliance import notices, rights
from keyuan.web import charts, labels
from keyuan.web.i18n import Translator
from keyuan.web.pages import demo_mode, lang_of, render, switch_url
from keyuan.web.printing import page, qr_svg

router = APIRouter(include_in_schema=False)
printouts = APIRouter(prefix="/api")
"""Printable pages and QR codes under the API's paths (links to them are printed on paper)."""


def receipt_prefill(receipt: str) -> str:
    """A `?receipt=` value as the page shows it: a 回执编号 in its printed form, an older
    receipt's long id as it is; anything else is dropped rather than echoed."""
    code = parse_code(receipt)
    if code is not None:
        return format_code(code)
    return receipt if is_long_id(receipt) else ""


@router.get("/me", response_class=HTMLResponse)
def my_data_page(request: Request, receipt: str = "") -> HTMLResponse:
    """`?receipt=` (the QR code of the kiosk's receipt screen and the printed receipt, scanned
    with the visitor's own phone) prefills step 1."""
    return render(request, "portal.html", areas=("portal", "reasons"),
                  receipt=receipt_prefill(receipt))


# --- the compliance dashboard ---


@router.get("/compliance", response_class=HTMLResponse)
def compliance_dashboard(request: Request, deps: ServiceDeps, office: str | None = None,
                         days: str | None = None) -> HTMLResponse:
    scheduler = getattr(request.app.state, "retention", None)
    board = compliance_board.compliance_dashboard(
        deps, office_id=office, days=parse_days(days),
        purge_runs=scheduler.state if scheduler is not None and scheduler.running else None)
    t = Translator(lang_of(request))
    return render(request, "compliance_dashboard.html", board=board,
                  day_choices=DAY_CHOICES, age_labels=age_labels(t),
                  warning_at=WARNING_AT, filing_at=FILING_AT,
                  charts=compliance_charts(board, t))


def age_labels(t: Translator) -> list[str]:
    edges = (0, *compliance_board.AGE_BUCKETS_DAYS)
    labels = [t("dashboard.age_range", low=lo + (1 if lo else 0), high=hi)
              for lo, hi in pairwise(edges)]
    return [*labels, t("dashboard.age_older", days=compliance_board.AGE_BUCKETS_DAYS[-1])]


def compliance_charts(board: compliance_board.ComplianceDashboard,
                      t: Translator) -> dict[str, Markup]:
    empty = t("dashboard.no_data")
    v = board.visits_by_method
    coverage = [(t("dashboard.coverage_face"), v.get("face_kiosk", 0) + v.get("camera", 0)),
                (t("dashboard.coverage_phone"), v.get("phone", 0)),
                (t("dashboard.coverage_staff"), v.get("staff", 0) + v.get("reception", 0)),
                (t("dashboard.coverage_declined"), board.declined_face)]
    buckets = [sum(counts[i] for _, counts in board.templates) for i in range(len(
        compliance_board.AGE_BUCKETS_DAYS) + 1)]
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


# --- printouts (A4, zh-CN by default, `?lang=en`) ---
def printable(request: Request, template: str, *, switch: bool = True,
               **context: Any) -> HTMLResponse:
    """A printable page in the request's language (`?lang=`, else the language cookie, else
    zh-CN), with a link to the same page in the other language unless `switch` is off."""
    lang = lang_of(request)
    other = "en" if lang == "zh-CN" else "zh-CN"
    return HTMLResponse(page(template, lang=lang,
                             switch_url=switch_url(request, other) if switch else None,
                             demo=demo_mode(request), **context))


def _beijing(request: Request, at: datetime) -> str:
    return Translator(lang_of(request))("print.beijing_time",
                                        at=local_time(at))


def phone_url(request: Request, consent: Consent) -> str:
    """What the receipt's QR code holds: /me with the 回执编号, absolute on the base URL this
    request came in on — the office server's LAN address the kiosk tablet uses, which the
    visitor's phone on the office network reaches too (as the pairing QR code does)."""
    code = format_code(consent.receipt_code)
    return f"{request.url_for('my_data_page')}?{urlencode({'receipt': code})}"


def verify_url(request: Request, consent: Consent) -> str:
    code = format_code(consent.receipt_code)
    return f"{request.url_for('receipt_verify_page')}?{urlencode({'receipt': code})}"


@printouts.get("/receipts/{receipt_id}/qr.svg", tags=["receipts"])
def receipt_qr(receipt_id: str, request: Request, deps: ServiceDeps,
               client: ClientAddress) -> Response:
    """The QR code of the receipt screen and printout: /me?receipt=CODE for the visitor's own
    phone (`receipt_id`: 回执编号 or long id; 404 unless it exists and is signed)."""
    signed = compliance_receipts.signed_receipt(receipt_id, deps, client=client)
    return Response(qr_svg(phone_url(request, signed.consent)), media_type="image/svg+xml")


@printouts.get("/receipts/{receipt_id}/print", tags=["receipts"], response_class=HTMLResponse)
def receipt_page(receipt_id: str, request: Request, deps: ServiceDeps,
                 client: ClientAddress) -> HTMLResponse:
    """A printable A4 page with the 回执编号, a QR code to /me on the visitor's phone and a
    link to the verify page: labels in the visitor's language (`?lang=`, zh-CN by default)
    with the other language beneath."""
    signed = compliance_receipts.signed_receipt(receipt_id, deps, client=client)
    phone = phone_url(request, signed.consent)
    return printable(
        request, "receipt.html", r=signed.document["receipt"], active=signed.consent.is_active,
        given_at=_beijing(request, signed.consent.given_at),
        retention=labels.retention_lines(signed.consent.scope, deps.retention),
        code=format_code(signed.consent.receipt_code), has_mobile=signed.has_mobile,
        phone_url=phone, verify_url=verify_url(request, signed.consent), qr=qr_svg(phone),
    )


_CANNOT_CHECK = {error.code: f"portal.verify_err_{error.code}" for error in (
    UnknownConsent, ReceiptNotSigned, ReceiptCodeInvalid, ReceiptLookupThrottled)}
"""Why a receipt could not be checked, as the verify page words it."""


@router.get("/verify", response_class=HTMLResponse)
def receipt_verify_page(request: Request, deps: ServiceDeps, client: ClientAddress,
                        receipt: str = "") -> HTMLResponse:
    """验证回执 (the printed receipt's verify link): the office's signed receipt of this 回执编号
    checked against the office's receipt key, answered in words — 有效 or 无效, and whether the
    consent still stands. No JSON, key or signature is shown."""
    code, outcome, given_at = receipt_prefill(receipt), None, None
    if receipt and not code:
        outcome = ReceiptCodeInvalid.code
    elif code:
        try:
            signed = compliance_receipts.signed_receipt(code, deps, client=client)
        except (UnknownConsent, ReceiptNotSigned, ReceiptLookupThrottled) as exc:
            outcome = exc.code
        else:
            check = compliance_receipts.check_receipt(signed.document, deps)
            outcome = check.consent_status if check.genuine else "invalid"
            given_at = _beijing(request, signed.consent.given_at)
    return render(request, "verify.html", code=code, outcome=outcome, given_at=given_at,
                  cannot_check=_CANNOT_CHECK.get(outcome or ""))


@printouts.get("/compliance/filing/{legal_entity}/pack.html", tags=["compliance"],
            response_class=HTMLResponse)
def filing_pack_page(legal_entity: str, request: Request, deps: ServiceDeps) -> HTMLResponse:
    return printable(request, "filing.html",
                      p=compliance_filing.filing_pack(legal_entity, deps))


@printouts.get("/compliance/inspection.html", tags=["compliance"], response_class=HTMLResponse)
def inspection_page(request: Request, deps: ServiceDeps) -> HTMLResponse:
    r = compliance_inspect.inspect_vault(deps)
    return printable(request, "inspection.html", r=r, at=_beijing(request, r.at))


@printouts.get("/offices/{office_id}/poster", tags=["notice"], response_class=HTMLResponse)
def notice_poster(office_id: str, request: Request, deps: ServiceDeps) -> HTMLResponse:
    """A printable A4 poster (C4; zh-CN, `?lang=en` for English): informs, never consents;
    QR codes to the notice and the visitor portal /me (in the poster's language)."""
    lang = lang_of(request)
    office, notice = notices.poster_facts(office_id, lang, deps)  # falls back to zh-CN
    notice_url = str(request.url_for("get_notice", office_id=office_id))
    rights_url = str(request.url_for("my_data_page"))
    if lang != "zh-CN":
        rights_url += f"?{urlencode({'lang': lang})}"
    return printable(request, "poster.html", office=office, notice=notice,
                      notice_url=notice_url, rights_url=rights_url,
                      notice_qr=qr_svg(notice_url), rights_qr=qr_svg(rights_url))


@printouts.get("/rights/me/export.html", tags=["rights"], response_class=HTMLResponse)
def rights_export_page(token: RightsToken, request: Request, deps: ServiceDeps) -> HTMLResponse:
    """No language link: the copy is fetched with the rights token header, which a link lacks."""
    return printable(request, "my_data.html", switch=False,
                      d=rights.my_data(token, deps, export=True))
