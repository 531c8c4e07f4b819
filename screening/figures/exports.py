"""The dashboard's tables as CSV and XLSX (openpyxl), exactly as published on the screen:
hidden counts are the text "< 5", never the number."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from screening.figures.tables import Figure


def csv_bytes(figure: Figure) -> bytes:
    """One table as CSV (UTF-8 with a byte-order mark and semicolons, as Danish Excel
    reads it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for row in figure.published():
        writer.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell_value(text: str) -> int | str:
    """A published count as a number, so a spreadsheet can sum it; anything else (hidden
    counts, medians, labels) as text."""
    return int(text) if text.isdigit() else text


def _sheet_title(text: str, taken: set[str]) -> str:
    base = "".join(ch for ch in text if ch not in "[]:*?/\\")[:28] or "Tabel"
    title, n = base, 2
    while title in taken:
        title = f"{base[:25]} {n}"
        n += 1
    taken.add(title)
    return title


def xlsx_bytes(figures: Sequence[Figure], heading: str) -> bytes:
    """Tables as a workbook, one sheet each: a heading, the description, the table."""
    # openpyxl (about 12 MB) is loaded by the first XLSX export, not by every web worker.
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
        sheet.append([heading])
        sheet.append([figure.description])
        sheet.append([])
        published = figure.published()
        start = sheet.max_row + 1
        for r, row in enumerate(published):
            sheet.append([row[0], *(_cell_value(v) for v in row[1:])] if r else row)
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
