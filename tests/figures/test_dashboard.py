"""The coordinator's key-figures dashboard on a small generated municipality: the counts
agree with the rows they count, the screen, CSV, XLSX and PDF publish the same protected
tables, filters narrow the figures, bad filter values are ignored, others are refused."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta

import openpyxl
import pdfplumber
import pytest
import sqlalchemy as sa

from benchmarks.municipality import PASSWORD, Scale, build
from screening.catalogue.services import round_bands
from screening.core.extensions import db
from screening.figures import queries
from screening.figures.tables import figures
from screening.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Child,
    GroupMembership,
    Institution,
    JointAssessment,
    Municipality,
    ScreeningRound,
)

SMALL = Scale(institutions=3, groups_per_institution=2, children=90, rounds=3, paths=20, seed=11)


@pytest.fixture
def town(today, app, catalogue):
    summary = build(db.session, replace(SMALL, today=today))
    db.session.commit()
    return summary


def signed_in(browser, email):
    browser.login(email, PASSWORD)
    return browser


def naive_positions(round_: ScreeningRound, today: date) -> dict[int, dict[str, int]]:
    """Children per institution and agreed position, child by child in Python."""
    day = min(round_.ends_on, today)
    bands = round_bands(round_)
    joints = {
        j.child_id: j.agreed_position.value
        for j in db.session.scalars(
            sa.select(JointAssessment).where(JointAssessment.round_id == round_.id)
        )
    }
    covered = {i.id for i in round_.institutions}
    out: dict[int, dict[str, int]] = {}
    for m in db.session.scalars(sa.select(GroupMembership)):
        if not (m.start_date <= day and (m.end_date is None or m.end_date > day)):
            continue
        inst = m.group.institution_id
        child = db.session.get(Child, m.child_id)
        if inst not in covered or not any(
            b.born_after < child.birth_date <= b.born_by for b in bands
        ):
            continue
        row = out.setdefault(inst, dict.fromkeys(("green", "yellow", "red", "none"), 0))
        row[joints.get(child.id, "none")] += 1
    return out


def test_the_counts_agree_with_the_rows_child_by_child(today, town):
    for round_id in town.rounds:
        round_ = db.session.get(ScreeningRound, round_id)
        c = queries.counts(round_, queries.Filters(), today)
        expected = naive_positions(round_, today)
        assert {i: v for i, v in c.joint.items() if sum(v.values())} == expected
        # Completion: every child in one bucket; submitted assessments counted per child.
        for inst, row in c.joint.items():
            assert sum(c.assessed[inst].values()) == sum(row.values())
    newest = db.session.get(ScreeningRound, town.rounds[-1])
    c = queries.counts(newest, queries.Filters(), today)
    submitted = db.session.scalar(
        sa.select(sa.func.count(Assessment.id)).where(
            Assessment.round_id == newest.id, Assessment.status == AssessmentStatus.SUBMITTED
        )
    )
    assert sum(sum(v.values()) for v in c.individual.values()) <= submitted
    assert c.previous is not None
    assert c.previous.id == town.rounds[-2]
    assert [r.id for r, _found in c.trend] == town.rounds


def test_the_coordinator_lands_on_the_dashboard_of_the_newest_round(town, browser):
    signed_in(browser, town.coordinator_email)
    assert browser.get("/").headers["Location"].endswith("/figures")
    to = browser.get("/figures").headers["Location"]
    assert to.endswith(f"/rounds/{town.rounds[-1]}/figures")
    page = browser.get(to)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for title in ("Fælles positioner", "Fuldførelse", "Rettidighed", "Indsatstrappen"):
        assert title in html
    assert 'role="img"' in html
    assert "<title id=" in html
    assert "<desc id=" in html
    # The chart points at the table beside it, which has the same numbers.
    assert 'aria-describedby="fig-positions-table"' in html
    assert 'id="fig-positions-table"' in html
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "figures.view")
    ).one()
    assert event.child_id is None


def test_the_round_chosen_in_the_form_keeps_the_filters(town, browser):
    signed_in(browser, town.coordinator_email)
    first = town.rounds[0]
    to = browser.get(f"/figures?round={first}&institution={town.institutions[0]}").headers[
        "Location"
    ]
    assert f"/rounds/{first}/figures" in to
    assert f"institution={town.institutions[0]}" in to


def published_positions(round_id: int, threshold: int, today: date, filters=None):
    round_ = db.session.get(ScreeningRound, round_id)
    c = queries.counts(round_, filters or queries.Filters(), today)
    return {f.key: f for f in figures(c, threshold, lambda s: s)}


def test_screen_csv_xlsx_and_pdf_publish_the_same_protected_tables(today, town, browser):
    db.session.execute(sa.update(Municipality).values(suppression_threshold=8))
    db.session.commit()
    signed_in(browser, town.coordinator_email)
    rid = town.rounds[-1]
    expected = published_positions(rid, 8, today)
    positions = expected["positions"].published()
    assert any("< 8" in row for row in positions)  # the small town has small counts

    text = browser.get(f"/rounds/{rid}/figures/positions.csv").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")) == positions

    content = browser.get(f"/rounds/{rid}/figures.xlsx").data
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == len(expected)
    sheet = book[book.sheetnames[0]]
    rows = [[("" if v is None else str(v)) for v in r] for r in sheet.iter_rows(values_only=True)]
    assert rows[4 : 4 + len(positions)] == positions

    one = openpyxl.load_workbook(
        io.BytesIO(browser.get(f"/rounds/{rid}/figures/timeliness.xlsx").data)
    )
    assert one.sheetnames == ["Rettidighed"]

    pdf = browser.get(f"/rounds/{rid}/figures.pdf")
    assert pdf.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(pdf.data)) as doc:
        words = " ".join(page.extract_text() or "" for page in doc.pages)
    flat = " ".join(words.split())
    for row in positions[1:]:  # (a long name may wrap onto a second line in its cell)
        assert row[0].split()[0] in flat
        assert " ".join(row[1:]) in flat

    html = browser.get(f"/rounds/{rid}/figures").get_data(as_text=True)
    for f in expected.values():
        for r, row in enumerate(f.published()[1:]):
            for c, value in enumerate(row[1 : 1 + len(f.protected.row(0))]):
                if (r, c) in f.protected.hidden:
                    assert value in ("< 8", "skjult")
    assert html.count("&lt; 8") >= sum(1 for row in positions for v in row if v == "< 8")
    assert "»&lt; 8«" in html  # the explanation too: no raw "<" in the page's text
    assert "< 8" not in html


def test_the_trend_is_a_page_of_its_own_with_the_numbers_of_the_exports(today, town, browser):
    db.session.execute(sa.update(Municipality).values(suppression_threshold=8))
    db.session.commit()
    signed_in(browser, town.coordinator_email)
    rid = town.rounds[-1]
    inst = town.institutions[0]
    expected = published_positions(rid, 8, today)
    trend = expected["trend"].published()
    assert len(trend) == 1 + len(town.rounds)

    html = browser.get(f"/rounds/{rid}/figures").get_data(as_text=True)
    assert 'id="fig-trend-table"' not in html  # not counted for the dashboard
    assert f'href="/rounds/{rid}/figures/trend"' in html
    # The dashboard's tables are protected beside the trend, as in the exports.
    round_ = db.session.get(ScreeningRound, rid)
    alone = figures(queries.counts(round_, queries.Filters(), today, trend=0), 8, str)
    assert [f.key for f in alone] == [k for k in expected if k != "trend"]
    for f in alone:
        assert f.published() == expected[f.key].published(), f.key
    filtered = browser.get(f"/rounds/{rid}/figures?institution={inst}").get_data(as_text=True)
    assert f'href="/rounds/{rid}/figures/trend?institution={inst}"' in filtered

    page = browser.get(f"/rounds/{rid}/figures/trend")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="fig-trend-table"' in text
    assert 'role="img"' in text
    for row in trend[1:]:
        assert row[0] in text
    csv_text = browser.get(f"/rounds/{rid}/figures/trend.csv").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff")), delimiter=";")) == trend
    book = openpyxl.load_workbook(io.BytesIO(browser.get(f"/rounds/{rid}/figures.xlsx").data))
    sheet = book[book.sheetnames[-1]]
    rows = [[("" if v is None else str(v)) for v in r] for r in sheet.iter_rows(values_only=True)]
    assert rows[4 : 4 + len(trend)] == trend
    # And the positions on the screen are those of the export with the trend in it.
    positions = expected["positions"].published()
    csv_positions = browser.get(f"/rounds/{rid}/figures/positions.csv").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(csv_positions.lstrip("\ufeff")), delimiter=";")) == (
        positions
    )

    first = browser.get(f"/rounds/{town.rounds[0]}/figures").get_data(as_text=True)
    assert "/figures/trend" not in first  # no earlier round: no trend
    empty = browser.get(f"/rounds/{town.rounds[0]}/figures/trend")
    assert empty.status_code == 200
    assert 'id="fig-trend-table"' not in empty.get_data(as_text=True)


def test_filters_narrow_the_figures_and_bad_values_are_ignored(today, town, browser):
    signed_in(browser, town.coordinator_email)
    rid = town.rounds[-1]
    inst = db.session.get(Institution, town.institutions[0])
    page = browser.get(f"/rounds/{rid}/figures?institution={inst.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for g in inst.groups:
        assert g.name in html  # rows are the institution's groups now
    group = inst.groups[0]
    one = queries.counts(
        db.session.get(ScreeningRound, rid),
        queries.Filters(institution_id=inst.id, group_id=group.id, band="topi-3-6"),
        today,
    )
    assert [r.id for r in one.rows] == [group.id]
    for url in (
        f"/rounds/{rid}/figures?institution=999999&group=abc&band=nope&source=../x",
        f"/rounds/{rid}/figures?source=dental&band=topi-0-1",
        f"/rounds/{rid}/figures/positions.csv?institution={inst.id}&source=health_visitor",
    ):
        assert browser.get(url).status_code == 200, url
    assert browser.get(f"/rounds/{rid}/figures/nothing.csv").status_code == 404
    assert browser.get("/rounds/999999/figures").status_code == 404


def test_the_source_filter_says_which_tables_it_narrows(today, town, browser):
    """ "Kilde" narrows the individual assessments and the observations and nothing else
    (read from the counts, source by source), and the page says exactly that."""
    from screening.figures.views import SOURCE_FIGURES

    rid = town.rounds[-1]
    everything = published_positions(rid, 5, today)
    narrowed: set[str] = set()
    for source in queries.SOURCES:
        only = published_positions(rid, 5, today, queries.Filters(source=source))
        assert set(only) <= set(everything)
        changed = {
            k
            for k, f in everything.items()
            if k not in only or only[k].published() != f.published()
        }
        assert changed <= set(SOURCE_FIGURES), source
        narrowed |= changed
    assert narrowed == set(SOURCE_FIGURES)

    signed_in(browser, town.coordinator_email)
    html = browser.get(f"/rounds/{rid}/figures").get_data(as_text=True)
    hint = html.split('id="f-source-hint">', 1)[1].split("</p>", 1)[0]
    titles = {f.key: f.title for f in everything.values()}
    for key in SOURCE_FIGURES:
        assert f"»{titles[key]}«" in hint
    assert "Fælles positioner og de andre tabeller tæller altid alle kilder." in hint
    assert 'aria-describedby="f-source-hint"' in html
    # every source of observations can be chosen, PPR too (the observations table lists it)
    for source in queries.OBSERVATION_SOURCES:
        assert f'<option value="{source}"' in html, source
    assert "Kun kilden" not in html
    dental = browser.get(f"/rounds/{rid}/figures?source=dental").get_data(as_text=True)
    assert dental.count("Kun kilden »Tandplejen«.") == len(SOURCE_FIGURES)
    for key in SOURCE_FIGURES:
        about = dental.split(f'id="fig-{key}-about">', 1)[1].split("</p>", 1)[0]
        assert "Kun kilden »Tandplejen«." in about
    book = openpyxl.load_workbook(
        io.BytesIO(browser.get(f"/rounds/{rid}/figures.xlsx?source=dental").data)
    )
    heading = book[book.sheetnames[0]]["A2"].value
    assert "Kilde: Tandplejen (kun individuelle vurderinger og observationer)" in heading


def test_the_dashboard_speaks_the_users_words(town, browser):
    """LANGUAGE.md: rows are dagtilbud (or stuer), movements per row kind, the sources
    and grades of concern as the observation form names them."""
    signed_in(browser, town.coordinator_email)
    rid = town.rounds[-1]
    html = browser.get(f"/rounds/{rid}/figures").get_data(as_text=True)
    assert '<label class="field-label" for="f-institution">Dagtilbud</label>' in html
    assert '<th scope="col">Dagtilbud</th>' in html
    assert ">Bevægelser pr. dagtilbud</h2>" in html
    for word in (
        "Tandplejen",
        "Sundhedsplejen",
        "1 – lille bekymring",
        "3 – alvorlig bekymring",
        "højeste grad af bekymring",
    ):
        assert word in html, word
    for old in (">Institution<", "pr. række", "Niveau 1", ">Tandpleje<", "bekymringsniveau"):
        assert old not in html, old
    one = browser.get(f"/rounds/{rid}/figures?institution={town.institutions[0]}")
    text = one.get_data(as_text=True)
    assert ">Bevægelser pr. stue</h2>" in text
    assert "fordelt på stuer" in text


def test_staff_without_the_municipal_overview_are_refused(town, browser):
    signed_in(browser, town.leader_email)
    rid = town.rounds[-1]
    for url in (
        "/figures",
        f"/rounds/{rid}/figures",
        f"/rounds/{rid}/figures.pdf",
        f"/rounds/{rid}/figures/positions.csv",
        f"/rounds/{rid}/figures.xlsx",
        f"/rounds/{rid}/figures/trend",
        f"/rounds/{rid}/figures/trend.csv",
    ):
        assert browser.get(url).status_code == 403, url
    assert "/figures" not in (browser.get("/").headers.get("Location") or "")


def test_timeliness_counts_the_open_rounds_steps_that_are_not_due_yet(today, town):
    # The newest round: its steps due after today (up to the round's last day) are "not due
    # yet", not left out; every step counted is due inside the period.
    from screening.models import ActionPath, ActionStep

    newest = db.session.get(ScreeningRound, town.rounds[-1])
    path = db.session.scalars(sa.select(ActionPath).order_by(ActionPath.id)).first()
    step = path.steps[0]
    step.done_on, step.due_on = None, max(today, newest.starts_on) + timedelta(days=1)
    newest.ends_on = max(newest.ends_on, step.due_on)
    db.session.commit()
    c = queries.counts(newest, queries.Filters(), today)
    assert c.period[0] == newest.starts_on
    assert c.period[1] >= step.due_on
    not_due = sum(n for row in c.steps.values() for (_k, s), n in row.items() if s == "not_due")
    assert not_due >= 1
    in_period = db.session.scalar(
        sa.select(sa.func.count(ActionStep.id)).where(
            ActionStep.due_on.between(*c.period),
            ActionStep.due_on > today,
            ActionStep.done_on.is_(None),
        )
    )
    assert not_due <= in_period


def csv_of(browser, url: str) -> list[list[str]]:
    text = browser.get(url).get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


@pytest.mark.parametrize("threshold", [5, 8])
def test_the_trend_row_of_an_earlier_round_is_what_that_rounds_dashboard_publishes(
    town, browser, threshold
):
    """Issue 13: an earlier round's row of the trend is the column totals of its own
    positions table, so it publishes exactly what that round's dashboard publishes there
    (with the same filters): a figure hidden on one page is hidden on the other."""
    db.session.execute(sa.update(Municipality).values(suppression_threshold=threshold))
    db.session.commit()
    signed_in(browser, town.coordinator_email)
    rid = town.rounds[-1]
    hidden = 0
    for query in ("", f"?institution={town.institutions[0]}"):
        trend = csv_of(browser, f"/rounds/{rid}/figures/trend.csv{query}")
        assert [row[0] for row in trend[1:]] == [
            db.session.get(ScreeningRound, r).name for r in town.rounds
        ]
        for round_id, row in zip(town.rounds, trend[1:], strict=True):
            own = csv_of(browser, f"/rounds/{round_id}/figures/positions.csv{query}")
            assert row[1:] == own[-1][1:], (round_id, query)
            hidden += sum(1 for v in row[1:] if v in ("skjult", f"< {threshold}"))
    assert hidden  # the case is not trivial: some totals are hidden
