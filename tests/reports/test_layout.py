"""Visual check: one realistic document of each type rendered to PNG (pdftoppm, under the
test's temporary folder), and no character outside its column: every character box
(pdfplumber) inside the page's margins and crossing no vertical line of a table grid."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

import pdfplumber
import pytest

from reports.base import MARGIN
from reports.data import ChildNeedingAction, PlanAction, TimelineEntry

from . import samples as s
from .docs import builders

LONG_WORD = "Sprogstimuleringsforløbsevalueringsmøde"
REALISTIC = {
    "action_plan": lambda b: b(
        s.plan(
            actions=tuple(
                PlanAction(f"Handling {i}: {LONG_WORD} med forældrene", "Hanne Holm", None)
                for i in range(12)
            ),
            goals="\n".join(f"Mål {i}: Alma hilser på en voksen om morgenen" for i in range(30)),
        )
    ),
    "round_overview": lambda b: b(
        s.round_overview(
            groups=(s.group_row("Mariehønen og Sommerfuglene i det gamle hus"),) * 3,
            children_needing_action=(
                ChildNeedingAction(
                    f"Barn med et langt navn {LONG_WORD}", "Mariehønen", "red", "", overdue_steps=2
                ),
            ),
        )
    ),
    "parents_copy": lambda b: b(
        s.parents_copy(assessments=[TimelineEntry(date(2026, 11, 2), LONG_WORD, LONG_WORD * 3)] * 4)
    ),
}


def _rendered(name: str, pdf: bytes, tmp_path) -> None:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: `make test` installs poppler-utils"
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(src), str(tmp_path / name)], check=True)
    pngs = sorted(tmp_path.glob(f"{name}-*.png"))
    assert pngs
    assert all(png.stat().st_size > 3000 for png in pngs)


def _outside(pdf: bytes) -> list[str]:
    problems = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for n, page in enumerate(doc.pages, start=1):
            left, right = MARGIN - 0.5, float(page.width) - MARGIN + 0.5
            grid = [ln for ln in page.lines if abs(ln["x0"] - ln["x1"]) < 0.1 and ln["height"] > 1]
            for ch in page.chars:
                if not ch["text"].strip():
                    continue
                where = f"page {n}: {ch['text']!r} at x {ch['x0']:.1f}–{ch['x1']:.1f}"
                if ch["x0"] < left or ch["x1"] > right:
                    problems.append(f"{where} outside the margins")
                middle = (ch["top"] + ch["bottom"]) / 2
                for ln in grid:
                    if ln["top"] <= middle <= ln["bottom"] and ch["x0"] + 0.3 < ln["x0"] < (
                        ch["x1"] - 0.3
                    ):
                        problems.append(f"{where} crosses the column edge at {ln['x0']:.1f}")
    return problems


@pytest.mark.parametrize("kind", sorted(builders()))
def test_no_text_outside_its_column(kind, tmp_path):
    b = builders()[kind]
    pdf = REALISTIC[kind](b) if kind in REALISTIC else b()
    _rendered(kind, pdf, tmp_path)
    assert _outside(pdf) == []


def test_the_check_sees_text_outside_its_column():
    """The check itself: a plain string wider than its cell (as table cells were drawn
    before) is caught."""
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    buf = io.BytesIO()
    t = Table([[LONG_WORD * 2, "x"]], colWidths=[60, 60])
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, "black")]))
    SimpleDocTemplate(buf, leftMargin=MARGIN, rightMargin=MARGIN).build([t])
    assert _outside(buf.getvalue())
