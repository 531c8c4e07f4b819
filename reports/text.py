"""Plain text on the page: the one way every document prints words.

`Text` never parses markup: whatever a user typed (``<b>``, ``&amp;``, ``<font size=200>``)
is drawn exactly as typed. Headings and labels are `Text` in a bold style, so the builders
need no markup at all (and ReportLab's `Paragraph` is used nowhere).

`Text` wraps at spaces, breaks a word that is wider than its column, keeps line breaks,
switches to the fallback font for characters the main font lacks, and splits across
pages at any line.

Right-to-left text (Arabic, Hebrew) is shaped (Arabic letters take their joined forms,
`arabic-reshaper`) and each line is put in visual order (the Unicode bidi algorithm,
`python-bidi`, left-to-right paragraphs); lines stay left-aligned.
"""

from __future__ import annotations

import re

from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from reports import fonts

# Control characters are dropped, tabs become spaces, the Unicode line and paragraph
# separators become line breaks, lone surrogates (which no PDF can hold) become U+FFFD,
# and emoji variation selectors (colour/text presentation, which a monochrome font cannot
# honour) are dropped.
_CLEAN: dict[int, str | None] = dict.fromkeys((*range(0x00, 0x20), *range(0x7F, 0xA0)))
del _CLEAN[0x0A]
_CLEAN.update({0x09: " ", 0x2028: "\n", 0x2029: "\n"})
_CLEAN.update(dict.fromkeys(range(0xFE00, 0xFE10)))
_CLEAN.update(dict.fromkeys(range(0xD800, 0xE000), "\ufffd"))


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")


def has_rtl(text: str) -> bool:
    return _RTL.search(text) is not None


def shaped(text: str) -> str:
    """Arabic letters in their contextual (joined) forms; other text unchanged."""
    if not _ARABIC.search(text):
        return text
    import arabic_reshaper

    return arabic_reshaper.reshape(text)


def visual(line: str) -> str:
    """One line in the order it is drawn (left to right). The paragraph direction is
    left-to-right (the documents are Danish or English): right-to-left runs are reversed
    in place, and the left-to-right text around them stays where it is."""
    from bidi import get_display

    return get_display(line, base_dir="L")


def clean(text: str | None) -> str:
    """Text as it can be printed: see `_CLEAN`; Windows and old Mac line ends become \\n."""
    if not text:
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CLEAN)


class Measure:
    """Widths and font runs of text in one font and size (with the fallback font). Use
    `Measure.of(...)`: one instance per font, size and kind is kept."""

    _cache: dict[tuple[str, float, bool], Measure] = {}

    @classmethod
    def of(cls, font_name: str, size: float, simple: bool) -> Measure:
        key = (font_name, size, simple)
        m = cls._cache.get(key)
        if m is None:
            m = cls._cache[key] = cls(font_name, size, simple)
        return m

    def __init__(self, font_name: str, size: float, simple: bool):
        self.font_name = font_name
        self.size = size
        self.simple = simple  # every character is in the main font: one run, fast widths
        self._width = pdfmetrics.getFont(font_name).stringWidth
        self.space = self._width(" ", size)

    @staticmethod
    def is_simple(text: str, font_name: str) -> bool:
        return text.isascii() or set(text) <= fonts.covered(font_name)

    def runs(self, text: str) -> list[tuple[str, str]]:
        """(font name, text) pieces: the main font where it has the glyph, else the
        fallback font where that has it, else the main font (which draws a box)."""
        if self.simple or self.is_simple(text, self.font_name):
            return [(self.font_name, text)]
        main = fonts.covered(self.font_name)
        extra_name = fonts.fallback()
        extra = fonts.covered(extra_name)
        out: list[tuple[str, str]] = []
        for ch in text:
            name = self.font_name if ch in main or ch not in extra else extra_name
            if out and out[-1][0] == name:
                out[-1] = (name, out[-1][1] + ch)
            else:
                out.append((name, ch))
        return out

    def width(self, text: str) -> float:
        if self.simple:
            return self._width(text, self.size)
        return sum(pdfmetrics.stringWidth(t, name, self.size) for name, t in self.runs(text))

    def break_word(self, word: str, width: float) -> list[str]:
        """A word wider than `width`, in pieces that fit (at least one character each)."""
        pieces: list[str] = []
        start, used = 0, 0.0
        for i, ch in enumerate(word):
            w = self.width(ch)
            if used + w > width and i > start:
                pieces.append(word[start:i])
                start, used = i, 0.0
            used += w
        pieces.append(word[start:])
        return pieces

    def lines(self, text: str, width: float, shared: Shared | None = None) -> list[str]:
        """`text` broken into lines no wider than `width` (hard line breaks kept). With
        `shared`, each hard line already laid out at this width is taken from it."""
        if shared is None:
            return self._lines(text, width)
        out: list[str] = []
        known = shared.lines
        for para in text.split("\n"):
            key = (self.font_name, self.size, width, para)
            found = known.get(key)
            if found is None:
                found = known[key] = self._lines(para, width)
            out += found
        return out

    def _lines(self, text: str, width: float) -> list[str]:
        out: list[str] = []
        for para in text.split("\n"):
            if self.width(para) <= width:
                out.append(para)
                continue
            words: list[str] = []
            used = 0.0
            for word in para.split(" "):
                w = self.width(word)
                wanted = w if not words else used + self.space + w
                if wanted <= width:
                    words.append(word)
                    used = wanted
                    continue
                if words:
                    out.append(" ".join(words))
                if w <= width:
                    words, used = [word], w
                    continue
                pieces = self.break_word(word, width)
                out.extend(pieces[:-1])
                words, used = [pieces[-1]], self.width(pieces[-1])
            out.append(" ".join(words))
        return out


class Shared:
    """Layout shared by the `Text` flowables of one document that print the same lines
    again and again (a meeting's participants in each of its letters): each hard line is
    wrapped, and drawn into PDF operators, once per font, size and width. Lives as long as
    the story that holds it: nothing is kept between documents."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, float, float, str], list[str]] = {}
        self.shown: dict[tuple[str, str], str] = {}


class Text(Flowable):
    """Plain text in one style, wrapped to its column and split across pages at any line."""

    def __init__(
        self,
        text: str | None,
        style: ParagraphStyle,
        *,
        _lines: list[str] | None = None,
        _for_width: float | None = None,
        _space: tuple[float, float] | None = None,
        _clean: bool = True,
        max_lines: int | None = None,
        shared: Shared | None = None,
        _of: Text | None = None,
    ):
        super().__init__()
        self.max_lines = max_lines  # more is cut with "…" (a table heading must fit a page)
        self.style = style
        self.shared = shared
        if _of is not None:
            # One side of a split: the text is `_lines` (joined only when asked for), in
            # the same direction and fonts as the whole, so nothing is scanned again.
            self._text: str | None = None
            self.rtl = _of.rtl
            self._measure = _of._measure
        else:
            self._text = clean(text) if _clean else (text or "")
            self.rtl = has_rtl(self._text)
            if self.rtl and _clean:
                self._text = shaped(self._text)
            self._measure = Measure.of(
                style.fontName, style.fontSize, Measure.is_simple(self._text, style.fontName)
            )
        self._lines = _lines
        self._for_width = _for_width
        self._space = _space or (style.spaceBefore, style.spaceAfter)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "\n".join(self._lines or ())
        return self._text

    def __repr__(self) -> str:  # ReportLab prints this in layout errors: no content
        return f"<Text {len(self.text)} characters>"

    def _layout(self, width: float) -> list[str]:
        if self._lines is None or self._for_width != width:
            lines = self._measure.lines(self.text, width, self.shared)
            if self.max_lines and len(lines) > self.max_lines:
                lines = lines[: self.max_lines]
                last = lines[-1]
                while last and self._measure.width(last + "…") > width:
                    last = last[:-1]
                lines[-1] = last + "…"
            self._lines = lines
            self._for_width = width
        return self._lines

    def wrap(self, avail_width, avail_height):
        lines = self._layout(avail_width)
        self.width = avail_width
        self.height = len(lines) * self.style.leading
        return self.width, self.height

    def split(self, avail_width, avail_height):
        # Split the lines as last wrapped: a table passes its column's full width here,
        # not the width inside the cell's padding that it wrapped the text at.
        lines = self._layout(self._for_width if self._lines is not None else avail_width)
        fit = min(int((avail_height + 1e-6) // self.style.leading), len(lines) - 1)
        if fit <= 0:
            return []
        return [self._part(lines[:fit], first=True), self._part(lines[fit:], first=False)]

    def _part(self, lines: list[str], first: bool) -> Text:
        """One side of a split: only its own lines, already laid out for this width."""
        before, after = self._space
        part = Text(
            None,
            self.style,
            _lines=lines,
            _for_width=self._for_width,
            _space=(before, 0) if first else (0, after),
            shared=self.shared,
            _of=self,
        )
        # Laid out already: tables read `height` before wrapping a split cell again.
        part.width, part.height = self._for_width, len(lines) * self.style.leading
        return part

    def getSpaceBefore(self):
        return self._space[0]

    def getSpaceAfter(self):
        return self._space[1]

    def draw(self):
        s = self.style
        font = pdfmetrics.getFont(s.fontName)
        if not self.rtl and isinstance(font, fonts.FixedTTFont) and self._in_first(font):
            self._draw_fast(font)
            return
        m = self._measure
        text = self.canv.beginText(0, self.height - s.fontSize)
        text.setFont(s.fontName, s.fontSize, s.leading)
        text.setFillColor(s.textColor)
        for line in self._lines:
            if self.rtl:
                line = visual(line)
            runs = m.runs(line)
            if len(runs) == 1 and runs[0][0] == s.fontName:
                text.textLine(line)
                continue
            for name, piece in runs:
                text.setFont(name, s.fontSize, s.leading)
                text.textOut(piece)
            text.setFont(s.fontName, s.fontSize, s.leading)
            text.textLine("")
        self.canv.drawText(text)

    def _in_first(self, font: fonts.FixedTTFont) -> bool:
        if self.shared is None:
            return font.in_first(self.text)
        known = self.shared.shown
        return all((font.fontName, line) in known or font.in_first(line) for line in self._lines)

    def _draw_fast(self, font: fonts.FixedTTFont) -> None:
        """The same text operators ReportLab's text object writes for these lines, made
        in one go (every character is in the font's first subset)."""
        s = self.style
        canv = self.canv
        name = font.getSubsetInternalName(0, canv._doc)
        c = s.textColor
        escape = canv._escape
        lines = self._lines or []
        if self.shared is None:
            shown = " ".join(f"({escape(font.encode_first(line))}) Tj T*" for line in lines)
        else:
            known = self.shared.shown
            parts = []
            for line in lines:
                key = (font.fontName, line)
                op = known.get(key)
                if op is None:
                    op = known[key] = f"({escape(font.encode_first(line))}) Tj T*"
                parts.append(op)
            shown = " ".join(parts)
        canv._code.append(
            f"BT 1 0 0 1 0 {fp_str(self.height - s.fontSize)} Tm "
            f"{fp_str(c.red, c.green, c.blue)} rg {name} {fp_str(s.fontSize)} Tf "
            f"{fp_str(s.leading)} TL {shown} ET"
        )
