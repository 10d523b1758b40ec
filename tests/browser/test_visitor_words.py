"""What a visitor reads on a phone (issue 16 item 6), in Chromium at 390×844: the readable copy
of my data and the printed receipt of a mobile check-in carry no machine text (UTC ISO times,
codes, JSON, hex or base64 runs, CLI commands), show Beijing time to the minute and the office's
name, and fit the screen. Screenshots of each are saved as test artifacts."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from support.browser import Shooter
from support.live import Live, mobile_check_in
from support.visitor_text import machine_text

PHONE = {"width": 390, "height": 844}


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def rights_token(live: Live, receipt: str) -> str:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        assert http.post("/api/rights/code", json={"receipt_id": receipt}).status_code == 202
        code = re.search(r"\d{6}", live.sender.sent[-1][1]).group(0)  # type: ignore[union-attr]
        verified = http.post("/api/rights/verify", json={"receipt_id": receipt, "code": code})
    return str(verified.json()["token"])


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_readable_copy_on_a_phone_is_for_people(
        page: Any, live: Live, shoot: Shooter, lang: str) -> None:
    receipt = mobile_check_in(live, "13800007777", name="林")["receipt"]["receipt_id"]
    token = rights_token(live, receipt)
    page.set_viewport_size(PHONE)
    page.set_extra_http_headers({"X-Rights-Token": token})
    page.goto(f"/api/rights/me/export.html?lang={lang}")
    text = page.inner_text("body")
    assert machine_text(text) == {}, machine_text(text)
    assert "2026-11-28 10:00" in text and "示范售楼处" in text and "demo-office" not in text
    assert ("手机号登记" if lang == "zh-CN" else "Mobile check-in") in text
    fits(page)
    shoot(page, f"my-data-{lang}")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_printed_receipt_of_a_mobile_check_in_on_a_phone_is_for_people(
        page: Any, live: Live, shoot: Shooter, lang: str) -> None:
    receipt = mobile_check_in(live, "13800008888")["receipt"]["receipt_id"]
    page.set_viewport_size(PHONE)
    page.goto(f"/api/receipts/{receipt}/print?lang={lang}")
    text = page.inner_text("body")
    # no long id, signature, key, fingerprint, command or code: the short 回执编号 and words
    assert machine_text(text) == {}, machine_text(text)
    assert receipt not in text
    assert "2026-11-28 10:00" in text
    assert "判客：确认哪个渠道最先带您来访" in text and "手机号和到访记录" in text
    assert "人脸特征" not in text and "face template" not in text.lower()
    fits(page)
    shoot(page, f"receipt-{lang}")
