"""Rendering a page: the Jinja2 environment, the context every page gets, the navigation that
the one policy allows, and the HTML answer to an error on a page (log in first, or a message).

Every page route is an ordinary FastAPI route, so the guard (`accounts.guard.authorize`) runs
before it exactly as for the JSON API; pages hold no authorisation logic of their own."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from keyuan.domain.accounts.model import Principal, Role
from keyuan.domain.accounts.policy import Kind, decide, rule_for
from keyuan.domain.checkin.face_uses import plain
from keyuan.domain.display import local_time, yuan
from keyuan.web.i18n import LANG_COOKIE, LANGS, Translator, pick_lang

# (path, catalog key) of every page reachable from the navigation, in menu order; each is shown
# only to those the policy lets open it.
NAV: tuple[tuple[str, str], ...] = (
    ("/reception", "common.nav_reception"),
    ("/consultant", "common.nav_consultant"),
    ("/kiosk", "common.nav_kiosk"),
    ("/desk/signing", "common.nav_signing"),
    ("/dashboard", "common.nav_dashboard"),
    ("/finance/statements", "common.nav_finance"),
    ("/compliance", "common.nav_compliance"),
    ("/admin", "common.nav_admin"),
    ("/admin/offices", "common.nav_offices"),
    ("/admin/notices", "common.nav_notices"),
    ("/admin/cameras", "common.nav_cameras"),
    ("/admin/devices", "common.nav_devices"),
    ("/channel", "common.nav_channel"),
    ("/me", "common.nav_me"),
    ("/admin/tls", "common.nav_tls"),
)
# Where a role lands after logging in when its first menu page is not its daily work: the admin
# on the admin workspace (not the kiosk), the manager on the dashboard (not the signing desk),
# reception on its workspace (never the visitor kiosk: a logged-in tablet would show visitors
# the staff menu).
LANDING: dict[Role, str] = {Role.admin: "/admin", Role.manager: "/dashboard",
                            Role.reception: "/reception"}
# who sees the visitor kiosk in the menu: the admin, who pairs the tablets. Not reception: its
# workspace is /reception, and an unpaired reception PC only gets the "not paired" page.
KIOSK_STAFF = frozenset({Role.admin})
NON_PAGE_PREFIXES = ("/api/", "/static/", "/healthz", "/metrics", "/openapi.json", "/docs",
                     "/redoc")


@lru_cache(maxsize=1)
def env() -> Environment:
    """The one Jinja2 environment of pages and printouts. Every template can show money and
    time the one way (`yuan`, `local_time`), and notice text as a reader reads it
    (`| plain_notice`: `face_uses.plain`)."""
    environment = Environment(loader=PackageLoader("keyuan.web", "templates"),
                              autoescape=select_autoescape(["html", "svg"]),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.globals.update(yuan=yuan, local_time=local_time)
    environment.filters["plain_notice"] = plain  # an older notice's use codes never show
    return environment


def lang_of(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def principal_of(request: Request) -> Principal | None:
    who: Principal | None = getattr(request.state, "principal", None)
    return who


def nav_for(who: Principal | None) -> list[tuple[str, str]]:
    """The pages this caller may open, by the one policy: visitors see the visitor pages;
    accounts their own pages (the admin also the kiosk it pairs; channel accounts their
    portal, which the policy leaves open to any account only to redirect staff away)."""
    out = []
    for path, key in NAV:
        rule = rule_for("GET", path)
        if not decide(rule, who).allowed:
            continue
        if who is not None and rule.kind is Kind.public \
                and not (path == "/kiosk" and who.role in KIOSK_STAFF):
            continue
        if path == "/channel" and (who is None or not who.role.is_channel):
            continue
        out.append((path, key))
    return out


def landing_for(who: Principal | None) -> str | None:
    """The page an account opens on `/`: its role's landing page, else its first menu page;
    None for visitors (and accounts with no page)."""
    pages = [path for path, _ in nav_for(who)]
    if who is None or not pages:
        return None
    wanted = LANDING.get(who.role)
    return wanted if wanted in pages else pages[0]


def switch_url(request: Request, lang: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", lang))
    return f"{request.url.path}?{urlencode(params)}"


def demo_mode(request: Request) -> bool:
    """Demo mode (`keyuan serve --demo`): every page, printouts included, says so."""
    deps = getattr(request.app.state, "deps", None)
    return bool(getattr(deps, "demo", False))


def render(request: Request, template: str, *, status: int = 200, areas: tuple[str, ...] = (),
           **context: Any) -> HTMLResponse:
    """A page in the request's language; remembers an explicit `?lang=` in a cookie. `areas`:
    catalog areas the page's JS needs (`keyuan.t`), besides common and errors."""
    lang = lang_of(request)
    other = next(code for code in LANGS if code != lang)
    who = principal_of(request)
    html = env().get_template(template).render(
        request=request, lang=lang, t=Translator(lang), other_lang=other,
        switch_url=switch_url(request, other), who=who, nav=nav_for(who), areas=areas,
        demo=demo_mode(request), **context)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")
    return response


def is_page_request(request: Request) -> bool:
    """A browser asking for a page (not the JSON API, not an asset)."""
    path = request.url.path
    return (request.method == "GET" and not path.startswith(NON_PAGE_PREFIXES)
            and "text/html" in request.headers.get("accept", ""))


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    """Not logged in → the login page, then back here; anything else → a page saying why."""
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?lang={lang_of(request)}&next={quote(target)}",
                                status_code=303)
    t = Translator(lang_of(request))
    known = f"errors.{code}"
    return render(request, "error.html", status=status, code=code,
                  message=t(known) if t.has(known) else message)
