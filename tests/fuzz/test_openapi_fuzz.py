"""Property-based fuzzing of the OpenAPI schema (schemathesis): every operation, with data that
fits the schema and data that does not, sent by an admin over real HTTP to a live app. Not one
answer may be a server error; any other answer is allowed (a 4xx is the point of most)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from .conftest import EXAMPLES, MIN_REQUESTS, Target

SKIPPED = {
    "POST /api/auth/logout": "would end the fuzzer's own session",
    "POST /api/cameras/{camera_id}/pull": "opens the generated URL as a live stream",
}
FEWER = {"POST /api/auth/login": 5, "POST /api/auth/token": 5}
"""Each of these hashes a password (argon2id, ~0.3 s): a few examples say as much."""
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


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


def _fuzz(operation: Any, mode: GenerationMode, target: Target, seen: Counter[str],
          failures: list[str]) -> None:
    @settings(max_examples=FEWER.get(_name(operation), EXAMPLES), deadline=None, database=None,
              derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, mode, target))
    def run(case: Any) -> None:
        response = case.call(base_url=target.live.base_url, headers=target.headers, timeout=60)
        seen[str(response.status_code)] += 1
        if response.status_code >= 500:
            failures.append(f"{_name(operation)} ({mode.value}): {response.status_code} "
                            f"{response.text[:200]}")

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters)
        assert mode is GenerationMode.NEGATIVE, _name(operation)


def test_no_generated_request_gets_a_server_error(target: Target) -> None:
    seen: Counter[str] = Counter()
    failures: list[str] = []
    operations = _operations(target)
    for operation in operations:
        for mode in MODES:
            _fuzz(operation, mode, target, seen, failures)
    total = sum(seen.values())
    print(f"\nfuzzed {len(operations)} operations with {total} requests: {dict(seen)}")
    assert failures == [], "\n".join(failures[:40])
    assert total >= MIN_REQUESTS, f"only {total} requests generated"  # the budget was spent
