"""The access log keeps method, path shape and status — not receipt ids or query strings."""

from __future__ import annotations

import logging

from keyuan.api.access_log import ScrubbedAccessLog, scrub


def test_scrub_masks_receipt_ids_and_drops_query_strings() -> None:
    assert scrub("/api/receipts/rcpt-123abc/print") == "/api/receipts/…/print"
    assert scrub("/api/receipts/rcpt-123abc") == "/api/receipts/…"
    assert scrub("/me?receipt=rcpt-123abc&lang=en") == "/me"
    assert scrub("/login?next=/dashboard") == "/login"
    assert scrub("/api/kiosk/sessions") == "/api/kiosk/sessions"


def test_the_filter_rewrites_uvicorn_access_records() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/me?receipt=rcpt-9", "1.1", 200), None)
    assert ScrubbedAccessLog().filter(record) is True
    assert record.getMessage() == '127.0.0.1:5000 - "GET /me HTTP/1.1" 200'
    assert "rcpt-9" not in record.getMessage()
