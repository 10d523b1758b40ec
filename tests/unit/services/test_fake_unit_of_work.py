"""The fake keeps the `UnitOfWork` contract (services/ports.py), or the service tests prove
nothing: commit publishes, anything else is rolled back, hooks run after commit in order."""

from __future__ import annotations

import pytest

from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.person import Office, Person
from keyuan.services.fakes.store import FakeStore
from keyuan.services.fakes.uow import FakeUnitOfWork
from unit.services.harness import START


def _office() -> Office:
    return Office(id="o1", name="A", legal_entity="E")


def test_a_committed_write_is_seen_by_the_next_unit_of_work() -> None:
    fake = FakeUnitOfWork()
    with fake:
        fake.offices.add(_office())
        fake.commit()
    with fake:
        assert fake.offices.get("o1") is not None
    assert (fake.committed, fake.rolled_back) == (1, 1)


def test_a_write_without_commit_is_rolled_back() -> None:
    fake = FakeUnitOfWork()
    with fake:
        fake.offices.add(_office())
    with fake:
        assert fake.offices.get("o1") is None
    assert fake.committed == 0


def test_an_exception_rolls_back_even_a_change_to_a_loaded_object() -> None:
    fake = FakeUnitOfWork()
    with fake:
        fake.persons.add(Person(id="p1", created_at=START))
        fake.commit()
    with pytest.raises(RuntimeError, match="boom"), fake:
        person = fake.persons.get("p1")
        assert person is not None
        person.name = "王芳"
        raise RuntimeError("boom")
    with fake:
        reloaded = fake.persons.get("p1")
        assert reloaded is not None and reloaded.name is None


def test_a_change_to_a_loaded_object_is_written_at_commit() -> None:
    fake = FakeUnitOfWork()
    with fake:
        fake.persons.add(Person(id="p1", created_at=START))
        fake.commit()
    with fake:
        person = fake.persons.get("p1")
        assert person is not None
        person.minor = True
        fake.commit()
    assert fake.store.committed.persons["p1"].minor is True


def test_a_write_after_commit_in_the_same_block_is_not_committed() -> None:
    fake = FakeUnitOfWork()
    with fake:
        fake.offices.add(_office())
        fake.commit()
        fake.offices.add(Office(id="o2", name="B", legal_entity="E"))
    assert list(fake.store.committed.offices) == ["o1"]


def test_objects_returned_from_a_block_are_not_the_committed_rows() -> None:
    fake = FakeUnitOfWork()
    with fake:
        office = fake.offices.add(_office())
        fake.commit()
    office.name = "changed outside any unit of work"
    assert fake.store.committed.offices["o1"].name == "A"


def test_hooks_run_after_commit_in_the_order_given() -> None:
    fake = FakeUnitOfWork()
    seen: list[str] = []
    with fake:
        fake.offices.add(_office())
        fake.on_commit(lambda: seen.append(f"first saw {sorted(fake.store.committed.offices)}"))
        fake.on_commit(lambda: seen.append("second"))
        assert seen == []
        fake.commit()
    assert seen == ["first saw ['o1']", "second"]


def test_hooks_of_a_block_left_without_commit_never_run() -> None:
    fake = FakeUnitOfWork()
    seen: list[str] = []
    with fake:
        fake.on_commit(lambda: seen.append("ran"))
    with fake:
        fake.commit()
    assert seen == []


def test_a_unit_of_work_is_not_re_entrant() -> None:
    fake = FakeUnitOfWork()
    with fake, pytest.raises(RuntimeError, match="re-entrant"), fake:
        pass


def test_commit_outside_a_block_is_refused() -> None:
    with pytest.raises(RuntimeError, match="no unit of work is open"):
        FakeUnitOfWork().commit()


def test_units_of_work_on_one_store_see_only_each_others_commits() -> None:
    store = FakeStore()
    writer, reader = FakeUnitOfWork(store), FakeUnitOfWork(store)
    with writer:
        writer.offices.add(_office())
        with reader:
            assert reader.offices.get("o1") is None
        writer.commit()
    with reader:
        assert reader.offices.get("o1") is not None


def test_notices_get_increasing_integer_ids_and_the_newest_published_is_active() -> None:
    fake = FakeUnitOfWork()
    with fake:
        first = fake.notices.add(Notice(office_id="o1", language="zh-CN", version=1,
                                        content_hash="h1", published_at=START))
        second = fake.notices.add(Notice(office_id="o1", language="zh-CN", version=2,
                                         content_hash="h2", published_at=START))
        draft = fake.notices.add(Notice(office_id="o1", language="zh-CN", version=3))
        assert (first.id, second.id, draft.id) == (1, 2, 3)
        assert fake.notices.active("o1", "zh-CN") is second
        assert fake.notices.latest_version("o1", "zh-CN") == 3


def test_a_second_row_under_one_key_is_refused() -> None:
    fake = FakeUnitOfWork()
    with fake, pytest.raises(ValueError, match="duplicate key"):
        fake.offices.add(_office())
        fake.offices.add(_office())


def test_a_store_not_faked_yet_names_the_method_it_was_asked_for() -> None:
    fake = FakeUnitOfWork()
    with fake, pytest.raises(NotImplementedError, match=r"attribution\.registrations"):
        fake.attribution.registrations()
