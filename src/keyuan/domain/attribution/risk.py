"""风控报告: signals that a channel is gaming the 判客 rules, from registrations (报备), visits
and signings only — never a template, a face score or any other biometric field.

Each rule reads small frozen rows (`Claim`, `Arrival`) and answers `Signal`s per channel (and
agent where one is named), with a count and a few examples (registration id, masked mobile,
times). Thresholds are `RiskThresholds`, each office's own or the defaults. A masked claim
(前三后四) is about a number only as `Registration.may_be` says: the same 前三后四 and, when both
sides have a name, the same name — a masked number alone could be anyone. Rules look numbers up
by index (hash, or 前三后四), never pair every claim with every row. Pure: no clock, no store —
the window and the office's `AttributionRules` are passed in; a claim whose company or team set
its own validity or protection (渠道团队) carries them (`Claim.rules`), and is judged by them,
as the signing and the portal judge it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.errors import InvalidThresholds

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
            low, high = threshold_bounds(name)
            if type(value) is not int or not low <= value <= high:
                raise InvalidThresholds(f"{name} must be a whole number {low}..{high}.",
                                        field=name)

    def changed(self, **values: int) -> RiskThresholds:
        """These thresholds with some changed (validated); an unknown name is refused."""
        unknown = sorted(set(values) - set(THRESHOLD_NAMES))
        if unknown:
            raise InvalidThresholds(f"No risk threshold is called {unknown[0]}.", field=unknown[0])
        return RiskThresholds(**{**vars(self), **values})


THRESHOLD_NAMES = tuple(f.name for f in fields(RiskThresholds))


@dataclass(frozen=True)
class OfficeThresholds:
    """The thresholds an office set for itself, by whom and when (none: the defaults)."""

    thresholds: RiskThresholds
    set_at: datetime
    set_by: str


def threshold_bounds(name: str) -> tuple[int, int]:
    """The whole numbers a threshold may take: a share is a percent."""
    return 1, 100 if name.endswith("share") else 10_000


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
    team_id: str | None = None  # the agent's team when the claim was made
    rules: AttributionRules | None = None  # its own (team's or company's); None: the office's

    @property
    def masked_mobile(self) -> str:
        return f"{self.prefix}****{self.suffix}"

    def rules_or(self, office: AttributionRules) -> AttributionRules:
        return self.rules or office


@dataclass(frozen=True)
class Arrival:
    """One visit at the office: whose number (hash, and 前三后四 for masked claims), when, and
    the registration an escort confirmed (None for the customer's own visit)."""

    mobile_hash: str | None
    prefix: str
    suffix: str
    at: datetime
    registration_id: str | None = None
    name: str | None = None  # the person's name on file, if they gave one


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


def _name_fits(claim: Claim, name: str | None) -> bool:
    """As `Registration.may_be`: a masked claim fits a person with the same name, or none."""
    return not name or name.strip() == claim.customer_name


def _same_customer(x: Claim, y: Claim) -> bool:
    """As `Registration.same_customer`: full numbers by hash, else 前三后四 and the same name."""
    if x.mobile_hash is not None and y.mobile_hash is not None:
        return x.mobile_hash == y.mobile_hash
    return (x.prefix, x.suffix, x.customer_name) == (y.prefix, y.suffix, y.customer_name)


class _Visits:
    """The office's visits by number: a full claim finds its customer's by hash, a masked one
    by 前三后四 and name (`_name_fits`)."""

    def __init__(self, arrivals: Iterable[Arrival]) -> None:
        self.by_hash: dict[str, list[Arrival]] = defaultdict(list)
        self.by_mask: dict[tuple[str, str], list[Arrival]] = defaultdict(list)
        for a in arrivals:
            if a.mobile_hash is not None:
                self.by_hash[a.mobile_hash].append(a)
            self.by_mask[a.prefix, a.suffix].append(a)

    def of(self, claim: Claim) -> list[Arrival]:
        if claim.mobile_hash is not None:
            return self.by_hash.get(claim.mobile_hash, [])
        return [a for a in self.by_mask.get((claim.prefix, claim.suffix), ())
                if _name_fits(claim, a.name)]


def _by_mask(claims: Iterable[Claim]) -> dict[tuple[str, str], list[Claim]]:
    out: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for c in claims:
        out[c.prefix, c.suffix].append(c)  # a full number's 前三后四 too: one index for both
    return out


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


def protection_end(claim: Claim, arrivals: Sequence[Arrival] | _Visits,
                   rules: AttributionRules) -> datetime:
    """When the claim stops protecting: its validity lapses without a visit, else the
    protection period runs from the first visit inside the validity."""
    own = claim.rules_or(rules)
    lapse = claim.created_at + own.registration_valid
    found = arrivals.of(claim) if isinstance(arrivals, _Visits) else _Visits(arrivals).of(claim)
    visits = [a.at for a in found if claim.created_at <= a.at <= lapse]
    return min(visits) + own.protection if visits else lapse


def never_visited(claims: Sequence[Claim], arrivals: Sequence[Arrival], t: RiskThresholds,
                  rules: AttributionRules, now: datetime) -> list[Signal]:
    """Many registrations whose customer never came while the claim was valid (刷报备)."""
    def lapse(c: Claim) -> datetime:
        return c.created_at + c.rules_or(rules).registration_valid

    decided = [c for c in _live(claims) if lapse(c) <= now]
    visits = _Visits(arrivals)
    out = []
    for rows in _group((c, None) for c in decided).values():
        missed = [(c, lapse(c)) for c, _ in rows
                  if not any(c.created_at <= a.at <= lapse(c) for a in visits.of(c))]
        if len(missed) >= t.never_visited_min and \
                100 * len(missed) >= t.never_visited_share * len(rows):
            out.append(_signal(NEVER_VISITED, missed))
    return out


def after_own_visit(claims: Sequence[Claim], arrivals: Sequence[Arrival], t: RiskThresholds
                    ) -> list[Signal]:
    """报备 minutes after the customer came on their own (截客 / 先到访后报备)."""
    gap = timedelta(minutes=t.after_visit_minutes)
    visits = _Visits(arrivals)
    hits = []
    for c in claims:
        own = [a.at for a in visits.of(c) if a.registration_id is None
               and c.created_at - gap <= a.at <= c.created_at]
        if own:
            hits.append((c, max(own)))
    return [_signal(AFTER_OWN_VISIT, rows, by_agent=True)
            for rows in _group(hits, by_agent=True).values() if len(rows) >= t.after_visit_min]


def across_projects(claims: Sequence[Claim], elsewhere: Sequence[Claim], t: RiskThresholds
                    ) -> list[Signal]:
    """One agent (same channel and agent name) registering the same customers at other
    projects: full numbers by hash, masked ones by 前三后四 and name (`_same_customer`)."""
    there = _by_mask(elsewhere)
    hits = []
    for c in claims:
        if c.agent_name is None:
            continue
        other = [o.created_at for o in there.get((c.prefix, c.suffix), ())
                 if o.office_id != c.office_id and o.agent_name == c.agent_name
                 and o.channel_name == c.channel_name and _same_customer(o, c)]
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
            if at is not None
            and at >= c.created_at + c.rules_or(rules).registration_valid - window]
        if len(late) >= t.expiry_min and 100 * len(late) >= t.expiry_share * len(rows):
            out.append(_signal(ESCORTS_BEFORE_EXPIRY, late))
    return out


def masked_collisions(claims: Sequence[Claim], arrivals: Sequence[Arrival],
                      t: RiskThresholds, on_file: Sequence[Claim] | None = None
                      ) -> list[Signal]:
    """Masked claims (前三后四) that could be several different full numbers on file: visitors'
    numbers and full-number claims (`on_file`, else `claims`) with its 前三后四 and its name (or,
    for a visitor, no name). Evident when the last of the first `masked_numbers_min` numbers
    appeared."""
    visits = _Visits(arrivals)
    claimed = _by_mask(c for c in (claims if on_file is None else on_file)
                       if c.mobile_hash is not None)
    hits: list[tuple[Claim, datetime | None]] = []
    for c in claims:
        if c.mobile_hash is not None:
            continue
        first: dict[str, datetime] = {}
        seen = [(a.mobile_hash, a.at) for a in visits.of(c) if a.mobile_hash is not None] + [
            (o.mobile_hash, o.created_at) for o in claimed.get((c.prefix, c.suffix), ())
            if o.mobile_hash is not None and o.customer_name == c.customer_name]
        for number, at in seen:
            first[number] = min(at, first.get(number, at))
        if len(first) >= t.masked_numbers_min:
            hits.append((c, sorted(first.values())[t.masked_numbers_min - 1]))
    return [_signal(MASKED_COLLISION, rows, by_agent=True)
            for rows in _group(hits, by_agent=True).values() if len(rows) >= t.masked_min]


def reregistered(claims: Sequence[Claim], earlier: Sequence[Claim], arrivals: Sequence[Arrival],
                 t: RiskThresholds, rules: AttributionRules) -> list[Signal]:
    """A customer registered again by the same channel right after its protection ended."""
    soon = timedelta(hours=t.reregister_within_hours)
    visits, before = _Visits(arrivals), _by_mask(earlier)
    hits = []
    for c in claims:
        ends = [protection_end(p, visits, rules) for p in before.get((c.prefix, c.suffix), ())
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
    office's claims before and in the window (for re-registrations and the full numbers on
    file), `arrivals` its visits, `elsewhere` other offices' claims with the same 前三后四."""
    t = thresholds
    signals = [*never_visited(claims, arrivals, t, rules, now),
               *after_own_visit(claims, arrivals, t),
               *across_projects(claims, elsewhere, t),
               *escorts_before_expiry(claims, arrivals, t, rules),
               *masked_collisions(claims, arrivals, t, on_file=history),
               *reregistered(claims, history, arrivals, t, rules)]
    return sorted(signals, key=lambda s: (s.channel_name, RULES.index(s.rule), s.agent_name or ""))


def evident_since(signals: Iterable[Signal], since: datetime) -> list[Signal]:
    """The signals that became evident at or after `since` (the dashboard's daily alert)."""
    return [s for s in signals if s.last_at >= since]
