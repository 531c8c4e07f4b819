"""The municipal overview PDF (no names) publishes exactly what the key-figures dashboard
publishes for the same round without filters (issue 13: one rule in screens, exports and
PDFs): children, green, yellow, red and "not assessed" are cells of the dashboard's
positions and completion tables, hidden where the dashboard hides them. A hand-made
municipality whose right answer is worked out by hand, and a generated one."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from benchmarks.municipality import PASSWORD, Scale, build
from reports.data import GroupRow, MunicipalOverviewData
from reports.overviews import municipal_overview
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.models import (
    Assessment,
    AssessmentContext,
    AssessmentStatus,
    InstrumentVersion,
    JointAssessment,
    Municipality,
    Position,
    Role,
    RoundStatus,
    ScreeningRound,
)
from tests import factories as f
from tests.conftest import months_ago
from tests.reports.docs import text_of
from tests.reports.samples import letterhead


def flat(pdf: bytes) -> str:
    return " ".join(text_of(pdf).split())


def test_the_pdf_prints_small_counts_and_the_counts_hidden_beside_them():
    row = GroupRow(
        group="Børnehuset Mælkebøtten",
        children=23,
        by_position={"green": 12, "yellow": 6, "red": 2},
        assessed=20,
        missing=3,
        open_paths=7,
        overdue_steps=0,
        hidden=frozenset({"assessed", "yellow"}),
    )
    data = MunicipalOverviewData("Efterår 2026", (row,), suppress_below=5)
    text = flat(municipal_overview(letterhead(), data))
    assert "23 12 skjult <5 skjult <5 7 0" in text
    assert "»skjult«" in text


def csv_of(browser, url: str) -> list[list[str]]:
    text = browser.get(url).get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def expected_rows(browser, round_id: int, threshold: int) -> dict[str, list[str]]:
    """Each institution's figures as the PDF must print them, read off the dashboard's
    positions and completion tables (CSV): children, green, yellow, red, assessed, not
    assessed. "Assessed" is one + two or more, printed only where the dashboard's
    published cells give it; the PDF writes "<5" for the dashboard's "< 5"."""
    positions = csv_of(browser, f"/rounds/{round_id}/figures/positions.csv")[1:-1]
    completion = csv_of(browser, f"/rounds/{round_id}/figures/completion.csv")[1:-1]
    out = {}
    for pos, comp in zip(positions, completion, strict=True):
        assert pos[0] == comp[0]
        none, one, two, children = comp[1:]
        if one.isdigit() and two.isdigit():
            assessed = int(one) + int(two)
        elif children.isdigit() and none.isdigit():
            assessed = int(children) - int(none)
        else:
            assessed = None
        if assessed is None:
            shown = "skjult"
        elif 0 < assessed < threshold:
            shown = f"< {threshold}"
        else:
            shown = str(assessed)
        cells = [pos[5], pos[1], pos[2], pos[3], shown, none]
        out[pos[0]] = [c.replace("< ", "<") for c in cells]
    return out


def printed_rows(pdf: bytes, names: list[str]) -> dict[str, list[str]]:
    """The eight figures after each institution's name in the PDF's text."""
    text = flat(pdf)
    out = {}
    for name in names:
        found = re.search(re.escape(name) + r" ((?:\S+ ){7}\S+)", text)
        assert found, name
        out[name] = found.group(1).split()
    return out


@pytest.fixture
def hand_made(today, app, catalogue):
    """Threshold 5, one open round, two institutions; every child has one submitted
    assessment and a joint one:

                 G   Y   R  none |  T     The dashboard hides yellow 3 (cell and column
      Akacien    9   3  20    0  | 32     total) and, to close the loop through both at
      Bøgen     12   0   0    0  | 12     least cost, Akacien's green 9 and the green
      I alt     21   3  20    0  | 44     total 21 (9 + 21 against 20 + 20 through red).

    Printing Akacien's green 9 (as the PDF did) would give the 3 back: 32 − 9 − 20."""
    coord = f.user(Role.COORDINATOR, email="koord@example.dk", password=PASSWORD)
    a = f.institution("Akacien", groups=("Stue A",))
    b = f.institution("Bøgen", groups=("Stue B",))
    round_ = ScreeningRound(
        name="Forår test",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=30),
        reference_date=today - timedelta(days=10),
        status=RoundStatus.OPEN,
        instrument_keys=["topi-3-6"],
        institutions=[a, b],
    )
    db.session.add(round_)
    db.session.flush()
    instrument = db.session.scalars(
        sa.select(InstrumentVersion).where(InstrumentVersion.key == "topi-3-6")
    ).first()
    plan = [(a, "green", 9), (a, "yellow", 3), (a, "red", 20), (b, "green", 12)]
    for inst, position, n in plan:
        for _ in range(n):
            kid = f.child(
                inst.groups[0], birth_date=months_ago(50, today), start=today - timedelta(days=400)
            )
            db.session.add(
                Assessment(
                    round_id=round_.id,
                    child_id=kid.id,
                    assessor_id=coord.id,
                    instrument_id=instrument.id,
                    context=AssessmentContext.DAYCARE,
                    status=AssessmentStatus.SUBMITTED,
                    suggested_position=Position(position),
                    submitted_at=utcnow(),
                )
            )
            db.session.add(
                JointAssessment(
                    round_id=round_.id,
                    child_id=kid.id,
                    suggested_position=Position(position),
                    suggestion={},
                    agreed_position=Position(position),
                    justification="Drøftet i teamet.",
                    decided_by_id=coord.id,
                )
            )
    db.session.execute(sa.update(Municipality).values(suppression_threshold=5))
    db.session.commit()
    return round_


def test_the_pdf_hides_what_the_dashboard_hides_worked_out_by_hand(hand_made, browser):
    browser.login("koord@example.dk", PASSWORD)
    rid = hand_made.id
    positions = csv_of(browser, f"/rounds/{rid}/figures/positions.csv")
    assert positions[1:] == [
        ["Akacien", "skjult", "< 5", "20", "0", "32"],
        ["Bøgen", "12", "0", "0", "0", "12"],
        ["I alt", "skjult", "< 5", "20", "0", "44"],
    ]
    pdf = browser.get(f"/rounds/{rid}/municipal.pdf")
    assert pdf.status_code == 200
    printed = printed_rows(pdf.data, ["Akacien", "Bøgen"])
    # children, green, yellow, red, assessed, not assessed, open paths, overdue steps
    assert printed["Akacien"] == ["32", "skjult", "<5", "20", "32", "0", "0", "0"]
    assert printed["Bøgen"] == ["12", "12", "0", "0", "12", "0", "0", "0"]
    expected = expected_rows(browser, rid, 5)
    for name, cells in expected.items():
        assert printed[name][:6] == cells, name


SMALL = Scale(institutions=3, groups_per_institution=2, children=90, rounds=3, paths=20, seed=11)


@pytest.mark.parametrize("threshold", [5, 8, 12])
def test_every_figure_of_the_pdf_is_the_dashboards(today, app, catalogue, browser, threshold):
    town = build(db.session, replace(SMALL, today=today))
    db.session.execute(sa.update(Municipality).values(suppression_threshold=threshold))
    db.session.commit()
    browser.login(town.coordinator_email, PASSWORD)
    hidden = 0
    for rid in town.rounds:
        expected = expected_rows(browser, rid, threshold)
        pdf = browser.get(f"/rounds/{rid}/municipal.pdf").data
        printed = printed_rows(pdf, list(expected))
        for name, cells in expected.items():
            assert printed[name][:6] == cells, (rid, name)
            hidden += cells.count("skjult")
    if threshold >= 8:
        assert hidden  # complementary cells occur: the comparison is not trivial
