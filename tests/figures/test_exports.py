"""The XLSX exports' sheet names: Excel's rules (31 characters, none of []:*?/\\, unique
whatever the case, not "History"), cut after a whole word, never mid-word."""

from __future__ import annotations

import io
from dataclasses import replace

import openpyxl
import pytest

from benchmarks.municipality import PASSWORD, Scale, build
from screening.core.extensions import db
from screening.figures.exports import SHEET_NAME_MAX, sheet_title

SMALL = Scale(institutions=2, groups_per_institution=2, children=60, rounds=3, paths=10, seed=5)
FORBIDDEN = set("[]:*?/\\")


def names(*titles: str) -> list[str]:
    taken: set[str] = set()
    return [sheet_title(t, taken) for t in titles]


def test_a_long_title_is_cut_after_a_whole_word_not_on_a_connecting_word():
    assert names("Fra gul/rød position til handling") == ["Fra gul-rød position"]
    assert names("From yellow/red position to action") == ["From yellow-red position"]
    assert names("Bevægelser fra Efterårsrunden 2026 i vuggestuerne") == [
        "Bevægelser fra Efterårsrunden"
    ]
    assert names("Rettidighed pr. trintype") == ["Rettidighed pr. trintype"]  # fits as it is


def test_names_are_unique_whatever_the_case_and_keep_excels_rules():
    got = names(
        "Fra gul/rød position til handling",
        "Fra gul/rød position til handling",
        "Rettidighed",
        "RETTIDIGHED",
        "History",
        "a" * 40,
        "a" * 40,
        "[Tabel]: *1*?",
        "???",
        "'Citeret navn'",
        "Runde 2026 🌱🌱🌱🌱🌱🌱🌱🌱🌱🌱🌱🌱🌱",
    )
    assert got == [
        "Fra gul-rød position",
        "Fra gul-rød position (2)",
        "Rettidighed",
        "RETTIDIGHED (2)",
        "History (2)",
        "a" * 31,
        "a" * 27 + " (2)",
        "(Tabel) 1",
        "Tabel",
        "Citeret navn",
        "Runde 2026",  # each emoji is two of Excel's 31 units; the word does not fit
    ]
    assert len({n.casefold() for n in got}) == len(got)


def assert_sheet_names_fit(book: openpyxl.Workbook) -> None:
    seen: set[str] = set()
    for sheet in book.worksheets:
        name, title = sheet.title, sheet["A1"].value
        assert len(name.encode("utf-16-le")) // 2 <= SHEET_NAME_MAX, name
        assert not FORBIDDEN & set(name), name
        assert name.casefold() not in seen, name
        assert name.casefold() != "history"
        seen.add(name.casefold())
        # Whole words of the title, from its start ("/" reads "-" in a sheet's name).
        words = title.replace("/", "-").split()
        base = name.removesuffix(" (2)").split()
        assert words[: len(base)] == base, (name, title)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_table_of_the_dashboard_has_a_sheet_name_cut_at_a_word(
    today, app, catalogue, browser, lang
):
    summary = build(db.session, replace(SMALL, today=today))
    db.session.commit()
    browser.login(summary.coordinator_email, PASSWORD)
    rid = summary.rounds[-1]
    if lang == "en":
        browser.submit(
            "/language",
            {"lang": "en", "next": f"/rounds/{rid}/figures"},
            page=f"/rounds/{rid}/figures",
        )
    for args in ("", f"?institution={summary.institutions[0]}"):
        content = browser.get(f"/rounds/{rid}/figures.xlsx{args}").data
        book = openpyxl.load_workbook(io.BytesIO(content))
        assert len(book.worksheets) >= 12  # every table, the trend and movement included
        assert_sheet_names_fit(book)
        titles = [s["A1"].value for s in book.worksheets]
        assert any(len(t) > SHEET_NAME_MAX for t in titles)  # a title really was cut
        html = browser.get(f"/rounds/{rid}/figures{args}").get_data(as_text=True)
        keys = [
            k.split('"')[0]
            for k in html.split('id="fig-')[1:]
            if k.split('"')[0].endswith("-table")
        ]
        for key in {k.removesuffix("-table") for k in keys}:
            one = browser.get(f"/rounds/{rid}/figures/{key}.xlsx{args}")
            assert one.status_code == 200, key
            single = openpyxl.load_workbook(io.BytesIO(one.data))
            assert_sheet_names_fit(single)
            assert single.worksheets[0].title in book.sheetnames
