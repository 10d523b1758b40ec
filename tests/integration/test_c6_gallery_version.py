"""C6 on each store (SQLite and PostgreSQL): the vault's gallery version moves with every
committed template change and only then, once per transaction, exactly once each under
parallel writers; a second app on the same store (another process's gallery) follows a
withdrawal and a retention purge by itself, with no frame and no restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from keyuan.domain.checkin.consent import ATTRIBUTION
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin.setup import load_gallery
from keyuan.services.compliance.retention import purge
from keyuan.services.faces.engine import TEMPLATE_DIM
from keyuan.services.ports import UnitOfWork

if TYPE_CHECKING:
    from .conftest import Kiosk

ALICE = (200, 150, 120)
BOB = (90, 160, 200)
PARALLEL = 12


def version(k: Kiosk) -> int:
    with k.deps.uow() as uow:
        return uow.vault.gallery_version()


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_c6_the_version_moves_once_per_committed_template_change(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    start = version(k)
    alice = k.new_face_visitor(ALICE)
    bob = k.new_face_visitor(BOB)
    assert version(k) == start + 2
    with k.deps.uow() as uow:  # deleted, never committed
        uow.vault.delete(alice.consent.person_id)
    with k.deps.uow() as uow:  # committed, no template touched
        uow.audit.append(at=k.clock.now(), actor="test", action="noted", subject=None,
                         detail={})
        uow.commit()
    assert version(k) == start + 2

    consent_service.withdraw(alice.consent.id, k.deps)
    assert version(k) == start + 3
    k.clock.advance(days=400)  # bob's template outlives its purpose: one purge, one step
    report = purge(k.deps)
    assert bob.consent.person_id in report.templates
    assert version(k) == start + 4


def test_c6_parallel_template_changes_raise_the_version_exactly_once_each(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    rng = np.random.default_rng(6)
    held = [f"p_held_{n}" for n in range(PARALLEL)]
    with k.deps.uow() as uow:
        for key in held:
            _put(uow, key, rng, k)
        uow.commit()
    start = version(k)
    gate = threading.Barrier(2 * PARALLEL)
    failures: list[BaseException] = []

    def change(n: int) -> None:
        try:
            gate.wait()
            with k.deps.uow() as uow:
                if n < PARALLEL:
                    assert uow.vault.delete(held[n])
                else:
                    _put(uow, f"p_new_{n}", np.random.default_rng(n), k)
                uow.commit()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=change, args=(n,)) for n in range(2 * PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert version(k) == start + 2 * PARALLEL


def test_c6_another_process_gallery_follows_a_withdrawal_and_a_purge_by_itself(
    make_kiosk: Callable[..., Kiosk], store_url: str,
) -> None:
    here = make_kiosk(store_url)
    alice, bob = here.new_face_visitor(ALICE), here.new_face_visitor(BOB)
    there = make_kiosk(store_url)  # a second app on the same store: another process's copy
    assert load_gallery(there.deps) == 2
    there.app.follower.interval = 0.05
    there.app.follower.start()

    consent_service.withdraw(alice.consent.id, here.deps)
    wait_until(lambda: alice.consent.person_id not in there.deps.gallery)
    assert set(there.deps.gallery) == {bob.consent.person_id}

    here.clock.advance(days=400)
    purge(here.deps)
    wait_until(lambda: len(there.deps.gallery) == 0)
    assert there.deps.following.version == version(here)


def _put(uow: UnitOfWork, key: str, rng: np.random.Generator, k: Kiosk) -> None:
    """A template of nobody in particular (the vault does not check the consent id)."""
    assert k.deps.engine is not None
    vector = rng.normal(size=TEMPLATE_DIM).astype(np.float32)
    uow.vault.put(key, vector / np.linalg.norm(vector), purpose=ATTRIBUTION,
                  consent_id=f"c_{key}", model=k.deps.engine.model.tag, now=k.clock.now())
