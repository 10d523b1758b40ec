"""Statements (佣金结算单) in every format, from one view of the statement: CSV and XLSX for
finance, a printable A4 PDF (reportlab), and the data of the printable HTML page (rendered by the
web layer through `web/templates/print/statement.html`). Money is written as integer fen in CSV
and XLSX — the total is the sum of the lines, never a float.

The PDF's Chinese text uses reportlab's built-in CID font STSong-Light (Adobe-GB1): the PDF names
the font and the reader supplies the glyphs, so no font file is installed, bundled or downloaded.
Numbers and ids are set in Helvetica so they stay extractable as plain text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from keyuan.domain.attribution.commission import Statement, StatementLine
from keyuan.domain.attribution.teams import TeamSubtotal
from keyuan.domain.display import local_time, yuan
from keyuan.domain.errors import UnknownStatement
from keyuan.services.attribution import teams
from keyuan.services.ports import Deps

CJK_FONT = "STSong-Light"
COLUMNS = ("signing_id", "signed_at", "contract_price_fen", "rule", "amount_fen")
"""The CSV columns: a line as stored."""
HEADINGS = ("成交 deal", "签约时间 signed (北京时间)", "合同价 price (fen)", "规则 rule",
            "佣金 amount (fen)")


TEAM_COLUMNS = ("row", "team", "deals", "own_fen", "subtree_deals", "subtree_fen")
"""The CSV's per-team subtotal rows (only for a company with teams): the company first."""
TEAM_HEADINGS = ("门店/团队 team", "本级成交 own deals", "本级佣金 own (fen)",
                 "含下级成交 deals incl. below", "含下级佣金 incl. below (fen)")


@dataclass(frozen=True)
class StatementView:
    statement: Statement
    channel_name: str
    teams: tuple[TeamSubtotal, ...] = ()  # per-team subtotals; empty: a company without teams

    def team_label(self, subtotal: TeamSubtotal) -> str:
        return subtotal.label or self.channel_name


def load(statement_id: str, deps: Deps) -> StatementView:
    with deps.uow() as uow:
        statement = uow.attribution.statement(statement_id)
        if statement is None:
            raise UnknownStatement()
        channel = uow.attribution.channel(statement.channel_id)
        subtotals = teams.rollup(uow, statement)
        return StatementView(statement, channel.name if channel else statement.channel_id,
                             tuple(subtotals) if len(subtotals) > 1 else ())


def _cells(line: StatementLine) -> list[Any]:
    return [line.signing_id or "", local_time(line.signed_at), line.contract_price_fen,
            line.rule, line.amount_fen]


def statement_csv(statement_id: str, deps: Deps) -> str:
    """A header row, the columns, the lines as stored (UTC ISO times), then a total row; money
    stays in integer fen (no float, no rounding here)."""
    view = load(statement_id, deps)
    st = view.statement
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["statement", st.id, "channel", st.channel_id, "period",
                     st.period_start.isoformat(), st.period_end.isoformat(),
                     "status", st.status.value])
    writer.writerow(COLUMNS)
    for line in st.lines:
        stored = line.to_json()
        writer.writerow(["" if stored[c] is None else stored[c] for c in COLUMNS])
    if view.teams:
        writer.writerow(TEAM_COLUMNS)
        for sub in view.teams:
            writer.writerow(["team", view.team_label(sub), sub.deals, sub.own_fen,
                             sub.subtree_deals, sub.subtree_fen])
    writer.writerow(["total", "", "", "", st.total_fen])
    return out.getvalue()


def _header(view: StatementView) -> list[tuple[str, str]]:
    st = view.statement
    return [("结算单 statement", st.id), ("渠道 channel", f"{view.channel_name} ({st.channel_id})"),
            ("结算期 period", f"{local_time(st.period_start)} – {local_time(st.period_end)}"),
            ("状态 status", st.status.value)]


def statement_xlsx(statement_id: str, deps: Deps) -> bytes:
    """One sheet: a header block, one row per line, then the total row (integer fen)."""
    view = load(statement_id, deps)
    book = Workbook()
    sheet = book.active
    sheet.title = "statement"
    sheet.append(["佣金结算单 Commission statement"])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in _header(view):
        sheet.append([label, value])
    sheet.append([])
    sheet.append(list(HEADINGS))
    for line in view.statement.lines:
        sheet.append(_cells(line))
    sheet.append(["合计 total", "", "", "", view.statement.total_fen])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    if view.teams:
        sheet.append([])
        sheet.append(["团队小计 team subtotals"])
        sheet[f"A{sheet.max_row}"].font = Font(bold=True)
        sheet.append(list(TEAM_HEADINGS))
        for sub in view.teams:
            sheet.append(["　" * sub.depth + view.team_label(sub), sub.deals, sub.own_fen,
                          sub.subtree_deals, sub.subtree_fen])
    for column, width in zip("ABCDE", (28, 22, 18, 60, 18), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def statement_pdf(statement_id: str, deps: Deps) -> bytes:
    """A4, one line per deal; long statements continue on further pages."""
    view = load(statement_id, deps)
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))  # idempotent; no file is read
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"Commission statement {view.statement.id}")
    y = _pdf_header(pdf, view)
    for line in view.statement.lines:
        if y < 60:
            pdf.showPage()
            y = float(A4[1]) - 50
        y = _pdf_line(pdf, line, y)
    pdf.setFont(CJK_FONT, 11)
    pdf.drawString(40, y - 10, "合计 total (CNY)")
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawRightString(A4[0] - 40, y - 10, yuan(view.statement.total_fen))
    pdf.setFont("Helvetica", 8)
    pdf.drawRightString(A4[0] - 40, y - 24, f"total_fen={view.statement.total_fen}")
    if view.teams:
        _pdf_teams(pdf, view, y - 50)
    pdf.save()
    return out.getvalue()


def _pdf_header(pdf: Canvas, view: StatementView) -> float:
    y = float(A4[1]) - 50
    pdf.setFont(CJK_FONT, 16)
    pdf.drawString(40, y, "佣金结算单 Commission statement")
    pdf.setFont(CJK_FONT, 10)
    for label, value in _header(view):
        y -= 16
        pdf.drawString(40, y, f"{label}: {value}")
    y -= 26
    pdf.setFont(CJK_FONT, 9)
    for x, text in ((40, "签约时间 signed"), (150, "规则 rule"), (A4[0] - 40, "佣金 CNY")):
        (pdf.drawRightString if x > 400 else pdf.drawString)(x, y, text)
    return y - 14


def _pdf_line(pdf: Canvas, line: StatementLine, y: float) -> float:
    pdf.setFont("Helvetica", 8)
    pdf.drawString(40, y, local_time(line.signed_at))
    pdf.setFont(CJK_FONT, 8)
    rule = line.rule
    pdf.drawString(150, y, rule if len(rule) <= 70 else rule[:69] + "…")
    pdf.setFont("Helvetica", 8)
    pdf.drawRightString(A4[0] - 40, y, yuan(line.amount_fen))
    if line.signing_id:
        pdf.drawString(150, y - 10, f"deal {line.signing_id}  price "
                                    f"{yuan(line.contract_price_fen)}")
    return y - 24


def _pdf_teams(pdf: Canvas, view: StatementView, y: float) -> None:
    """The per-team subtotals under the total: each team indented by its depth, its own deals
    and amount, and its whole subtree's."""
    pdf.setFont(CJK_FONT, 11)
    pdf.drawString(40, y, "团队小计 team subtotals")
    y -= 18
    for sub in view.teams:
        if y < 60:
            pdf.showPage()
            y = float(A4[1]) - 50
        pdf.setFont(CJK_FONT, 9)
        pdf.drawString(40 + 12 * sub.depth, y, view.team_label(sub))
        pdf.drawString(300, y, f"本级 own {sub.deals}")
        pdf.setFont("Helvetica", 9)
        pdf.drawRightString(440, y, yuan(sub.own_fen))
        pdf.drawRightString(A4[0] - 40, y, yuan(sub.subtree_fen))
        pdf.setFont("Helvetica", 7)
        pdf.drawRightString(A4[0] - 40, y - 9, f"subtree_fen={sub.subtree_fen}")
        y -= 22
