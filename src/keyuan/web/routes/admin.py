"""The admin workspace (admin role): `/admin` links every admin page; `/admin/accounts` lists
the accounts and adds, disables or enables them and resets passwords; `/admin/channels` lists
the channels (search, status) with their ids, agents and agreements. The pages list; their JS
changes things through `/api/admin/…` (same policy, same services as the CLI underneath)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from keyuan.api.deps import ServiceDeps
from keyuan.domain.accounts.model import CHANNEL_ROLES, Role
from keyuan.domain.accounts.policy import decide, rule_for
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.accounts import service as accounts
from keyuan.services.attribution import channel_admin as channels
from keyuan.services.attribution import teams
from keyuan.services.checkin import offices
from keyuan.web.pages import principal_of, render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class AdminPage:
    path: str
    title: str  # catalog keys
    lead: str


# Every admin page, in the order the landing page shows them; each appears only when the one
# policy lets the caller open it.
ADMIN_PAGES: tuple[AdminPage, ...] = (
    AdminPage("/admin/accounts", "admin.accounts_title", "admin.accounts_lead"),
    AdminPage("/admin/channels", "admin.channels_title", "admin.channels_lead"),
    AdminPage("/admin/offices", "common.nav_offices", "admin.offices_lead"),
    AdminPage("/admin/notices", "ops.notices_title", "ops.notices_admin_lead"),
    AdminPage("/admin/cameras", "ops.cameras_title", "ops.cameras_admin_lead"),
    AdminPage("/admin/assessment", "ops.pia_title", "ops.pia_admin_lead"),
    AdminPage("/admin/devices", "common.nav_devices", "admin.devices_lead"),
    AdminPage("/admin/tls", "common.nav_tls", "admin.tls_lead"),
    AdminPage("/dashboard", "common.nav_dashboard", "admin.dashboard_lead"),
    AdminPage("/compliance", "common.nav_compliance", "admin.compliance_lead"),
)
ROLES: tuple[Role, ...] = tuple(Role)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request) -> HTMLResponse:
    who = principal_of(request)
    pages = [p for p in ADMIN_PAGES if decide(rule_for("GET", p.path), who).allowed]
    return render(request, "admin.html", pages=pages)


@router.get("/admin/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, deps: ServiceDeps) -> HTMLResponse:
    return render(request, "admin_accounts.html", areas=("admin",),
                  accounts=accounts.users(deps), roles=ROLES, channel_roles=CHANNEL_ROLES)


@router.get("/admin/channels", response_class=HTMLResponse)
def channels_page(request: Request, deps: ServiceDeps,
                  q: Annotated[str, Query(max_length=channels.MAX_QUERY)] = "",
                  status: Annotated[str, Query(max_length=16)] = "all") -> HTMLResponse:
    """`?q=` searches names (or an exact id), `?status=` active / inactive / all (anything
    else, as from a hand-edited address, shows all)."""
    chosen = next((s for s in channels.ChannelStatus if s.value == status),
                  channels.ChannelStatus.ALL)
    cards = channels.channel_cards(deps, query=q, status=chosen)
    trees = {c.channel.id: teams.channel_teams(c.channel.id, deps) for c in cards
             if c.channel.kind is ChannelKind.DISTRIBUTOR}  # 门店/团队 of each company
    return render(request, "admin_channels.html", areas=("admin",), q=q, chosen=chosen.value,
                  statuses=[s.value for s in channels.ChannelStatus], cards=cards, trees=trees,
                  offices=[v.office for v in offices.offices(deps)])
