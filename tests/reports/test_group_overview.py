"""The trafiklys PDF at a sweep of sizes (no child, one, a few, a long list; long names
and long position labels; Danish and English): the column headings and the positions'
words are printed whole, a name breaks only after a hyphen of its own (or, a word too long
for any column, with a hyphen added), nothing crosses its column, and the document says
what the screen says ("Ikke aftalt", "Ingen endnu")."""

from __future__ import annotations

import re

import pytest

from reports.data import GroupOverviewRow, TrafficCell
from reports.group_overview import AREA_TITLES, group_overview
from reports.i18n import Language

from . import samples as s
from .docs import text_of
from .test_layout import _outside

LONG_NAME = "Maximilian-Alexander Christoffersen-Østergaard"
LONG_ASSESSOR = "Kirsten Vesterby-Kristoffersen"
ENDLESS = "Sprogstimuleringsforløbsevalueringsmødedeltagerbarn"  # no column is wide enough


def row(i: int, name: str, *, agreed: bool = True) -> GroupOverviewRow:
    pos = ("green", "yellow", "red")[i % 3]
    return GroupOverviewRow(
        name,
        TrafficCell(pos if agreed else None, ("red", None, "yellow")[i % 3]),
        tuple(TrafficCell(("green", "yellow", "red", None)[(i + a) % 4], pos) for a in range(4)),
        (f"{LONG_ASSESSOR} ▲", "Hanne Holm ●") if agreed else (),
        "Hanne Holm" if agreed else "",
        "Forår 2026" if i % 2 else "",
    )


def sweep():
    yield "none", ()
    yield "one", (row(0, "Alma Østergaard", agreed=False),)
    yield "few", tuple(row(i, n) for i, n in enumerate(("Alma Ø", LONG_NAME, "Otto Ærø")))
    yield (
        "many",
        tuple(
            row(i, f"{LONG_NAME} {i}" if i % 5 == 0 else f"Barn nummer {i}", agreed=i % 4 != 0)
            for i in range(45)
        ),
    )


def tokens(text: str) -> list[str]:
    return text.split()


def hyphen_parts(word: str) -> list[str]:
    """ "Anne-Sofie" → ["Anne-", "Sofie"]: where a word may break."""
    parts = word.split("-")
    return [p + "-" for p in parts[:-1]] + [parts[-1]]


def language(code: str, translations) -> Language:
    return Language.load(code, translations)


@pytest.mark.parametrize("labels", [s.LABELS, None], ids=["long-labels", "default-labels"])
@pytest.mark.parametrize("code", ["da", "en"])
@pytest.mark.parametrize(("size", "rows"), list(sweep()), ids=[n for n, _r in sweep()])
def test_headings_positions_and_names_break_only_between_words(
    size, rows, code, labels, translations
):
    lh = s.letterhead(language=language(code, translations), labels=labels)
    _ = lh.language.gettext
    pdf = group_overview(lh, s.group_overview(rows=rows))
    assert _outside(pdf) == []
    text = text_of(pdf)
    words = tokens(text)
    if not rows:
        assert _("Der er ingen børn på stuen.") in " ".join(words)
        return
    headings = [
        _("Barn"),
        _("Samlet position"),
        *(_(t) for t in AREA_TITLES.values()),
        _("Vurderet af"),
    ]
    for heading in headings:  # whole, or broken after a hyphen of its own ("sensory-")
        for word in heading.split():
            assert word in words or set(hyphen_parts(word)) <= set(words), (word, heading)
    for key in ("green", "yellow", "red"):
        for word in lh.label(key).split():
            assert word in words, word
    # A name breaks after its own hyphen at most: each part is a whole token.
    for r in rows:
        for word in r.name.split():
            assert word in words or set(hyphen_parts(word)) <= set(words), (word, r.name)
    if any(r.assessors for r in rows):
        assert "Vesterby-Kristoffersen" in words or {"Vesterby-", "Kristoffersen"} <= set(words)
    # Screen words: no joint position agreed yet, nobody has assessed.
    not_agreed = sum(1 for r in rows if r.overall.position is None)
    assert " ".join(words).count(_("Ikke aftalt")) == not_agreed + 1  # and the legend once
    nobody = sum(1 for r in rows if not r.assessors and not r.decided_by)
    assert " ".join(words).count(_("Ingen endnu")) == nobody


def test_a_word_too_long_for_any_column_breaks_with_a_hyphen(translations):
    lh = s.letterhead()
    pdf = group_overview(lh, s.group_overview(rows=(row(1, f"Alma {ENDLESS}"),)))
    assert _outside(pdf) == []
    lines = [ln.strip() for ln in text_of(pdf).split("\n")]
    start = next(i for i, ln in enumerate(lines) if ln.startswith(ENDLESS[:4]))
    pieces, joined = [], ""
    for ln in lines[start:]:
        pieces.append(ln)
        joined += ln.removesuffix("-")
        if len(joined) >= len(ENDLESS):
            break
    assert joined == ENDLESS
    assert len(pieces) >= 2
    assert all(p.endswith("-") for p in pieces[:-1])


def test_what_the_screen_calls_ikke_aftalt_the_pdf_does_too():
    """The overall position not yet agreed reads "Ikke aftalt", not a dash; a dash still
    means no assessment (as the screen's legend says)."""
    lh = s.letterhead()
    pdf = group_overview(lh, s.group_overview())
    text = " ".join(text_of(pdf).split())
    otto = text.split("Otto Ærø", 1)[1]
    assert re.match(r"\s*Ikke aftalt før: –", otto), otto[:60]
    assert "– betyder: ingen vurdering endnu." in text
