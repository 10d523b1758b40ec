"""The fuzz tier: schemathesis drives the OpenAPI schema of a live app over real HTTP, on SQLite
and on PostgreSQL (fixtures from `support.postgres`), with a bounded budget of generated
requests, as four callers: an admin (with a paired kiosk tablet's header), a distributor's
account bound to its channel, a paired kiosk tablet with no account, and nobody (no credentials:
what a stranger sends). Run by `make fuzz` (part of `make test`),
the two stores at once in two pytest-xdist workers; the closing summary prints each store's
count and the total, and fails the run when the total is under `MIN_TOTAL`."""

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
"""The admin's pass: at most this many generated requests per operation and mode (positive,
negative); small parameter spaces run out sooner."""
ROLE_EXAMPLES = int(os.environ.get("KEYUAN_FUZZ_ROLE_EXAMPLES", "8"))
"""The distributor's, the kiosk tablet's and the anonymous pass: at most this many per
operation and mode."""
MIN_REQUESTS = int(os.environ.get("KEYUAN_FUZZ_MIN_REQUESTS", "5000"))
"""Per store, all passes: with both stores, at least `MIN_TOTAL` requests in all."""
MIN_TOTAL = int(os.environ.get("KEYUAN_FUZZ_MIN_TOTAL", str(2 * MIN_REQUESTS)))
REQUESTS_PROPERTY = "fuzz_requests"


@dataclass
class Target:
    live: Live
    callers: dict[str, dict[str, str]]
    """Each caller's headers: "admin" (+ a paired tablet), "distributor" (its own channel),
    "kiosk" (a paired tablet, no account), "anonymous" (none)."""
    channel_id: str


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A live app with one channel, a paired kiosk tablet and its callers' credentials, on each
    store."""
    if request.param == "sqlite":
        with live_server(tmp_path / "data", engine=FakeEngine(FaceSettings())) as live:
            yield _target(live)
        return
    with postgres.migrated_database(postgres.admin_url()) as url, live_server(
            tmp_path / "data", engine=FakeEngine(FaceSettings()), database_url=url) as live:
        yield _target(live)


def _target(live: Live) -> Target:
    tablet = device_headers(live)
    admin = {**auth.bearer(live.app, "admin"), **tablet}
    with auth.client(live.base_url, live.app, "admin") as http:
        r = http.post("/api/offices/demo-office/channels",
                      json={"kind": "distributor", "name": "fuzz"})
        r.raise_for_status()
    channel = str(r.json()["channel_id"])
    return Target(live=live, channel_id=channel, callers={
        "admin": admin, "distributor": auth.bearer(live.app, "distributor", channel=channel),
        "kiosk": tablet, "anonymous": {}})


# --- the closing count, summed over the stores (and the xdist workers that ran them) ---
_counted: dict[str, int] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        for name, value in report.user_properties:
            if name == REQUESTS_PROPERTY:
                _counted[report.nodeid] = int(str(value))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _counted:
        return
    total = sum(_counted.values())
    lines = [f"{nodeid.rsplit('[', 1)[-1].rstrip(']')}: {n} requests"
             for nodeid, n in sorted(_counted.items())]
    terminalreporter.write_sep("-", "fuzz requests")
    for line in [*lines, f"total over {len(_counted)} stores: {total} requests, 0 server "
                 f"errors (at least {MIN_TOTAL} required)"]:
        terminalreporter.write_line(line)
    if len(_counted) >= 2 and total < MIN_TOTAL:
        terminalreporter.write_line(f"FAILED: only {total} requests over both stores", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Only where the tests' reports arrive (the xdist controller, or a plain run), and only when
    # the fuzz test ran on every store it was collected for: a -k selection is not a budget run.
    if hasattr(session.config, "workerinput") or not _counted or exitstatus != 0:
        return
    if len(_counted) >= 2 and sum(_counted.values()) < MIN_TOTAL:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
