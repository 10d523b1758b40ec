"""风控报告: signals that a channel is gaming the 判客 rules, from registrations (报备), visits
and signings only — never a template, a face score or any other biometric field.

Each rule reads small frozen rows (`Claim`, `Arrival`) and answers `Signal`s per channel (and
agent where one is named), with a count and a few examples (registration id, masked mobile,
times). Thresholds are `RiskThresholds`; the defaults apply to every office (no per-office
table yet). Pure: no clock, no store — the window and the office's `AttributionRules` are
passed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.errors import InvalidRegistration

NEVER_VISITED = "never_visited"
AFTER_OWN_VISIT = "after_own_visit"
ACROSS_PROJECTS = "across_projects"
ESCORTS_BEFORE_EXPIRY = "escorts_before_expiry"
MASKED_COLLISION = "masked_collision"
REREGISTERED = "reregistered_after_expiry"
RULES = (NEVER_VISITED, AFTER_OWN_VISIT, ACROSS_PROJECTS, ESCORTS_BEFORE_EXPIRY,
         MASKED_COLLISION, REREGISTERED)
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class RiskThresholds:
    """When a pattern becomes a signal. Defaults are conservative: an honest channel's
    ordinary month raises none of them."""

    never_visited_min: int = 5  # registrations that never visited, at least…
    never_visited_share: int = 60  # …and at least this percent of the channel's registrations
    after_visit_minutes: int = 120  # 报备 within this long after the customer's own visit
    after_visit_min: int = 1
    across_projects_min: int = 3  # mobiles one agent also registered at another project
    expiry_last_hours: int = 6  # escorted in the last hours before the registration lapses…
    expiry_min: int = 3  # …at least this many…
    expiry_share: int = 50  # …and this percent of the channel's escorted visits
    masked_numbers_min: int = 2  # full numbers one masked claim could be
    masked_min: int = 1
    reregister_within_hours: int = 24  # registered again this soon after protection ended
    reregister_min: int = 2

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            high = 100 if name.endswith("share") else 10_000
            if not isinstance(value, int) or not 1 <= value <= high:
                raise InvalidRegistration(f"{name} must be a whole number 1..{high}.")


@dataclass(frozen=True)
class Claim:
    """One registration as the report reads it (full numbers by hash only)."""

    id: str
    office_id: str
    channel_id: str
    channel_name: str
    agent_id: str | None
    agent_name: str | None
    customer_name: str
    prefix: str
    suffix: str
    mobile_hash: str | None
    created_at: datetime
    conflict: str | None = None

    @property
    def masked_mobile(self) -> str:
        return f"{self.prefix}****{self.suffix}"


@dataclass(frozen=True)
class Arrival:
    """One visit at the office: whose number (hash, and 前三后四 for masked claims), when, and
    the registration an escort confirmed (None for the customer's own visit)."""

    mobile_hash: str | None
    prefix: str
    suffix: str
    at: datetime
    registration_id: str | None = None


@dataclass(frozen=True)
class Example:
    registration_id: str
    masked_mobile: str
    registered_at: datetime
    related_at: datetime | None = None  # the visit, escort or earlier protection end


@dataclass(frozen=True)
class Signal:
    rule: str
    channel_id: str
    channel_name: str
    agent_id: str | None
    agent_name: str | None
    count: int
    examples: tuple[Example, ...]
    last_at: datetime  # when it last became evident (for "today's alerts")


def _of(claim: Claim, a: Arrival) -> bool:
    if claim.mobile_hash is not None:
        return a.mobile_hash == claim.mobile_hash
    return (a.prefix, a.suffix) == (claim.prefix, claim.suffix)


def _same_customer(x: Claim, y: Claim) -> bool:
    if x.mobile_hash is not None and y.mobile_hash is not None:
        return x.mobile_hash == y.mobile_hash
    return (x.prefix, x.suffix, x.customer_name) == (y.prefix, y.suffix, y.customer_name)


def _signal(rule: str, hits: Sequence[tuple[Claim, datetime | None]], *,
            by_agent: bool = False) -> Signal:
    first = hits[0][0]
    ordered = sorted(hits, key=lambda h: (h[0].created_at, h[0].id))
    return Signal(rule, first.channel_id, first.channel_name,
                  first.agent_id if by_agent else None, first.agent_name if by_agent else None,
                  len(hits), tuple(Example(c.id, c.masked_mobile, c.created_at, at)
                                   for c, at in ordered[-MAX_EXAMPLES:]),
                  max(c.created_at if at is None else max(c.created_at, at) for c, at in hits))


def _group(hits: Iterable[tuple[Claim, datetime | None]], *, by_agent: bool = False
           ) -> dict[tuple[str, str | None], list[tuple[Claim, datetime | None]]]:
    out: dict[tuple[str, str | None], list[tuple[Claim, datetime | None]]] = defaultdict(list)
    for claim, at in hits:
        out[claim.channel_id, claim.agent_id if by_agent else None].append((claim, at))
    return out


def _live(claims: Iterable[Claim]) -> list[Claim]:
    return [c for c in claims if c.conflict is None]


def protection_end(claim: Claim, arrivals: Sequence[Arrival], rules: AttributionRules
                   ) -> datetime:
    """When the claim stops protecting: its validity lapses without a visit, else the
    protection period runs from the first visit inside the validity."""
    lapse = claim.created_at + rules.registration_valid
    visits = [a.at for a in arrivals if _of(claim, a) and claim.created_at <= a.at <= lapse]
    return min(visits) + rules.protection if visits else lapse


def never_visited(claims: Sequence[Claim], arrivals: Sequence[Arrival], t: RiskThresholds,
                  rules: AttributionRules, now: datetime) -> list[Signal]:
    """Many registrations whose customer never came while the claim was valid (刷报备)."""
    decided = [c for c in _live(claims) if c.created_at + rules.registration_valid <= now]
    out = []
    for rows in _group((c, None) for c in decided).values():
        missed = [(c, c.created_at + rules.registration_valid) for c, _ in rows if not any(
            _of(c, a) and c.created_at <= a.at <= c.created_at + rules.registration_valid
            for a in arrivals)]
        if len(missed) >= t.never_visited_min and \
                100 * len(missed) >= t.never_visited_share * len(rows):
            out.append(_signal(NEVER_VISITED, missed))
    return out


def after_own_visit(claims: Sequence[Claim], arrivals: Sequence[Arrival], t: RiskThresholds
                    ) -> list[Signal]:
    """报备 minutes after the customer came on their own (截客 / 先到访后报备)."""
    gap = timedelta(minutes=t.after_visit_minutes)
    hits = []
    for c in claims:
        own = [a.at for a in arrivals if a.registration_id is None and _of(c, a)
               and c.created_at - gap <= a.at <= c.created_at]
        if own:
            hits.append((c, max(own)))
    return [_signal(AFTER_OWN_VISIT, rows, by_agent=True)
            for rows in _group(hits, by_agent=True).values() if len(rows) >= t.after_visit_min]


def across_projects(claims: Sequence[Claim], elsewhere: Sequence[Claim], t: RiskThresholds
                    ) -> list[Signal]:
    """One agent (same channel and agent name) registering the same mobiles at other projects."""
    hits = []
    for c in claims:
        if c.agent_name is None or c.mobile_hash is None:
            continue
        other = [o.created_at for o in elsewhere if o.office_id != c.office_id
                 and o.mobile_hash == c.mobile_hash and o.agent_name == c.agent_name
                 and o.channel_name == c.channel_name]
        if other:
            hits.append((c, min(other)))
    return [_signal(ACROSS_PROJECTS, rows, by_agent=True) for rows in
            _group(hits, by_agent=True).values() if len(rows) >= t.across_projects_min]


def escorts_before_expiry(claims: Sequence[Claim], arrivals: Sequence[Arrival],
                          t: RiskThresholds, rules: AttributionRules) -> list[Signal]:
    """Escorted visits clustered just before the registration would lapse (卡点带访)."""
    by_id = {c.id: c for c in claims}
    escorted = [(by_id[a.registration_id], a.at) for a in arrivals
                if a.registration_id in by_id]
    window = timedelta(hours=t.expiry_last_hours)
    out = []
    for rows in _group(escorted).values():
        late: list[tuple[Claim, datetime | None]] = [
            (c, at) for c, at in rows
            if at is not None and at >= c.created_at + rules.registration_valid - window]
        if len(late) >= t.expiry_min and 100 * len(late) >= t.expiry_share * len(rows):
            out.append(_signal(ESCORTS_BEFORE_EXPIRY, late))
    return out


def masked_collisions(claims: Sequence[Claim], arrivals: Sequence[Arrival],
                      t: RiskThresholds) -> list[Signal]:
    """Masked claims (前三后四) that could be several different full numbers on file."""
    known: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a in arrivals:
        if a.mobile_hash is not None:
            known[a.prefix, a.suffix].add(a.mobile_hash)
    for c in claims:
        if c.mobile_hash is not None:
            known[c.prefix, c.suffix].add(c.mobile_hash)
    hits: list[tuple[Claim, datetime | None]] = [
        (c, None) for c in claims
        if c.mobile_hash is None and len(known[c.prefix, c.suffix]) >= t.masked_numbers_min]
    return [_signal(MASKED_COLLISION, rows, by_agent=True)
            for rows in _group(hits, by_agent=True).values() if len(rows) >= t.masked_min]


def reregistered(claims: Sequence[Claim], earlier: Sequence[Claim], arrivals: Sequence[Arrival],
                 t: RiskThresholds, rules: AttributionRules) -> list[Signal]:
    """A customer registered again by the same channel right after its protection ended."""
    soon = timedelta(hours=t.reregister_within_hours)
    hits = []
    for c in claims:
        ends = [protection_end(p, arrivals, rules) for p in earlier
                if p.id != c.id and p.channel_id == c.channel_id and p.conflict is None
                and p.created_at < c.created_at and _same_customer(p, c)]
        if any(end <= c.created_at <= end + soon for end in ends):
            hits.append((c, max(e for e in ends if e <= c.created_at)))
    return [_signal(REREGISTERED, rows) for rows in _group(hits).values()
            if len(rows) >= t.reregister_min]


def risk_signals(claims: Sequence[Claim], *, history: Sequence[Claim],
                 arrivals: Sequence[Arrival], elsewhere: Sequence[Claim],
                 thresholds: RiskThresholds, rules: AttributionRules, now: datetime
                 ) -> list[Signal]:
    """Every signal over `claims` (the window's registrations at one office). `history` is the
    office's claims before and in the window (for re-registrations), `arrivals` its visits,
    `elsewhere` other offices' claims on the same numbers."""
    t = thresholds
    signals = [*never_visited(claims, arrivals, t, rules, now),
               *after_own_visit(claims, arrivals, t),
               *across_projects(claims, elsewhere, t),
               *escorts_before_expiry(claims, arrivals, t, rules),
               *masked_collisions(claims, arrivals, t),
               *reregistered(claims, history, arrivals, t, rules)]
    return sorted(signals, key=lambda s: (s.channel_name, RULES.index(s.rule), s.agent_name or ""))
