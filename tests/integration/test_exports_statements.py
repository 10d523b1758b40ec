"""Statement exports: the XLSX opens in openpyxl with its total equal to the sum of its lines;
the PDF is a real PDF whose text carries the total, with Chinese set in a CID font (no font
file needed); both over real HTTP too."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.attribution.commission import AgreementKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.errors import UnknownStatement
from keyuan.services.attribution import settlement
from keyuan.services.attribution import statements as exports
from support import auth
from support.live import Live, live_server

from .conftest import START
from .test_attribution_services import M1, M2, claim, distributor, escorted, sign

if TYPE_CHECKING:
    from .conftest import Kiosk


def two_deal_statement(k: Kiosk) -> str:
    channel = distributor(k, "链家分销")
    settlement.add_agreement(settlement.AgreementCmd(
        channel_id=channel, kind=AgreementKind.PERCENT, value=150, effective_from=START,
        referral_reward_fen=1_23), k.deps, actor="finance")
    for mobile, serial in ((M1, "001"), (M2, "002")):
        escorted(k, claim(k, channel, mobile=mobile), mobile=mobile)
        k.clock.advance(days=1)
        sign(k, mobile=mobile, serial=serial)
    return settlement.generate_statement(channel, START, START + timedelta(days=30), k.deps).id


def xlsx_rows(body: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def amounts_and_total(rows: list[tuple[Any, ...]]) -> tuple[list[int], int]:
    start = next(i for i, row in enumerate(rows) if row[0] == "成交 deal") + 1
    total_row = next(row for row in rows if row[0] == "合计 total")
    lines = rows[start:rows.index(total_row)]
    return [row[4] for row in lines], total_row[4]


def test_the_xlsx_statement_totals_the_sum_of_its_lines_in_integer_fen(kiosk: Kiosk) -> None:
    sid = two_deal_statement(kiosk)

    rows = xlsx_rows(exports.statement_xlsx(sid, kiosk.deps))

    amounts, total = amounts_and_total(rows)
    assert len(amounts) == 2 and all(isinstance(a, int) for a in amounts)
    assert total == sum(amounts) == settlement.get_statement(sid, kiosk.deps).total_fen
    assert ("渠道 channel", f"链家分销 ({settlement.get_statement(sid, kiosk.deps).channel_id})"
            ) in [row[:2] for row in rows]


def test_the_pdf_statement_is_a_pdf_whose_text_carries_the_total(kiosk: Kiosk) -> None:
    sid = two_deal_statement(kiosk)
    total = settlement.get_statement(sid, kiosk.deps).total_fen

    body = exports.statement_pdf(sid, kiosk.deps)

    assert body.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert exports.yuan(total) in text and f"total_fen={total}" in text
    assert b"STSong-Light" in body  # Chinese via the built-in CID font, no font file


def test_exporting_an_unknown_statement_is_refused(kiosk: Kiosk) -> None:
    with pytest.raises(UnknownStatement):
        exports.statement_xlsx("nope", kiosk.deps)
    with pytest.raises(UnknownStatement):
        exports.statement_pdf("nope", kiosk.deps)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("exports"), engine=FakeEngine(FaceSettings())) as s:
        yield s


def test_statement_exports_over_http_for_finance_only(live: Live) -> None:
    with auth.client(live.base_url, live.app, "admin") as http:
        cid = http.post("/api/offices/demo-office/channels",
                        json={"kind": "distributor", "name": "丁分销"}).json()["channel_id"]
        http.post(f"/api/channels/{cid}/agreements", json={
            "kind": "fixed", "value": 2_000_000, "effective_from": "2026-01-01T00:00:00Z"})
        rid = http.post(f"/api/channels/{cid}/registrations", json={
            "customer_name": "周杰", "mobile": "13712349999"}).json()["registration_id"]
        http.post(f"/api/registrations/{rid}/visit-confirmation",
                  json={"mobile": "13712349999"})
        id17 = "44030619900307457"
        http.post("/api/offices/demo-office/signings", json={
            "buyer_name": "周杰", "id_number": id17 + check_digit(id17),
            "mobile": "13712349999", "contract_price_fen": 1_900_000_00})
        sid = http.post(f"/api/channels/{cid}/statements", json={
            "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z",
        }).json()["statement_id"]

    with auth.client(live.base_url, live.app, "finance") as finance:
        xlsx = finance.get(f"/api/statements/{sid}/export.xlsx")
        pdf = finance.get(f"/api/statements/{sid}/export.pdf")
        missing = finance.get("/api/statements/nope/export.pdf")
    with auth.client(live.base_url, live.app, "distributor", channel=cid) as distributor:
        refused = distributor.get(f"/api/statements/{sid}/export.xlsx")
    anonymous = httpx.get(f"{live.base_url}/api/statements/{sid}/export.pdf", timeout=30)

    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert amounts_and_total(xlsx_rows(xlsx.content)) == ([2_000_000], 2_000_000)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown_statement")
    assert (refused.status_code, anonymous.status_code) == (403, 401)
