"""`keyuan demo month`: a month of 判客 and settlement at one office goes as scripted — every
fraud pattern decided as the rules say, statements totalling the hand-worked amounts — and a
difference makes it fail."""

from __future__ import annotations

import re
from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest

from keyuan.demo import month as demo_month
from keyuan.demo import risk as demo_risk
from keyuan.domain.attribution.risk import RULES


def run(faces: Path | None, data_dir: Path | None = None, **kw: bool | str | None
        ) -> tuple[int, str]:
    out = StringIO()
    code = demo_month.run_demo_month(faces, data_dir=data_dir, out=out, **kw)
    return code, out.getvalue()


def test_demo_month_goes_as_scripted_on_synthetic_faces(tmp_path: Path) -> None:
    code, output = run(None, tmp_path / "data", synthetic=True)

    assert code == 0, output
    assert "SYNTHETIC" in output
    assert "runs WITHOUT the liveness challenge" in output  # photos cannot follow one: said
    # each customer by the pattern they play, each channel by its name — no script labels
    assert ("报备 先到访后报备 (registered after the customer's own visit) · "
            in output)
    assert "ok -> 报备被拒 (registration refused)" in output  # answered at once
    assert "签约 撞单 (two channels claim one customer) · " in output
    assert "截客（改到访时间）" in output and "ok -> 链家分销" in output
    assert re.search(r"  扫码带访 .* · .*  ok -> ", output)  # some escorts show a pass (扫码带访)
    assert "as scripted: 59 visitors, 18 signings, 7 statements totalling 27,900,000 fen" in output
    assert "链家分销: 4 deals, 14,700,000 fen (expected 14,700,000)" in output
    # 渠道团队: its two stores' subtotals, each deal under the store its agent registered it in
    assert "门店 南京路店: 2 deals, 8,100,000 fen (expected 8,100,000)" in output
    assert "门店 淮海路店: 2 deals, 6,600,000 fen (expected 6,600,000)" in output
    # 置业顾问: three consultants take turns; every decision names the first visit's consultant
    assert "Consultants (置业顾问, 轮排)" in output and "gu-lin: received " in output
    assert "18 of 18 signings name the consultant who received the first visit" in output
    # 共同购房人: the wife's own earlier visit makes her husband's registered deal natural
    assert ("共同购房人：妻子先到访 (co-buyers: the wife visited first)" in output
            and "ok -> 自然到访 (natural visit); 由共同购房人 1的到访决定 (decided by co-buyer 1's "
            "visit)" in output)
    assert "ok -> 房天下分销; 由主购人的报备决定 (decided by main buyer's registration)" in output
    assert not re.search(r"\b(?:[fhcnsxepm]\d+w?|D\d|R\d|co\d)\b", output), \
        re.search(r"\b(?:[fhcnsxepm]\d+w?|D\d|R\d|co\d)\b", output)
    for pattern in ("registration_customer_known", "registration_protected_elsewhere",
                    "expired_before_visit", "protection_expired"):
        assert any(e.reason == pattern for e in demo_month.SCRIPT)


def test_demo_month_fails_on_a_differing_decision_or_statement_total(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(demo_month.EXPECTED_TOTALS_FEN, "D2", 4_999_999)
    script = tuple(demo_month.Ev(e.day, e.at, e.kind, e.who, e.arg, e.price_wan, "D1", e.reason)
                   if e.who == "f1" and e.kind == "sign"
                   # a 撞单 registration the script expects accepted: the refusal is a difference
                   else demo_month.Ev(e.day, e.at, e.kind, e.who, e.arg)
                   if e.who == "f2" and e.expect == "refused" else e for e in demo_month.SCRIPT)
    monkeypatch.setattr(demo_month, "SCRIPT", script)

    code, output = run(None, synthetic=True)

    assert code == 1, output
    assert "签约 先到访后报备 (registered after the customer's own visit)" in output
    assert "day 9: decided 自然到访 (natural visit)" in output
    assert "报备 撞单 (two channels claim one customer)" in output
    assert "day 3: refused: registration_protected_elsewhere" in output
    assert "贝壳分销: total 5000000, expected 4999999" in output


def test_demo_month_fails_when_the_wife_is_left_off_the_contract(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One buyer per signing is how the wife-first fraud got paid: without her on the contract
    the husband's escort wins, and the month says it differs."""
    script = tuple(replace(e, co=()) if e.who == "h1" and e.kind == "sign" else e
                   for e in demo_month.SCRIPT)
    monkeypatch.setattr(demo_month, "SCRIPT", script)

    code, output = run(None, synthetic=True)

    assert code == 1, output
    assert "签约 共同购房人：妻子先到访 (co-buyers: the wife visited first)" in output
    assert "day 13: decided 链家分销" in output


def risk_section(output: str) -> dict[str, set[str]]:
    """The printed 风控报告: each channel's name → the rules whose words are printed under it."""
    words = {demo_risk.rule_words(rule): rule for rule in RULES}
    section = output.split("Risk report (风控报告)", 1)[1].split("\n\n", 1)[0]
    fired: dict[str, set[str]] = {}
    channel = ""
    for line in section.splitlines()[1:]:
        if line.startswith("    - "):
            fired[channel].add(words[line[6:].split(" ×")[0]])
        else:
            channel = line.strip().split(":")[0]
            fired[channel] = set()
            assert line.endswith(":") or line.endswith(": 无风控信号 (no risk signal)"), line
    return fired


def test_demo_month_risk_report_flags_the_gaming_channels_and_no_honest_one(
        store_url: str, tmp_path: Path) -> None:
    """Played on SQLite and on PostgreSQL: at least four different signals fire on the gaming
    channels, named in words, and not one on the honest channels."""
    url = None if store_url.startswith("sqlite") else store_url
    code, output = run(None, tmp_path / "month", synthetic=True, database_url=url)

    assert code == 0, output
    fired = risk_section(output)
    gaming = {demo_month.CHANNEL_NAMES[label] for label in demo_risk.EXPECTED_SIGNALS}
    honest = set(demo_month.CHANNEL_NAMES.values()) - gaming
    assert set(fired) == set(demo_month.CHANNEL_NAMES.values())
    assert {name: fired[name] for name in honest} == {name: set() for name in honest}
    assert len(set().union(*(fired[name] for name in gaming))) >= 4
    assert all(fired[name] for name in gaming)
    assert "同一经纪人在其他项目报备相同号码 (One agent registers the same mobiles at other " \
        "projects) ×3, 经纪人 赵经纪" in output
    assert "the default thresholds" in output


def test_demo_month_fails_when_a_channel_raises_a_signal_it_should_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(demo_risk.EXPECTED_SIGNALS, "D5")

    code, output = run(None, synthetic=True)

    assert code == 1, output
    assert "速达分销: risk signals across_projects, masked_collision, expected none" in output


def test_demo_month_refuses_a_data_dir_in_use(tmp_path: Path) -> None:
    (tmp_path / "keyuan.db").write_bytes(b"")

    assert run(None, tmp_path, synthetic=True)[0] == 2


@pytest.mark.faces
@pytest.mark.slow
def test_demo_month_goes_as_scripted_on_the_public_face_set(
    face_root: Path, tmp_path: Path,
) -> None:
    code, output = run(face_root, tmp_path / "data")

    assert code == 0, output
    assert f"public set at {face_root}" in output
    images = [p for p in (tmp_path / "data").rglob("*")
              if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    assert images == []  # frames stay in memory
