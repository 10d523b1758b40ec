"""The liveness challenge (活体挑战) in the test apps: the one place that switches it off.

A deployment requires the challenge by default (`liveness.challenge_required`): the kiosk's
return visit, the signing desk's live face and the rights desk's in-person check refuse frames
without one (`challenge_missing`). The test apps (`support.live.live_server`, the integration
`make_kiosk` and `make_settings`, the browser `live`, the e2e servers, the unit harness) run
WITHOUT it unless a test names its own `liveness` settings: then they run the shipped defaults
plus what it names (`AS_SHIPPED`: the defaults alone), as the tests about liveness do."""

from __future__ import annotations

from collections.abc import Mapping

from keyuan.config.liveness import LivenessSettings

WITHOUT_CHALLENGE: Mapping[str, object] = {"challenge_required": False}
"""The `liveness` settings of every test app that is not about liveness. Why: those tests
exercise attribution, consent, throttles, audit, retention, backups and pages through face
returns, desk signings and in-person checks whose frames are distinct still photos of the public
set or the fake engine's drawn faces: a random head-movement challenge cannot be followed with
them (only `support.sequences`' posed frames and the browser's posed clip can, for fixed steps).
The passive checks still run on their frames. The challenge itself is tested where it is the
subject, with the shipped default: tests/integration/test_liveness_*.py,
tests/integration/test_default_deployment.py and tests/browser/test_liveness_challenge.py."""

WITHOUT_CHALLENGE_ENV: Mapping[str, str] = {"KEYUAN_LIVENESS__CHALLENGE_REQUIRED": "false"}
"""`WITHOUT_CHALLENGE` as the environment of a `keyuan serve` process (tests/e2e)."""

AS_SHIPPED: Mapping[str, object] = {}
"""`liveness=AS_SHIPPED`: the shipped liveness defaults, challenge required."""


def liveness_for(given: Mapping[str, object] | None) -> dict[str, object]:
    """The `liveness` settings of a test app: `WITHOUT_CHALLENGE` unless the test names its own
    (`given`, over the shipped defaults)."""
    return dict(WITHOUT_CHALLENGE if given is None else given)


def liveness_settings(given: Mapping[str, object] | None = None) -> LivenessSettings:
    """`liveness_for(given)` as the settings object `Deps` takes (unit tests of services)."""
    return LivenessSettings.model_validate(liveness_for(given))
