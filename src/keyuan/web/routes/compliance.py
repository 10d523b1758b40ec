"""Pages of the visitor portal (我的数据, issue 6 item 3; C19): phone-sized self-service.

The page holds no personal data itself: its JS asks `/api/rights/code` for a code to the mobile
on file, trades it for a 30-minute token at `/api/rights/verify`, keeps that token in
sessionStorage only (gone when the tab closes), and sends it as `X-Rights-Token` to the rights
API for the data, the export, withdrawal and deletion."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyuan.web.pages import render

router = APIRouter(include_in_schema=False)
_RECEIPT = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


@router.get("/me", response_class=HTMLResponse)
def my_data_page(request: Request, receipt: str = "") -> HTMLResponse:
    """`?receipt=` (from the receipt's link) prefills step 1; anything not shaped like a receipt
    id is dropped rather than echoed."""
    prefill = receipt if _RECEIPT.fullmatch(receipt) else ""
    return render(request, "portal.html", areas=("portal", "reasons"), receipt=prefill)
