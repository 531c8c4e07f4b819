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


# Excel's limits on a sheet's name: 31 characters (UTF-16 units), none of these, no
# apostrophe first or last, unique without regard to case, and not "History" (reserved).
SHEET_NAME_MAX = 31
_SHEET_CHARACTERS = str.maketrans(
    {"/": "-", "\\": "-", "[": "(", "]": ")", ":": "", "*": "", "?": ""}
)
# Words a name cut short should not end on (it would read as a sentence broken off).
_DANGLING = frozenset(
    "af fra til i på pr. og eller med for om ved the of from to in on per and or with by".split()
)


def _units(text: str) -> int:
    """The length Excel counts: UTF-16 code units (an emoji in a round's name is two)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    """`text` within `limit` units, cut after a whole word (not on a connecting word such
    as "til" or "pr."); a single word longer than the limit is cut where it must be."""
    if _units(text) <= limit:
        return text
    words = text.split(" ")
    kept: list[str] = []
    for word in words:
        if _units(" ".join([*kept, word])) > limit:
            break
        kept.append(word)
    while len(kept) > 1 and kept[-1].casefold() in _DANGLING:
        kept.pop()
    if kept:
        return " ".join(kept).rstrip(" -–,;.'") or kept[0]
    out = ""
    for ch in text:
        if _units(out + ch) > limit:
            break
        out += ch
    return out


def sheet_title(text: str, taken: set[str]) -> str:
    """A sheet's name made from a table's title: Excel's forbidden characters replaced
    ("gul/rød" becomes "gul-rød", not "gulrød"), at most 31 characters cut after a whole
    word, and unique in the workbook (" (2)", " (3)" … after a name already taken; `taken`
    holds the names given so far, case-folded, and gets this one)."""
    clean = " ".join(text.translate(_SHEET_CHARACTERS).split()).strip("' ") or "Tabel"
    title, n = _cut(clean, SHEET_NAME_MAX), 2
    while title.casefold() in taken or title.casefold() == "history":
        suffix = f" ({n})"
        title = _cut(clean, SHEET_NAME_MAX - _units(suffix)) + suffix
        n += 1
    taken.add(title.casefold())
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
        sheet = book.create_sheet(sheet_title(figure.title, taken))
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
