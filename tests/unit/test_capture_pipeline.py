"""The capture use cases through the `FramePipeline` port, on a fake pipeline: the fake engine,
an in-memory unit of work, plain counters for metrics and a fake push parser. No database, no
worker process, no Prometheus: what the services decide, and nothing else. Then the real
runtime that satisfies the port: built without starting anything."""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from io import BytesIO
from types import SimpleNamespace, TracebackType
from typing import Any

import pytest
from PIL import Image

from keyuan.adapters.biometrics.engines import make_engine
from keyuan.adapters.biometrics.fake import FakeEngine, FakeLandmarker, posed_face, solid_face
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.config.capture import CaptureSettings
from keyuan.config.face import FaceSettings
from keyuan.domain.capture.cameras import Camera
from keyuan.domain.capture.errors import CaptureBusy, CaptureTimeInvalid
from keyuan.domain.capture.tracks import Tracks
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.visit import Visit, VisitMethod
from keyuan.domain.keyed_hash import Hasher
from keyuan.services.capture import service
from keyuan.services.capture.faces import (
    FrameData,
    FrameFaces,
    find_faces,
    lane_judge,
    lane_rules,
)
from keyuan.services.capture.ports import PushedCapture
from keyuan.services.faces.engine import FaceBox, FaceEngine
from keyuan.services.faces.gallery import Gallery
from keyuan.services.ports import Deps

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
PERSON = (120, 72, 40)
STRANGER = (40, 200, 90)
PERSON_ID = "p_person"
OFFICE = "office-1"


# --- the fakes ------------------------------------------------------------------------------
class Tally:
    """A counter, gauge or histogram, and its labelled children."""

    def __init__(self) -> None:
        self.value = 0.0
        self.observed: list[float] = []
        self.by: dict[str, Tally] = {}

    def inc(self, amount: float = 1) -> None:
        self.value += amount

    def dec(self, amount: float = 1) -> None:
        self.value -= amount

    def observe(self, amount: float) -> None:
        self.observed.append(amount)

    def labels(self, *values: str) -> Tally:
        return self.by.setdefault(values[0], Tally())


@dataclass
class Metrics:
    frames_in: Tally = field(default_factory=Tally)
    frames_dropped: Tally = field(default_factory=Tally)
    frames_rejected: Tally = field(default_factory=Tally)
    faces: Tally = field(default_factory=Tally)
    faces_low_quality: Tally = field(default_factory=Tally)
    matches: Tally = field(default_factory=Tally)
    unmatched: Tally = field(default_factory=Tally)
    needs_review: Tally = field(default_factory=Tally)
    not_live: Tally = field(default_factory=Tally)
    visits: Tally = field(default_factory=Tally)
    in_flight: Tally = field(default_factory=Tally)
    pulls: Tally = field(default_factory=Tally)
    frame_seconds: Tally = field(default_factory=Tally)
    visit_seconds: Tally = field(default_factory=Tally)


@dataclass
class Store:
    """What the capture use cases write, kept in memory (committed or not: see `commits`)."""

    consented: set[str] = field(default_factory=set)
    visits: list[Visit] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    anonymous: dict[tuple[str, datetime], tuple[int, int]] = field(default_factory=dict)
    commits: int = 0
    lane_named: bool = True  # the notice the consents were given under names the camera lane


class UnitOfWork:
    """The repositories `process_frame` uses, over a `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.capture, self.consents, self.visits, self.audit = self, self, self, self
        self.notices = self

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        pass

    def commit(self) -> None:
        self.store.commits += 1

    def count_anonymous(self, camera_id: str, hour: datetime, *, unmatched: int,
                        needs_review: int) -> None:
        before = self.store.anonymous.get((camera_id, hour), (0, 0))
        self.store.anonymous[camera_id, hour] = (before[0] + unmatched,
                                                 before[1] + needs_review)

    def lock_person(self, person_id: str) -> None:
        pass

    def active_for(self, person_id: str, scope: ConsentScope) -> object | None:
        return SimpleNamespace(notice_hash="lane-notice") \
            if scope is ConsentScope.FACE and person_id in self.store.consented else None

    def by_hash(self, content_hash: str) -> object | None:
        """The notice the consents were given under: it names the camera lane (C3)."""
        uses = [FaceUse.CAMERA_LANE.value] if self.store.lane_named else []
        return Notice(OFFICE, "zh-CN", face_uses=uses) if content_hash == "lane-notice" else None

    def visits_near(self, person_id: str, office_id: str, start: datetime,
                    end: datetime) -> list[Visit]:
        return [v for v in self.store.visits if v.person_id == person_id
                and v.office_id == office_id and start <= v.at <= end]

    def add(self, visit: Visit) -> Visit:
        self.store.visits.append(visit)
        return visit

    def append(self, *, at: datetime, actor: str, action: str, subject: str | None,
               detail: dict[str, Any] | None = None) -> None:
        self.store.audit.append({"actor": actor, "action": action, "subject": subject,
                                 "detail": detail})


@dataclass
class Pipeline:
    """A `FramePipeline` without adapters: frames are searched in this thread, against
    `searched` when set (a copy of the gallery older than the live one)."""

    deps: Deps
    settings: CaptureSettings
    tracks: Tracks
    metrics: Metrics = field(default_factory=Metrics)
    slots: threading.Semaphore = field(default_factory=lambda: threading.BoundedSemaphore(2))
    workers: int = 0
    searched: Gallery | None = None
    frames: int = 0

    @property
    def visit_window(self) -> timedelta:
        return timedelta(minutes=self.settings.visit_window_minutes)

    def find_faces(self, engine: FaceEngine, frame: FrameData) -> FrameFaces:
        return find_faces(engine, frame, self.deps.face, self.searched or self.deps.gallery,
                          self.deps.landmarker)

    def count_frame(self) -> int:
        self.frames += 1
        return self.frames

    def token_hash(self, token: str) -> str:
        return f"hashed:{token}"

    def parse_push(self, camera: Camera, content_type: str, body: bytes,
                   fallback_time: str | None) -> PushedCapture:
        assert content_type == "image/png" and fallback_time is not None
        return PushedCapture(image=body, captured_at=datetime.fromisoformat(fallback_time))

    def fetch_picture(self, camera: Camera, url: str) -> bytes:
        raise AssertionError("no picture URLs in these tests")

    def seal_credentials(self, camera_id: str, username: str, password: str) -> str:
        return f"sealed:{camera_id}"


@dataclass
class Site:
    rt: Pipeline
    store: Store
    clock: FakeClock
    camera: Camera
    engine: FakeEngine
    shots: int = 0

    @property
    def opened(self) -> service.Opened:
        return self.camera, self.engine

    def sight(self, rgb: tuple[int, int, int], seconds: float = 0, *,
              still: bool = False) -> service.Outcome:
        """A frame of the person `rgb` `seconds` from now, as a live camera gives it (its own
        faint texture and landmark jitter: `posed_face`), or the same `still` picture again."""
        self.shots += 1
        picture = posed_face(rgb, seed=0 if still else self.shots) if any(rgb) \
            else solid_face(rgb, (160, 160))
        return service.process_frame(self.rt, self.opened, picture,
                                     self.clock.now() + timedelta(seconds=seconds),
                                     time.perf_counter(), source="pull")


def template_of(engine: FakeEngine, rgb: tuple[int, int, int]) -> Any:
    return engine.embed(solid_face(rgb, (160, 160)), FaceBox(0, 0, 160, 160, 1.0, "fake"))


@pytest.fixture
def site() -> Site:
    """PERSON enrolled under a face consent; one enabled camera; the fake engine."""
    face = FaceSettings.model_validate({"min_sharpness": 0.0})  # solid colours have no edges
    engine, store, clock = FakeEngine(face), Store(consented={PERSON_ID}), FakeClock(NOW)
    gallery = Gallery()
    gallery.add(PERSON_ID, template_of(engine, PERSON))
    def uow() -> Any:  # the in-memory UnitOfWork, where Deps expects the SQL one
        return UnitOfWork(store)

    deps = Deps(uow=uow, clock=clock, hasher=Hasher("unit-test-secret"), sender=MemorySender(),
                face=face, engine=engine, gallery=gallery, landmarker=FakeLandmarker())
    settings = CaptureSettings(workers=0)
    tracks = Tracks(timedelta(seconds=settings.track_gap_seconds), settings.min_track_sightings,
                    judge=lane_judge(deps.liveness), rules=lane_rules(deps.liveness))
    camera = Camera(id="cam_door", office_id=OFFICE, name="door", token_hash="hashed:t",
                    enabled=True, created_at=NOW)
    return Site(Pipeline(deps, settings, tracks), store, clock, camera, engine)


def png(rgb: tuple[int, int, int], seed: int = 1) -> bytes:
    out = BytesIO()
    Image.fromarray(posed_face(rgb, seed=seed)).save(out, "PNG")
    return out.getvalue()


# --- frames ---------------------------------------------------------------------------------
def test_two_agreeing_sightings_make_one_visit_and_a_third_sighting_none(site: Site) -> None:
    first, second, third = (site.sight(PERSON, n) for n in range(3))
    assert (first.matched, first.visits) == (1, [])
    assert len(second.visits) == 1 and third.visits == []
    [visit] = site.store.visits
    assert (visit.id, visit.person_id, visit.office_id) == (second.visits[0], PERSON_ID, OFFICE)
    assert visit.method is VisitMethod.CAMERA and visit.at == NOW
    assert visit.evidence["sightings"] == 2
    actions = [e["action"] for e in site.store.audit]
    assert actions.count("camera_match") == 3 and actions.count("camera_visit") == 1
    assert (site.rt.metrics.matches.value, site.rt.metrics.visits.value) == (3, 1)
    assert len(site.rt.metrics.visit_seconds.observed) == 1


def test_an_unmatched_face_leaves_only_an_hourly_count(site: Site) -> None:
    outcome = site.sight(STRANGER)
    assert (outcome.faces, outcome.unmatched, outcome.matched, outcome.visits) == (1, 1, 0, [])
    assert site.store.anonymous == {("cam_door", NOW): (1, 0)}  # C11: a number, no one's name
    assert site.store.audit == [] and site.store.visits == [] and len(site.rt.tracks) == 0
    assert site.rt.metrics.unmatched.value == 1


def test_a_frame_without_a_face_writes_nothing(site: Site) -> None:
    outcome = site.sight((0, 0, 0))
    assert outcome.faces == 0 and site.store.commits == 0 and site.store.anonymous == {}
    assert site.rt.metrics.frame_seconds.by["pull"].observed


def test_a_consent_withdrawn_while_the_frame_was_searched_makes_no_visit(site: Site) -> None:
    site.store.consented.clear()  # withdrawn after the gallery was searched (C6)
    outcomes = [site.sight(PERSON, n) for n in range(3)]
    assert [(o.matched, o.unmatched) for o in outcomes] == [(0, 1)] * 3  # dropped at once
    assert site.store.visits == [] and site.rt.metrics.visits.value == 0
    assert site.store.audit == [] and len(site.rt.tracks) == 0


def test_a_match_whose_consent_named_no_camera_lane_counts_as_unmatched(site: Site) -> None:
    site.store.lane_named = False  # consented under a notice without the camera lane (C1, C7)
    outcomes = [site.sight(PERSON, n) for n in range(3)]
    assert [(o.matched, o.unmatched, o.visits) for o in outcomes] == [(0, 1, [])] * 3
    assert site.store.audit == [] and len(site.rt.tracks) == 0


def test_a_match_of_someone_gone_from_the_live_gallery_counts_as_unmatched(site: Site) -> None:
    older = Gallery()
    older.add(PERSON_ID, site.rt.deps.gallery.get(PERSON_ID))
    site.rt.searched = older
    site.rt.deps.gallery.remove(PERSON_ID)  # withdrawn or purged while the frame was searched
    outcomes = [site.sight(PERSON, n) for n in range(2)]
    assert [(o.matched, o.unmatched, o.visits) for o in outcomes] == [(0, 1, []), (0, 1, [])]
    assert site.store.audit == [] and len(site.rt.tracks) == 0


# --- liveness (issue 18) --------------------------------------------------------------------
def test_one_still_picture_seen_again_and_again_makes_no_visit_and_is_counted(
    site: Site,
) -> None:
    outcomes = [site.sight(PERSON, n, still=True) for n in range(6)]
    assert [o.matched for o in outcomes] == [1] * 6 and site.store.visits == []
    assert [o.not_live for o in outcomes] == [0] + [1] * 5
    assert site.rt.metrics.not_live.by["frames_identical"].value == 5
    assert site.rt.tracks.cues_held == 1  # the first sighting's, until the track ends
    assert site.rt.tracks.drop_cues(float("inf")) == 1 and site.rt.tracks.cues_held == 0


def test_one_frame_pushed_again_with_its_own_capture_time_is_no_second_sighting(
    site: Site,
) -> None:
    frame = png(PERSON, 3)
    outcomes = [push(site, frame, NOW) for _ in range(3)]
    assert site.store.visits == [] and outcomes[-1].not_live == 1
    assert site.rt.metrics.not_live.by["timestamps_implausible"].value == 2


def test_a_live_track_drops_its_cue_and_a_still_track_keeps_none_beyond_its_end(
    site: Site,
) -> None:
    first, second = site.sight(PERSON, 0), site.sight(PERSON, 1)
    assert (first.not_live, len(second.visits)) == (0, 1) and site.rt.tracks.cues_held == 0


def test_a_face_without_landmarks_never_makes_a_visit(site: Site) -> None:
    site.rt.deps = replace(site.rt.deps, landmarker=None)  # fail closed: no cue, no visit
    outcomes = [site.sight(PERSON, n) for n in range(3)]
    assert site.store.visits == [] and [o.not_live for o in outcomes] == [0, 1, 1]
    assert site.rt.metrics.not_live.by["no_face"].value == 2


# --- pushes ---------------------------------------------------------------------------------
def push(site: Site, body: bytes, at: datetime) -> service.Outcome:
    return service.push(site.rt, site.opened, "image/png", body, at.isoformat(),
                        time.perf_counter())


def test_a_push_is_parsed_by_the_pipeline_then_searched_like_any_frame(site: Site) -> None:
    outcomes = [push(site, png(PERSON, n + 1), NOW + timedelta(seconds=n)) for n in range(2)]
    assert [o.matched for o in outcomes] == [1, 1] and len(outcomes[1].visits) == 1
    metrics = site.rt.metrics
    assert metrics.frames_in.by["push"].value == 2 and metrics.in_flight.value == 0
    assert len(metrics.frame_seconds.by["push"].observed) == 2


def test_a_full_pipeline_refuses_a_push_at_once_and_counts_the_drop(site: Site) -> None:
    while site.rt.slots.acquire(blocking=False):
        pass  # every slot taken by pushes in flight
    with pytest.raises(CaptureBusy):
        push(site, png(PERSON), NOW)
    assert site.rt.metrics.frames_dropped.by["push"].value == 1
    assert "push" not in site.rt.metrics.frames_in.by and site.store.audit == []


def test_a_capture_time_from_the_future_is_refused_counted_and_frees_its_slot(
    site: Site,
) -> None:
    with pytest.raises(CaptureTimeInvalid) as refused:
        push(site, png(PERSON), NOW + timedelta(hours=1))
    assert refused.value.details["reason"] == "future"
    assert site.rt.metrics.frames_rejected.by["capture_time_invalid"].value == 1
    assert site.rt.metrics.in_flight.value == 0 and site.rt.metrics.faces.value == 0
    assert [site.rt.slots.acquire(blocking=False) for _ in range(2)] == [True, True]


# --- the runtime that satisfies the port ----------------------------------------------------
def test_frames_go_to_worker_processes_only_for_the_engine_the_workers_rebuild(
    site: Site,
) -> None:
    settings = CaptureSettings(workers=2)
    fake = CaptureRuntime.build(site.rt.deps, settings, "unit-test-secret")
    real = CaptureRuntime.build(replace(site.rt.deps, engine=make_engine(site.rt.deps.face)),
                                settings, "unit-test-secret")
    assert (fake.workers, fake.uses_workers) == (0, False)
    assert (real.workers, real.uses_workers) == (2, True)


def test_building_the_runtime_starts_no_thread_and_no_process(site: Site) -> None:
    threads, children = threading.active_count(), multiprocessing.active_children()
    deps = replace(site.rt.deps, engine=make_engine(site.rt.deps.face))
    runtime = CaptureRuntime.build(deps, CaptureSettings(workers=2), "unit-test-secret")
    assert threading.active_count() == threads and multiprocessing.active_children() == children
    runtime.close()
