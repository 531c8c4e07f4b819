"""Every route, as every role, with hostile input (issue 16, "No input gives a 500").

The test walks the app's whole URL map: for each role (and signed out) Hypothesis draws a
route, a method it accepts, ids for its parts (huge, negative, zero, the largest the
database holds, and small ones that name the role's own and other institutions' objects)
and a form body (the app's own field names and random ones, with NUL characters, long
texts, huge and odd numbers and impossible dates). Every answer must be below 500, and a
refused request (4xx) must write nothing: the rows of every table are counted before and
after (the audit trail and sign-in attempts excepted, which record refusals by design).
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

import forms.accounts
import forms.assessments
import forms.org
import forms.paths
import forms.rounds
from screening.core.db import DB_INT_MAX
from screening.core.extensions import db
from screening.models import ChildGuardian, Role
from screening.paths import meetings

from .. import factories as f
from ..paths.test_paths import agree

# Tables a refused request writes to on purpose.
WRITTEN_ON_REFUSAL = {"audit_event", "login_attempt"}
# Endpoints left out: signing out ends the walk's session.
SKIPPED = {"static", "accounts.logout"}

ROLES = ["educator", "leader", "dental", "health_visitor", "coordinator", "ppr", "admin", None]


@pytest.fixture
def town(world):
    """The world with an action path, a plan, a meeting with a guardian, and the roles the
    world lacks (admin, PPR)."""
    g = f.guardian(name="Mor Madsen", address="Vej 1")
    world["older"].guardian_links.append(ChildGuardian(guardian=g, has_custody=True))
    _, path = agree(world, "red")
    meetings.create_meeting(
        path,
        world["leader"],
        kind="cross_disciplinary",
        starts_at=datetime.now(UTC),
        place="Mødelokalet",
        purpose="Barnets trivsel",
        agenda="",
    )
    world["admin"] = f.user(Role.ADMIN, email="admin@example.dk")
    world["ppr"] = f.user(Role.PPR, email="ppr@example.dk")
    db.session.commit()
    return world


EMAILS = {
    "educator": "edu1@example.dk",
    "leader": "leder@example.dk",
    "dental": "tand@example.dk",
    "health_visitor": "sp@example.dk",
    "coordinator": "koord@example.dk",
    "ppr": "ppr@example.dk",
    "admin": "admin@example.dk",
}


def routes(app) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED),
        key=lambda r: (r.rule, r.endpoint),
    )


small_ids = st.integers(1, 8)  # the town's own objects and other institutions'
ids = st.one_of(
    small_ids,
    small_ids,
    small_ids,
    st.just(0),
    st.sampled_from([DB_INT_MAX, DB_INT_MAX + 1, 2**63, 10**20, -1, -(10**20)]),
    st.integers(min_value=-(10**30), max_value=10**30),
)
hostile_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "x" * 5000,
            "99999999999999999999",
            "-1",
            "0",
            "1",
            "2",
            "²",
            "1e400",
            "NaN",
            "2026-02-30",
            "9999-12-31",
            "0001-01-01",
            "yes",
            "on",
            "green",
            "yellow",
            "red",
            "device",
            "server",
            "open",
            "closed",
            "external",
            "guardian",
            "staff",
        ]
    ),
)


def field_names() -> list[str]:
    """Every field name the app's forms use (plus those views read themselves)."""
    names = {"keep", "status", "remove", "kind", "items-0-what", "items-²-what", "next"}
    for module in (forms.accounts, forms.assessments, forms.org, forms.paths, forms.rounds):
        for cls in vars(module).values():
            if not isinstance(cls, type):
                continue
            for name, value in vars(cls).items():
                if isinstance(value, UnboundField):
                    names.add(name)
                    names.update(f"{prefix}-{name}" for prefix in ("external", "guardian", "staff"))
    return sorted(names)


def table_counts() -> dict[str, int]:
    tables = [t for t in db.metadata.sorted_tables if t.name not in WRITTEN_ON_REFUSAL]
    row = db.session.execute(
        sa.select(*(sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables))
    ).one()
    db.session.rollback()
    return dict(zip((t.name for t in tables), row, strict=True))


PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
path_text = st.one_of(
    st.text(min_size=1, max_size=30).map(lambda t: quote(t, safe="")),
    st.sampled_from(["%00", "a%00b", "%C2%B2", "x" * 300, "..", "%2e%2e", "-1", "9" * 30]),
)


@st.composite
def requests(draw, rules, names):
    rule = draw(st.sampled_from(rules))
    method = draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))

    def part(m: re.Match) -> str:
        return str(draw(ids)) if m.group(1) == "int" else draw(path_text)

    url = PART.sub(part, rule.rule)
    values = st.one_of(hostile_text, st.lists(hostile_text, max_size=3))
    form = draw(
        st.dictionaries(st.one_of(st.sampled_from(names), st.text(max_size=10)), values, max_size=8)
    )
    query = draw(
        st.dictionaries(
            st.sampled_from(["group", "next", "q", "round", "status"]), hostile_text, max_size=2
        )
    )
    return method, url, form, query


WALK = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_every_role_answers_below_500_and_refusals_write_nothing(
    app, browser, town, role
):
    if role is not None:
        browser.login(EMAILS[role])
    rules = routes(app)
    names = field_names()

    def csrf() -> str:
        if role is None:
            return browser.token("/login")
        return browser.get("/api/session").get_json()["csrf_token"]

    token = csrf()

    @WALK
    @given(req=requests(rules, names), with_token=st.booleans())
    def walk(req, with_token):
        method, url, form, query = req
        before = table_counts()
        if method == "GET":
            r = browser.client.get(url, query_string=query)
        else:
            data = dict(form)
            if with_token:
                data["csrf_token"] = token
            r = browser.client.post(url, data=data, query_string=query)
        assert r.status_code < 500, (method, url, form, r.get_data(as_text=True)[:2000])
        if r.status_code >= 400:
            after = table_counts()
            assert after == before, (method, url, form, r.status_code)

    walk()
