"""The printable pages name status values in words from the catalog (`word(prefix, value)` in
compliance/render.py): every value those pages can meet has its words in both languages, and a
page renders in the language asked for."""

from __future__ import annotations

from enum import StrEnum

import pytest

from keyuan.domain.attribution.adjudication import SigningStatus
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.compliance.filing import FilingState
from keyuan.web.i18n import LANGS, catalog
from keyuan.web.printing import page

WORDS: list[tuple[str, type[StrEnum]]] = [
    ("print.state_", FilingState), ("print.scope_", ConsentScope),
    ("portal.method_", VisitMethod), ("print.kind_", ChannelKind),
    ("print.review_", SigningStatus),
]


@pytest.mark.parametrize("prefix,values", WORDS)
def test_every_status_value_has_words_in_both_languages(prefix: str,
                                                        values: type[StrEnum]) -> None:
    for lang in LANGS:
        missing = [v.value for v in values if f"{prefix}{v.value}" not in catalog()[lang]]
        assert missing == [], (lang, prefix)


REPORT = type("Report", (), {"templates": 3, "violations": [], "audit_entries": 9,
                             "audit_problems": [], "assessment_current": False, "anchor": None,
                             "assessment": "demo",
                             "clean": False})


def test_a_page_renders_in_the_language_asked_and_unknown_means_zh_cn() -> None:
    zh = page("inspection.html", r=REPORT(), at="t")
    en = page("inspection.html", lang="en", r=REPORT(), at="t")
    fallback = page("inspection.html", lang="fr", r=REPORT(), at="t")

    assert '<html lang="zh-CN">' in zh and "不合格" in zh and "违规：仅有演示评估" in zh
    assert '<html lang="en">' in en and "FAIL" in en and "only a demonstration assessment" in en
    assert fallback == zh
    assert 'class="lang"' not in en  # no switch unless the caller serves the page over HTTP
    with_switch = page("inspection.html", lang="en", switch_url="/x?lang=zh-CN", r=REPORT(),
                       at="t")
    assert '<a class="lang" href="/x?lang=zh-CN" lang="zh-CN"' in with_switch
