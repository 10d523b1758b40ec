"""Prometheus metrics of the capture pipeline, in a registry of their own (one per app, so two
apps in one process never share counters). Numbers only: no label ever names a person."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class CaptureMetrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.frames_in = Counter("keyuan_capture_frames_total", "Frames received (push or pull)",
                                 ["source"], registry=registry)
        self.frames_dropped = Counter(
            "keyuan_capture_frames_dropped_total",
            "Frames dropped unprocessed (queue full: oldest first; or push refused with 503)",
            ["source"], registry=registry)
        self.frames_rejected = Counter("keyuan_capture_frames_rejected_total",
                                       "Frames refused as bad input", ["reason"],
                                       registry=registry)
        self.faces = Counter("keyuan_capture_faces_total", "Faces detected", registry=registry)
        self.faces_low_quality = Counter("keyuan_capture_faces_low_quality_total",
                                         "Faces failing a quality gate", registry=registry)
        self.matches = Counter("keyuan_capture_matches_total", "Faces matched in the gallery",
                               registry=registry)
        self.unmatched = Counter("keyuan_capture_unmatched_total",
                                 "Faces not matched (dropped at once)", registry=registry)
        self.needs_review = Counter("keyuan_capture_needs_review_total",
                                    "Faces in the review band (never a visit)", registry=registry)
        self.not_live = Counter(
            "keyuan_capture_not_live_total",
            "Sightings of a track with enough sightings that did not look live (issue 18)",
            ["reason"], registry=registry)
        self.cues_held = Gauge("keyuan_capture_liveness_cues",
                               "Tracks holding a face cue for the liveness check (in memory)",
                               registry=registry)
        self.visits = Counter("keyuan_capture_visits_total", "Camera visits recorded",
                              registry=registry)
        self.in_flight = Gauge("keyuan_capture_in_flight", "Pushes being processed",
                               registry=registry)
        self.tracks = Gauge("keyuan_capture_tracks",
                            "Open tracks of matched people (push and pulls run by serve)",
                            registry=registry)
        self.pulls = Gauge("keyuan_capture_pulls", "Pulls running in this process",
                           registry=registry)
        self.workers = Gauge("keyuan_capture_workers", "Capture worker processes running",
                             registry=registry)
        self.gallery_version = Gauge(
            "keyuan_gallery_store_version",
            "The store's gallery version this process's gallery was last brought to (C6)",
            registry=registry)
        self.gallery_templates = Gauge("keyuan_gallery_templates",
                                       "Templates in this process's gallery", registry=registry)
        self.shared_templates = Gauge(
            "keyuan_capture_shared_gallery_templates",
            "Templates in the shared-memory gallery the capture workers are handed",
            registry=registry)
        self.shared_segments = Gauge(
            "keyuan_capture_shared_gallery_segments",
            "Shared-memory gallery segments linked (the current one, and one a frame in flight "
            "still uses)", registry=registry)
        self.worker_restarts = Counter("keyuan_capture_worker_restarts_total",
                                       "Capture worker processes replaced after they died",
                                       registry=registry)
        self.frame_seconds = Histogram("keyuan_capture_frame_seconds",
                                       "Receipt to handled (stored when a visit is due)",
                                       ["source"], buckets=LATENCY_BUCKETS, registry=registry)
        self.visit_seconds = Histogram("keyuan_capture_visit_seconds",
                                       "Receipt of the confirming sighting to stored visit",
                                       buckets=LATENCY_BUCKETS, registry=registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
