"""`keyuan demo month` prints names, not script labels: every fraud pattern and household in the
script has a name in both languages, every outcome and step is in words."""

from __future__ import annotations

from keyuan.demo import month, patterns


def test_every_scripted_pattern_has_a_name_in_both_languages() -> None:
    labels = {e.who.removesuffix("w") for e in month.SCRIPT if e.who[0] in "fh"}
    assert labels == set(patterns.PATTERNS)
    for zh, en in patterns.PATTERNS.values():
        assert zh and en and zh != en
    assert patterns.pattern("h1w") == patterns.PATTERNS["h1"]
    assert patterns.pattern("c01") == patterns.ORDINARY
    assert patterns.pattern("n12") == patterns.NO_DEAL
    gaming = {e.who[0] for e in month.RISK_SCRIPT}
    assert gaming == set(patterns.GAMING)
    for label in {e.who for e in month.RISK_SCRIPT}:
        assert patterns.pattern(label) == patterns.GAMING[label[0]]


def test_every_step_and_outcome_of_the_script_is_in_words() -> None:
    assert {e.kind for e in month.SCRIPT} <= set(patterns.STEPS)
    for e in month.SCRIPT:
        if e.expect is not None:
            told = patterns.outcome(e.expect, month.CHANNEL_NAMES)
            assert told != e.expect and told != "—", e.expect


def test_a_households_deciding_evidence_reads_as_words() -> None:
    assert patterns.decided_by([("visit", "co1")]) == \
        "由共同购房人 1的到访决定 (decided by co-buyer 1's visit)"
    assert patterns.decided_by([("registration", "main")]) == \
        "由主购人的报备决定 (decided by main buyer's registration)"
