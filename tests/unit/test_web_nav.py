"""The menu follows the one policy: each account sees the pages it may open, nothing else."""

from __future__ import annotations

import pytest

from keyuan.domain.accounts.model import Principal, Role
from keyuan.web.i18n import LANGS, Translator
from keyuan.web.pages import landing_for, nav_for


def who(role: Role) -> Principal:
    return Principal(user_id="u1", username="x", role=role,
                     channel_id="ch1" if role.is_channel else None, session_id="s1",
                     via_cookie=True)


@pytest.mark.parametrize(("role", "pages"), [
    (None, ["/kiosk", "/me"]),
    (Role.reception, ["/reception", "/admin/tls"]),  # its workspace, not the visitor kiosk
    (Role.sales, ["/consultant"]),  # 置业顾问: its own visits and customers back
    (Role.signing, ["/desk/signing"]),
    (Role.finance, ["/dashboard", "/finance/statements"]),
    (Role.manager, ["/desk/signing", "/dashboard", "/finance/statements", "/admin/cameras"]),
    (Role.compliance, ["/compliance", "/admin/notices", "/admin/cameras"]),
    (Role.admin, ["/reception", "/consultant", "/kiosk", "/desk/signing", "/dashboard",
                  "/finance/statements", "/compliance", "/admin",
                  "/admin/offices", "/admin/notices", "/admin/cameras", "/admin/devices",
                  "/admin/tls"]),
    (Role.distributor, ["/channel"]),
    (Role.agent, ["/channel"]),
])
def test_menu_per_role(role: Role | None, pages: list[str]) -> None:
    assert [path for path, _ in nav_for(who(role) if role else None)] == pages


@pytest.mark.parametrize(("role", "landing"), [
    (None, None),
    (Role.sales, "/consultant"),
    (Role.reception, "/reception"),  # its workspace: never the visitor kiosk
    (Role.signing, "/desk/signing"),
    (Role.finance, "/dashboard"),
    (Role.manager, "/dashboard"),  # the dashboard, not the signing desk
    (Role.compliance, "/compliance"),
    (Role.admin, "/admin"),  # the admin workspace, not the visitor kiosk
    (Role.distributor, "/channel"),
])
def test_each_role_lands_on_its_daily_page(role: Role | None, landing: str | None) -> None:
    assert landing_for(who(role) if role else None) == landing


def test_every_role_has_words_on_the_accounts_page_in_both_languages() -> None:
    for lang in LANGS:
        words = {Translator(lang)(f"common.role_{role.value}") for role in Role}
        assert len(words) == len(Role), lang
