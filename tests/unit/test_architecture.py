"""Rules of where code lives that import contracts cannot state (those are `lint-imports`, run by
`make lint`): edges call use cases instead of opening a unit of work, and imports sit at the top
of a module except a few heavy ones loaded only where they are needed, each saying why."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "keyuan"
EDGES = ("api", "web", "cli")

# module → the names imported inside functions on purpose (each line carries a comment why)
LAZY_IMPORTS = {
    "adapters/capture/pull.py": {"cv2", "cv2.typing"},  # ~0.1 s; only a pull needs it
    "evaluation/video.py": {"cv2"},  # ~0.1 s; only reading a video file needs it
    "evaluation/liveness.py": {"cv2"},  # likewise: the replayed clip
    "evaluation/metrics.py": {"scipy.stats"},  # ~1 s at every `keyuan` start; intervals only
    "cli/main.py": {"keyuan.web.app"},  # the web stack, only when serving
    "cli/serving.py": {"uvicorn", "keyuan.web.redirect"},  # likewise
    "bench/capture.py": {"httpx", "uvicorn", "keyuan.web.app"},  # dev client; the web stack
    # OpenCV (~0.2 s) only where SFace runs or a worker sets its threads
    "adapters/biometrics/engines.py": {"cv2", "keyuan.adapters.biometrics.sface_engine",
                                       "keyuan.adapters.biometrics.yunet_landmarks"},
}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def function_level_imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found += [(alias.name, inner.lineno) for alias in inner.names]
                elif isinstance(inner, ast.ImportFrom) and inner.module:
                    found.append((inner.module, inner.lineno))
    return found


def test_imports_sit_at_the_top_but_for_the_listed_heavy_ones() -> None:
    unexpected = {}
    for path in _modules():
        name = path.relative_to(SRC).as_posix()
        hits = {module for module, _ in function_level_imports(path)}
        if hits - LAZY_IMPORTS.get(name, set()):
            unexpected[name] = sorted(hits - LAZY_IMPORTS.get(name, set()))
    assert unexpected == {}


def test_every_lazy_import_says_why() -> None:
    silent = []
    for name in LAZY_IMPORTS:
        path = SRC / name
        lines = path.read_text("utf-8").splitlines()
        for module, lineno in function_level_imports(path):
            if "#" not in lines[lineno - 1] and "#" not in lines[lineno - 2]:
                silent.append(f"{name}:{lineno} {module}")
    assert silent == []


def test_routes_pages_and_commands_never_open_a_unit_of_work() -> None:
    opened = []
    for edge in EDGES:
        for path in sorted((SRC / edge).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            opened += [f"{path.relative_to(SRC)}:{node.lineno}" for node in ast.walk(tree)
                       if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                       and node.func.attr == "uow"]
    assert opened == []


def _modules_saying(text: str) -> list[str]:
    return sorted(p.relative_to(SRC).as_posix() for p in _modules()
                  if text in p.read_text("utf-8"))


def test_a_person_for_a_mobile_is_looked_up_or_made_in_one_place() -> None:
    """`services/checkin/persons.py` is the one lookup-or-create of a person for a number (the
    kiosk, reception's 代登记 and the signing call it); copies drift, and one of them once kept
    people who had consented to nothing. The store and its fake implement the port."""
    assert _modules_saying(".add_with_mobile(") == ["services/checkin/persons.py"]
    assert _modules_saying("bool(person.mobile)") == ["services/checkin/persons.py"]


def test_the_long_receipt_id_is_recognised_in_one_place() -> None:
    """`receipt_code.is_long_id`: a whole string of 32 hex (a part of a longer token is not
    a receipt id)."""
    whole = [_modules_saying(f'r"{pattern}"') for pattern in (
        "[0-9a-f]{32}", "^[0-9a-f]{32}$")]
    assert sorted({m for found in whole for m in found}) == ["domain/checkin/receipt_code.py"]
