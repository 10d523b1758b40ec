"""前台工作台: what reception reads — today's visits at its office (how each was established, the
masked mobile, first visit or return, the channel's 报备 it confirmed or that names the customer)
and the claims it looks up to confirm an escorted visit (到访确认).

No face image, template, score or distance is read here: a visit's method is all reception
needs to know about how it was established."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from keyuan.domain.attribution.registration import Registration
from keyuan.domain.checkin.person import Person
from keyuan.domain.checkin.visit import Visit, VisitMethod
from keyuan.domain.display import Window
from keyuan.domain.errors import ReceptionQueryInvalid
from keyuan.domain.mobile import mask_mobile
from keyuan.services.attribution.registration import confirmations
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.ports import Deps, UnitOfWork

_LAST_FOUR = re.compile(r"[0-9]{4}")
_MASKED = re.compile(r"(1[3-9][0-9])\*{4}([0-9]{4})")
_FULL = re.compile(r"1[3-9][0-9]{9}")
_REGISTRATION_ID = re.compile(r"[0-9a-f]{24}")


@dataclass(frozen=True)
class TodayVisit:
    """One row of reception's list. `reason`: why reception checked the visitor in on their
    behalf (`OnBehalfReason`), for `VisitMethod.RECEPTION` visits."""

    visit_id: str
    at: datetime
    method: str
    masked_mobile: str | None
    first_visit: bool
    channel: str | None
    registration_id: str | None
    reason: str | None
    consultant: str | None = None  # 置业顾问 assigned to this visit (username)


@dataclass(frozen=True)
class Today:
    office_id: str
    office_name: str
    window: Window
    visits: list[TodayVisit]


@dataclass(frozen=True)
class FoundRegistration:
    id: str
    channel: str
    customer_name: str
    masked_mobile: str
    created_at: datetime
    expected_visit_at: datetime | None
    confirmed_today: bool


def reception_office(wanted: str | None, deps: Deps) -> tuple[str, str]:
    """(id, name) of the office reception works for: the one asked for, else the first."""
    with deps.uow() as uow:
        office = office_or_first(uow, wanted)
        return office.id, office.name


def today(office_id: str, deps: Deps) -> Today:
    """Today's visits at the office (the local day, Asia/Shanghai), newest first."""
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)  # UnknownOffice
        window = Window.ending(deps.clock.now(), 1)
        visits = uow.visits.at_office_between(office.id, window.start, window.end)
        persons = _persons(uow, {v.person_id for v in visits if v.person_id is not None})
        earliest = set(uow.visits.firsts_at_office(office.id, persons).values())
        claims = uow.attribution.registrations_for(office.id, list(persons.values()))
        names = {c.id: c.name for c in uow.attribution.channels(office.id)}
        assigned = uow.consultants.of_visits([v.id for v in visits])
        rows = [replace(_row(v, persons.get(v.person_id or ""), earliest, claims, names, uow),
                        consultant=a.consultant if (a := assigned.get(v.id)) else None)
                for v in reversed(visits)]
        return Today(office.id, office.name, window, rows)


def _persons(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, Person]:
    found = (uow.persons.get(i) for i in ids)
    return {p.id: p for p in found if p is not None}


def _row(visit: Visit, person: Person | None, first: set[str], claims: list[Registration],
         names: dict[str, str], uow: UnitOfWork) -> TodayVisit:
    claim = _claim_of(visit, person, claims, uow)
    mobile = person.mobile if person is not None else None
    masked = mask_mobile(mobile) if mobile else None
    escort = visit.person_id is None  # 到访确认: on its claim, nobody kept on file for it
    if escort:
        checked = visit.evidence.get("mobile_checked")
        masked = str(checked) if checked else None
    return TodayVisit(
        visit_id=visit.id, at=visit.at, method=visit.method.value,
        masked_mobile=masked, first_visit=escort or visit.id in first,
        channel=names.get(claim.channel_id) if claim else None,
        registration_id=claim.id if claim else None,
        reason=str(visit.evidence.get("reason")) if visit.method is VisitMethod.RECEPTION
        else None)


def _claim_of(visit: Visit, person: Person | None, claims: list[Registration],
              uow: UnitOfWork) -> Registration | None:
    """The claim an escorted visit confirmed; else the latest claim made before the visit that
    could be about this person."""
    if visit.registration_id is not None:  # 到访确认: kept on its claim (`confirmations`)
        return uow.attribution.registration(visit.registration_id)
    if person is None:
        return None
    mine = [c for c in claims if c.created_at <= visit.at
            and c.may_be(name=person.name, mobile=person.mobile, mobile_hash=person.mobile_hash)]
    return max(mine, key=lambda c: c.created_at, default=None)


def find_registrations(office_id: str, query: str, deps: Deps) -> list[FoundRegistration]:
    """The office's claims reception may confirm: by the registration id, the last four digits
    of the mobile, the masked mobile (138****5678) or the full number; newest first, from the
    last protection period (older claims can no longer win). `ReceptionQueryInvalid` for
    anything else."""
    text = re.sub(r"[\s\-]", "", query or "")
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
        now = deps.clock.now()
        since = now - uow.attribution.rules(office.id).protection
        if _REGISTRATION_ID.fullmatch(text):
            one = uow.attribution.registration(text)
            found = [one] if one is not None and one.office_id == office.id else []
        else:
            prefix, suffix = _mobile_parts(text)
            found = [r for r in uow.attribution.registrations_ending(office.id, suffix, since)
                     if prefix is None or r.mobile_prefix == prefix]
        window = Window.ending(now, 1)
        confirmed = {claim for claim, visit in confirmations(uow, [r.id for r in found]).items()
                     if window.start <= visit.at < window.end}
        names = {c.id: c.name for c in uow.attribution.channels(office.id)}
        return [FoundRegistration(
            id=r.id, channel=names.get(r.channel_id, ""), customer_name=r.customer_name,
            masked_mobile=f"{r.mobile_prefix}****{r.mobile_suffix}", created_at=r.created_at,
            expected_visit_at=r.expected_visit_at, confirmed_today=r.id in confirmed)
            for r in found]


def _mobile_parts(text: str) -> tuple[str | None, str]:
    """(前三 or None, 后四) of what reception typed."""
    if _LAST_FOUR.fullmatch(text):
        return None, text
    masked = _MASKED.fullmatch(text)
    if masked:
        return masked.group(1), masked.group(2)
    if _FULL.fullmatch(text):
        return text[:3], text[-4:]
    raise ReceptionQueryInvalid()
