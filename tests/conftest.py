"""Shared fixtures: where the public face set lives, and skip reasons when it does not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import postgres, stores

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def face_data_root() -> Path | None:
    """The public face set: $KEYUAN_FACE_DATA, else ../shared/data/faces beside the project."""
    env = os.environ.get("KEYUAN_FACE_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(PROJECT_ROOT.parent / "shared" / "data" / "faces")
    for path in candidates:
        if (path / "labels.csv").is_file():
            return path
    return None


@pytest.fixture(scope="session")
def face_root() -> Path:
    root = face_data_root()
    if root is None:
        pytest.skip(
            "public face set absent: set KEYUAN_FACE_DATA or place it at ../shared/data/faces"
        )
    return root


def east_asian_data_root() -> Path | None:
    """The East Asian calibration set: $KEYUAN_FACE_DATA_EAST_ASIAN, else
    ../shared/data/faces-east-asian beside the project."""
    env = os.environ.get("KEYUAN_FACE_DATA_EAST_ASIAN")
    candidates = [Path(env)] if env else []
    candidates.append(PROJECT_ROOT.parent / "shared" / "data" / "faces-east-asian")
    for path in candidates:
        if (path / "pairs.csv").is_file():
            return path
    return None


@pytest.fixture(scope="session")
def east_asian_root() -> Path:
    root = east_asian_data_root()
    if root is None:
        pytest.skip("East Asian face set absent: set KEYUAN_FACE_DATA_EAST_ASIAN or place it at "
                    "../shared/data/faces-east-asian")
    return root


@pytest.fixture(scope="session", autouse=True)
def _store_templates() -> Iterator[None]:
    """The migrated store templates a session made (`support.stores`, `support.postgres`) are
    removed when it ends."""
    yield
    stores.remove_template()
    postgres.drop_templates()
