"""Shared page layout for every PDF: A4, the municipality's name (and logo) in the header,
"Fortroligt" on pages with personal data, page X of Y (per letter in a combined batch), the
generated date, and title/author metadata. Fonts are Bitstream Vera (shipped with
ReportLab) so that æ, ø, å and other Latin letters render everywhere.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Flowable,
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FONT = "Vera"
FONT_BOLD = "Vera-Bold"


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "VeraBd.ttf")))
    pdfmetrics.registerFont(TTFont("Vera-Italic", str(FONT_DIR / "VeraIt.ttf")))
    pdfmetrics.registerFont(TTFont("Vera-BoldItalic", str(FONT_DIR / "VeraBI.ttf")))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, "Vera-Italic")
    addMapping(FONT, 1, 1, "Vera-BoldItalic")


_register_fonts()

MARGIN = 20 * mm
POSITION_COLOURS = {
    "green": colors.HexColor("#1b7a3d"),
    "yellow": colors.HexColor("#b58100"),
    "red": colors.HexColor("#b3261e"),
}

# Two font families. Documents whose text fits Windows-1252 (Danish and most Western
# European names) use the PDF standard fonts, which need no embedding and are fast;
# anything else (e.g. Ł, ğ, Cyrillic) switches the whole document to embedded Vera.
FAMILIES = {"base14": ("Helvetica", "Helvetica-Bold"), "unicode": (FONT, FONT_BOLD)}
_FAMILY: ContextVar[str] = ContextVar("pdf_font_family", default="unicode")


def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    return {
        "body": ParagraphStyle(
            "body",
            fontName=regular,
            fontSize=10.5,
            leading=14.5,
            alignment=TA_LEFT,
            spaceAfter=6,
        ),
        "small": ParagraphStyle("small", fontName=regular, fontSize=8.5, leading=11),
        "h1": ParagraphStyle("h1", fontName=bold, fontSize=17, leading=21, spaceAfter=8),
        "h2": ParagraphStyle(
            "h2", fontName=bold, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4
        ),
        "h3": ParagraphStyle(
            "h3", fontName=bold, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11.5),
        "cellbold": ParagraphStyle("cellbold", fontName=bold, fontSize=9, leading=11.5),
        "address": ParagraphStyle("address", fontName=regular, fontSize=10.5, leading=13.5),
    }


_STYLE_SETS = {name: _styles(*fonts) for name, fonts in FAMILIES.items()}


def style(name: str) -> ParagraphStyle:
    return _STYLE_SETS[_FAMILY.get()][name]


def fonts() -> tuple[str, str]:
    """(regular, bold) of the current document's font family."""
    return FAMILIES[_FAMILY.get()]


def _strings(obj) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif is_dataclass(obj):
        for f in fields(obj):
            yield from _strings(getattr(obj, f.name))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _strings(x)


def _fits_cp1252(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def with_fonts(fn):
    """Run a document builder in the font family its data needs (see `fonts_for`)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = tuple(list(a) if isinstance(a, Iterator) else a for a in args)
        with fonts_for(args, [v for v in kwargs.values() if not callable(v)]):
            return fn(*args, **kwargs)

    return wrapper


@contextmanager
def fonts_for(*data) -> Iterator[None]:
    """Choose the font family for a document from all the text it will hold."""
    family = "base14" if all(_fits_cp1252(s) for s in _strings(data)) else "unicode"
    token = _FAMILY.set(family)
    try:
        yield
    finally:
        _FAMILY.reset(token)


@dataclass(frozen=True)
class Letterhead:
    """What every document's header shows."""

    municipality: str
    generated_on: date
    logo_path: str | None = None
    labels: dict[str, str] | None = None  # position → the municipality's colour label

    def label(self, position: str | None) -> str:
        if position is None:
            return "–"
        default = {"green": "Grøn", "yellow": "Gul", "red": "Rød"}
        return (self.labels or default).get(position, default.get(position, position))


class Text(Flowable):
    """Plain text in one style, wrapped and split across pages. Much cheaper to lay out
    than a Paragraph, which parses markup; used for everything that is not markup."""

    def __init__(self, text: str, para_style: ParagraphStyle, lines: list[str] | None = None):
        super().__init__()
        self.text = text
        self.style = para_style
        self.lines = lines

    def _split_lines(self, width: float) -> list[str]:
        s = self.style
        return simpleSplit(self.text, s.fontName, s.fontSize, width) or [""]

    def wrap(self, avail_width, avail_height):
        if self.lines is None or self.width != avail_width:
            self.lines = self._split_lines(avail_width)
        self.width = avail_width
        self.height = len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, avail_width, avail_height):
        lines = self.lines if self.lines is not None else self._split_lines(avail_width)
        fit = int(avail_height // self.style.leading)
        if fit <= 0 or fit >= len(lines):
            return [] if fit <= 0 else [self]
        return [Text(self.text, self.style, lines[:fit]), Text(self.text, self.style, lines[fit:])]

    def getSpaceBefore(self):
        return self.style.spaceBefore

    def getSpaceAfter(self):
        return self.style.spaceAfter

    def draw(self):
        s = self.style
        text = self.canv.beginText(0, self.height - s.fontSize)
        text.setFont(s.fontName, s.fontSize, s.leading)
        for line in self.lines:
            text.textLine(line)
        self.canv.drawText(text)


def p(text: str | None, style_name: str = "body") -> Flowable:
    """Plain text (no markup; line breaks kept)."""
    return Text(text or "", style(style_name))


def markup(xml: str, style_name: str = "body") -> Paragraph:
    """A paragraph with ReportLab markup; the caller escapes any data it inserts."""
    return Paragraph(xml, style(style_name))


def esc(text: str | None) -> str:
    return escape(text or "")


def fmt_date(d: date | None) -> str:
    return d.strftime("%d-%m-%Y") if d else "–"


CELL_SIZE = 9
CELL_PADDING = 4


def table(
    rows: Sequence[Sequence], widths: Sequence[float], header: bool = True, zebra: bool = True
) -> Table:
    """A table repeating its header on each page. Text that fits its column on one line is
    drawn as a plain string; longer text wraps in a paragraph (much slower to lay out)."""
    regular, bold = fonts()
    data = []
    for i, row in enumerate(rows):
        font = bold if header and i == 0 else regular
        cells = []
        for c, width in zip(row, widths, strict=True):
            if isinstance(c, Flowable):
                cells.append(c)
                continue
            text = str(c)
            fits = "\n" not in text and (
                stringWidth(text, font, CELL_SIZE) <= width - 2 * CELL_PADDING
            )
            cells.append(text if fits else p(text, "cellbold" if font == bold else "cell"))
        data.append(cells)
    t = Table(data, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), regular, CELL_SIZE, 11.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9ced6")),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if header:
        style.append(("FONT", (0, 0), (-1, 0), bold, CELL_SIZE, 11.5))
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")))
    if zebra:
        for r in range(1 if header else 0, len(data)):
            if r % 2 == 0:
                style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f7f9fb")))
    t.setStyle(TableStyle(style))
    return t


def position_badge(letterhead: Letterhead, position: str | None) -> Flowable:
    """The position as a coloured label with the municipality's wording."""
    if position is None:
        return p("–", "cell")
    label = Paragraph(
        f'<font color="#ffffff"><b>{esc(letterhead.label(position))}</b></font>', style("cell")
    )
    badge = Table([[label]], colWidths=[40 * mm], hAlign="LEFT")
    badge.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), POSITION_COLOURS[position]),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return badge


class Section(Flowable):
    """Marks the start of a new document inside a combined PDF (page numbers restart)."""

    def __init__(self, confidential: bool = True):
        super().__init__()
        self.confidential = confidential
        self.width = self.height = 0

    def draw(self):
        self.canv._section = getattr(self.canv, "_section", 0) + 1
        self.canv._confidential = self.confidential


class _NumberedCanvas(canvas.Canvas):
    """Defers each page so "Side X af Y" can be written once the section's length is known."""

    def __init__(self, *args, footer: Callable, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._footer = footer
        self._section = 0
        self._confidential = True

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        totals: dict[int, int] = {}
        for state in self._pages:
            totals[state["_section"]] = totals.get(state["_section"], 0) + 1
        seen: dict[int, int] = {}
        for state in self._pages:
            self.__dict__.update(state)
            seen[self._section] = seen.get(self._section, 0) + 1
            self._footer(self, seen[self._section], totals[self._section], self._confidential)
            super().showPage()
        super().save()


class _Doc(SimpleDocTemplate):
    """Reports layout progress: `progress(n)` once n sections have been placed."""

    def __init__(self, *args, progress: Callable[[int], None] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._progress = progress
        self._sections = 0

    def afterFlowable(self, flowable):
        if isinstance(flowable, Section):
            if self._sections and self._progress:
                self._progress(self._sections)
            self._sections += 1

    def handle_documentEnd(self):
        super().handle_documentEnd()
        if self._progress:
            self._progress(self._sections)


def build(
    story: list,
    letterhead: Letterhead,
    *,
    title: str,
    author: str | None = None,
    subject: str = "",
    confidential: bool = True,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """Lay out `story` on A4 pages with header and footer and return the PDF bytes.

    A story for a combined PDF starts each part with `Section(...)`; otherwise the whole
    document is one section. `progress(n)` is called as sections are laid out."""
    buf = io.BytesIO()
    author = author or letterhead.municipality
    regular, bold = fonts()

    def header(c: canvas.Canvas, doc) -> None:
        c.saveState()
        top = A4[1] - 12 * mm
        x = MARGIN
        if letterhead.logo_path:
            try:
                Image(letterhead.logo_path, width=12 * mm, height=12 * mm).drawOn(
                    c, x, top - 10 * mm
                )
                x += 15 * mm
            except OSError:
                pass
        c.setFont(bold, 10)
        c.drawString(x, top - 4 * mm, letterhead.municipality)
        c.setFont(regular, 8)
        c.setFillColor(colors.HexColor("#555555"))
        c.drawString(x, top - 8 * mm, title)
        c.setStrokeColor(colors.HexColor("#c9ced6"))
        c.line(MARGIN, top - 11 * mm, A4[0] - MARGIN, top - 11 * mm)
        c.restoreState()

    def footer(c: canvas.Canvas, page: int, total: int, confidential: bool) -> None:
        c.saveState()
        c.setFont(regular, 8)
        c.setFillColor(colors.HexColor("#555555"))
        c.drawString(MARGIN, 10 * mm, f"Dannet {fmt_date(letterhead.generated_on)}")
        c.drawRightString(A4[0] - MARGIN, 10 * mm, f"Side {page} af {total}")
        if confidential:
            c.setFont(bold, 9)
            c.setFillColor(colors.HexColor("#b3261e"))
            c.drawCentredString(A4[0] / 2, 10 * mm, "Fortroligt")
        c.restoreState()

    doc = _Doc(
        buf,
        progress=progress,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 8 * mm,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        subject=subject,
        creator="Trivselsspor",
    )
    if not story or not isinstance(story[0], Section):
        story = [Section(confidential), *story]
    doc.build(
        story,
        onFirstPage=header,
        onLaterPages=header,
        canvasmaker=lambda *a, **k: _NumberedCanvas(*a, footer=footer, **k),
    )
    return buf.getvalue()


def spacer(h_mm: float = 4) -> Spacer:
    return Spacer(1, h_mm * mm)
