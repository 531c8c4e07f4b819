"""No input gives a 500 (issue 16): ids beyond the database's integers in URLs, a plan with
58 or more actions, a roster field over the csv module's limit, NUL characters in text
fields, and row numbers WTForms cannot read. Each answers with a precise Danish message
(or 404) and writes nothing. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm

import forms
from forms.common import AppForm
from forms.paths import PLAN_MAX_ACTIONS
from screening.core.db import DB_INT_MAX
from screening.core.extensions import db
from screening.models import ActionPlan, ActionPlanItem, Child, Role, User
from screening.org.roster import import_roster

from .. import factories as f
from ..org.test_roster import GOOD_ROWS, csv_bytes
from ..org.test_roster import TODAY as ROSTER_TODAY
from ..paths.test_paths import agree

NUL_MESSAGE = "Teksten indeholder et usynligt NUL-tegn (U+0000), som ikke kan gemmes."


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# Ids beyond the integer range -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/children/99999999999999999999",
        f"/children/{DB_INT_MAX + 1}",
        "/children/" + "9" * 5000,
        "/paths/99999999999999999999/plan",
        "/sync/conflicts/99999999999999999999",
        "/api/offline-pack?group=99999999999999999999",
        "/api/offline-pack?group=%C2%B2",  # "²" is a digit to str.isdigit, not to int()
        "/jobs/%00",  # a NUL in a text part of a URL (PostgreSQL cannot compare it)
        "/jobs/a%00b/status",
    ],
)
def test_ids_beyond_the_integer_range_answer_404_or_400(browser, world, url):
    browser.login("leder@example.dk")
    r = browser.get(url, headers={"Accept": "application/json"} if "/api/" in url else {})
    assert r.status_code == (400 if "/api/" in url else 404)


def test_the_largest_id_is_an_ordinary_missing_child(browser, world):
    browser.login("leder@example.dk")
    assert browser.get(f"/children/{DB_INT_MAX}").status_code == 404


# Action plans with many actions ---------------------------------------------------------------


def plan_with(path, n: int, today: date) -> None:
    plan = ActionPlan(
        path_id=path.id,
        created_by_id=path.coordinator_id,
        goals="Mål",
        evaluation_on=today + timedelta(days=30),
    )
    plan.items = [ActionPlanItem(position=i, what=f"Handling {i}", who="") for i in range(n)]
    db.session.add(plan)
    db.session.commit()


@pytest.mark.parametrize("n", [57, 58, PLAN_MAX_ACTIONS])
def test_a_plan_with_many_actions_opens_and_saves(today, browser, world, n):
    _, path = agree(world, "yellow")
    plan_with(path, n, today)
    browser.login("edu1@example.dk")
    url = f"/paths/{path.id}/plan"
    r = browser.get(url)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    rows = min(n + 3, PLAN_MAX_ACTIONS)
    assert f'name="items-{rows - 1}-what"' in html
    assert f'name="items-{rows}-what"' not in html
    full = f"En handleplan kan have højst {PLAN_MAX_ACTIONS} handlinger."
    assert (full in html) == (rows == PLAN_MAX_ACTIONS)
    data = {f"items-{i}-what": f"Ny handling {i}" for i in range(rows)}
    data.update(goals="Mål", evaluation_on=(today + timedelta(days=30)).isoformat())
    r = browser.submit(url, data)
    assert r.status_code == 302
    assert count(ActionPlanItem) == rows
    assert browser.get(url).status_code == 200


def test_a_plan_posted_with_more_rows_than_allowed_or_odd_row_numbers(today, browser, world):
    _, path = agree(world, "yellow")
    browser.login("edu1@example.dk")
    url = f"/paths/{path.id}/plan"
    data = {f"items-{i}-what": f"Handling {i}" for i in range(PLAN_MAX_ACTIONS + 20)}
    data.update(
        {
            "items-²-what": "hævet to",
            "items-" + "9" * 5000 + "-what": "mange cifre",
            "goals": "Mål",
            "evaluation_on": (today + timedelta(days=30)).isoformat(),
        }
    )
    r = browser.submit(url, data)
    assert r.status_code == 302
    assert count(ActionPlanItem) == PLAN_MAX_ACTIONS
    assert browser.get(url).status_code == 200


# NUL characters -------------------------------------------------------------------------------


def test_a_nul_in_a_text_field_gets_a_danish_error_at_the_field_and_nothing_is_written(
    today, browser, world
):
    _, path = agree(world, "yellow")
    browser.login("edu1@example.dk")
    url = f"/paths/{path.id}/plan"
    data = {
        "goals": "Leger\x00 med andre",
        "items-0-what": "Lege\x00",
        "items-1-what": "Uden fejl",
        "evaluation_on": (today + timedelta(days=30)).isoformat(),
    }
    r = browser.submit(url, data)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    # At the goals and at the first action, each also in the summary at the top.
    assert html.count(NUL_MESSAGE) == 4
    assert count(ActionPlan) == 0


def test_a_nul_in_the_sign_in_form_is_refused_without_a_500(browser, world):
    r = browser.login("edu1@example.dk\x00")
    assert r.status_code in (200, 400)
    assert NUL_MESSAGE in r.get_data(as_text=True)
    r = browser.login("edu1@example.dk", password="x\x00y")
    assert r.status_code in (200, 400)
    assert NUL_MESSAGE in r.get_data(as_text=True)


def test_a_nul_in_the_user_form_writes_no_user(browser, world):
    f.user(Role.ADMIN, email="admin@example.dk")
    db.session.commit()
    browser.login("admin@example.dk")
    before = count(User)
    r = browser.submit(
        "/admin/users/new",
        {"name": "Ny\x00 Bruger", "email": "ny@example.dk", "roles": ["educator"]},
    )
    assert r.status_code in (200, 400)
    assert NUL_MESSAGE in r.get_data(as_text=True)
    assert count(User) == before


def test_every_form_stands_on_the_base_that_refuses_nul():
    modules = [
        importlib.import_module(f"forms.{m.name}") for m in pkgutil.iter_modules(forms.__path__)
    ]
    found = [
        cls
        for module in modules
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__
    ]
    assert len(found) > 20
    assert [c.__name__ for c in found if not issubclass(c, AppForm)] == []


# Roster files ---------------------------------------------------------------------------------


def test_a_roster_field_over_the_csv_limit_is_a_danish_error_and_nothing_is_imported(app):
    f.institution("Børnehuset Mælkebøtten", groups=("Egernene", "Mariehønsene"))
    db.session.commit()
    long_name = "A" * 131_073
    rows = [
        GOOD_ROWS[0],
        f"A9;{long_name};Bæk;2022-01-01;Børnehuset Mælkebøtten;Egernene" + ";" * 16,
    ]
    result = import_roster(csv_bytes(rows), today=ROSTER_TODAY)
    assert not result.ok
    (error,) = result.errors
    assert error.row == 3
    assert error.message == (
        "Et felt er længere end 131.072 tegn, eller rækken kan ikke læses som CSV. "
        "Resten af filen er ikke læst."
    )
    assert count(Child) == 0


def test_nul_characters_in_a_roster_are_reported_by_line_and_nothing_is_imported(app):
    f.institution("Børnehuset Mælkebøtten", groups=("Egernene", "Mariehønsene"))
    db.session.commit()
    rows = [GOOD_ROWS[0], GOOD_ROWS[1].replace("Omar", "Om\x00ar"), GOOD_ROWS[2] + "\x00"]
    result = import_roster(csv_bytes(rows), today=ROSTER_TODAY)
    assert [(e.row, e.message) for e in result.errors] == [
        (
            n,
            "Rækken indeholder et NUL-tegn (U+0000), som ikke kan gemmes. Eksporter filen "
            "igen som CSV (UTF-8).",
        )
        for n in (3, 4)
    ]
    assert count(Child) == 0


def test_a_roster_upload_with_a_huge_field_through_the_admin_page(browser, world):
    f.user(Role.ADMIN, email="admin@example.dk")
    db.session.commit()
    browser.login("admin@example.dk")
    data = csv_bytes(
        [f"A1;{'x' * 200_000};B;2022-01-01;Børnehuset Mælkebøtten;Egernene" + ";" * 16]
    )
    r = browser.submit(
        "/admin/roster",
        {"file": (io.BytesIO(data), "boern.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Et felt er længere end 131.072 tegn" in html
    assert "Intet er indlæst" in html


def test_a_nul_in_the_child_search_is_refused_at_the_field(browser, world):
    """PostgreSQL cannot compare text holding a NUL: the search form refuses it first."""
    browser.login("edu1@example.dk")
    r = browser.submit("/search", {"search-q": "Ot\x00to"})
    assert r.status_code < 500
    assert NUL_MESSAGE in r.get_data(as_text=True)
