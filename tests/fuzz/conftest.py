"""The fuzz tier: schemathesis drives the OpenAPI schema of a live app over real HTTP, on SQLite
and on PostgreSQL (fixtures from `support.postgres`), with a bounded budget of generated
requests. Run by `make fuzz` (part of `make test`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from support import auth, postgres
from support.devices import device_headers
from support.live import Live, live_server

EXAMPLES = int(os.environ.get("KEYUAN_FUZZ_EXAMPLES", "55"))
"""At most this many generated requests per operation and mode (positive, negative); small
parameter spaces run out sooner."""
MIN_REQUESTS = int(os.environ.get("KEYUAN_FUZZ_MIN_REQUESTS", "5000"))
"""Per store: with both stores, at least 10,000 requests in all."""


@dataclass
class Target:
    live: Live
    headers: dict[str, str]
    channel_id: str


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A live app with an admin's bearer token, a paired kiosk tablet and one channel, on
    each store."""
    if request.param == "sqlite":
        with live_server(tmp_path / "data", engine=FakeEngine(FaceSettings())) as live:
            yield _target(live)
        return
    with postgres.migrated_database(postgres.admin_url()) as url, live_server(
            tmp_path / "data", engine=FakeEngine(FaceSettings()), database_url=url) as live:
        yield _target(live)


def _target(live: Live) -> Target:
    headers = {**auth.bearer(live.app, "admin"), **device_headers(live)}  # + a paired tablet
    with auth.client(live.base_url, live.app, "admin") as http:
        r = http.post("/api/offices/demo-office/channels",
                      json={"kind": "distributor", "name": "fuzz"})
        r.raise_for_status()
    return Target(live=live, headers=headers, channel_id=str(r.json()["channel_id"]))
