"""Every copy of the gallery follows the store (C6): withdrawal, deletion and purge reach each
process that holds one within a second, even while no frame arrives.

The vault keeps one gallery version, bumped in the same transaction as every template put or
delete (enrollment, re-derivation, withdrawal, erasure, retention purge — from the API, the CLI
or the scheduler alike). A process holding a gallery (`keyuan serve`, a `keyuan capture pull`)
runs a `GalleryFollower`: every half second it reads that one row and, when it moved, brings its
galleries to it — dropping what the store no longer holds and opening only the templates that
are new or re-sealed since (each row's seal is its nonce) — then tells its listeners (the
capture workers' shared-memory copy republishes, and the superseded segment is unlinked)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from keyuan.domain.checkin.consent import ATTRIBUTION
from keyuan.services.checkin.face_gate import gallery_models
from keyuan.services.faces.engine import FaceEngine, Template
from keyuan.services.faces.gallery import Gallery
from keyuan.services.ports import Deps, UnitOfWork

log = logging.getLogger(__name__)
FOLLOW_SECONDS = 0.5
"""How often a follower reads the version: a change reaches every copy within about this."""
WHOLE_READ_ABOVE = 500
"""More changed templates than this are read in one pass over the purpose's rows (no IN list)."""


@dataclass(frozen=True)
class GallerySync:
    """One sync: the store version reached, templates opened and dropped, the gallery's size."""

    version: int
    read: int
    dropped: int
    size: int


@dataclass(frozen=True)
class _Plan:
    engine: FaceEngine
    seals: dict[str, str]
    fresh: dict[str, Template]


def follow_gallery(deps: Deps, *, force: bool = False,
                   action: str = "gallery_followed") -> GallerySync | None:
    """One look at the store's gallery version (a one-row read); when it moved since these
    galleries were last synced (or `force`), bring every gallery of this process to it. Opening
    templates is audited (`action`). None when nothing moved."""
    state = deps.following
    with state.lock:
        engines = [deps.engine, *deps.legacy_engines] if deps.engine is not None else []
        with deps.uow() as uow:
            version = uow.vault.gallery_version()  # first: the rows read below are as new
            if version == state.version and not force:
                return None
            plans = [_plan(uow, engine, state.seals.get(engine.model.tag, {}))
                     for engine in engines]
            read = sum(len(plan.fresh) for plan in plans)
            if read or action != "gallery_followed":
                uow.audit.append(at=deps.clock.now(), actor="system", action=action,
                                 subject=None, detail=_detail(version, plans))
                uow.commit()
        dropped = 0 if engines else _apply(deps.gallery, {}, {})
        for plan in plans:
            gallery = (deps.gallery if plan.engine is deps.engine else
                       deps.legacy_galleries.setdefault(plan.engine.model.tag, Gallery()))
            dropped += _apply(gallery, plan.seals, plan.fresh)
            known = state.seals.get(plan.engine.model.tag, {})
            state.seals[plan.engine.model.tag] = {  # a row that changed mid-read: next look
                key: seal for key, seal in plan.seals.items()
                if key in plan.fresh or (known.get(key) == seal and key in gallery)}
        state.version = version
        return GallerySync(version, read, dropped, len(deps.gallery))


def _plan(uow: UnitOfWork, engine: FaceEngine, known: dict[str, str]) -> _Plan:
    models = gallery_models(engine)
    seals = uow.vault.seals(purpose=ATTRIBUTION, models=models)
    changed = {key for key, seal in seals.items() if known.get(key) != seal}
    fresh: dict[str, Template] = {}
    if changed:
        among = None if len(changed) > WHOLE_READ_ABOVE else changed
        fresh = {key: template for key, template
                 in uow.vault.all(purpose=ATTRIBUTION, models=models, among=among)
                 if key in changed}
    return _Plan(engine, seals, fresh)


def _apply(gallery: Gallery, seals: dict[str, str], fresh: dict[str, Template]) -> int:
    """Drop what the store no longer holds, put what is new or re-sealed. Returns how many
    templates were dropped."""
    dropped = sum(gallery.discard(key) for key in [k for k in gallery if k not in seals])
    if fresh:
        gallery.put_many(list(fresh), np.stack(list(fresh.values())))
    return dropped


def _detail(version: int, plans: list[_Plan]) -> dict[str, object]:
    return {"version": version, "templates": sum(len(p.seals) for p in plans),
            "read": sum(len(p.fresh) for p in plans),
            "models": {p.engine.model.tag: len(p.seals) for p in plans}}


class GalleryFollower:
    """Runs `follow_gallery` every `interval` seconds in a daemon thread, and after each sync
    calls the listeners (e.g. the capture runtime republishing the workers' copy). A failed
    look (the store away) is logged by type and retried; the thread never dies of it. `check`
    is one look (tests call it directly). `keyuan serve` and `keyuan capture pull` start it."""

    def __init__(self, deps: Deps, *, interval: float = FOLLOW_SECONDS) -> None:
        self._deps = deps
        self.interval = interval
        self._listeners: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def check(self) -> GallerySync | None:
        synced = follow_gallery(self._deps)
        if synced is not None:
            for listener in self._listeners:
                listener()
        return synced

    def start(self) -> GalleryFollower:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="keyuan-gallery-follower",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception as exc:  # the follower must outlive a store that is away
                log.error("gallery follow failed (%s); retrying", type(exc).__name__)
            self._stop.wait(self.interval)
