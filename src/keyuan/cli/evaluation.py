"""`keyuan eval ...`: accuracy and thresholds measured on PUBLIC labelled face photos only.

Each command parses its labelled sets (`--set NAME=PAIRS:ROOT`, repeatable, or the single-set
`--pairs/--root`) and engines (`--engine dlib|sface|both`), evaluates every set × engine, writes
one JSON and one SVG per set × engine under --out and prints one table with a column per set ×
engine (or the JSON with --json). Templates are cached by photo SHA-256 and engine model under
--cache; the cache is for public test photos only and must never be given visitor data."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from keyuan.cli.common import handles_refusals, settings_for
from keyuan.evaluation import calibrate as calibration
from keyuan.evaluation import identify as identification
from keyuan.evaluation import liveness as live_eval
from keyuan.evaluation import multiframe, proposal
from keyuan.evaluation import verify as verification
from keyuan.evaluation.cache import DEFAULT_CACHE_DIR
from keyuan.evaluation.pairs import load_pairs
from keyuan.evaluation.plots import identify_svg, verify_svg
from keyuan.evaluation.runner import (
    DEFAULT_WORKERS,
    EmbedOptions,
    EvaluationInterrupted,
    embed_photos,
)
from keyuan.evaluation.sets import EvalSet, EvalSetInvalid, engine_kinds, parse_set, unique_names
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
Root = Annotated[Path | None, typer.Option(exists=True, file_okay=False,
                                           help="Folder of <identity>/<photos> (one set).")]
Sets = Annotated[list[str] | None, typer.Option(
    "--set", help="A labelled set NAME=PAIRS:ROOT (repeatable; for 1:N also NAME=ROOT, a folder "
    "of <identity>/<photos> or one holding identities/). Each is reported side by side.")]
Engine = Annotated[str | None, typer.Option(
    help="dlib, sface or both (default: the configured face.engine).")]


def _options(cache: Path, no_cache: bool, workers: int, progress: bool | None,
             whole_crop: bool = True) -> EmbedOptions:
    return EmbedOptions(settings_for(None).face, None if no_cache else cache, workers,
                        sys.stderr.isatty() if progress is None else progress, whole_crop)


def _per_engine(options: EmbedOptions, engine: str | None) -> list[EmbedOptions]:
    """One set of options per engine asked for; each engine's templates are cached apart."""
    try:
        kinds = engine_kinds(engine or options.settings.engine)
    except EvalSetInvalid as exc:
        raise typer.BadParameter(exc.message, param_hint="--engine") from exc
    return [replace(options, settings=options.settings.model_copy(update={"engine": k}))
            for k in kinds]


def _sets(given: list[str] | None, legacy: EvalSet | None, *, pairs_required: bool,
          ) -> list[EvalSet]:
    try:
        sets = [parse_set(text, pairs_required=pairs_required) for text in given or ()]
        return unique_names(([legacy] if legacy else []) + sets)
    except EvalSetInvalid as exc:
        raise typer.BadParameter(exc.message, param_hint="--set") from exc


def _legacy_set(root: Path | None, pairs: Path | None = None) -> EvalSet | None:
    if root is None:
        if pairs is not None:
            raise typer.BadParameter("--pairs needs --root", param_hint="--root")
        return None
    return EvalSet(root.resolve().name or "set", root, pairs)


Report = dict[str, Any]


def _run(kind: str, out: Path, as_json: bool, work: Callable[[], list[Report]],
         lines: Callable[[list[Report]], list[str]],
         plot: Callable[[Mapping[str, Any]], str] | None) -> None:
    try:
        reports = work()
    except EvaluationInterrupted as exc:  # Ctrl-C: the shell's 128 + SIGINT, not a refusal
        typer.echo(f"\n{exc.message}", err=True)
        raise typer.Exit(130) from exc
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{kind}.json").write_text(dumps({"kind": kind, "runs": reports}), encoding="utf-8")
    written = [out / f"{kind}.json"]
    for report in reports:
        if plot is not None:  # distributions only: no face image is ever written
            svg = out / f"{kind}-{report['set']}-{report['engine']}.svg"
            svg.write_text(plot(report), encoding="utf-8")
            written.append(svg)
    if as_json:
        typer.echo(dumps({"kind": kind, "runs": [
            {k: v for k, v in r.items() if k != "distances"} for r in reports]}))
    else:
        typer.echo("\n".join([*lines(reports), "written: " + ", ".join(map(str, written))]))


def dumps(report: Mapping[str, Any]) -> str:
    """Sorted keys and rounded numbers: the same inputs give the same bytes."""
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@eval_cli.command()
@handles_refusals
def verify(
    sets: Sets = None,
    pairs: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="One set: LFW pairs.txt, or CSV "
        "path_a,path_b,same[,fold] (any number of folds, or none).")] = None,
    root: Annotated[Path | None, typer.Option(
        exists=True, file_okay=False, help="Folder the --pairs paths are relative to.")] = None,
    engine: Engine = None,
    threshold: Annotated[float | None, typer.Option(
        help="Decision threshold (default: the engine's configured verify threshold; only "
        "with a single engine: each engine has its own scale).")] = None,
    probe_frames: Annotated[int, typer.Option(
        min=1, max=10, help="Also measure probes made of K photos of the probe's person (mean "
        "and quality-weighted mean of the frames) against single frames, on the same pairs.")]
    = 1,
    as_json: Json = False, out: Out = DEFAULT_OUT, cache: Cache = DEFAULT_CACHE_DIR,
    no_cache: NoCache = False, workers: Workers = DEFAULT_WORKERS, progress: Progress = None,
    whole_crop: WholeCrop = True,
) -> None:
    """1:1 verification per set × engine: FAR/FRR at the threshold with 95% intervals and the
    FAR resolution, TAR@FAR, EER, k-fold accuracy, detection failures."""
    chosen = _sets(sets, _legacy_set(root, pairs), pairs_required=True)
    engines = _per_engine(_options(cache, no_cache, workers, progress, whole_crop), engine)
    if threshold is not None and len(engines) > 1:
        raise typer.BadParameter("one threshold cannot serve two engines' scales; "
                                 "give --engine", param_hint="--threshold")

    def work() -> list[Report]:
        reports = []
        for labelled in chosen:
            assert labelled.pairs is not None
            pairset = load_pairs(labelled.pairs, labelled.root)
            for options in engines:
                t = options.settings.verify_threshold if threshold is None else threshold
                reports.append(verification.run_verify(pairset, options, t,
                                                       set_name=labelled.name,
                                                       probe_frames=probe_frames))
        return reports

    def lines(reports: list[Report]) -> list[str]:
        return verification.summary_lines(reports) + multiframe.summary_lines(reports)

    _run("verify", out, as_json, work, lines, verify_svg)


@eval_cli.command()
@handles_refusals
def identify(
    sets: Sets = None, root: Root = None, engine: Engine = None,
    as_json: Json = False, out: Out = DEFAULT_OUT, cache: Cache = DEFAULT_CACHE_DIR,
    no_cache: NoCache = False, workers: Workers = DEFAULT_WORKERS, progress: Progress = None,
) -> None:
    """1:N open-set identification per set × engine: rank-1, FNIR and FPIR at the match and
    review thresholds."""
    chosen = _sets(sets, _legacy_set(root), pairs_required=False)
    engines = _per_engine(_options(cache, no_cache, workers, progress), engine)

    def work() -> list[Report]:
        return [identification.identify_report(
                    identification.load_labelled(labelled.identities_root(), options),
                    options.settings, set_name=labelled.name)
                for labelled in chosen for options in engines]

    _run("identify", out, as_json, work, identification.summary_lines, identify_svg)


@eval_cli.command()
@handles_refusals
def calibrate(
    sets: Sets = None, root: Root = None, engine: Engine = None,
    target_fpir: Annotated[float, typer.Option(min=1e-9, max=0.5,
                                               help="1:N false positives allowed.")]
    = DEFAULT_TARGET_FPIR,
    review_fpir: Annotated[float, typer.Option(min=1e-9, max=0.5,
                                               help="Strangers shown for review.")]
    = DEFAULT_REVIEW_FPIR,
    target_far: Annotated[float, typer.Option(min=1e-9, max=0.5,
                                              help="1:1 false accepts allowed.")]
    = DEFAULT_TARGET_FAR,
    review_far: Annotated[float, typer.Option(
        min=1e-9, max=0.5, help="1:1 impostor claims reaching the uncertain band (review).")]
    = calibration.DEFAULT_REVIEW_FAR,
    as_json: Json = False, out: Out = DEFAULT_OUT, cache: Cache = DEFAULT_CACHE_DIR,
    no_cache: NoCache = False, workers: Workers = DEFAULT_WORKERS, progress: Progress = None,
) -> None:
    """Per engine, the thresholds to ship over every set (the stricter set wins) with their FAR,
    FRR, FPIR and FNIR on each set and a ready-to-paste EngineThresholds block; per set ×
    engine, the gallery-size rule and the two levers."""
    chosen = _sets(sets, _legacy_set(root), pairs_required=False)
    engines = _per_engine(_options(cache, no_cache, workers, progress), engine)
    targets = calibration.Targets(target_fpir, review_fpir, target_far, review_far)

    def work() -> list[Report]:
        return [_calibrate_one(labelled, options, targets)
                for labelled in chosen for options in engines]

    def lines(reports: list[Report]) -> list[str]:
        out_lines = [line for r in reports for line in calibration.summary_lines(r)]
        for kind in dict.fromkeys(r["engine"] for r in reports):
            mine = [r for r in reports if r["engine"] == kind]
            proposed = proposal.propose(mine, targets)
            out_lines += ["", *proposal.proposal_lines(proposed, targets), "",
                          "ready to paste (config/face.py):", *proposal.paste_block(proposed),
                          "impostor tails (services/faces/calibration.py ENGINE_TAILS):",
                          *proposal.tail_lines(mine)]
        return out_lines

    _run("calibrate", out, as_json, work, lines, None)


def _calibrate_one(labelled: EvalSet, options: EmbedOptions,
                   targets: calibration.Targets) -> Report:
    photos = identification.load_labelled(labelled.identities_root(), options)
    scores = None
    if labelled.pairs is not None:
        pairset = load_pairs(labelled.pairs, labelled.root)
        paths = [p for pair in pairset.pairs for p in (pair.path_a, pair.path_b)]
        distances, same = verification.pair_scores(pairset, embed_photos(paths, options))
        scores = (distances[same], distances[~same])
    return calibration.calibrate_report(photos, options.settings, targets,
                                        set_name=labelled.name, pair_scores=scores)


Video = Annotated[Path | None, typer.Option(
    exists=True, dir_okay=False,
    help="A PUBLIC video clip replayed against random challenges (e.g. the shared set's "
    "video/short_hamilton_clip.mp4).")]


@eval_cli.command()
@handles_refusals
def liveness(
    sets: Sets = None, video: Video = None, engine: Engine = None,
    steps: Annotated[int, typer.Option(min=1, max=6, help="Steps per challenge.")] = 3,
    replay_trials: Annotated[int, typer.Option(
        min=1, max=100_000, help="Random (start, challenge) trials of the replayed clip.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the attacks' randomness.")] = 18,
    as_json: Json = False, out: Out = DEFAULT_OUT, progress: Progress = None,
) -> None:
    """Attack acceptance and genuine rejection of the liveness check per set (`--set NAME=ROOT`):
    still photos (repeated; moved about with noise and re-encoding), the replayed clip
    (`--video`) against random challenges, and genuine sequences ASSEMBLED FROM DISTINCT PHOTOS
    of one person (not live recordings); passive checks alone and with a challenge."""
    chosen = _sets(sets, None, pairs_required=False) if sets else []
    if not chosen and video is None:
        raise typer.BadParameter("give at least one --set or --video", param_hint="--set")
    settings = settings_for(None)
    face = settings.face.model_copy(update={"engine": engine}) if engine else settings.face
    if engine:
        _per_engine(_options(DEFAULT_CACHE_DIR, True, 1, False), engine)  # validates the name
    deps = live_eval.build_deps(face, settings.liveness)
    options = live_eval.LivenessEvalOptions(
        sets=[(s.name, s.root) for s in chosen], video=video, n_steps=steps,
        replay_trials=replay_trials, seed=seed)
    show = sys.stderr.isatty() if progress is None else progress

    def work() -> list[Report]:
        return [live_eval.liveness_report(
            options, deps, (lambda text: typer.echo(text, err=True)) if show else
            (lambda _: None))]

    _run("liveness", out, as_json, work, lambda reports: live_eval.summary_lines(reports[0]),
         None)
