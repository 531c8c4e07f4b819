"""The fonts of every document, embedded (as subsets) in every case.

DejaVu Sans (regular and bold) prints Danish and every Latin, Greek, Cyrillic, Arabic and
Hebrew letter, and many symbols and emoticons. Symbola is the fallback for the emoji and
symbols DejaVu lacks; it is loaded only when a document needs it. Both are vendored in
`reports/fonts/` with their licences, so a document looks the same on every machine.

A character that no font has is drawn as DejaVu's empty box (.notdef) and is missing from
the text layer; with these two fonts that is only emoji newer than Unicode 9 and scripts
outside DejaVu's coverage.

ReportLab writes a wrong ToUnicode entry for characters outside the Basic Multilingual
Plane (five hex digits instead of a UTF-16 surrogate pair), so copied or extracted emoji
came out broken; `_to_unicode_cmap` replaces ReportLab's function with a correct one.
"""

from __future__ import annotations

import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

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


def _register(name: str) -> TTFont:
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / _FILES[name])))
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
