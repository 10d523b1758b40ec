"""The one authorisation policy: every route of the app → who may call it. Pure; no I/O.

`accounts.guard` checks it on every request before any route runs. A route without an entry is
refused for everybody (fails closed), and a test proves every route of the app has one.

Kinds of entry:
- `PUBLIC` — visitor-facing: notices, receipts, the rights portal's first steps, the kiosk's
  pages and the pairing of a tablet.
- `KIOSK` — the kiosk API (a tablet at reception used by visitors, so it cannot hold a staff
  login): no account, but a paired kiosk device; the guard checks its device token
  (`services.checkin.devices.require_kiosk`) and, on a session's route, that the session is
  that device's.
- `VISITOR_TOKEN` — the rights portal after verification: the route checks its own
  `X-Rights-Token` (receipt id + one-time code → token, `services.rights`).
- `CAMERA_TOKEN` — capture cameras: the route checks its own camera token.
- `AUTHENTICATED` — any logged-in account (who am I, log out).
- `Staff(roles)` — staff accounts with one of these roles.
- `Channel(channel_roles, staff, via)` — distributor/agent accounts for their OWN channel only
  (the channels named by the path parameters in `via`, resolved by the guard), plus staff roles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from keyuan.domain.accounts.model import Principal, Role


class Kind(StrEnum):
    public = "public"
    kiosk = "kiosk"
    visitor_token = "visitor_token"
    camera_token = "camera_token"
    authenticated = "authenticated"
    staff = "staff"
    channel = "channel"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    staff: frozenset[Role] = frozenset()
    channel_roles: frozenset[Role] = frozenset()
    via: tuple[str, ...] = ()  # path parameters naming the channel (channel_id, statement_id)
    biometric: bool = False  # the response or action touches biometric results (C17)


def _staff(*roles: Role, biometric: bool = False) -> Rule:
    return Rule(Kind.staff, staff=frozenset(roles), biometric=biometric)


def _channel(channel_roles: Iterable[Role], staff: Iterable[Role], *via: str) -> Rule:
    return Rule(Kind.channel, staff=frozenset(staff), channel_roles=frozenset(channel_roles),
                via=via or ("channel_id",))


R = Role
PUBLIC = Rule(Kind.public)
KIOSK = Rule(Kind.kiosk)
VISITOR_TOKEN = Rule(Kind.visitor_token)
CAMERA_TOKEN = Rule(Kind.camera_token)
AUTHENTICATED = Rule(Kind.authenticated)
# admin can create an account of any role, so withholding a staff route from admin secures
# nothing: admin is listed on every staff route. Channel roles never get a staff route.
MANAGERS = (R.manager, R.admin)
FINANCE = (R.finance, R.manager, R.admin)
COMPLIANCE = (R.compliance, R.admin)
DESK = (R.reception, R.manager, R.admin)
RECEPTION = (R.reception, R.admin)  # the reception workspace
SIGNING = (R.signing, R.manager, R.admin)
CHANNEL = (R.distributor, R.agent)
COMPANY = (R.distributor,)  # money matters: the distributor company, not its agents

_KIOSK = "/api/kiosk/sessions/{session_id}"
POLICY: Mapping[str, Rule] = {
    # ops and documentation
    "GET /healthz": PUBLIC,
    "GET /openapi.json": PUBLIC, "GET /docs": PUBLIC, "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /metrics": PUBLIC,  # aggregate capture counters only; no person, no image
    # capture cameras (人脸抓拍机): the route checks the per-camera token itself
    "POST /api/cameras/{camera_id}/captures": CAMERA_TOKEN,
    # camera admin (never the token or its hash); the poster is compliance's word (C4)
    "GET /api/offices/{office_id}/cameras": _staff(*MANAGERS),
    "POST /api/offices/{office_id}/cameras": _staff(*MANAGERS),
    "PUT /api/cameras/{camera_id}/enabled": _staff(*MANAGERS),
    "PUT /api/cameras/{camera_id}/lane": _staff(*MANAGERS),
    # how its pushes are parsed, and its login for pictures by URL (sealed, never returned)
    "PUT /api/cameras/{camera_id}/profile": _staff(*MANAGERS),
    # the office's word that the lane is marked and the other way in unwatched (C11)
    "POST /api/cameras/{camera_id}/lane/confirm": _staff(*COMPLIANCE),
    # capture pulls run by serve (counts only; the URL shown without credentials)
    "POST /api/cameras/{camera_id}/pull": _staff(*MANAGERS),
    "GET /api/cameras/{camera_id}/pull": _staff(*MANAGERS),
    "DELETE /api/cameras/{camera_id}/pull": _staff(*MANAGERS),
    "POST /api/offices/{office_id}/signage": _staff(*COMPLIANCE),
    # the cameras page (admin workspace): each button is under its own route's entry above
    "GET /admin/cameras": _staff(R.manager, R.compliance, R.admin),
    # pages (server-rendered; their JS calls the API routes below, each under its own rule)
    "GET /": PUBLIC,
    # dashboards (pages): business numbers for managers and finance — counts by method, channel
    # names, reason codes, never a score, distance or template (C17, C21); compliance numbers
    # (coverage, template counts, purge, rights, audit, PIA, filing) for the compliance roles
    "GET /dashboard": _staff(*FINANCE),
    "GET /dashboard/risk": _staff(*FINANCE),  # 风控报告: registrations and visits, no biometric
    # 月度结算: the statements per channel; its buttons are under the statement routes below
    "GET /finance/statements": _staff(*FINANCE),
    "GET /compliance": _staff(*COMPLIANCE),
    # accounts
    "GET /login": PUBLIC, "POST /login": PUBLIC,
    "POST /api/auth/login": PUBLIC, "POST /api/auth/token": PUBLIC,
    "POST /api/auth/logout": AUTHENTICATED, "GET /api/auth/me": AUTHENTICATED,
    # kiosk (visitor-facing, from a paired device only) and the visitor's own receipt
    "GET /api/offices/{office_id}/notice": PUBLIC,
    "POST /api/kiosk/sessions": KIOSK,
    f"POST {_KIOSK}/decline-face": KIOSK, f"POST {_KIOSK}/face-consent": KIOSK,
    f"POST {_KIOSK}/face-enrollment": KIOSK, f"POST {_KIOSK}/phone-code": KIOSK,
    f"POST {_KIOSK}/phone-check-in": KIOSK, f"POST {_KIOSK}/return": KIOSK,
    f"POST {_KIOSK}/return-check": KIOSK,
    # 活体挑战: the head movements a face decision asks for (no biometric data in them)
    f"POST {_KIOSK}/liveness-challenge": KIOSK,
    "POST /api/offices/{office_id}/desk/liveness-challenges": _staff(*SIGNING),
    "POST /api/offices/{office_id}/rights-desk/liveness-challenges":
        _staff(R.reception, *COMPLIANCE),
    # pairing a tablet: the one-time code is the credential
    "POST /api/kiosk/pairing": PUBLIC, "GET /kiosk/pair": PUBLIC,
    "GET /api/receipts/{receipt_id}": PUBLIC, "POST /api/receipts/{receipt_id}/withdraw": PUBLIC,
    "GET /api/receipts/{receipt_id}/signed": PUBLIC,
    "GET /api/receipts/{receipt_id}/qr.svg": PUBLIC,
    "GET /api/receipts/{receipt_id}/print": PUBLIC, "GET /verify": PUBLIC,
    "GET /api/compliance/receipt-key": PUBLIC, "POST /api/compliance/receipts/verify": PUBLIC,
    "GET /api/offices/{office_id}/poster": PUBLIC,
    # kiosk pages (reception tablet, no login: an unpaired one is shown the "not paired" page)
    # and the camera's live guidance under consent
    "GET /kiosk": PUBLIC, "GET /kiosk/{office_id}": PUBLIC,
    f"POST {_KIOSK}/frame-check": KIOSK,
    # rights self-service (C19)
    "GET /api/rights/portal": PUBLIC, "POST /api/rights/code": PUBLIC,
    "POST /api/rights/verify": PUBLIC,
    "GET /api/rights/me": VISITOR_TOKEN, "GET /api/rights/me/export": VISITOR_TOKEN,
    "GET /api/rights/me/export.html": VISITOR_TOKEN, "POST /api/rights/me/correct": VISITOR_TOKEN,
    "POST /api/rights/me/withdraw": VISITOR_TOKEN, "POST /api/rights/me/delete": VISITOR_TOKEN,
    "POST /api/rights/in-person": _staff(R.reception, *COMPLIANCE, biometric=True),
    "GET /api/rights/requests": _staff(*COMPLIANCE),
    "POST /api/rights/requests/{request_id}/close": _staff(*COMPLIANCE),
    # compliance officer (C17: audit and inspection are biometric-bearing)
    "GET /api/compliance/impact-assessment": _staff(R.compliance, *MANAGERS),
    "GET /admin/assessment": _staff(R.compliance, *MANAGERS),  # its status and changes, in words
    "GET /api/compliance/audit": _staff(*COMPLIANCE, biometric=True),
    "GET /api/compliance/inspection": _staff(*COMPLIANCE, biometric=True),
    "GET /api/compliance/inspection.html": _staff(*COMPLIANCE, biometric=True),
    "GET /api/compliance/filing": _staff(*COMPLIANCE),
    "GET /api/compliance/filing/{legal_entity}/pack": _staff(*COMPLIANCE),
    "GET /api/compliance/filing/{legal_entity}/pack.html": _staff(*COMPLIANCE),
    "POST /api/offices/{office_id}/notices": _staff(*COMPLIANCE),
    "POST /api/offices/{office_id}/notices/republish": _staff(*COMPLIANCE),
    "GET /api/offices/{office_id}/notices": _staff(*COMPLIANCE),
    "GET /api/notices/{notice_id}": _staff(*COMPLIANCE),
    "POST /api/notices/{notice_id}/publish": _staff(*COMPLIANCE),
    # the notices page (admin workspace): drafts, their check in words, publish, republish
    "GET /admin/notices": _staff(*COMPLIANCE),
    # distributors (报备) — their own channel only; no biometric field in these responses (C21)
    "POST /api/channels/{channel_id}/registrations": _channel(CHANNEL, MANAGERS),
    "GET /api/channels/{channel_id}/registrations": _channel(CHANNEL, DESK),
    "POST /api/channels/{channel_id}/agents": _channel(COMPANY, MANAGERS),
    "GET /api/statements/{statement_id}": _channel(COMPANY, FINANCE, "statement_id"),
    "POST /api/channels/{channel_id}/statements/{statement_id}/disputes":
        _channel(COMPANY, MANAGERS, "channel_id", "statement_id"),
    # visitor portal and distributor portal pages. /channel only sends
    # a channel account on to its own portal (staff get a page saying it is not for them); the
    # portal pages name their channel, so the policy scopes them, and no staff role opens them.
    "GET /me": PUBLIC,
    # HTTPS on the office network: the office CA's certificate is public (devices install it);
    # its page with the install steps is for those who set the tablets and PCs up
    "GET /tls/ca.crt": PUBLIC,
    "GET /admin/tls": _staff(R.reception, R.admin),
    "GET /channel": AUTHENTICATED,
    "GET /channel/{channel_id}": _channel(CHANNEL, ()),
    "GET /channel/{channel_id}/statements/{statement_id}":
        _channel(COMPANY, (), "channel_id", "statement_id"),
    "GET /api/channels/{channel_id}/statements": _channel(COMPANY, FINANCE),
    # offices and their legal entities (the controller every notice and receipt names)
    "GET /admin/offices": _staff(R.admin),
    "GET /api/admin/offices": _staff(R.admin), "POST /api/admin/offices": _staff(R.admin),
    "PATCH /api/admin/offices/{office_id}": _staff(R.admin),
    "GET /api/admin/legal-entities": _staff(R.admin),
    "POST /api/admin/legal-entities": _staff(R.admin),
    "PATCH /api/admin/legal-entities/{entity_id}": _staff(R.admin),
    # the admin workspace: its landing page, accounts (the same services as `keyuan user …`),
    # channels with their agents and agreements (what `keyuan attribution channel …` does)
    "GET /admin": _staff(R.admin),
    "GET /admin/accounts": _staff(R.admin),
    "GET /api/admin/accounts": _staff(R.admin), "POST /api/admin/accounts": _staff(R.admin),
    "PUT /api/admin/accounts/{username}/disabled": _staff(R.admin),
    "POST /api/admin/accounts/{username}/password-reset": _staff(R.admin),
    # paired kiosk devices (the pairing code is shown to the admin once; tokens never)
    "GET /admin/devices": _staff(R.admin), "POST /admin/devices/pairing": _staff(R.admin),
    "GET /api/admin/devices": _staff(R.admin),
    "POST /api/admin/devices/pairing-codes": _staff(R.admin),
    "POST /api/admin/devices/{device_id}/unpair": _staff(R.admin),
    "GET /admin/channels": _staff(R.admin),
    "GET /api/admin/channels": _staff(R.admin), "POST /api/admin/channels": _staff(R.admin),
    "PATCH /api/admin/channels/{channel_id}": _staff(R.admin),
    "PUT /api/admin/channels/{channel_id}/active": _staff(R.admin),
    "POST /api/admin/channels/{channel_id}/agents": _staff(R.admin),
    "PUT /api/admin/agents/{agent_id}/active": _staff(R.admin),
    # 渠道团队: the company reads its own tree (never another channel's); admin edits it;
    # the 报备 rules of a company or team move money: managers, like the office's rules
    "GET /api/channels/{channel_id}/teams": _channel(COMPANY, FINANCE),
    "POST /api/admin/channels/{channel_id}/teams": _staff(R.admin),
    "PUT /api/admin/teams/{team_id}/name": _staff(R.admin),
    "PUT /api/admin/teams/{team_id}/parent": _staff(R.admin),
    "PUT /api/admin/teams/{team_id}/active": _staff(R.admin),
    "PUT /api/admin/agents/{agent_id}/team": _staff(R.admin),
    "PUT /api/admin/teams/{team_id}/rules": _staff(*MANAGERS),
    "PUT /api/admin/channels/{channel_id}/rules": _staff(*MANAGERS),
    # attribution staff
    "POST /api/offices/{office_id}/channels": _staff(*MANAGERS),
    "GET /api/offices/{office_id}/attribution-rules": _staff(R.sales, R.signing, *FINANCE, *DESK),
    "PUT /api/offices/{office_id}/attribution-rules": _staff(*MANAGERS),
    # 风控报告: registrations and visits per channel, never biometric, never a channel role
    "GET /api/offices/{office_id}/risk-report": _staff(*FINANCE),
    "GET /api/offices/{office_id}/risk-thresholds": _staff(*FINANCE),
    "PUT /api/offices/{office_id}/risk-thresholds": _staff(*MANAGERS),  # audited
    "POST /api/registrations/{registration_id}/visit-confirmation": _staff(*DESK),
    # 扫码带访: the agent's one-time pass for its own channel's registration (no staff role asks
    # for one), its QR code for the portal, and reception's scan or typed code
    "POST /api/channels/{channel_id}/registrations/{registration_id}/escort-pass":
        _channel(CHANNEL, ()),
    "GET /api/channels/{channel_id}/escort-passes/{pass_id}/qr.svg": _channel(CHANNEL, ()),
    "POST /api/offices/{office_id}/reception/escorts": _staff(*DESK),
    # the reception workspace (前台工作台): today's visits with masked mobiles and how each was
    # established (no face image, score or biometric field), claims to confirm, and a check-in
    # on a visitor's behalf; its rights desk calls POST /api/rights/in-person
    "GET /reception": _staff(*RECEPTION),
    "GET /api/offices/{office_id}/reception/today": _staff(*RECEPTION),
    "GET /api/offices/{office_id}/reception/registrations": _staff(*RECEPTION),
    "POST /api/offices/{office_id}/reception/check-ins": _staff(*RECEPTION),
    # 置业顾问: reception's 轮排 queue and assignments (usernames, masked mobiles, no method on
    # the consultant's side); the consultant's own page (sales: its own visits and returns only)
    "GET /api/offices/{office_id}/consultants": _staff(*RECEPTION),
    "PUT /api/offices/{office_id}/consultants/{consultant_id}/away": _staff(*RECEPTION),
    "POST /api/offices/{office_id}/visits/{visit_id}/consultant": _staff(*RECEPTION),
    "PUT /api/offices/{office_id}/consultants/{consultant_id}/place": _staff(*RECEPTION),
    "POST /api/offices/{office_id}/visits/{visit_id}/consultant/reassign": _staff(*RECEPTION),
    "GET /consultant": _staff(R.sales, R.admin),
    "GET /api/consultant/today": _staff(R.sales, R.admin),
    "POST /api/visits/{visit_id}/corrections": _staff(*MANAGERS),
    "GET /api/offices/{office_id}/desk-notice": _staff(*SIGNING),
    "POST /api/offices/{office_id}/desk-consents": _staff(*SIGNING),
    "POST /api/offices/{office_id}/signings": _staff(*SIGNING, biometric=True),
    "GET /api/signings/{signing_id}": _staff(*SIGNING, biometric=True),
    "GET /api/offices/{office_id}/review-queue": _staff(*MANAGERS, biometric=True),
    "POST /api/signings/{signing_id}/review": _staff(*MANAGERS, biometric=True),
    # signing desk (签约核验): its pages, and sending an automatic decision to review
    "GET /desk/signing": _staff(*SIGNING, biometric=True),
    "GET /desk/signing/{signing_id}": _staff(*SIGNING, biometric=True),
    "POST /api/signings/{signing_id}/send-to-review": _staff(*SIGNING, biometric=True),
    # settlement (佣金结算)
    "POST /api/channels/{channel_id}/agreements": _staff(*FINANCE),
    "POST /api/channels/{channel_id}/statements": _staff(*FINANCE),
    "GET /api/statements/{statement_id}/export.csv": _staff(*FINANCE),
    "GET /api/statements/{statement_id}/print": _staff(*FINANCE),
    "GET /api/statements/{statement_id}/export.xlsx": _staff(*FINANCE),
    "GET /api/statements/{statement_id}/export.pdf": _staff(*FINANCE),
    "POST /api/statements/{statement_id}/approve": _staff(*FINANCE),
    "POST /api/statements/{statement_id}/paid": _staff(*FINANCE),
    "POST /api/statements/{statement_id}/void": _staff(*FINANCE),
    "POST /api/disputes/{dispute_id}/decision": _staff(*MANAGERS),
}
DENY = Rule(Kind.staff)  # no entry: nobody, not even admin


def route_key(method: str, path_template: str) -> str:
    return f"{'GET' if method == 'HEAD' else method} {path_template}"


def rule_for(method: str, path_template: str, policy: Mapping[str, Rule] = POLICY) -> Rule:
    return policy.get(route_key(method, path_template), DENY)


@dataclass(frozen=True)
class Decision:
    status: int  # 200 allowed, 401 log in first, 403 not for you
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.status == 200


ALLOW = Decision(200)


def decide(rule: Rule, who: Principal | None, channels: Iterable[str | None] = ()) -> Decision:
    """`channels`: the channel each `rule.via` parameter resolved to (None: not found)."""
    if rule.kind in (Kind.public, Kind.kiosk, Kind.visitor_token, Kind.camera_token):
        return ALLOW  # token kinds: the route (kiosk: the guard) checks its own token
    if who is None:
        return Decision(401, "log in first")
    if rule.kind is Kind.authenticated or who.role in rule.staff:
        return ALLOW
    if rule.kind is Kind.channel and who.role in rule.channel_roles:
        resolved = list(channels)
        if resolved and all(c is not None and c == who.channel_id for c in resolved):
            return ALLOW
        return Decision(403, "another channel's data")
    return Decision(403, f"not allowed for role {who.role.value}")
