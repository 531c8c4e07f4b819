"""Proof by generated content: every document type builds for any text a user can type
(0 to 20,000 characters, any number of lines, markup-like characters, æøå, emoji,
right-to-left scripts), 0–80 actions and 0–20 participants, and every typed text that the
document prints can be found in the text pypdf extracts.

How the extracted text is compared: both sides in Unicode NFKC (Arabic letters are printed
in their joined presentation forms), case-folded (a role is printed "forælder" inside a
sentence), without whitespace (where a line wraps or a long word breaks does not matter);
a text may be found in pieces, in order, when a table row splits over pages (the repeated
header row and the row's other cells come between). In a line that mixes
left-to-right and right-to-left text the bidi algorithm moves digits, punctuation and
emoji between the two directions, and pypdf puts the parts in its own order, so for text
with RTL letters each run of left-to-right letters is looked for on its own, and every
character must be printed. pypdf reorders whole lines, across
table cells, so this also applies to any text in a document that holds RTL letters
when the text is not found in order.

Emoji: DejaVu Sans and the Symbola fallback cover the emoji of Unicode 9 and earlier; the
alphabet here is what they cover (newer emoji are drawn as an empty box and are missing
from the text layer; see `reports/fonts.py`).
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from datetime import date, datetime

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from reports import fonts
from reports.data import Person, PlanAction
from reports.text import clean, has_rtl

from . import samples as s
from .docs import builders, fill, text_of

EMOJI = sorted(
    c
    for c in fonts.covered(fonts.REGULAR) | fonts.covered(fonts.fallback())
    if 0x1F300 <= ord(c) <= 0x1FAFF
)[::7]
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:!?-–»«()/"
    "æøåÆØÅéüöłğşčŁ"
    "<>&;\"'=[]{}%#*_\\"
    "     \n\n\t"
    "αβγ Жизнь"
    "سلامعليكمأحمد"
    "עברית" + "".join(EMOJI[:40])
)
WORDS = st.text(st.sampled_from(ALPHABET), min_size=0, max_size=60)


@st.composite
def typed(draw, long: bool = False) -> str:
    """A text as a user may type it; `long` ones run to 20,000 characters."""
    if not long:
        return draw(st.text(st.sampled_from(ALPHABET), max_size=120))
    words = draw(st.lists(WORDS, max_size=40))
    sep = draw(st.sampled_from([" ", "\n", "  ", "\n\n", " \n"]))
    text = sep.join(words)
    size = draw(st.integers(min_value=0, max_value=20_000))
    if text:
        text = (text * (size // len(text) + 1))[:size]
    return text


# Runs of letters of one direction: the bidi algorithm keeps them together (digits,
# punctuation, spaces and emoji between them may move to either side).
_STRONG = re.compile("[a-zæøåéüöłğşčжизньαβγ]+")


def norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def found(needle: str, hay: str, pages: int) -> bool:
    # Runs are looked for word by word: a line or page break (with a table's repeated
    # header row) may come between two words, never inside a run of one word.
    runs = [run for word in clean(needle).split() for run in _STRONG.findall(norm(word))]
    needle = norm(clean(needle))
    if not needle:
        return True
    if has_rtl(needle) or (not _in_order(needle, hay, pages) and has_rtl(hay)):
        return set(needle) <= set(hay) and all(_run_in(run, hay) for run in runs)
    return _in_order(needle, hay, pages)


def _run_in(run: str, hay: str) -> bool:
    """A word of left-to-right letters is in the text whole, or in two pieces where a cell
    was split across a page (the page's footer and the next header fall in between)."""
    return run in hay or any(run[:k] in hay and run[k:] in hay for k in range(2, len(run) - 1))


def _in_order(needle: str, hay: str, pages: int) -> bool:
    if needle in hay:
        return True
    if len(needle) < 20:
        return False
    # In order, in pieces: anchor each piece at the earliest place its first characters
    # occur, then extend it as far as the document goes on with the same text.
    pos, pieces = 0, 0
    while needle:
        anchor = needle[:12]
        at = hay.find(anchor, pos)
        if at < 0:
            return False
        n = len(anchor)
        while n < len(needle) and at + n < len(hay) and hay[at + n] == needle[n]:
            n += 1
        pos, needle, pieces = at + n, needle[n:], pieces + 1
    return pieces <= 4 * pages + 2


# Typed texts a document does not print, by design.
NOT_PRINTED = {
    "guardian_letter": {
        "child.age_text",
        "child.institution",
        "meeting.kind",
        "to.language",
    },
    "professional_letter": {"meeting.participants.basis"},
    "action_plan": {"plan.participants.organisation", "plan.participants.basis"},
    "round_overview": set(),
    "municipal_overview": set(),
    "parents_copy": {
        "data.child.age_text",
        "data.guardians.address",
        "data.plans.participants.organisation",
        "data.plans.participants.basis",
    },
}


def meeting_data(draw) -> object:
    people = draw(st.integers(0, 20))
    return s.meeting(
        participants=tuple(
            Person(f"p{i}", "Psykolog", "PPR", external=i % 2 == 0, basis="b")
            for i in range(people)
        ),
        contact_email="e",
    )


def check(kind: str, build, args: dict, draw) -> None:
    typed_texts: list[tuple[str, str]] = []

    def make(path: str) -> str:
        text = draw(typed(long=draw(st.integers(0, 14)) == 0))
        typed_texts.append((path, text))
        return text

    filled = {k: fill(v, make, k) for k, v in args.items()}
    pdf = build(**filled)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    hay = norm(text_of(pdf))
    skip = NOT_PRINTED.get(kind, set())
    for path, text in typed_texts:
        if path in skip or path.startswith("meeting.participants."):
            continue
        if path == "child.name" and kind == "guardian_letter":
            text = (text.split() or [""])[0]  # the letter uses the first name
        assert found(text, hay, pages), (kind, path, text[:80])
    if "meeting" in filled:  # everyone but the recipient is listed
        for pt in filled["meeting"].participants:
            if pt.name == filled["to"].name:
                continue
            shown = [pt.name, pt.role, pt.organisation]
            if kind == "guardian_letter" and pt.external:
                shown.append(pt.basis)
            for text in shown:
                assert found(text, hay, pages), (kind, "participant", text[:80])


SETTINGS = settings(
    # A few examples per run (each builds documents of up to 20,000-character texts);
    # REPORTS_EXAMPLES=50 for a thorough run.
    max_examples=int(os.environ.get("REPORTS_EXAMPLES", "3")),
    deadline=None,
    # Shrinking documents of many long texts takes minutes; a failure is reported as
    # found (the example is printed and kept in the example database).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(st.data())
def test_guardian_letter(data):
    m = meeting_data(data.draw)
    b = builders()["guardian_letter"]
    args = {"meeting": m, "child": s.CHILD, "to": s.guardian()}
    check("guardian_letter", lambda meeting, child, to: b(meeting, child, to), args, data.draw)


@SETTINGS
@given(st.data())
def test_professional_letter(data):
    m = meeting_data(data.draw)
    b = builders()["professional_letter"]
    args = {"meeting": m, "child": s.CHILD, "to": s.professional()}
    check("professional_letter", lambda meeting, child, to: b(meeting, child, to), args, data.draw)


@SETTINGS
@given(st.data())
def test_action_plan(data):
    n = data.draw(st.integers(0, 80))
    people = data.draw(st.integers(0, 20))
    plan = s.plan(
        actions=tuple(PlanAction(f"a{i}", "w", date(2026, 12, 1)) for i in range(n)),
        participants=tuple(Person(f"p{i}", "r") for i in range(people)),
        guardian_names=tuple(f"g{i}" for i in range(data.draw(st.integers(0, 4)))),
    )
    b = builders()["action_plan"]
    check("action_plan", lambda plan: b(plan), {"plan": plan}, data.draw)


@SETTINGS
@given(st.data())
def test_overviews(data):
    rows = data.draw(st.integers(0, 30))
    b = builders()
    round_data = s.round_overview(
        groups=tuple(s.group_row(f"g{i}") for i in range(rows)),
        children_needing_action=tuple(
            s.round_overview().children_needing_action[1] for _ in range(rows)
        ),
    )
    check("round_overview", lambda d: b["round_overview"](d), {"d": round_data}, data.draw)
    muni = s.municipal_overview(rows=tuple(s.group_row(f"i{i}") for i in range(rows)))
    check("municipal_overview", lambda d: b["municipal_overview"](d), {"d": muni}, data.draw)


@SETTINGS
@given(st.data())
def test_parents_copy(data):
    n = data.draw(st.integers(0, 12))
    copy = s.parents_copy(
        assessments=[s.parents_copy().assessments[0]] * n,
        access_log=[(datetime(2026, 11, 2, 10, 14), "x", "y")] * n,
        plans=[s.plan()] * data.draw(st.integers(0, 2)),
    )
    b = builders()["parents_copy"]
    check("parents_copy", lambda data: b(data), {"data": copy}, data.draw)


@SETTINGS
@given(st.data())
def test_combined_documents_build(data):
    """The batches: every letter and every plan, with generated texts, in one PDF each."""
    b = builders()
    letters = [
        (fill(s.meeting(), lambda p: data.draw(typed())), s.CHILD, to)
        for to in (s.guardian(), s.professional())
        for _ in range(data.draw(st.integers(1, 3)))
    ]
    assert b["invitations"](letters).startswith(b"%PDF")
    count = data.draw(st.integers(0, 3))
    plans = [fill(s.plan(), lambda p: data.draw(typed())) for _ in range(count)]
    assert b["action_plans"](plans).startswith(b"%PDF")
