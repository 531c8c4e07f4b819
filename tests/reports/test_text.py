"""The plain-text flowable on its own: fonts per character, cleaning, line breaking."""

from __future__ import annotations

from reports.base import STYLES
from reports.text import Text, clean

from . import samples as s
from .docs import builders, text_of


def test_a_line_of_only_fallback_characters_uses_the_fallback_font():
    pdf = builders()["guardian_letter"](None, None, s.guardian(address="🌀"))
    assert "🌀" in text_of(pdf)


def test_clean_keeps_text_and_drops_what_cannot_print():
    assert clean("a\r\nb\rc\td\x00e\x0bf\u2028g\ufe0fh") == "a\nb\nc def\ngh"
    assert clean(None) == ""
    assert clean("\ud800x") == "\ufffdx"


def test_lines_fit_their_width_and_keep_every_character():
    text = "Kort. " + "x" * 400 + " slut\n\nny linje"
    flow = Text(text, STYLES["body"])
    width = 200
    flow.wrap(width, 1000)
    assert all(flow._measure.width(line) <= width for line in flow._lines)
    assert "".join(flow._lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    first, second = flow.split(width, STYLES["body"].leading * 3)
    assert len(first._lines) == 3
    assert first._lines + second._lines == flow._lines
    assert second.wrap(width, 1000)[1] == len(second._lines) * STYLES["body"].leading
