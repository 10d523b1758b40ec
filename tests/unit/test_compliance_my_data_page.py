"""The readable "my data" copy (C19, PIPL 24/45) shows the 判客 decisions the JSON export has:
where and when, who was credited, the reasons in words and the review — escaped, nobody else's
data. The signing's id and the rule trace (English, with ids) stay in the JSON copy."""

from __future__ import annotations

from typing import Any

from keyuan.web.printing import page


def my_data(decisions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "person": {"pseudonym": "p" * 32, "name": "安", "mobile": "13800006666",
                   "since": "2026-11-01T02:00:00+00:00"},
        "consents": [], "visits": [], "requests": [], "decisions_and_processing": [],
        "face_template": {"held": False, "since": None, "note": "no photo"},
        "attribution_decisions": decisions,
    }


DECISION = {
    "signing": "sig-0001", "office": "demo-office", "office_name": "示范售楼处",
    "signed_at": "2026-11-20T06:00:00+00:00",
    "id_number": "1101**********1234",
    "credited_to": {"kind": "distributor", "name": "甲分销<script>"},
    "reason_codes": ["registered_before_first_visit", "visit_confirmed"],
    "rule_trace": ["claim 甲分销: registered 2026-11-01", {"rule": "first_visit", "ok": True}],
    "review": {"status": "final", "needed": True, "reviewed_at": "2026-11-21T01:00:00+00:00",
               "reason": "经理复核：报备有效"},
}


def test_c19_the_readable_copy_explains_each_attribution_decision() -> None:
    html = page("my_data.html", d=my_data([DECISION]))

    assert "判客认定" in html and "示范售楼处" in html and "1101**********1234" in html
    assert "2026-11-20 14:00" in html and "2026-11-21 09:00" in html  # Beijing time
    assert "甲分销&lt;script&gt;" in html and "<script>" not in html  # escaped
    # one reason a line; a code the catalog has no words for reads "other", never as the code
    assert "<div>其他</div><div>其他</div>" in html
    assert "registered_before_first_visit" not in html and "sig-0001" not in html
    assert "claim 甲分销" not in html and "first_visit" not in html  # the trace: JSON only
    assert "需人工复核" in html and "经理复核：报备有效" in html


def test_c19_with_no_decision_the_copy_says_so() -> None:
    html = page("my_data.html", d=my_data([]))
    english = page("my_data.html", lang="en", d=my_data([]))

    assert "判客认定" in html and "没有任何签约认定与您有关" in html
    assert "no signing has been attributed to you" in english


def test_c19_known_reason_codes_read_as_words() -> None:
    decision = dict(DECISION, reason_codes=["earliest_valid_registration"])
    html = page("my_data.html", lang="en", d=my_data([decision]))

    assert "The earliest valid registration wins" in html and "Distributor: " in html
