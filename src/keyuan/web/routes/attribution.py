"""Attribution pages: the distributor portal (渠道报备) — register customers, follow each claim's
status, and, for the distributor company only, statements and disputes — and the printable
statement (佣金结算单).

The policy scopes every page to the account's own channel (the channel is in the path); the
pages' JS reads and writes through the distributor JSON API, whose responses carry no
biometric field (C21). These pages never show a score, a distance or any face wording."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keyuan.api.deps import ServiceDeps
from keyuan.api.routes.attribution.adjudication import STAFF
from keyuan.domain.accounts.model import Role
from keyuan.services.attribution import statements as statements_svc
from keyuan.web.i18n import Translator
from keyuan.web.pages import lang_of, principal_of, render, switch_url
from keyuan.web.printing import page

router = APIRouter(include_in_schema=False)
printouts = APIRouter(prefix="/api")
AREAS = ("channel",)


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
    """Register a customer; the claims and their status; the statements (company only)."""
    who = principal_of(request)
    company = who is not None and who.role is Role.distributor
    return render(request, "channel.html", areas=AREAS, channel_id=channel_id, company=company)


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
                             view=statements_svc.load(statement_id, deps)))
