"""Which labelled sets and which engines one `keyuan eval` run covers.

A set is named on the command line as `NAME=PAIRS:ROOT` (a pairs file and the folder its paths
are relative to) or, for 1:N, `NAME=ROOT` (a folder of `<identity>/<photos>`, or a data set's
folder holding `identities/`). Each set is reported beside the others, per engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from keyuan.domain.errors import KeyuanError

EngineKind = Literal["dlib", "sface"]
ENGINE_CHOICES: dict[str, tuple[EngineKind, ...]] = {
    "dlib": ("dlib",), "sface": ("sface",), "both": ("dlib", "sface")}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
"""A set name is part of output file names: letters, digits, `_.-`, at most 40."""


class EvalSetInvalid(KeyuanError):
    code, status = "eval_set_invalid", 400
    default_message = "A labelled set must be given as NAME=PAIRS:ROOT (or NAME=ROOT for 1:N)."


@dataclass(frozen=True)
class EvalSet:
    name: str
    root: Path
    pairs: Path | None = None

    def identities_root(self) -> Path:
        """The folder of `<identity>/<photos>` for 1:N: `ROOT/identities` when it exists (the
        layout of the shared data sets, whose pairs are relative to the set's folder)."""
        nested = self.root / "identities"
        return nested if nested.is_dir() else self.root


def parse_set(text: str, *, pairs_required: bool) -> EvalSet:
    """`NAME=PAIRS:ROOT` or `NAME=ROOT`; a missing file or folder is refused here, before any
    photo is embedded."""
    name, sep, spec = text.partition("=")
    if not sep or not NAME.match(name.strip()) or not spec:
        raise EvalSetInvalid(f"{text!r}: expected NAME=PAIRS:ROOT, NAME of letters, digits, _.-")
    pairs_text, colon, root_text = spec.partition(":")
    if not colon:
        if pairs_required:
            raise EvalSetInvalid(f"{text!r}: 1:1 needs a pairs file: NAME=PAIRS:ROOT")
        pairs_text, root_text = "", spec
    pairs = Path(pairs_text) if pairs_text else None
    root = Path(root_text)
    if pairs is not None and not pairs.is_file():
        raise EvalSetInvalid(f"set {name}: no pairs file {pairs}")
    if not root.is_dir():
        raise EvalSetInvalid(f"set {name}: no folder {root}")
    return EvalSet(name.strip(), root, pairs)


def unique_names(sets: list[EvalSet]) -> list[EvalSet]:
    names = [s.name for s in sets]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise EvalSetInvalid(f"set name {duplicated[0]!r} given twice")
    if not sets:
        raise EvalSetInvalid("no labelled set: give --set NAME=PAIRS:ROOT (or --pairs/--root)")
    return sets


def engine_kinds(choice: str) -> tuple[EngineKind, ...]:
    kinds = ENGINE_CHOICES.get(choice)
    if kinds is None:
        raise EvalSetInvalid(f"unknown engine {choice!r}: use dlib, sface or both")
    return kinds
