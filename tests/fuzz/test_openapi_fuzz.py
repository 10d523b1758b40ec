"""Property-based fuzzing of the OpenAPI schema (schemathesis): every operation, with data that
fits the schema and data that does not, sent over real HTTP to a live app by an admin, by a
distributor's account (its own channel), by a paired kiosk tablet and by nobody (no
credentials). Not one answer may be a
server error; any other answer is allowed (a 4xx is the point of most)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from .conftest import EXAMPLES, MIN_REQUESTS, REQUESTS_PROPERTY, ROLE_EXAMPLES, Target

SKIPPED = {
    "POST /api/auth/logout": "would end the fuzzer's own session",
    "POST /api/cameras/{camera_id}/pull": "opens the generated URL as a live stream",
}
FEWER = {"POST /api/auth/login": 5, "POST /api/auth/token": 5}
"""Each of these hashes a password (argon2id, ~0.3 s): a few examples say as much."""
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
PASSES = (("admin", EXAMPLES), ("distributor", ROLE_EXAMPLES), ("kiosk", ROLE_EXAMPLES),
          ("anonymous", ROLE_EXAMPLES))
"""Who calls, and at most how many examples per operation and mode."""
CLOSED = {401, 403}
PROBE = 5
"""A caller's first examples of an operation: when every answer is 401/403 (the operation is
closed to this caller), generating more would only test the same refusal again."""


def _name(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _operations(target: Target) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{target.live.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if _name(op) not in SKIPPED]


def _strategy(operation: Any, mode: GenerationMode, target: Target) -> Any:
    # Data that fits the schema goes to the real office and channel half the way down; the
    # negative mode mutates every part, path parameters included.
    known = {"office_id": "demo-office", "channel_id": target.channel_id}
    fixed = {k: v for k, v in known.items() if f"{{{k}}}" in operation.path}
    return operation.as_strategy(generation_mode=mode, path_parameters=(
        fixed if fixed and mode is GenerationMode.POSITIVE else None))


def _run(operation: Any, mode: GenerationMode, target: Target, headers: dict[str, str],
         examples: int, answer: Callable[[Any], None], *, fixed_seed: int | None = None) -> None:
    """`examples` generated requests, the same on every run: derandomized, or from
    `fixed_seed` (then other examples than the derandomized run's)."""
    @settings(max_examples=examples, deadline=None, database=None,
              derandomize=fixed_seed is None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, mode, target))
    def run(case: Any) -> None:
        answer(case.call(base_url=target.live.base_url, headers=headers, timeout=60))

    if fixed_seed is not None:
        run = seed(fixed_seed)(run)

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters)
        assert mode is GenerationMode.NEGATIVE, _name(operation)


def _fuzz(operation: Any, mode: GenerationMode, target: Target, caller: str, examples: int,
          seen: Counter[str], failures: list[str]) -> None:
    statuses: list[int] = []

    def answer(response: Any) -> None:
        statuses.append(response.status_code)
        seen[str(response.status_code)] += 1
        if response.status_code >= 500:
            failures.append(f"{_name(operation)} ({mode.value}, {caller}): "
                            f"{response.status_code} {response.text[:200]}")

    headers = target.callers[caller]
    examples = min(FEWER.get(_name(operation), examples), examples)
    if examples > PROBE:
        _run(operation, mode, target, headers, PROBE, answer)
        if set(statuses) <= CLOSED:
            return  # closed to this caller: the probe's refusals say so
        # the rest from a fixed seed: a second derandomized run would repeat the probe's
        _run(operation, mode, target, headers, examples - len(statuses), answer, fixed_seed=1)
        return
    _run(operation, mode, target, headers, examples, answer)


@pytest.mark.timeout(1800)  # one store's whole budget, three callers
def test_no_generated_request_gets_a_server_error(
    target: Target, record_property: Callable[[str, object], None],
) -> None:
    operations = _operations(target)
    failures: list[str] = []
    counts: dict[str, Counter[str]] = {}
    for caller, examples in PASSES:
        seen = counts[caller] = Counter()
        for operation in operations:
            for mode in MODES:
                _fuzz(operation, mode, target, caller, examples, seen, failures)
    total = sum(sum(seen.values()) for seen in counts.values())
    for caller, seen in counts.items():
        print(f"\n{caller}: {sum(seen.values())} requests: {dict(sorted(seen.items()))}")
    print(f"\nfuzzed {len(operations)} operations with {total} requests, "
          f"{len(failures)} server errors")
    assert failures == [], "\n".join(failures[:40])
    assert total >= MIN_REQUESTS, f"only {total} requests generated"  # the budget was spent
    record_property(REQUESTS_PROPERTY, total)
