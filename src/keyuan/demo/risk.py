"""The 风控报告 at the end of `keyuan demo month`: each channel with the signals that fired, in
words (zh-CN and en, from the page catalog), checked against what the script's gaming should
raise — at least four different signals on the gaming channels and none on the honest ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TextIO

from keyuan.domain.attribution.risk import Signal
from keyuan.services.attribution.risk import RiskReport, risk_report
from keyuan.services.ports import Deps
from keyuan.web.i18n import Translator

DAYS = 40
"""The report's window: every registration of the month."""
EXPECTED_SIGNALS: dict[str, set[str]] = {
    "D4": {"never_visited", "escorts_before_expiry", "reregistered_after_expiry"},
    "D5": {"across_projects", "masked_collision"},
}
"""The signals each gaming channel must raise; every other channel must raise none."""


def rule_words(rule: str) -> str:
    key = f"dashboard.risk_rule_{rule}"
    return f"{Translator('zh-CN')(key)} ({Translator('en')(key)})"


def _signal_words(s: Signal) -> str:
    agent = f", 经纪人 {s.agent_name}" if s.agent_name else ""
    return f"{rule_words(s.rule)} ×{s.count}{agent}"


def check_risk(deps: Deps, office_id: str, channels: Mapping[str, str],
               names: Mapping[str, str], out: TextIO) -> tuple[RiskReport, list[str]]:
    """Print the office's report per channel (`channels`: label → id, `names`: label → name)
    and answer the differences from `EXPECTED_SIGNALS`."""
    report = risk_report(deps, office_id=office_id, days=DAYS)
    fired: dict[str, list[Signal]] = defaultdict(list)
    for s in report.signals:
        fired[s.channel_id].append(s)
    applied = f"the office's own thresholds, set by {report.own.set_by}" if report.own \
        else "the default thresholds"
    out.write(f"\nRisk report (风控报告), last {DAYS} days, {applied}\n")
    problems = []
    for label, channel_id in channels.items():
        signals = fired.get(channel_id, [])
        told = "".join(f"\n    - {_signal_words(s)}" for s in signals)
        out.write(f"  {names[label]}:{told or ' 无风控信号 (no risk signal)'}\n")
        got, want = {s.rule for s in signals}, EXPECTED_SIGNALS.get(label, set())
        if got != want:
            problems.append(f"{names[label]}: risk signals "
                            f"{', '.join(sorted(got)) or 'none'}, expected "
                            f"{', '.join(sorted(want)) or 'none'}")
    return report, problems
