"""回执编号 over real HTTP on SQLite and PostgreSQL: every receipt has a short code, found in any
case and with or without dashes or spaces; a wrong code is a clear JSON error; unknown codes are
limited per address (in parallel: exactly the allowance); the QR code opens /me with the code on
the server's own address; a face-only visitor is sent to reception, not promised an SMS code."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text

from keyuan.domain.checkin.receipt_code import parse_code
from keyuan.web.printing import qr_svg
from support.live import Live, mobile_check_in
from support.parallel import parallel
from support.sequences import fake_shots

from .test_throttles import live_on, new_session, outcomes, post  # noqa: F401 (fixture)

MOBILE = "13912340021"
CODE_SHAPE = re.compile(r"KY-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def get(live: Live, path: str, *, address: str = "198.51.100.1") -> httpx.Response:
    with httpx.Client(base_url=live.base_url, timeout=60) as http:
        return http.get(path, headers={"X-Forwarded-For": address})


def face_only_visitor(live: Live, rgb: tuple[int, int, int] = (200, 150, 120)) -> dict[str, Any]:
    """A first visit by face, no mobile: the enrollment's check-in answer."""
    session = new_session(live)
    sid = session["session_id"]
    consent = post(live, f"/api/kiosk/sessions/{sid}/face-consent", {
        "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
        "agree": True}).json()
    enrolled = post(live, f"/api/kiosk/sessions/{sid}/face-enrollment",
                    {"consent_id": consent["receipt_id"], **fake_shots(rgb).wire()})
    assert enrolled.status_code == 201, enrolled.text
    return dict(enrolled.json())


def test_a_receipt_code_is_found_in_any_case_with_or_without_dashes(
    live_on: Callable[..., Live],  # noqa: F811
) -> None:
    live = live_on()
    check_in = mobile_check_in(live, MOBILE)
    code = check_in["receipt"]["receipt_code"]
    assert CODE_SHAPE.fullmatch(code) and check_in["mobile_on_file"] is True
    plain = code.replace("-", "")

    typed = [code.lower(), plain, plain[2:].lower(), " ".join(code.split("-")),
             f"ky {plain[2:7]} {plain[7:]}"]
    answers = []
    for i, form in enumerate(typed):
        live.clock.advance(seconds=61)  # past the resend wait
        answers.append(post(live, "/api/rights/code", {"receipt_id": form},
                            address=f"198.51.100.{10 + i}"))

    assert [a.status_code for a in answers] == [202] * len(typed), [a.text for a in answers]
    assert all(a.json()["masked_mobile"].endswith(MOBILE[-4:]) for a in answers)
    live.clock.advance(seconds=61)
    post(live, "/api/rights/code", {"receipt_id": code.lower()})
    sms = re.search(r"\d{6}", live.sender.sent[-1][1])
    assert sms is not None
    verified = post(live, "/api/rights/verify", {"receipt_id": plain.lower(),
                                                 "code": sms.group(0)})
    assert verified.status_code == 200, verified.text
    me = httpx.get(f"{live.base_url}/api/rights/me",
                   headers={"X-Rights-Token": verified.json()["token"]})
    assert me.json()["person"]["mobile"] == MOBILE


def test_a_wrong_code_is_a_clear_json_error(live_on: Callable[..., Live]) -> None:  # noqa: F811
    live = live_on()
    mobile_check_in(live, MOBILE)

    unknown = post(live, "/api/rights/code", {"receipt_id": "KY-00000-00000"})
    malformed = post(live, "/api/rights/code", {"receipt_id": "KY-7F3KQ-9Q2M!"})
    verify_unknown = post(live, "/api/rights/verify", {"receipt_id": "ky0000000000",
                                                       "code": "123456"})
    page = get(live, "/api/receipts/KY-00000-00000/print")

    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown_consent" and "code" in unknown.json()["message"]
    assert malformed.status_code == 422 and malformed.json()["error"] == "receipt_code_invalid"
    assert "KY-" in malformed.json()["message"]
    assert verify_unknown.status_code == 404
    assert page.status_code == 404 and page.json()["error"] == "unknown_consent"
    assert live.sender.sent[-1][0] == MOBILE  # no code went anywhere for the unknown ones


def test_unknown_codes_are_limited_per_address_exactly_once_in_parallel(
    live_on: Callable[..., Live],  # noqa: F811
) -> None:
    live = live_on(receipt_misses_per_address={"limit": 4, "window_seconds": 3600})
    code = mobile_check_in(live, MOBILE)["receipt"]["receipt_code"]

    guesses = parallel(10, lambda i: post(live, "/api/rights/code",
                                          {"receipt_id": f"KY-00000-0000{i}"}))
    then_right = post(live, "/api/rights/code", {"receipt_id": code})
    page = get(live, f"/api/receipts/{code}/qr.svg")
    elsewhere = post(live, "/api/rights/code", {"receipt_id": code}, address="203.0.113.9")

    assert outcomes(guesses) == {(404, "unknown_consent"): 4,
                                 (429, "receipt_lookup_rate_limited"): 6}
    assert int(guesses[-1].headers.get("Retry-After", "1")) >= 1
    # refused before the lookup: a right code from that address tells nothing either
    assert then_right.status_code == 429 and page.status_code == 429
    assert elsewhere.status_code == 202, elsewhere.text


def test_the_qr_code_and_printed_receipt_open_me_with_the_code_on_the_visitors_phone(
    live_on: Callable[..., Live],  # noqa: F811
) -> None:
    live = live_on()
    check_in = mobile_check_in(live, MOBILE)
    code, long_id = check_in["receipt"]["receipt_code"], check_in["receipt"]["receipt_id"]
    phone_url = f"{live.base_url}/me?receipt={code}"

    qr = get(live, f"/api/receipts/{code.lower()}/qr.svg")
    printed = get(live, f"/api/receipts/{code}/print")
    me = get(live, f"/me?receipt={code.replace('-', '').lower()}")

    assert qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text == qr_svg(phone_url)  # the same modules only for the same text
    assert printed.status_code == 200
    assert code in printed.text and phone_url in printed.text
    assert f"{live.base_url}/verify?receipt={code}" in printed.text
    assert qr_svg(phone_url) in printed.text
    assert long_id not in printed.text and "keyuan receipt verify" not in printed.text
    signature = get(live, f"/api/receipts/{code}/signed").json()["signature"]["value"]
    assert signature not in printed.text
    assert f'value="{code}"' in me.text  # step 1 of /me is filled in


def test_the_verify_page_says_valid_or_not_valid_in_words(
    live_on: Callable[..., Live], store_url: str,  # noqa: F811
) -> None:
    live = live_on()
    check_in = mobile_check_in(live, MOBILE)
    code, long_id = check_in["receipt"]["receipt_code"], check_in["receipt"]["receipt_id"]

    valid = get(live, f"/verify?receipt={code.lower()}")
    unknown = get(live, "/verify?receipt=KY-00000-00000")
    nonsense = get(live, "/verify?receipt=hello")
    altered_receipt = {**get(live, f"/api/receipts/{code}/signed").json()["receipt"],
                       "jurisdiction": "XX"}
    with live.app.db.begin() as conn:  # someone alters the stored receipt
        conn.execute(text("UPDATE consents SET receipt = :r WHERE id = :id"),
                     {"r": json.dumps(altered_receipt), "id": long_id})
    altered = get(live, f"/verify?receipt={code}")

    assert valid.status_code == 200 and "有效" in valid.text and "无效" not in valid.text
    assert "这项同意目前有效" in valid.text and long_id not in valid.text
    assert "没有找到这个回执编号" in unknown.text
    assert "这不是回执编号" in nonsense.text
    assert "无效" in altered.text and "这张回执的签名与内容对不上" in altered.text


def test_a_face_only_visitor_is_sent_to_reception_not_promised_an_sms_code(
    live_on: Callable[..., Live],  # noqa: F811
) -> None:
    live = live_on()
    enrolled = face_only_visitor(live)
    code = enrolled["receipt"]["receipt_code"]

    asked = post(live, "/api/rights/code", {"receipt_id": code})
    printed = get(live, f"/api/receipts/{code}/print")

    assert enrolled["mobile_on_file"] is False and parse_code(code)
    assert asked.status_code == 409 and asked.json()["error"] == "no_mobile_on_file"
    assert "到前台办理" in printed.text and code in printed.text
    assert "手机验证码" not in printed.text and "发到您手机的验证码" not in printed.text
