"""The fonts of every document, embedded (as subsets) in every case.

DejaVu Sans (regular and bold) prints Danish and every Latin, Greek, Cyrillic, Arabic and
Hebrew letter, and many symbols and emoticons. Symbola is the fallback for the emoji and
symbols DejaVu lacks; it is loaded only when a document needs it. Both are vendored in
`reports/fonts/` with their licences, so a document looks the same on every machine.

A character that no font has is drawn as DejaVu's empty box (.notdef) and is missing from
the text layer; with these two fonts that is only emoji newer than Unicode 9 and scripts
outside DejaVu's coverage.

Speed: ReportLab builds a new font subset for every document (a TrueType file made and
compressed each time) and encodes text character by character in Python. `FixedTTFont`
gives every document the same first subset, the 255 characters Danish and other
Western-European text use (`FIXED`), made and compressed once per process and written
into each document as ready bytes; text made only of those characters is encoded with one
`str.translate`. Other characters go into further subsets made per document as before.

ReportLab writes a wrong ToUnicode entry for characters outside the Basic Multilingual
Plane (five hex digits instead of a UTF-16 surrogate pair), so copied or extracted emoji
came out broken; `_to_unicode_cmap` replaces ReportLab's function with a correct one.
"""

from __future__ import annotations

import functools
import zlib
from pathlib import Path

from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FALLBACK = "Symbola"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", FALLBACK: "Symbola.ttf"}


def _utf16_hex(code: int) -> str:
    if code < 0x10000:
        return f"{code:04X}"
    code -= 0x10000
    return f"{0xD800 + (code >> 10):04X}{0xDC00 + (code & 0x3FF):04X}"


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap for one font subset, with UTF-16 for astral characters."""
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)),
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines)


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


# The first subset of every document: code = position. ASCII keeps its codes (32 is the
# space, as ReportLab requires) and so does Latin-1 (160-255); codes 1-31 and 127-159 hold
# the other characters that Danish and other Western-European texts often use.
_EXTRA = (
    "–—…•“”‘’„‚€™†‰′″−→←✓✔"  # punctuation and signs
    "ŁłŚśŹźŻżĆćŃńĄąĘę"  # Polish
    "ČčŠšŽžŘřĚěŮů"  # Czech
    "ĞğŞşİı"  # Turkish
    "ŐőŰű"  # Hungarian
    "ŒœŸ"  # French
    "Đđ"  # Croatian
)
FIXED: tuple[int, ...] = tuple(
    [0]
    + [ord(c) for c in _EXTRA[:31]]
    + list(range(32, 127))
    + [ord(c) for c in _EXTRA[31:64]]
    + list(range(160, 256))
)


class _Raw(pdfdoc.PDFObject):
    """A PDF object already formatted (made once, written into many documents)."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document) -> bytes:
        return self.data


def _stream(data: bytes, **entries: int) -> bytes:
    packed = zlib.compress(data)
    extra = "".join(f" /{k} {v}" for k, v in entries.items())
    head = f"<< /Filter [ /FlateDecode ] /Length {len(packed)}{extra} >>\nstream\n"
    return head.encode("ascii") + packed + b"endstream\n"


class FixedTTFont(TTFont):
    """A TrueType font whose first subset is `FIXED` in every document (see above)."""

    def __init__(self, name: str, filename: str):
        super().__init__(name, filename, asciiReadable=True)
        glyphs = self.face.charToGlyph
        self._fixed = [u if (u == 0 or u in glyphs) else 0 for u in FIXED]
        self._fixed_chars = frozenset(chr(u) for u in self._fixed if u)
        self._table = {u: i for i, u in enumerate(self._fixed) if u}
        self._table[0xA0] = 32  # as ReportLab: a no-break space is drawn as a space

    def _state(self, doc):
        try:
            return self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(True, self)
            state.subsets = [list(self._fixed)]
            state.assignments = {u: i for i, u in enumerate(self._fixed) if u or i == 0}
            state.nextCode = 256
            return state

    def in_first(self, text: str) -> bool:
        """Whether every character of `text` is in the first subset."""
        return set(text) <= self._fixed_chars

    def encode_first(self, text: str) -> bytes:
        """`text` (all in the first subset) as the subset's one-byte codes."""
        return text.translate(self._table).encode("latin-1")

    def splitString(self, text, doc, encoding="utf-8"):
        self._state(doc)
        if set(text) <= self._fixed_chars:
            return [(0, text.translate(self._table).encode("latin-1"))]
        return super().splitString(text, doc, encoding)

    def getSubsetInternalName(self, subset, doc):
        state = self._state(doc)
        if state.internalName is not None and 0 <= subset < len(state.subsets):
            return f"/{state.internalName}+{subset}"
        return super().getSubsetInternalName(subset, doc)

    @functools.cached_property
    def _first_subset(self) -> tuple[bytes, bytes, bytes]:
        """(Widths array, ToUnicode stream, FontFile2 stream) of the first subset."""
        name = (SUBSETN(0) + b"+" + self.face.name + self.face.subfontNameX).decode("pdfdoc")
        widths = " ".join(str(self.face.getCharWidth(u)) for u in self._fixed)
        program = self.face.makeSubset(self._fixed)
        return (
            f"[ {widths} ]".encode("ascii"),
            _stream(_to_unicode_cmap(name, self._fixed).encode("ascii")),
            _stream(program, Length1=len(program)),
        )

    def addObjects(self, doc):
        """The document's font objects: the first subset from the ready bytes, every
        further subset as ReportLab makes it."""
        state = self._state(doc)
        state.frozen = 1
        self._add_first(doc)
        for n, subset in enumerate(state.subsets[1:], start=1):
            self._add_subset(doc, n, subset)
        del self.state[doc]

    def _add_subset(self, doc, n: int, subset: list[int]) -> None:
        internal = self.getSubsetInternalName(n, doc)[1:]
        base = (SUBSETN(n) + b"+" + self.face.name + self.face.subfontNameX).decode("pdfdoc")
        font = pdfdoc.PDFTrueTypeFont()
        font.__Comment__ = f"Font {self.fontName} subset {n}"
        font.Name = internal
        font.BaseFont = base
        font.FirstChar = 0
        font.LastChar = len(subset) - 1
        font.Widths = pdfdoc.PDFArray(list(map(self.face.getCharWidth, subset)))
        cmap = pdfdoc.PDFStream()
        cmap.content = _to_unicode_cmap(base, subset)
        if doc.compression:
            cmap.filters = [pdfdoc.PDFZCompress]
        font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base)
        font.FontDescriptor = self.face.addSubsetObjects(doc, base, subset)
        doc.Reference(font, internal)
        doc.idToObject["BasicFonts"].dict[internal] = font

    def _add_first(self, doc) -> None:
        widths, to_unicode, program = self._first_subset
        internal = self.getSubsetInternalName(0, doc)[1:]
        base = (SUBSETN(0) + b"+" + self.face.name + self.face.subfontNameX).decode("pdfdoc")
        font = pdfdoc.PDFTrueTypeFont()
        font.__Comment__ = f"Font {self.fontName} subset 0"
        font.Name = internal
        font.BaseFont = base
        font.FirstChar = 0
        font.LastChar = 255
        font.Widths = _Raw(widths)
        font.ToUnicode = doc.Reference(_Raw(to_unicode), "toUnicodeCMap:" + base)
        program_ref = doc.Reference(_Raw(program), f"fontFile:{self.face.filename}({base})")
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.face.ascent,
                "CapHeight": self.face.capHeight,
                "Descent": self.face.descent,
                "Flags": (self.face.flags & ~ttfonts.FF_NONSYMBOLIC) | ttfonts.FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.face.bbox),
                "FontName": pdfdoc.PDFName(base),
                "ItalicAngle": self.face.italicAngle,
                "StemV": self.face.stemV,
                "FontFile2": program_ref,
                "MissingWidth": self.face.defaultWidth,
            }
        )
        font.FontDescriptor = doc.Reference(descriptor, "fontDescriptor:" + base)
        doc.Reference(font, internal)
        doc.idToObject["BasicFonts"].dict[internal] = font


def _register(name: str) -> TTFont:
    if name not in pdfmetrics.getRegisteredFontNames():
        path = str(FONT_DIR / _FILES[name])
        font = TTFont(name, path) if name == FALLBACK else FixedTTFont(name, path)
        pdfmetrics.registerFont(font)
    return pdfmetrics.getFont(name)


_register(REGULAR)
_register(BOLD)


@functools.cache
def covered(name: str) -> frozenset[str]:
    """Every character the font has a glyph for."""
    return frozenset(map(chr, _register(name).face.charToGlyph))


@functools.cache
def fallback() -> str:
    """The fallback font's name, registered on first use."""
    _register(FALLBACK)
    return FALLBACK
