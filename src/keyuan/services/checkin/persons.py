"""A person for a mobile: the one lookup-or-create that every path storing a consenting
visitor's or a buyer's number goes through (kiosk SMS check-in, reception's 代登记, the
signing), and whether a person has a mobile on file."""

from __future__ import annotations

from datetime import datetime

from keyuan.domain.checkin.person import Person
from keyuan.services.ports import UnitOfWork


def person_for_mobile(uow: UnitOfWork, number: str, mobile_hash: str, *, name: str | None,
                      now: datetime) -> Person:
    """The person holding the number, else a new one with it (an upsert: a parallel first
    check-in of the same number is the same person). Call only once the number's holder has
    consented or signed: nothing is kept of anyone else (PIPL 13, 14)."""
    person = uow.persons.by_mobile_hash(mobile_hash)
    if person is not None:
        return person
    return new_person_with_mobile(uow, number, mobile_hash, name=name, now=now)


def new_person_with_mobile(uow: UnitOfWork, number: str, mobile_hash: str, *,
                           name: str | None, now: datetime) -> Person:
    """A new person holding the number (`Persons.add_with_mobile`: the holder already on file
    when a parallel request stored it first)."""
    person = Person.new(now=now, name=name)
    person.mobile, person.mobile_hash = number, mobile_hash
    return uow.persons.add_with_mobile(person)


def mobile_on_file(uow: UnitOfWork, person_id: str) -> bool:
    """Whether the person has a mobile on file: the rights portal can send them a code (else
    reception verifies them in person, `services.compliance.in_person`)."""
    person = uow.persons.get(person_id)
    return person is not None and bool(person.mobile)
