"""The authorisation policy as data and as a pure decision: no I/O, no app."""

from __future__ import annotations

import pytest

from keyuan.domain.accounts.model import STAFF_ROLES, Principal, Role
from keyuan.domain.accounts.policy import (
    DENY,
    POLICY,
    Kind,
    decide,
    route_key,
    rule_for,
)


def who(role: Role, channel: str | None = None) -> Principal:
    return Principal(user_id="u1", username="u", role=role, channel_id=channel, session_id="s",
                     via_cookie=False)


def test_a_route_without_an_entry_is_refused_to_everyone_even_admin() -> None:
    rule = rule_for("GET", "/api/something/new")
    assert rule is DENY
    assert decide(rule, None).status == 401
    assert all(decide(rule, who(role)).status == 403 for role in Role)


def test_head_is_checked_as_get() -> None:
    assert route_key("HEAD", "/healthz") == "GET /healthz"
    assert rule_for("HEAD", "/api/compliance/audit") is POLICY["GET /api/compliance/audit"]


def test_staff_rules_admit_listed_roles_only() -> None:
    rule = POLICY["GET /api/compliance/audit"]
    assert decide(rule, who(Role.compliance)).allowed
    assert decide(rule, who(Role.sales)).status == 403
    assert decide(rule, None).status == 401


def test_a_channel_account_sees_only_its_own_channel() -> None:
    rule = POLICY["GET /api/channels/{channel_id}/registrations"]
    assert decide(rule, who(Role.distributor, "A"), ["A"]).allowed
    assert decide(rule, who(Role.agent, "A"), ["A"]).allowed
    assert decide(rule, who(Role.distributor, "A"), ["B"]).status == 403
    assert decide(rule, who(Role.distributor, "A"), [None]).status == 403  # not found: refused
    assert decide(rule, who(Role.distributor, "A"), []).status == 403  # nothing resolved


def test_every_named_channel_must_be_the_accounts_own() -> None:
    rule = POLICY["POST /api/channels/{channel_id}/statements/{statement_id}/disputes"]
    assert rule.via == ("channel_id", "statement_id")
    assert decide(rule, who(Role.distributor, "A"), ["A", "A"]).allowed
    assert decide(rule, who(Role.distributor, "A"), ["A", "B"]).status == 403


def test_agents_never_see_money() -> None:
    for key in ("GET /api/statements/{statement_id}",
                "POST /api/channels/{channel_id}/statements/{statement_id}/disputes"):
        assert decide(POLICY[key], who(Role.agent, "A"), ["A", "A"]).status == 403


def test_token_kinds_are_delegated_to_the_route() -> None:
    for key in ("GET /api/rights/me", "POST /api/cameras/{camera_id}/captures"):
        assert POLICY[key].kind in (Kind.visitor_token, Kind.camera_token)
        assert decide(POLICY[key], None).allowed


def test_channel_roles_are_never_on_a_staff_rule() -> None:
    offending = [key for key, rule in POLICY.items()
                 if rule.staff & {Role.distributor, Role.agent}]
    assert offending == []


def test_channel_rules_name_only_parameters_the_guard_can_resolve() -> None:
    for rule in POLICY.values():
        if rule.kind is Kind.channel:
            assert rule.via and set(rule.via) <= {"channel_id", "statement_id"}


@pytest.mark.parametrize("key", [
    "POST /api/offices/{office_id}/signings", "GET /api/signings/{signing_id}",
    "GET /api/offices/{office_id}/review-queue", "POST /api/signings/{signing_id}/review",
    "GET /api/compliance/audit", "GET /api/compliance/inspection",
    "GET /api/compliance/inspection.html",
])
def test_c17_biometric_routes_are_flagged_and_closed_to_sales_and_channels(key: str) -> None:
    rule = POLICY[key]
    assert rule.biometric and rule.kind is Kind.staff
    assert not rule.staff & {Role.sales, Role.distributor, Role.agent}


def test_admin_is_on_every_staff_rule() -> None:
    """admin creates accounts of any role, so withholding a staff route from it secures nothing;
    listing it keeps the matrix honest about that."""
    staff_rules = [rule for rule in POLICY.values() if rule.staff]
    assert staff_rules and all(Role.admin in rule.staff for rule in staff_rules)
    assert Role.admin in STAFF_ROLES
