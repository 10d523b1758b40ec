"""Printouts on a phone (issue 16: "receipt and readable copy have no mobile viewport"): the
receipt a visitor opens from the QR code, the readable copy of their data and a statement, at
390×844 and 1024×768. On the phone each record row reads as its label over its value, text is at
least 12 px and the receipt and the readable copy need no sideways scrolling at all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import settlement
from support import auth
from support.browser import PHONE, TABLET, Shooter, layout_problems
from support.live import Live, mobile_check_in

MOBILE = "13800007777"
SIDEWAYS_JS = """() => {
  const main = document.querySelector("main");
  return main.scrollWidth - main.clientWidth;
}"""


def readable_copy(live: Live, receipt: str) -> str:
    """The readable copy of my data, as /me opens it after the SMS code."""
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        assert http.post("/api/rights/code", json={"receipt_id": receipt}).status_code < 300
        token = http.post("/api/rights/verify", json={"receipt_id": receipt,
                                                      "code": live.last_code()}).json()["token"]
        r = http.get("/api/rights/me/export.html", headers={"X-Rights-Token": token})
        assert r.status_code == 200, r.text
        return r.text


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_receipt_readable_copy_and_statement_fit_a_phone(
        page: Any, phone_page: Any, live: Live, shoot: Shooter, size: str) -> None:
    tab, width = (phone_page, PHONE["width"]) if size == "phone" else (page, TABLET["width"])
    receipt = str(mobile_check_in(live, MOBILE, name="欧阳明月")["receipt"]["receipt_id"])
    deps = live.app.deps
    channel = reg.create_channel("demo-office", ChannelKind.DISTRIBUTOR, "链家分销", deps).id
    statement = settlement.generate_statement(channel, datetime(2026, 11, 1, tzinfo=UTC),
                                              datetime(2026, 12, 1, tzinfo=UTC), deps).id

    tab.goto(f"/api/receipts/{receipt}/print")
    assert tab.evaluate("document.querySelector('meta[name=viewport]').content").startswith(
        "width=device-width")
    if size == "phone":
        assert layout_problems(tab, width) == []
        assert tab.evaluate(SIDEWAYS_JS) <= 1  # no sideways scrolling inside either
        row = tab.locator("tr", has=tab.locator("th + td")).first
        th, td = row.locator("th").bounding_box(), row.locator("td").bounding_box()
        assert th and td and td["y"] >= th["y"] + th["height"] - 1  # label over its value
    shoot(tab, f"receipt-{size}")

    tab.goto("/")  # the copy is opened from /me, on the app's origin
    tab.set_content(readable_copy(live, receipt))
    if size == "phone":
        assert layout_problems(tab, width) == []
        assert tab.evaluate(SIDEWAYS_JS) <= 1
    shoot(tab, f"my-data-copy-{size}")

    with auth.client(live.base_url, live.app, Role.finance) as http:
        html = http.get(f"/api/statements/{statement}/print").text
    tab.set_content(html)
    if size == "phone":
        assert layout_problems(tab, width) == []
    shoot(tab, f"statement-{size}")
