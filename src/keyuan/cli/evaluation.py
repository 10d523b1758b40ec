"""`keyuan eval ...`: accuracy and thresholds measured on PUBLIC labelled face photos only.

Each command parses, runs one evaluation, writes JSON (+ an SVG plot) under --out and prints a
summary (or the JSON with --json). Templates are cached by photo SHA-256 under --cache; the cache
is for public test photos only and must never be given visitor data."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from keyuan.cli.common import handles_refusals, settings_for
from keyuan.evaluation import calibrate as calibration
from keyuan.evaluation import identify as identification
from keyuan.evaluation import verify as verification
from keyuan.evaluation.cache import DEFAULT_CACHE_DIR
from keyuan.evaluation.pairs import load_pairs
from keyuan.evaluation.plots import identify_svg, verify_svg
from keyuan.evaluation.runner import DEFAULT_WORKERS, EmbedOptions, EvaluationInterrupted
from keyuan.services.faces.calibration import (
    DEFAULT_REVIEW_FPIR,
    DEFAULT_TARGET_FAR,
    DEFAULT_TARGET_FPIR,
)

eval_cli = typer.Typer(
    help="Evaluation on PUBLIC labelled face photos (LFW, the project's public set): accuracy, "
    "error rates and calibrated thresholds. Never point it at visitor photos: it caches "
    "templates of the photos it reads.",
    no_args_is_help=True,
)

DEFAULT_OUT = Path("var/eval")

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")]
Out = Annotated[Path, typer.Option(help="Directory for the JSON results and SVG plot.")]
Cache = Annotated[Path, typer.Option(
    help="Template cache of PUBLIC test photos (keyed by file SHA-256; never visitor data).")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Embed every photo afresh.")]
Workers = Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")]
Progress = Annotated[bool | None, typer.Option(
    "--progress/--no-progress", help="Progress bar (default: when stderr is a terminal).")]
WholeCrop = Annotated[bool, typer.Option(
    "--whole-crop/--no-whole-crop",
    help="When no face is found even after padding, use a small crop whole as the face box.")]
Root = Annotated[Path, typer.Option(exists=True, file_okay=False,
                                    help="Folder of <identity>/<photos>.")]


def _options(cache: Path, no_cache: bool, workers: int, progress: bool | None,
             whole_crop: bool = True) -> EmbedOptions:
    return EmbedOptions(settings_for(None).face, None if no_cache else cache, workers,
                        sys.stderr.isatty() if progress is None else progress, whole_crop)


def _run(kind: str, out: Path, as_json: bool, work: Callable[[], dict[str, Any]],
         lines: Callable[[Mapping[str, Any]], list[str]],
         plot: Callable[[Mapping[str, Any]], str] | None) -> None:
    try:
        report = work()
    except EvaluationInterrupted as exc:  # Ctrl-C: the shell's 128 + SIGINT, not a refusal
        typer.echo(f"\n{exc.message}", err=True)
        raise typer.Exit(130) from exc
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{kind}.json").write_text(dumps(report), encoding="utf-8")
    written = [out / f"{kind}.json"]
    if plot is not None:
        (out / f"{kind}.svg").write_text(plot(report), encoding="utf-8")
        written.append(out / f"{kind}.svg")
    if as_json:
        typer.echo(dumps({k: v for k, v in report.items() if k != "distances"}))
    else:
        typer.echo("\n".join([*lines(report), "  written: " + ", ".join(map(str, written))]))


def dumps(report: Mapping[str, Any]) -> str:
    """Sorted keys and rounded numbers: the same inputs give the same bytes."""
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@eval_cli.command()
@handles_refusals
def verify(
    pairs: Annotated[Path, typer.Option(exists=True, dir_okay=False,
                                        help="LFW pairs.txt, or CSV path_a,path_b,same[,fold].")],
    root: Annotated[Path, typer.Option(exists=True, file_okay=False,
                                       help="Folder the pair paths are relative to.")],
    threshold: Annotated[float | None, typer.Option(
        help="Decision threshold (default: the configured face.verify_threshold).")] = None,
    as_json: Json = False, out: Out = DEFAULT_OUT, cache: Cache = DEFAULT_CACHE_DIR,
    no_cache: NoCache = False, workers: Workers = DEFAULT_WORKERS, progress: Progress = None,
    whole_crop: WholeCrop = True,
) -> None:
    """1:1 verification: accuracy at the threshold, 10-fold accuracy, TAR@FAR, EER."""
    options = _options(cache, no_cache, workers, progress, whole_crop)
    chosen = options.settings.verify_threshold if threshold is None else threshold
    _run("verify", out, as_json,
         lambda: verification.run_verify(load_pairs(pairs, root), options, chosen),
         verification.summary_lines, verify_svg)


@eval_cli.command()
@handles_refusals
def identify(
    root: Root, as_json: Json = False, out: Out = DEFAULT_OUT, cache: Cache = DEFAULT_CACHE_DIR,
    no_cache: NoCache = False, workers: Workers = DEFAULT_WORKERS, progress: Progress = None,
) -> None:
    """1:N open-set identification: rank-1, FNIR and FPIR at the match and review thresholds."""
    options = _options(cache, no_cache, workers, progress)
    _run("identify", out, as_json,
         lambda: identification.identify_report(
             identification.load_labelled(root, options), options.settings),
         identification.summary_lines, identify_svg)


@eval_cli.command()
@handles_refusals
def calibrate(
    root: Root,
    target_fpir: Annotated[float, typer.Option(min=1e-9, max=0.5,
                                               help="1:N false positives allowed.")]
    = DEFAULT_TARGET_FPIR,
    review_fpir: Annotated[float, typer.Option(min=1e-9, max=0.5,
                                               help="Strangers shown for review.")]
    = DEFAULT_REVIEW_FPIR,
    target_far: Annotated[float, typer.Option(min=1e-9, max=0.5,
                                              help="1:1 false accepts allowed.")]
    = DEFAULT_TARGET_FAR,
    as_json: Json = False, out: Out = DEFAULT_OUT, cache: Cache = DEFAULT_CACHE_DIR,
    no_cache: NoCache = False, workers: Workers = DEFAULT_WORKERS, progress: Progress = None,
) -> None:
    """Thresholds for a target FPIR by gallery size, their FNIR cost, and the two levers."""
    options = _options(cache, no_cache, workers, progress)
    targets = calibration.Targets(target_fpir, review_fpir, target_far)
    _run("calibrate", out, as_json,
         lambda: calibration.calibrate_report(
             identification.load_labelled(root, options), options.settings, targets),
         calibration.summary_lines, None)
