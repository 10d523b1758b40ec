"""C18 on the compliance dashboard and in /metrics: whether the purge scheduler runs in the
serving process, when it last succeeded, and a run of failures — never silent."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import httpx

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from support.auth import bearer
from support.live import live_server


def purge_kpi(page: str) -> str:
    found = re.search(r'data-kpi="purge_runs" data-value="(\w+)"', page)
    assert found, "no purge_runs KPI on the page"
    return found.group(1)


def test_c18_the_dashboard_and_metrics_show_the_purge_scheduler(tmp_path: Path) -> None:
    with live_server(tmp_path, engine=FakeEngine(FaceSettings())) as live:
        headers = {**bearer(live.app, Role.compliance), "accept": "text/html"}
        with httpx.Client(base_url=live.base_url, headers=headers, timeout=30) as http:
            assert purge_kpi(http.get("/compliance").text) == "off"  # nothing purges here
            assert "keyuan_retention_scheduler_running 0.0" in http.get("/metrics").text

            scheduler = live.app.retention
            scheduler.tick()  # the run `start` would make, on the live clock
            scheduler.start()
            try:
                page = http.get("/compliance").text
                assert purge_kpi(page) == "ok"
                metrics = http.get("/metrics").text
                assert "keyuan_retention_scheduler_running 1.0" in metrics
                assert "keyuan_retention_runs_total 1.0" in metrics

                scheduler.state = dataclasses.replace(
                    scheduler.state, failures=3, consecutive_failures=3,
                    last_error="OperationalError")
                page = http.get("/compliance").text
                assert purge_kpi(page) == "failing" and "OperationalError" in page
                assert "连续失败 3 次" in page
                assert "keyuan_retention_consecutive_failures 3.0" in http.get("/metrics").text
            finally:
                scheduler.stop()
