"""`keyuan demo`: the scripted day passes on the public set and on the scikit-image fallback
(whose frames are one photo moved about: the liveness check refuses them and the day shows the
refusal and the mobile path), leaves no image and no plaintext template anywhere in its data
dir, and notices a deviation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import numpy as np
import pytest

from keyuan.bootstrap import build
from keyuan.config.settings import Settings
from keyuan.demo import day as demo
from keyuan.domain.checkin.consent import ATTRIBUTION
from keyuan.services.checkin import face as face_service
from keyuan.services.faces.engine import Template
from keyuan.services.faces.enrollment import EnrollmentResult

IMAGE_SIGNATURES = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG"}
MAIN_STORE = ("keyuan.db", "keyuan.db-wal", "keyuan.db-shm", "keyuan.db-journal")
VAULT_STORE = ("vault.db", "vault.db-wal", "vault.db-shm", "vault.db-journal")


@pytest.fixture
def enrolled(monkeypatch: pytest.MonkeyPatch) -> list[Template]:
    """Every template the demo enrolls (also the ones later withdrawn), seen in memory only."""
    seen: list[Template] = []
    original: Callable[..., EnrollmentResult] = face_service.enroll_from_frames

    def spy(*args: object, **kwargs: object) -> EnrollmentResult:
        result = original(*args, **kwargs)
        seen.append(np.array(result.template, dtype=np.float32))
        return result

    monkeypatch.setattr(face_service, "enroll_from_frames", spy)
    return seen


def run(faces: Path | None, data_dir: Path | None = None) -> tuple[int, str]:
    out = StringIO()
    code = demo.run_demo(faces, data_dir=data_dir, out=out)
    return code, out.getvalue()


def template_forms(template: Template) -> dict[str, bytes]:
    """The byte runs a leaked template would leave: float32 (as stored), float64, and a prefix."""
    as_f32 = np.asarray(template, dtype="<f4").tobytes()
    as_f64 = np.asarray(template, dtype="<f8").tobytes()
    return {"float32": as_f32, "float32[:64]": as_f32[:64], "float64[:64]": as_f64[:64]}


def stored_templates(data_dir: Path) -> dict[str, Template]:
    """Decrypt the vault through the app, as an inspector's tool would."""
    settings = Settings(environment="development", data_dir=data_dir, database_url=None,
                        vault_path=None, vault_key=None, face_module="off")
    app = build(settings)
    try:
        with app.deps.uow() as uow:
            return dict(uow.vault.all(purpose=ATTRIBUTION, models=uow.vault.models()))
    finally:
        app.close()


def assert_private(data_dir: Path, templates: list[Template]) -> None:
    files = {path.name: path.read_bytes() for path in data_dir.rglob("*") if path.is_file()}
    assert {"keyuan.db", "vault.db", "vault.key"} <= files.keys(), sorted(files)
    for name, data in files.items():
        for kind, signature in IMAGE_SIGNATURES.items():
            assert signature not in data, f"{kind} signature in {name}"
    for name in files.keys() & set(MAIN_STORE + VAULT_STORE):
        for index, template in enumerate(templates):
            for form, run_bytes in template_forms(template).items():
                where = "main store" if name in MAIN_STORE else "vault file (not encrypted?)"
                assert run_bytes not in files[name], f"template {index} {form} in {where} {name}"


def test_demo_day_on_the_bundled_photos_shows_the_liveness_refusal(
    tmp_path: Path, enrolled: list[Template],
) -> None:
    data_dir = tmp_path / "data"

    code, output = run(tmp_path / "no-face-set-here", data_dir)

    assert code == 0, output
    assert "scikit-image" in output
    assert "runs WITHOUT the liveness challenge" in output  # photos cannot follow one: said
    assert "the liveness check refuses them" in output  # says why, before the day
    assert output.count("-> refused:not_live: The frames are one image moved about") == 2
    assert output.count("takes the mobile path instead") == 2
    assert "as scripted: 12 steps, 7 visits, 7 receipts, 3 refusals, gallery and vault 0" in output
    assert enrolled == [], "no template is derived from a still photo"
    assert stored_templates(data_dir) == {}
    assert_private(data_dir, [])


@pytest.mark.faces
@pytest.mark.slow
def test_demo_day_goes_as_scripted_on_the_public_face_set(
    face_root: Path, tmp_path: Path, enrolled: list[Template],
) -> None:
    code, output = run(face_root, tmp_path / "data")

    assert code == 0, output
    assert f"public set at {face_root}" in output
    assert len(enrolled) == 2
    assert_private(tmp_path / "data", enrolled)


@pytest.mark.faces
@pytest.mark.slow
def test_demo_leaves_no_image_and_no_plaintext_template_in_its_stores(
    face_root: Path, tmp_path: Path, enrolled: list[Template],
) -> None:
    data_dir = tmp_path / "data"

    code, output = run(face_root, data_dir)

    assert code == 0, output
    assert len(enrolled) == 2, "A and D enroll; D later withdraws"
    kept = list(stored_templates(data_dir).values())
    assert len(kept) == 1 and np.array_equal(kept[0], enrolled[0]), "the spy saw what was stored"
    assert_private(data_dir, enrolled)


def test_the_privacy_scan_finds_a_template_written_in_plain(tmp_path: Path) -> None:
    template = np.linspace(-0.2, 0.2, 128, dtype=np.float32)
    tmp_path.joinpath("vault.key").write_text("key\n")
    tmp_path.joinpath("vault.db").write_bytes(b"header")
    tmp_path.joinpath("keyuan.db").write_bytes(b"row" + template.tobytes()[:64] + b"row")

    with pytest.raises(AssertionError, match=r"in main store keyuan\.db"):
        assert_private(tmp_path, [template])


def test_demo_reports_a_step_that_differs_from_the_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = dataclasses.replace(demo.SCRIPT[1], expect="refused:code_invalid")
    monkeypatch.setattr(demo, "SCRIPT", (wrong,))
    monkeypatch.setattr(demo, "STILL_PHOTO_SCRIPT", (wrong,))

    code, output = run(tmp_path / "no-face-set-here")

    assert code == 1
    assert "expected refused:code_invalid, got visit:phone" in output


def test_demo_refuses_a_data_dir_that_is_not_empty(tmp_path: Path) -> None:
    tmp_path.joinpath("keyuan.db").write_bytes(b"someone's store")

    code, output = run(tmp_path / "no-face-set-here", tmp_path)

    assert code == 2
    assert "needs an empty data dir" in output
    assert tmp_path.joinpath("keyuan.db").read_bytes() == b"someone's store"


def test_find_face_set_prefers_keyuan_face_data_with_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    tmp_path.joinpath("labels.csv").write_text("path,identity,source\n")
    monkeypatch.setenv("KEYUAN_FACE_DATA", str(tmp_path))

    assert demo.find_face_set() == tmp_path


def test_find_face_set_ignores_keyuan_face_data_without_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KEYUAN_FACE_DATA", str(tmp_path))

    found = demo.find_face_set()

    assert found != tmp_path
    assert found is None or (found / "labels.csv").is_file()


def test_demo_without_face_set_or_scikit_image_says_how_to_get_photos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(demo, "find_spec", lambda name: None)

    code, output = run(tmp_path / "no-face-set-here")

    assert code == 2
    assert "install scikit-image" in output
