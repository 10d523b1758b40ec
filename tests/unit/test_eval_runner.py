"""The embedding run: cached photos are not recomputed, Ctrl-C keeps what is done and a rerun
resumes. Photos here are generated noise PNGs (no face), and the engine call is stubbed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from keyuan.config.face import FaceSettings
from keyuan.evaluation import runner
from keyuan.evaluation.faces import FaceRecord
from keyuan.services.faces.engine import TEMPLATE_DIM


def noise_pngs(folder: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        pixels = np.random.default_rng(i).integers(0, 255, (8, 8, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        PILImage.fromarray(pixels).save(buffer, "PNG")
        path = folder / f"p{i}.png"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def options(cache: Path) -> runner.EmbedOptions:
    return runner.EmbedOptions(FaceSettings(), cache, workers=1, progress=False)


def fake_record(index: int) -> FaceRecord:
    return FaceRecord("ok", "whole_crop", "ok", np.full(TEMPLATE_DIM, index, np.float32))


def test_an_interrupted_run_keeps_its_work_and_the_rerun_does_only_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = noise_pngs(tmp_path, 5)
    computed: list[str] = []

    def interrupted(engine: object, opts: object, path: Path) -> FaceRecord:
        if len(computed) == 2:
            raise KeyboardInterrupt
        computed.append(path.name)
        return fake_record(len(computed))

    monkeypatch.setattr(runner, "_record", interrupted)
    with pytest.raises(runner.EvaluationInterrupted) as caught:
        runner.embed_photos(paths, options(tmp_path / "cache"))
    assert caught.value.details == {"done": 2, "total": 5}

    def counted(engine: object, opts: object, path: Path) -> FaceRecord:
        computed.append(path.name)
        return fake_record(9)

    monkeypatch.setattr(runner, "_record", counted)
    records = runner.embed_photos(paths, options(tmp_path / "cache"))
    assert len(computed) == 5 and sorted(computed) == sorted(p.name for p in paths)
    assert len(records) == 5


def test_a_missing_photo_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(runner.PhotoMissing) as caught:
        runner.embed_photos([tmp_path / "absent.jpg"], options(tmp_path / "cache"))
    assert caught.value.code == "photo_missing"
