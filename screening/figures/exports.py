"""The dashboard's tables as CSV and XLSX (openpyxl), exactly as published on the screen:
hidden counts are the text "< 5", never the number."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from screening.figures.tables import Figure

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# openpyxl (about 12 MB) is loaded by the first XLSX export, not by every web worker
# (issue 17): its imports are inside the functions that build a workbook.

# What a spreadsheet reads as the start of a formula (tab and carriage return too: some
# spreadsheets drop them and read what follows). A published count never starts so.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    """A text a spreadsheet would run as a formula (an institution named "=HYPERLINK(…)")
    or read as a signed number (a group named "-0" would become the number 0): every text
    cell is a name or a label, so it is kept as typed. A published count is written as a
    number and never starts so."""
    return text.startswith(FORMULA_START)


def csv_cell(text: str) -> str:
    """A cell as CSV holds it: a formula-like text gets a leading apostrophe, so a
    spreadsheet shows it as text (OWASP's advice against CSV injection)."""
    return "'" + text if is_formula_like(text) else text


def csv_bytes(figure: Figure) -> bytes:
    """One table as CSV (UTF-8 with a byte-order mark and semicolons, as Danish Excel
    reads it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for row in figure.published():
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell_value(text: str) -> int | str:
    """A published count as a number, so a spreadsheet can sum it; anything else (hidden
    counts, medians, labels) as text."""
    return int(text) if text.isascii() and text.isdigit() else _xlsx_text(text)


def _xlsx_text(text: str) -> str:
    """A text as a worksheet can hold it: without the control characters XML 1.0 forbids
    (a name typed with an ESC would otherwise make openpyxl refuse the whole workbook)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _sheet_title(text: str, taken: set[str]) -> str:
    base = "".join(ch for ch in text if ch not in "[]:*?/\\")[:28] or "Tabel"
    title, n = base, 2
    while title in taken:
        title = f"{base[:25]} {n}"
        n += 1
    taken.add(title)
    return title


def _as_text(sheet: Worksheet) -> None:
    """No text cell is a formula: openpyxl stores a string that starts with "=" as one, so
    every such cell is typed as text again, and every formula-like text is marked as typed
    with a leading apostrophe (`quotePrefix`), so that editing it in Excel keeps it text."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and is_formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def xlsx_bytes(figures: Sequence[Figure], heading: str) -> bytes:
    """Tables as a workbook, one sheet each: a heading, the description, the table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    taken: set[str] = set()
    bold = Font(bold=True)
    for figure in figures:
        sheet = book.create_sheet(_sheet_title(figure.title, taken))
        sheet.append([figure.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([_xlsx_text(heading)])
        sheet.append([_xlsx_text(figure.description)])
        sheet.append([])
        published = figure.published()
        start = sheet.max_row + 1
        for r, row in enumerate(published):
            cells = [_cell_value(v) for v in row[1:]] if r else [_xlsx_text(v) for v in row[1:]]
            sheet.append([_xlsx_text(row[0]), *cells])
        _as_text(sheet)
        for cell in sheet[start]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for r in range(start + 1, sheet.max_row + 1):
            sheet.cell(r, 1).font = bold
            for c in range(2, len(published[0]) + 1):
                sheet.cell(r, c).alignment = Alignment(horizontal="right")
        sheet.column_dimensions["A"].width = 32
        for c in range(2, len(published[0]) + 1):
            sheet.column_dimensions[sheet.cell(start, c).column_letter].width = 16
        sheet.freeze_panes = sheet.cell(start + 1, 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
