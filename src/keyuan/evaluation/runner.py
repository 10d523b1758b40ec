"""Embed many public test photos: cache first, the rest on worker processes (two by default),
with a progress bar. Ctrl-C stops cleanly; entries already written stay, so a rerun resumes."""

from __future__ import annotations

import signal
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import closing
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tqdm import tqdm

from keyuan.adapters.biometrics.engines import make_engine, single_threaded_worker
from keyuan.config.face import FaceSettings
from keyuan.domain.errors import KeyuanError
from keyuan.evaluation.cache import TemplateCache, file_digest, settings_fingerprint
from keyuan.evaluation.faces import FaceRecord, record_from_bytes
from keyuan.services.faces.engine import FaceEngine

DEFAULT_WORKERS = 2
Done = tuple[Path, str, FaceRecord]


class PhotoMissing(KeyuanError):
    code, status, default_message = "photo_missing", 404, "A photo named by the pairs is missing."


class EvaluationInterrupted(KeyuanError):
    code, status = "evaluation_interrupted", 499
    default_message = "Interrupted; cached templates are kept, so a rerun resumes."


@dataclass(frozen=True)
class EmbedOptions:
    settings: FaceSettings
    """Face settings; `settings.engine` is the engine that makes the templates."""
    cache_dir: Path | None
    workers: int = DEFAULT_WORKERS
    progress: bool = True
    whole_crop_fallback: bool = True


def embed_photos(paths: Sequence[Path], options: EmbedOptions) -> dict[Path, FaceRecord]:
    """A record for every distinct path. Raises `PhotoMissing` before any work when a file is
    absent, `EvaluationInterrupted` on Ctrl-C (after keeping what is done)."""
    unique = sorted(set(paths))
    missing = [p for p in unique if not p.is_file()]
    if missing:
        raise PhotoMissing(f"{len(missing)} photo(s) missing, e.g. {missing[0]}",
                           missing=len(missing))
    cache = None
    if options.cache_dir is not None:
        fingerprint = settings_fingerprint(options.settings, options.whole_crop_fallback,
                                           model_tag=make_engine(options.settings).model.tag)
        cache = TemplateCache(options.cache_dir, fingerprint)
    records, todo = _split_cached(unique, cache)
    work = _compute(todo, options, already=len(records), total=len(unique))
    try:
        with closing(work):  # on Ctrl-C the pool is shut down before the error leaves
            for path, digest, record in work:
                if cache is not None:
                    cache.put(digest, record)
                records[path] = record
    except KeyboardInterrupt as exc:
        raise EvaluationInterrupted(
            f"Interrupted after {len(records)} of {len(unique)} photos; the templates done so far"
            " are cached, so the same command resumes.", done=len(records), total=len(unique),
        ) from exc
    return records


def _split_cached(paths: Sequence[Path], cache: TemplateCache | None,
                  ) -> tuple[dict[Path, FaceRecord], list[tuple[Path, str]]]:
    """(records found in the cache, (path, SHA-256) of the photos still to embed)."""
    records: dict[Path, FaceRecord] = {}
    todo: list[tuple[Path, str]] = []
    for path in paths:
        digest = file_digest(path.read_bytes())
        cached = cache.get(digest) if cache else None
        if cached is None:
            todo.append((path, digest))
        else:
            records[path] = cached
    return records, todo


def _compute(todo: list[tuple[Path, str]], options: EmbedOptions, *, already: int,
             total: int) -> Generator[Done, None, None]:
    bar = tqdm(total=total, initial=already, unit="photo", desc="embedding",
               disable=not options.progress, leave=False)
    try:
        if options.workers <= 1 or len(todo) <= 1:
            engine = make_engine(options.settings)
            for path, digest in todo:
                yield path, digest, _record(engine, options, path)
                bar.update()
            return
        yield from _compute_in_pool(todo, options, bar)
    finally:
        bar.close()


def _compute_in_pool(todo: list[tuple[Path, str]], options: EmbedOptions,
                     bar: Any) -> Iterator[Done]:
    pool = ProcessPoolExecutor(
        max_workers=options.workers, mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(options.settings.model_dump_json(), options.whole_crop_fallback),
    )
    try:
        futures: dict[Future[FaceRecord], tuple[Path, str]] = {
            pool.submit(_worker_record, path): (path, digest) for path, digest in todo
        }
        for future in as_completed(futures):
            path, digest = futures[future]
            yield path, digest, future.result()
            bar.update()
    finally:
        # On Ctrl-C: drop what has not started; the photo in flight on each worker finishes.
        pool.shutdown(wait=True, cancel_futures=True)


def _record(engine: FaceEngine, options: EmbedOptions, path: Path) -> FaceRecord:
    return record_from_bytes(path.read_bytes(), engine=engine, settings=options.settings,
                             whole_crop_fallback=options.whole_crop_fallback)


_WORKER: tuple[FaceEngine, FaceSettings, bool] | None = None


def _start_worker(settings_json: str, whole_crop_fallback: bool) -> None:
    global _WORKER
    # The parent handles Ctrl-C and stops the pool; a worker must not die mid-photo with a trace.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    single_threaded_worker()  # one native thread each: the pool is the parallelism
    settings = FaceSettings.model_validate_json(settings_json)
    _WORKER = (make_engine(settings), settings, whole_crop_fallback)


def _worker_record(path: Path) -> FaceRecord:
    assert _WORKER is not None, "worker started without its engine"
    engine, settings, fallback = _WORKER
    return record_from_bytes(path.read_bytes(), engine=engine, settings=settings,
                             whole_crop_fallback=fallback)
