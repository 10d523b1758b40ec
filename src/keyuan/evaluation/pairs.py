"""Labelled pairs for 1:1 evaluation: the LFW `pairs.txt` format and CSV (`path_a,path_b,same`,
optional `fold`). Parsing is pure: paths are resolved against a root but never opened here."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from keyuan.domain.errors import KeyuanError
from keyuan.evaluation.metrics import deterministic_fold

DEFAULT_FOLDS = 10


class PairsFileInvalid(KeyuanError):
    code, status, default_message = "pairs_file_invalid", 400, "The pairs file cannot be read."


@dataclass(frozen=True)
class Pair:
    path_a: Path
    path_b: Path
    same: bool
    fold: int | None = None


@dataclass(frozen=True)
class PairSet:
    pairs: tuple[Pair, ...]
    folds_source: str
    """"file" (folds given by the file), "sha256" (made deterministically) or "none"."""

    def with_folds(self, folds: int = DEFAULT_FOLDS) -> PairSet:
        """Every pair with a fold: the file's own, else a SHA-256 of its two paths."""
        if self.folds_source == "file":
            return self
        assigned = tuple(
            Pair(p.path_a, p.path_b, p.same, deterministic_fold(f"{p.path_a}|{p.path_b}", folds))
            for p in self.pairs
        )
        return PairSet(assigned, "sha256")


def load_pairs(path: Path, root: Path) -> PairSet:
    """Read a pairs file: `.csv` as CSV, anything else as LFW pairs.txt."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PairsFileInvalid(f"Cannot read {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        return parse_csv_pairs(text, root)
    return parse_lfw_pairs(text, root)


def lfw_image(root: Path, name: str, index: int) -> Path:
    """LFW's layout: `<root>/<name>/<name>_<index:04d>.jpg`."""
    return root / name / f"{name}_{index:04d}.jpg"


def parse_lfw_pairs(text: str, root: Path) -> PairSet:
    """LFW pairs.txt: a header "<folds> <pairs per fold and class>" (then each fold is that many
    same-person lines followed by as many different-person lines) or a single count (one set of
    same lines then different lines, no folds). Same: `name i j`; different: `n1 i n2 j`."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines:
        raise PairsFileInvalid("The pairs file is empty.")
    folds, per_class = _lfw_header(lines[0])
    body = lines[1:]
    if len(body) != 2 * folds * per_class:
        raise PairsFileInvalid(
            f"The header promises {2 * folds * per_class} pairs; the file has {len(body)}."
        )
    pairs = []
    for number, fields in enumerate(body):
        fold, position = divmod(number, 2 * per_class)
        same = position < per_class
        pairs.append(_lfw_pair(fields, root, same, fold if folds > 1 else None, number + 2))
    return PairSet(tuple(pairs), "file" if folds > 1 else "none")


def _lfw_header(fields: Sequence[str]) -> tuple[int, int]:
    try:
        numbers = [int(f) for f in fields]
    except ValueError as exc:
        raise PairsFileInvalid("The first line must be '<folds> <pairs>' or '<pairs>'.") from exc
    if len(numbers) == 1 and numbers[0] > 0:
        return 1, numbers[0]
    if len(numbers) == 2 and min(numbers) > 0:
        return numbers[0], numbers[1]
    raise PairsFileInvalid("The first line must be '<folds> <pairs>' or '<pairs>'.")


def _lfw_pair(fields: Sequence[str], root: Path, same: bool, fold: int | None,
              line: int) -> Pair:
    try:
        if same and len(fields) == 3:
            name, i, j = fields
            return Pair(lfw_image(root, name, int(i)), lfw_image(root, name, int(j)), True, fold)
        if not same and len(fields) == 4:
            a, i, b, j = fields
            return Pair(lfw_image(root, a, int(i)), lfw_image(root, b, int(j)), False, fold)
    except ValueError as exc:
        raise PairsFileInvalid(f"Line {line}: image numbers must be integers.") from exc
    kind = "'name idx1 idx2'" if same else "'name1 idx1 name2 idx2'"
    raise PairsFileInvalid(f"Line {line}: expected a {'same' if same else 'different'}-person "
                           f"pair {kind}.")


def parse_csv_pairs(text: str, root: Path) -> PairSet:
    """CSV with a header `path_a,path_b,same[,fold]`; paths relative to `root`; same is 1/0 or
    true/false."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"path_a", "path_b", "same"} - set(reader.fieldnames or ())
    if missing:
        raise PairsFileInvalid(f"The CSV lacks the column(s) {', '.join(sorted(missing))}.")
    has_fold = "fold" in (reader.fieldnames or ())
    pairs = [_csv_pair(row, root, has_fold, number + 2) for number, row in enumerate(reader)]
    if not pairs:
        raise PairsFileInvalid("The CSV has no pairs.")
    return PairSet(tuple(pairs), "file" if has_fold else "none")


_TRUTH = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _csv_pair(row: dict[str, str], root: Path, has_fold: bool, line: int) -> Pair:
    same = _TRUTH.get((row.get("same") or "").strip().lower())
    if same is None or not row.get("path_a") or not row.get("path_b"):
        raise PairsFileInvalid(f"Line {line}: needs path_a, path_b and same (1/0).")
    fold = None
    if has_fold:
        try:
            fold = int(row["fold"])
        except (TypeError, ValueError) as exc:
            raise PairsFileInvalid(f"Line {line}: fold must be an integer.") from exc
    return Pair(root / row["path_a"].strip(), root / row["path_b"].strip(), same, fold)
