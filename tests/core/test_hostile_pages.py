"""Hostile input on the newest pages, as a trier would send it: the key-figures dashboard
and its exports, Frister og fremdrift, the search in the header, the notifications, the
retention preview, the group overview (and its PDF), the child's development chart and the
home page's lists (`/today/<kind>`).

Every query-string filter and form field gets long, markup-like and control-character
text, huge, negative and odd numbers, unknown enum values and repeated parameters, while
the names the pages print (institution, group, child, round) are themselves markup and
spreadsheet formulas. Each answer must be below 500 and print a sane default or a clear
Danish message; HTML escapes every name; CSV and XLSX neutralise a cell that a spreadsheet
would read as a formula; every PDF parses back (pypdf). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from pypdf import PdfReader

from screening.children.home import STATUSES
from screening.core.db import DB_INT_MAX
from screening.core.extensions import db
from screening.models import Child, Group, Institution

from ..paths.test_paths import agree

# Names as an admin or a roster file may type them: markup, formulas, control characters.
MARKUP = "<b>&<script>alert(1)</script>"
INSTITUTION = '=HYPERLINK("http://x";"Klik")' + MARKUP
GROUP = "+SUM(1;2)\x1b[31m" + MARKUP
OTHER_GROUP = "@cmd\u202eFORMULA"
CHILD_FIRST = "-2+3\u202e" + "<i>Otto"
ROUND = "=1+1 " + MARKUP

# What a spreadsheet reads as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HUGE = [
    str(DB_INT_MAX),
    str(DB_INT_MAX + 1),
    str(2**63),
    str(10**30),
    "9" * 5000,
    "-1",
    "-" + "9" * 40,
    "0",
    "00001",
    "²",
    "١٢",  # Arabic-Indic digits: str.isdigit, and int() reads them
    "1e400",
    "NaN",
    " 1",
    "1 ",
    "0x10",
]
hostile = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\x1b[2J",
            "\u202egnp.exe",
            MARKUP,
            "x" * 20_000,  # a multi-page value
            "=cmd|' /C calc'!A0",
            "green",
            "yellow",
            "red",
            "daycare",
            "dental",
            "topi-3-6",
            "purple",
            "DAYCARE",
            *HUGE,
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=30),
)
values = st.one_of(hostile, st.lists(hostile, min_size=2, max_size=3))  # repeated params

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def town(world):
    """The test world with hostile names, a red path (steps, a meeting) and a second group."""
    world["inst"].name = INSTITUTION
    world["group"].name = GROUP
    world["inst"].groups.append(type(world["group"])(name=OTHER_GROUP))
    world["round"].name = ROUND
    world["older"].first_name = CHILD_FIRST
    world["older"].last_name = MARKUP[:80]
    db.session.commit()
    agree(world, "red")
    agree(world, "yellow", child="older2")
    return world


def query(params: dict[str, object]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        for v in value if isinstance(value, list) else [value]:
            out.append((key, str(v)))
    return out


def assert_escaped(html: str) -> None:
    assert "<script>alert" not in html
    assert "<b>&<" not in html
    assert "<i>Otto" not in html


def assert_no_formula_csv(content: bytes) -> None:
    text = content.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell


def assert_no_formula_xlsx(content: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    assert cell.quotePrefix, cell.value


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 1
    return "\n".join(page.extract_text() or "" for page in reader.pages)


# The key-figures dashboard and its exports -----------------------------------------------------

FIGURE_PARAMS = ["institution", "group", "band", "source", "round"]


def test_the_exports_neutralise_formulas_and_the_page_escapes_names(browser, town):
    browser.login("koord@example.dk")
    r_id = town["round"].id
    args = f"?institution={town['inst'].id}&group={town['group'].id}"
    page = browser.get(f"/rounds/{r_id}/figures{args}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert_escaped(html)
    assert "&lt;script&gt;" in html
    workbook = browser.get(f"/rounds/{r_id}/figures.xlsx{args}")
    assert workbook.status_code == 200
    assert_no_formula_xlsx(workbook.data)
    book = openpyxl.load_workbook(io.BytesIO(workbook.data))
    texts = {c.value for s in book.worksheets for row in s.iter_rows() for c in row}
    assert any(isinstance(t, str) and t.startswith("+SUM(1;2)") for t in texts)  # kept as typed
    keys = [ws.title for ws in book.worksheets]
    assert keys
    csv_seen = 0
    for key in ("positions", "completion", "individual", "trend"):
        r = browser.get(f"/rounds/{r_id}/figures/{key}.csv{args}")
        if r.status_code == 404:
            continue
        csv_seen += 1
        assert_no_formula_csv(r.data)
        assert_no_formula_xlsx(browser.get(f"/rounds/{r_id}/figures/{key}.xlsx{args}").data)
    assert csv_seen
    # Group rows: the group names are row labels, neutralised in CSV with a leading quote.
    positions = browser.get(f"/rounds/{r_id}/figures/positions.csv?institution={town['inst'].id}")
    rows = list(csv.reader(io.StringIO(positions.data.decode("utf-8-sig")), delimiter=";"))
    assert any(row and row[0].startswith("'+SUM(1;2)") for row in rows)
    pdf = browser.get(f"/rounds/{r_id}/figures.pdf{args}")
    assert pdf.status_code == 200
    assert "SUM(1;2)" in pdf_text(pdf.data)


def test_dashboard_filters_take_any_value(browser, town):
    browser.login("koord@example.dk")
    r_id = town["round"].id
    suffixes = ["", "/trend", ".pdf", ".xlsx", "/positions.csv", "/positions.xlsx"]

    @FUZZ
    @given(
        params=st.dictionaries(st.sampled_from(FIGURE_PARAMS), values, max_size=4),
        suffix=st.sampled_from(suffixes),
    )
    def walk(params, suffix):
        qs = query(params)
        r = browser.get(f"/rounds/{r_id}/figures{suffix}", query_string=qs)
        assert r.status_code == 200, (suffix, qs, r.get_data(as_text=True)[:1000])
        if suffix in ("", "/trend"):
            assert_escaped(r.get_data(as_text=True))
        elif suffix == ".pdf":
            pdf_text(r.data)
        elif suffix.endswith(".csv"):
            assert_no_formula_csv(r.data)
        else:
            assert_no_formula_xlsx(r.data)
        latest = browser.get("/figures", query_string=qs)
        assert latest.status_code == 302, qs

    walk()


@pytest.mark.parametrize("key", ["nonexistent", "x" * 300, "%00", "positions%00", "..", MARKUP])
def test_an_unknown_figure_is_404(browser, town, key):
    browser.login("koord@example.dk")
    for ext in ("csv", "xlsx"):
        assert browser.get(f"/rounds/{town['round'].id}/figures/{key}.{ext}").status_code == 404


# Frister og fremdrift --------------------------------------------------------------------------

MOMENTUM_PARAMS = ["group", "coordinator", "position", "page"]


@pytest.mark.parametrize("email", ["leder@example.dk", "koord@example.dk"])
def test_momentum_filters_and_page_take_any_value(browser, town, email):
    browser.login(email)

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(MOMENTUM_PARAMS), values, max_size=4))
    # Found by a run on PostgreSQL: a group id beyond its integers (the coordinator's page
    # looks up the group's institution).
    @example(params={"group": "2147483648"})
    @example(params={"group": "99999999999", "coordinator": "2147483648"})
    def walk(params):
        r = browser.get("/momentum", query_string=query(params))
        assert r.status_code == 200, (params, r.get_data(as_text=True)[:1000])
        assert_escaped(r.get_data(as_text=True))

    walk()


def test_momentum_beyond_the_last_page_shows_the_last_page(browser, town):
    browser.login("leder@example.dk")
    for page in ("999999", str(10**30), "-3", "0"):
        r = browser.get(f"/momentum?page={page}")
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert "Side 1 af 1" in html or "Orienter lederen" in html or "trin" in html


# Search in the header --------------------------------------------------------------------------


def test_search_takes_any_text(browser, town):
    browser.login("leder@example.dk")
    token = browser.get("/api/session").get_json()["csrf_token"]

    @FUZZ
    @given(q=values)
    def walk(q):
        r = browser.client.post(
            "/search", data={"search-q": q, "csrf_token": token}, query_string=[("q", "x")]
        )
        assert r.status_code in (200, 400), (q, r.get_data(as_text=True)[:1000])
        html = r.get_data(as_text=True)
        assert_escaped(html)

    walk()


def test_search_errors_are_danish_and_markup_is_found_as_text(browser, town):
    browser.login("leder@example.dk")
    token = browser.get("/api/session").get_json()["csrf_token"]

    def search(q: str) -> str:
        r = browser.client.post("/search", data={"search-q": q, "csrf_token": token})
        return r.get_data(as_text=True)

    assert "Skriv mindst 2 bogstaver af barnets navn." in search("")
    assert "Skriv mellem 2 og 80 tegn." in search("x" * 81)
    assert "U+0000" in search("Ot\x00to")
    found = search("<i>Otto")
    assert_escaped(found)
    assert "&lt;i&gt;Otto" in found
    # LIKE's own wildcards are letters like any other: "%" and "_" find no one.
    for wildcard in ("%%", "__", "\\%"):
        assert "Ingen børn, du har adgang til, passer på søgningen." in search(wildcard)


# Notifications and retention -------------------------------------------------------------------


def test_notifications_and_retention_ignore_any_query(today, browser, town):
    """The retention preview names a child due for erasure whom the coordinator may read
    (Otto's path is red): the hostile name is printed escaped."""
    left = today - timedelta(days=365 * 6)
    town["older"].left_on = left
    for m in town["older"].memberships:
        m.start_date, m.end_date = left - timedelta(days=400), left
    db.session.commit()
    browser.login("koord@example.dk")
    html = browser.get("/retention").get_data(as_text=True)
    assert "&lt;i&gt;Otto" in html

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(["page", "read", "kind", "q"]), values))
    def walk(params):
        qs = query(params)
        r = browser.get("/notifications", query_string=qs)
        assert r.status_code == 200, qs
        r = browser.get("/retention", query_string=qs)
        assert r.status_code == 200, qs
        assert_escaped(r.get_data(as_text=True))

    walk()


# Group overview, its PDF and the child's chart ------------------------------------------------


def test_group_overview_and_pdf_print_hostile_names(browser, town):
    browser.login("leder@example.dk")
    url = f"/rounds/{town['round'].id}/groups/{town['group'].id}/overview"
    r = browser.get(url)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert_escaped(html)
    assert "&lt;i&gt;Otto" in html
    pdf = browser.get(url + ".pdf", query_string=[("x", MARKUP), ("page", "9" * 40)])
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    assert "Otto" in text
    assert "alert(1)" in text  # printed as text, not read as markup
    child = browser.get(f"/children/{town['older'].id}")
    assert child.status_code == 200
    assert_escaped(child.get_data(as_text=True))


@pytest.mark.parametrize(
    "url",
    [
        "/rounds/{round}/groups/{other}/overview",
        "/rounds/{round}/groups/{group}/overview.pdf?round=-1",
        "/rounds/{max}/groups/{group}/overview",
        "/rounds/{round}/groups/{max}/overview.pdf",
        "/rounds/{big}/groups/{group}/overview",
        "/rounds/-1/groups/{group}/overview",
    ],
)
def test_group_overview_with_odd_ids(browser, town, url):
    browser.login("leder@example.dk")
    other = next(g for g in town["inst"].groups if g.name == OTHER_GROUP)
    full = url.format(
        round=town["round"].id,
        group=town["group"].id,
        other=other.id,
        max=DB_INT_MAX,
        big=10**30,
    )
    r = browser.get(full)
    assert r.status_code in (200, 404), full


# The home page's lists -------------------------------------------------------------------------

KINDS = [*STATUSES, "my_steps", "overdue_steps", "parents_not_informed", "stalled"]


@pytest.mark.parametrize("email", ["leder@example.dk", "edu1@example.dk", "tand@example.dk"])
def test_today_lists_take_any_round_and_group(browser, town, email):
    browser.login(email)
    kinds = [*KINDS, "purple", MARKUP, "x" * 300, "%00"]

    @FUZZ
    @given(
        kind=st.sampled_from(kinds),
        params=st.dictionaries(
            st.sampled_from(["round", "group"]),
            st.one_of(values, st.just(str(town["round"].id)), st.just(str(town["group"].id))),
        ),
    )
    def walk(kind, params):
        qs = query(params)
        r = browser.get(f"/today/{kind}", query_string=qs)
        assert r.status_code in (200, 403, 404), (kind, qs, r.get_data(as_text=True)[:1000])
        if r.status_code == 200:
            assert_escaped(r.get_data(as_text=True))

    walk()


def test_today_list_with_a_huge_round_or_group_is_404(browser, town):
    browser.login("leder@example.dk")
    kind = sorted(STATUSES)[0]
    r_id = town["round"].id
    for qs in (
        f"round={10**30}",
        f"round={DB_INT_MAX + 1}",
        f"round=-{10**30}",
        f"round={r_id}&group={10**30}",
        f"round={r_id}&group={DB_INT_MAX + 1}",
        f"round={r_id}&group=-5",
    ):
        assert browser.get(f"/today/{kind}?{qs}").status_code == 404, qs
    assert browser.get(f"/today/{kind}?round={r_id}&round=999").status_code == 200


def test_a_child_in_the_lists_is_escaped(browser, town):
    browser.login("leder@example.dk")
    for kind in STATUSES:
        r = browser.get(f"/today/{kind}?round={town['round'].id}")
        assert r.status_code == 200
        assert_escaped(r.get_data(as_text=True))
    assert db.session.get(Child, town["older"].id).first_name == CHILD_FIRST


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=80,
)


def test_any_child_name_prints_on_the_overview_its_pdf_and_the_home_lists(browser, town):
    """Names as a roster file may bring them (any character but NUL, up to the column's
    80): the HTML holds them escaped, the PDF builds and parses back."""
    browser.login("leder@example.dk")
    url = f"/rounds/{town['round'].id}/groups/{town['group'].id}/overview"
    kind_url = f"/today/{STATUSES[0]}?round={town['round'].id}"

    @FUZZ
    @given(first=names, last=names)
    def walk(first, last):
        child = db.session.get(Child, town["older"].id)
        child.first_name, child.last_name = first, last
        db.session.commit()
        html = browser.get(url).get_data(as_text=True)
        assert str(escape(first)) in html
        assert str(escape(last)) in html
        assert_escaped(html)
        pdf = browser.get(url + ".pdf")
        assert pdf.status_code == 200
        pdf_text(pdf.data)
        assert browser.get(kind_url).status_code == 200
        assert browser.get(f"/children/{child.id}").status_code == 200

    walk()


def test_any_group_or_institution_name_exports(browser, town):
    """The names are the tables' row labels and the workbook's heading: any character but
    NUL, up to the columns' length. The CSV and XLSX parse back with no formula, the XLSX
    holding the name less the control characters XML forbids."""
    browser.login("koord@example.dk")
    r_id, inst_id = town["round"].id, town["inst"].id

    @FUZZ
    @given(group=names, institution=names)
    @example(group="-0", institution="+45 1234")  # names a spreadsheet would read as numbers
    def walk(group, institution):
        db.session.get(Group, town["group"].id).name = group
        db.session.get(Institution, inst_id).name = institution
        db.session.commit()
        by_group = f"?institution={inst_id}"
        csv_file = browser.get(f"/rounds/{r_id}/figures/positions.csv{by_group}")
        assert csv_file.status_code == 200
        assert_no_formula_csv(csv_file.data)
        for url in (f"/rounds/{r_id}/figures.xlsx{by_group}", f"/rounds/{r_id}/figures.xlsx"):
            book = browser.get(url)
            assert book.status_code == 200
            assert_no_formula_xlsx(book.data)
        pdf = browser.get(f"/rounds/{r_id}/figures.pdf{by_group}")
        assert pdf.status_code == 200
        pdf_text(pdf.data)
        assert_escaped(browser.get(f"/rounds/{r_id}/figures{by_group}").get_data(as_text=True))

    walk()
