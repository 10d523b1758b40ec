"""The scripted demos' liveness settings (`keyuan demo`, `keyuan demo month`): the challenge
switched off, and said so.

A deployment requires the liveness challenge by default (`liveness.challenge_required`): the
kiosk's return visit, the signing desk's live face and the rights desk's in-person check ask for
random head movements. The scripted demos record those decisions through the services with
photos, which cannot follow a random challenge; so they run as an office that switched it off
(`KEYUAN_LIVENESS__CHALLENGE_REQUIRED=false`) would, print that they do, and publish the
notice such an office publishes. The passive checks run as deployed; nothing is weakened."""

from __future__ import annotations

from keyuan.config.liveness import LivenessSettings

SCRIPTED = LivenessSettings(challenge_required=False)
"""The shipped liveness settings but for the challenge."""

NOTE = ("liveness: this demo runs WITHOUT the liveness challenge (random head movements), as an "
        "office that set\n  KEYUAN_LIVENESS__CHALLENGE_REQUIRED=false would: its visitors are "
        "photos, which cannot follow one.\n  The passive checks run as deployed. `keyuan serve` "
        "requires the challenge by default.\n")
"""What the demos print before their first visit."""
