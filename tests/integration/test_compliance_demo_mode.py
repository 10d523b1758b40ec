"""Demo mode (C23): only `--demo` (what `make run` asks for) records a DEMONSTRATION impact
assessment; it licenses face processing in demo mode only, every page says DEMO, and
`keyuan inspect` reports it as a violation, never as a pass."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.bootstrap import build
from keyuan.cli.main import cli
from keyuan.config.face import FaceSettings
from keyuan.config.settings import Settings
from keyuan.demo.office import DEFAULT_OFFICE_ID
from keyuan.services.checkin.face_gate import face_available
from keyuan.services.compliance.pia import assessment_status
from support.devices import device_headers
from support.live import live_server

runner = CliRunner()
SECRET = "demo-mode-secret-0123456789"
BANNER = 'class="demo-banner"'


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYUAN_ENVIRONMENT", "test")
    monkeypatch.setenv("KEYUAN_SECRET_KEY", SECRET)
    monkeypatch.delenv("KEYUAN_DEMO", raising=False)


def _latest(data_dir: Path, *, demo: bool = False) -> tuple[bool, bool | None, bool]:
    """(assessment current, latest is a demo, face features available) as `serve` would see."""
    app = build(Settings(data_dir=data_dir, environment="test", secret_key=SECRET, demo=demo))
    try:
        status = assessment_status(app.deps)
        return (status.current, status.latest.demo if status.latest else None,
                face_available(app.deps))
    finally:
        app.close()


def test_c23_init_records_no_assessment_and_inspect_reports_it_missing(tmp_path: Path) -> None:
    init = runner.invoke(cli, ["init", "--data-dir", str(tmp_path)])
    assert init.exit_code == 0, init.output
    assert "no impact assessment" in init.output and "DEMO" not in init.output
    assert "no sales office yet" in init.output  # nothing pre-created outside demo mode
    assert _latest(tmp_path) == (False, None, False)

    inspect = runner.invoke(cli, ["inspect", "--data-dir", str(tmp_path)])
    assert inspect.exit_code == 1
    assert "PIA MISSING" in inspect.output and inspect.output.strip().endswith("FAIL")


def test_c23_demo_mode_records_a_demo_assessment_that_licenses_demo_mode_only(
    tmp_path: Path,
) -> None:
    init = runner.invoke(cli, ["init", "--demo", "--data-dir", str(tmp_path)])
    assert init.exit_code == 0, init.output
    assert "DEMONSTRATION impact assessment" in init.output

    assert _latest(tmp_path, demo=True) == (True, True, True)
    assert _latest(tmp_path, demo=False) == (False, True, False)  # a real office: faces off


def test_c23_inspect_reports_a_demo_assessment_as_a_violation_even_in_demo_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runner.invoke(cli, ["init", "--demo", "--data-dir", str(tmp_path)]).exit_code == 0
    monkeypatch.setenv("KEYUAN_DEMO", "1")
    inspect = runner.invoke(cli, ["inspect", "--data-dir", str(tmp_path)])
    assert inspect.exit_code == 1
    assert "PIA DEMO ONLY" in inspect.output and "PASS" not in inspect.output
    html = runner.invoke(cli, ["inspect", "--html", "--data-dir", str(tmp_path)])
    assert "违规：仅有演示评估" in html.output and "不合格" in html.output


@pytest.mark.parametrize("demo", [True, False])
def test_c23_every_page_says_demo_in_demo_mode_and_only_then(
    tmp_path: Path, demo: bool,
) -> None:
    pages = ["/", f"/kiosk/{DEFAULT_OFFICE_ID}", "/login", "/me",
             f"/api/offices/{DEFAULT_OFFICE_ID}/poster"]
    with live_server(tmp_path, engine=FakeEngine(FaceSettings()), demo=demo) as live:
        tablet = {} if demo else device_headers(live)  # demo mode pairs a loopback tablet
        for path in pages:
            page = httpx.get(live.base_url + path, headers={"accept": "text/html", **tablet},
                             follow_redirects=True)
            assert page.status_code == 200, path
            assert (BANNER in page.text) is demo, path
            assert ("<strong>演示 / DEMO</strong>" in page.text) is demo, path
