"""The unit of work on each store: nothing survives without commit; hooks run only on commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from keyuan.domain.checkin.person import Person
from keyuan.domain.compliance.audit import chain_problems

if TYPE_CHECKING:
    from .conftest import Kiosk


class Boom(Exception):
    pass


def test_a_person_added_without_commit_is_rolled_back(store_kiosk: Kiosk) -> None:
    deps = store_kiosk.deps
    with deps.uow() as uow:
        person = uow.persons.add(Person.new(now=deps.clock.now(), name="王五"))
        assert uow.persons.get(person.id) is not None  # visible inside the transaction

    with deps.uow() as uow:
        assert uow.persons.get(person.id) is None


def test_a_committed_person_is_there_in_the_next_unit_of_work(store_kiosk: Kiosk) -> None:
    deps = store_kiosk.deps
    with deps.uow() as uow:
        person = uow.persons.add(Person.new(now=deps.clock.now(), name="王五"))
        uow.commit()

    with deps.uow() as uow:
        found = uow.persons.get(person.id)
        assert found is not None
        assert found.name == "王五"
        assert found.created_at == deps.clock.now()
        assert found.created_at.tzinfo is not None


def test_an_exception_inside_the_block_rolls_back(store_kiosk: Kiosk) -> None:
    deps = store_kiosk.deps
    with pytest.raises(Boom), deps.uow() as uow:
        person = uow.persons.add(Person.new(now=deps.clock.now()))
        raise Boom

    with deps.uow() as uow:
        assert uow.persons.get(person.id) is None


def test_after_commit_hooks_run_on_commit_only(store_kiosk: Kiosk) -> None:
    deps = store_kiosk.deps
    ran: list[str] = []

    with deps.uow() as uow:
        uow.on_commit(lambda: ran.append("left without commit"))
    with pytest.raises(Boom), deps.uow() as uow:
        uow.on_commit(lambda: ran.append("failed"))
        raise Boom
    assert ran == []

    with deps.uow() as uow:
        uow.on_commit(lambda: ran.append("committed"))
        assert ran == []
        uow.commit()
        assert ran == ["committed"]

    with deps.uow() as uow:
        uow.commit()
    assert ran == ["committed"]  # hooks do not leak into the next unit of work


def test_objects_read_in_a_unit_of_work_stay_usable_after_it(store_kiosk: Kiosk) -> None:
    deps = store_kiosk.deps
    with deps.uow() as uow:
        person = uow.persons.add(Person.new(now=deps.clock.now(), name="赵六"))
        uow.commit()
    with deps.uow() as uow:
        loaded = uow.persons.get(person.id)

    assert loaded is not None
    assert loaded.name == "赵六"


def test_audit_entries_appended_in_one_unit_of_work_chain_and_survive_a_reload(
    store_kiosk: Kiosk,
) -> None:
    deps = store_kiosk.deps
    with deps.uow() as uow:
        uow.audit.append(at=deps.clock.now(), actor="test", action="a", subject=None,
                         detail={"distance": 0.1234, "matched": False, "名": "值"})
        uow.audit.append(at=deps.clock.now(), actor="test", action="b", subject="p")
        uow.commit()
    with deps.uow() as uow:
        uow.audit.append(at=deps.clock.now(), actor="test", action="rolled back", subject=None)

    with deps.uow() as uow:
        events = uow.audit.all()

    assert [e.action for e in events][-2:] == ["a", "b"]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert chain_problems(events) == []
