"""The menu follows the one policy: each account sees the pages it may open, nothing else."""

from __future__ import annotations

import pytest

from keyuan.domain.accounts.model import Principal, Role
from keyuan.web.pages import nav_for


def who(role: Role) -> Principal:
    return Principal(user_id="u1", username="x", role=role,
                     channel_id="ch1" if role.is_channel else None, session_id="s1",
                     via_cookie=True)


@pytest.mark.parametrize(("role", "pages"), [
    (None, ["/kiosk", "/me"]),
    (Role.reception, ["/kiosk", "/admin/tls"]),
    (Role.sales, []),
    (Role.signing, ["/desk/signing"]),
    (Role.finance, ["/dashboard"]),
    (Role.manager, ["/desk/signing", "/dashboard"]),
    (Role.compliance, ["/compliance"]),
    (Role.admin, ["/kiosk", "/desk/signing", "/dashboard", "/compliance", "/admin/offices",
                  "/admin/tls"]),
    (Role.distributor, ["/channel"]),
    (Role.agent, ["/channel"]),
])
def test_menu_per_role(role: Role | None, pages: list[str]) -> None:
    assert [path for path, _ in nav_for(who(role) if role else None)] == pages
