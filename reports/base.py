"""Shared page layout for every PDF: A4, the municipality's name (and logo) in the header,
"Fortroligt" on pages with personal data, page X of Y (per letter in a combined batch), the
date, and the document's metadata (title without personal names, author, language, XMP,
DisplayDocTitle, an outline of the headings).

Every text goes through `reports.text.Text` (plain text, never markup) in the embedded
fonts of `reports.fonts`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import XMP
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Image, SimpleDocTemplate, Spacer, Table, TableStyle

from reports.fonts import BOLD, REGULAR, FixedTTFont
from reports.i18n import DANISH, N_, Language
from reports.text import Measure, Shared, Text, clean, has_rtl

MARGIN = 20 * mm
WIDTH = A4[0] - 2 * MARGIN  # the text column: 170 mm
FRAME_PADDING = 6  # ReportLab's default frame padding
POSITION_COLOURS = {
    "green": colors.HexColor("#1b7a3d"),
    "yellow": colors.HexColor("#8a6100"),
    "red": colors.HexColor("#b3261e"),
}
DEFAULT_LABELS = {"green": N_("Grøn"), "yellow": N_("Gul"), "red": N_("Rød")}


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "body": ParagraphStyle(
            "body", fontName=REGULAR, fontSize=10.5, leading=14.5, alignment=TA_LEFT, spaceAfter=6
        ),
        "small": ParagraphStyle("small", fontName=REGULAR, fontSize=8.5, leading=11, spaceAfter=3),
        "h1": ParagraphStyle("h1", fontName=BOLD, fontSize=17, leading=21, spaceAfter=8),
        "h2": ParagraphStyle(
            "h2", fontName=BOLD, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4
        ),
        "h3": ParagraphStyle(
            "h3", fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2
        ),
        "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=9, leading=11.5),
        "cellbold": ParagraphStyle("cellbold", fontName=BOLD, fontSize=9, leading=11.5),
        "cellhead": ParagraphStyle("cellhead", fontName=BOLD, fontSize=7.5, leading=9.5),
        "address": ParagraphStyle("address", fontName=REGULAR, fontSize=10.5, leading=13.5),
        "badge": ParagraphStyle(
            "badge", fontName=BOLD, fontSize=9, leading=11.5, textColor=colors.white
        ),
    }


STYLES = _styles()


def style(name: str) -> ParagraphStyle:
    return STYLES[name]


@dataclass(frozen=True)
class Letterhead:
    """What every document's header shows, and the document's language. Every document
    follows `shared/LANGUAGE.md`."""

    municipality: str
    generated_on: date
    logo_path: str | None = None
    labels: dict[str, str] | None = None  # position → the municipality's colour label
    language: Language = DANISH

    def label(self, position: str | None) -> str:
        if position is None:
            return "–"
        if self.labels and self.labels.get(position):
            return self.labels[position]
        default = DEFAULT_LABELS.get(position)
        return self.language.gettext(default) if default else position

    def _(self, text: str) -> str:
        return self.language.gettext(text)


def p(text: str | None, style_name: str = "body", shared: Shared | None = None) -> Text:
    """Plain text (never markup; line breaks kept); `shared`: see `reports.text.Shared`."""
    return Text(text, STYLES[style_name], shared=shared)


class Heading(Text):
    """A heading: bold plain text that is also an entry in the PDF's outline (bookmarks),
    so a reader (or a screen reader) can jump between the document's parts (see
    `build(outline_levels=...)`)."""

    def __init__(self, text: str | None, level: int = 1, **kw):
        super().__init__(text, STYLES[f"h{level}"], **kw)
        self.level = level

    def _part(self, lines, first):
        part = super()._part(lines, first)
        if not first:
            return part
        head = Heading(part.text, self.level, _lines=part._lines, _space=part._space, _clean=False)
        head._for_width = part._for_width
        return head

    def draw(self):
        super().draw()
        if self.level <= getattr(self.canv, "_outline_levels", 0):
            marks = getattr(self.canv, "_outline_marks", None)
            if marks is not None:
                y = self.canv.absolutePosition(0, self.height)[1]
                marks.append((self.level - 1, " ".join(self.text.split())[:200], y))


def heading(text: str | None, level: int = 1) -> Heading:
    return Heading(text, level)


def spacer(h_mm: float = 4) -> Spacer:
    return Spacer(1, h_mm * mm)


CELL_SIZE = 9
CELL_PADDING = 4
HEADING_LINES = 4  # a column heading longer than this is cut with "…"


def line(
    c: canvas.Canvas,
    x: float,
    y: float,
    text: str,
    font_name: str,
    size: float,
    colour,
    align: str = "left",
) -> None:
    """One line of plain text at (x, y), left-aligned, right-aligned or centred on x."""
    font = pdfmetrics.getFont(font_name)
    if isinstance(font, FixedTTFont) and font.in_first(text):
        if align != "left":
            w = font.stringWidth(text, size)
            x -= w if align == "right" else w / 2
        c._code.append(
            f"BT 1 0 0 1 {fp_str(x)} {fp_str(y)} Tm {fp_str(colour.red, colour.green, colour.blue)}"
            f" rg {font.getSubsetInternalName(0, c._doc)} {fp_str(size)} Tf "
            f"({c._escape(font.encode_first(text))}) Tj ET"
        )
        return
    c.saveState()
    c.setFont(font_name, size)
    c.setFillColor(colour)
    draw = {"left": c.drawString, "right": c.drawRightString, "centre": c.drawCentredString}
    draw[align](x, y, text)
    c.restoreState()


class FastTable(Table):
    """A ReportLab table that draws its one-line plain-string cells itself when every
    character is in the font's first subset (the same operators, written in one go);
    everything else is drawn by ReportLab as usual."""

    def _drawCell(self, cellval, cellstyle, pos, size):
        if (
            type(cellval) is str
            and cellstyle.alignment in ("LEFT", "RIGHT")
            and cellstyle.valign == "TOP"
            and not (cellstyle.href or cellstyle.destination or cellstyle.direction)
            and "\n" not in cellval
        ):
            font = pdfmetrics.getFont(cellstyle.fontname)
            if isinstance(font, FixedTTFont) and font.in_first(cellval):
                canv = self.canv
                x = pos[0] + cellstyle.leftPadding
                if cellstyle.alignment == "RIGHT":
                    x = (
                        pos[0]
                        + size[0]
                        - cellstyle.rightPadding
                        - font.stringWidth(cellval, cellstyle.fontsize)
                    )
                y = pos[1] + size[1] - cellstyle.topPadding - cellstyle.fontsize
                c = colors.toColor(cellstyle.color)
                canv._code.append(
                    f"BT 1 0 0 1 {fp_str(x)} {fp_str(y)} Tm {fp_str(c.red, c.green, c.blue)} rg "
                    f"{font.getSubsetInternalName(0, canv._doc)} {fp_str(cellstyle.fontsize)} Tf "
                    f"({canv._escape(font.encode_first(cellval))}) Tj ET"
                )
                self._curcellstyle = None  # ReportLab sets its font and colour again
                return
        super()._drawCell(cellval, cellstyle, pos, size)


def table(
    rows: Sequence[Sequence],
    widths: Sequence[float],
    header: bool = True,
    zebra: bool = True,
    header_style: str = "cellbold",
) -> Table:
    """A table repeating its header on each page; rows split across pages when they must.
    Text that fits its column on one line is drawn as a plain string (fast); longer text
    is a `Text` that wraps. Either way nothing is parsed as markup."""
    data = []
    for i, row in enumerate(rows):
        head = header and i == 0
        st = STYLES[header_style if head else "cell"]
        cells = []
        for c, width in zip(row, widths, strict=True):
            if isinstance(c, Flowable):
                cells.append([c])  # in a list: ReportLab splits only listed flowables in a row
                continue
            text = clean(str(c))
            room = width - 2 * CELL_PADDING
            if "\n" not in text and not has_rtl(text) and Measure.is_simple(text, st.fontName):
                m = Measure.of(st.fontName, st.fontSize, True)
                if m.width(text) <= room:
                    cells.append(text)
                    continue
            cells.append([Text(text, st, _clean=False, max_lines=HEADING_LINES if head else None)])
        data.append(cells)
    t = FastTable(
        data, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT", splitInRow=1
    )
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), REGULAR, CELL_SIZE, 11.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9ced6")),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if header:
        hs = STYLES[header_style]
        commands.append(("FONT", (0, 0), (-1, 0), hs.fontName, hs.fontSize, hs.leading))
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")))
    if zebra:
        first = 1 if header else 0
        commands.append(
            ("ROWBACKGROUNDS", (0, first), (-1, -1), [None, colors.HexColor("#f7f9fb")])
        )
    t.setStyle(TableStyle(commands))
    return t


def position_badge(letterhead: Letterhead, position: str | None) -> Flowable:
    """The position as a coloured label with the municipality's wording."""
    if position is None:
        return p("–", "cell")
    badge = Table(
        [[Text(letterhead.label(position), STYLES["badge"])]], colWidths=[60 * mm], hAlign="LEFT"
    )
    badge.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, CELL_SIZE),  # not ReportLab's Helvetica
                ("BACKGROUND", (0, 0), (-1, -1), POSITION_COLOURS.get(position, colors.grey)),
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
    """Defers each page so "Side X af Y" can be written once the section's length is
    known; the headings' outline entries are written with their page."""

    def __init__(self, *args, footer: Callable, outline_levels: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self._outline_levels = outline_levels
        self._pages: list[dict] = []
        self._footer = footer
        self._section = 0
        self._confidential = True
        self._outline_marks: list = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._outline_marks = []
        self._startPage()

    def save(self):
        totals: dict[int, int] = {}
        for state in self._pages:
            totals[state["_section"]] = totals.get(state["_section"], 0) + 1
        seen: dict[int, int] = {}
        level = -1
        for n, state in enumerate(self._pages):
            self.__dict__.update(state)
            seen[self._section] = seen.get(self._section, 0) + 1
            self._footer(self, seen[self._section], totals[self._section], self._confidential)
            for i, (lvl, title, y) in enumerate(state["_outline_marks"]):
                key = f"h{n}.{i}"
                self.bookmarkHorizontal(key, 0, y)
                level = min(lvl, level + 1)
                self.addOutlineEntry(title, key, level=level)
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


def _one_line(text: str, font: str, size: float, width: float) -> str:
    """`text` on one line no wider than `width`, cut with "…" if it must be."""
    text = " ".join(clean(text).split())
    m = Measure.of(font, size, Measure.is_simple(text, font))
    if m.width(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if m.width(text[:mid] + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def _xmp(title: str, author: str, subject: str, lang: str) -> Callable:
    """The XMP metadata packet (the same title, author, subject and language as the
    document information dictionary)."""

    def packet(doc) -> bytes:
        return (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '<rdf:Description rdf:about=""'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
            ' xmlns:xmp="http://ns.adobe.com/xap/1.0/">\n'
            "<dc:format>application/pdf</dc:format>\n"
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li>'
            "</rdf:Alt></dc:title>\n"
            f"<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>\n"
            f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(subject)}'
            "</rdf:li></rdf:Alt></dc:description>\n"
            f"<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>\n"
            f"<pdf:Producer>ReportLab {reportlab.Version}</pdf:Producer>\n"
            "<xmp:CreatorTool>Trivselsspor</xmp:CreatorTool>\n"
            "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
            '<?xpacket end="r"?>'
        ).encode()

    return packet


def build(
    story: list,
    letterhead: Letterhead,
    *,
    title: str,
    author: str | None = None,
    subject: str = "",
    confidential: bool = True,
    progress: Callable[[int], None] | None = None,
    outline_levels: int = 1,
) -> bytes:
    """Lay out `story` on A4 pages with header and footer and return the PDF bytes.

    `title` is the document's kind ("Handleplan"), never a person's name: it is shown in
    every page's header and in the reader's title bar. A story for a combined PDF starts
    each part with `Section(...)`; otherwise the whole document is one section.
    `progress(n)` is called as sections are laid out. Headings down to `outline_levels`
    (1: the documents' titles; 2: their sections too) are the PDF's outline."""
    buf = io.BytesIO()
    page = A4
    lh = letterhead
    _ = lh.language.gettext
    title = " ".join(clean(title).split())
    author = " ".join(clean(author or lh.municipality).split())
    room = page[0] - 2 * MARGIN - (15 * mm if lh.logo_path else 0)
    municipality = _one_line(lh.municipality, BOLD, 10, room)
    header_title = _one_line(title, REGULAR, 8, room)
    lang = lh.language
    dated = _("Dato: %(date)s") % {"date": lang.long_date(lh.generated_on)}
    confidential_text = _("Fortroligt")

    grey = colors.HexColor("#555555")
    red = colors.HexColor("#b3261e")

    def header(c: canvas.Canvas, doc) -> None:
        top = page[1] - 12 * mm
        x = MARGIN
        if lh.logo_path:
            try:
                Image(lh.logo_path, width=12 * mm, height=12 * mm).drawOn(c, x, top - 10 * mm)
                x += 15 * mm
            except OSError:
                pass
        line(c, x, top - 4 * mm, municipality, BOLD, 10, colors.black)
        line(c, x, top - 8 * mm, header_title, REGULAR, 8, grey)
        c.saveState()
        c.setStrokeColor(colors.HexColor("#c9ced6"))
        c.line(MARGIN, top - 11 * mm, page[0] - MARGIN, top - 11 * mm)
        c.restoreState()

    def footer(c: canvas.Canvas, n: int, total: int, confidential: bool) -> None:
        line(c, MARGIN, 10 * mm, dated, REGULAR, 8, grey)
        pages = _("Side %(page)d af %(pages)d") % {"page": n, "pages": total}
        line(c, page[0] - MARGIN, 10 * mm, pages, REGULAR, 8, grey, "right")
        if confidential:
            line(c, page[0] / 2, 10 * mm, confidential_text, BOLD, 9, red, "centre")

    def canvasmaker(*a, **k):
        c = _NumberedCanvas(*a, footer=footer, outline_levels=outline_levels, **k)
        c._doc.Catalog.Metadata = XMP(creator=_xmp(title, author, subject, lang.code))
        return c

    doc = _Doc(
        buf,
        progress=progress,
        pagesize=page,
        # The frame pads its content by 6 pt: the text column is then exactly the page
        # less MARGIN on each side (WIDTH), in line with the header.
        leftMargin=MARGIN - FRAME_PADDING,
        rightMargin=MARGIN - FRAME_PADDING,
        topMargin=MARGIN + 8 * mm,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        subject=subject,
        creator="Trivselsspor",
        lang=lang.code,
        displayDocTitle=True,
        initialFontName=REGULAR,  # else every page names Helvetica, a font never embedded
    )
    if not story or not isinstance(story[0], Section):
        story = [Section(confidential), *story]
    doc.build(story, onFirstPage=header, onLaterPages=header, canvasmaker=canvasmaker)
    return buf.getvalue()
