"""Thresholds proposed over several sets: the stricter set wins, a set too small for the target
is held to zero impostor accepts and says so, and rounding never loosens (synthetic distances)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from keyuan.evaluation import proposal
from keyuan.evaluation.calibrate import Targets

TARGETS = Targets(fpir=0.001, review_fpir=0.01, far=0.001, review_far=0.01)


def report(name: str, impostor: np.ndarray, genuine: np.ndarray, *,
           nonmated: np.ndarray | None = None, engine: str = "sface") -> dict[str, Any]:
    nonmated = impostor[:200] if nonmated is None else nonmated
    return {
        "set": name, "engine": engine, "gallery_size": 20,
        "impostor_tail": {"fitted": {"median": float(np.median(impostor)), "sigma": 0.1,
                                     "source": name}, "different_pairs": int(impostor.size)},
        "distances": {"pair_same": genuine.tolist(), "pair_different": impostor.tolist(),
                      "all_same": genuine.tolist(), "all_different": impostor.tolist(),
                      "mated": genuine[:50].tolist(),
                      "mated_rank1": [True] * len(genuine[:50]),
                      "nonmated": nonmated.tolist()},
    }


def test_the_stricter_set_wins_and_a_coarse_set_is_held_to_zero_accepts() -> None:
    rng = np.random.default_rng(3)
    wide = report("mixed", np.sort(rng.uniform(1.0, 1.5, 5000)), rng.uniform(0.3, 0.9, 300))
    narrow = report("east-asian", np.sort(np.append(rng.uniform(0.9, 1.3, 399), 0.8123)),
                    rng.uniform(0.3, 0.9, 300))
    p = proposal.propose([wide, narrow], TARGETS)
    verify = {b["set"]: b for b in p["bounds"]["verify"]}
    assert not verify["mixed"]["coarse"] and verify["east-asian"]["coarse"]
    assert verify["east-asian"]["bound"] < 0.8123  # just below its closest impostor
    assert p["thresholds"]["verify"] == 0.812  # floor to 3 decimals: never looser
    costs = {c["set"]: c for c in p["per_set"]}
    assert costs["east-asian"]["far_verify"]["count"] == 0
    assert costs["mixed"]["far_verify"]["count"] == 0  # stricter than its own bound
    assert p["thresholds"]["verify"] <= p["thresholds"]["verify_review"]
    assert p["thresholds"]["identify"] < p["thresholds"]["identify_review"]
    assert "zero impostor accepts: resolution 0.25%" in p["measured"]


def test_a_resolvable_target_allows_its_share_of_accepts() -> None:
    impostor = np.linspace(1.0, 2.0, 2000)  # FAR 1% allows 20 accepts
    p = proposal.propose([report("big", impostor, np.full(10, 0.5))], TARGETS)
    edge = p["bounds"]["verify_review"][0]
    assert not edge["coarse"] and impostor[19] <= edge["bound"] < impostor[20]
    assert p["per_set"][0]["far_verify_review"]["count"] == 20


def test_equal_1_to_n_bounds_get_a_review_edge_above_the_match_and_say_so() -> None:
    few = np.array([1.0, 1.1, 1.2])  # three non-mated searches: both targets mean zero accepts
    r = report("tiny", np.linspace(1.0, 2.0, 3000), np.full(10, 0.5), nonmated=few)
    r["impostor_tail"]["fitted"]["sigma"] = 0.001  # the tail rule does not bind
    p = proposal.propose([r], TARGETS)
    assert p["thresholds"]["identify_review"] == pytest.approx(
        p["thresholds"]["identify"] + proposal.REVIEW_GAP)
    assert p["notes"]


def test_the_paste_block_is_valid_python_for_engine_thresholds() -> None:
    from keyuan.config.face import EngineThresholds

    rng = np.random.default_rng(5)
    p = proposal.propose([report("a", rng.uniform(1.0, 1.5, 900), rng.uniform(0.3, 0.8, 90))],
                         TARGETS)
    source = "\n".join(proposal.paste_block(p))
    namespace: dict[str, Any] = {"EngineThresholds": EngineThresholds}
    exec(source, namespace)  # the block the lead pastes into config/face.py
    made = namespace["SFACE_THRESHOLDS"]
    assert made.verify == p["thresholds"]["verify"] and made.measured == p["measured"]
    assert all(len(line) <= 100 for line in source.splitlines())
