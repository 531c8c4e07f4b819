"""Frister og fremdrift (once "momentum"): filters by group, tovholder and position, one
page at a time, with a number of queries that does not grow with the municipality."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.core.extensions import db
from screening.models import ActionPath, ActionStep, Group, GroupMembership, Role, StepKind
from screening.paths import overview
from screening.paths.rules import load_templates

from .. import factories as f


def paths_for(today, group, coordinator, n, position="red", overdue=1, opened_days_ago=10):
    """`n` children in `group`, each with an open path and three open steps (`overdue` of
    them past their deadline)."""
    made = []
    for i in range(n):
        kid = f.child(group, first_name=f"Barn{i:03d}")
        path = ActionPath(
            child_id=kid.id,
            position=position,
            opened_on=today - timedelta(days=opened_days_ago),
            coordinator_id=coordinator.id,
            escalation_level=4,
            template_key="default",
            template_version=load_templates().version,
        )
        for k in range(3):
            due = today - timedelta(days=k + 1) if k < overdue else today + timedelta(days=k)
            path.steps.append(
                ActionStep(
                    key=f"s{k}",
                    kind=StepKind.STEP,
                    title_da=f"Trin {k}",
                    title_en=f"Step {k}",
                    responsible_role="leader",
                    due_on=due,
                )
            )
        db.session.add(path)
        made.append(path)
    db.session.flush()
    return made


def count_queries(fn):
    engine = db.engine
    seen = []

    def watch(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", watch)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", watch)
    return len(seen)


def test_filters_by_group_tovholder_and_position(today, world):
    inst = world["inst"]
    other_group = Group(name="Bierne", institution=inst)
    db.session.add(other_group)
    db.session.flush()
    lis, eva = world["leader"], world["edu1"]
    paths_for(today, world["group"], lis, 2, "red")
    paths_for(today, other_group, eva, 3, "yellow")
    ids = [inst.id]
    assert overview.overview(ids, today).open_steps == 15
    by_group = overview.overview(ids, today, overview.Filters(group_id=other_group.id))
    assert (by_group.open_steps, by_group.children) == (9, 3)
    by_coordinator = overview.overview(ids, today, overview.Filters(coordinator_id=lis.id))
    assert {s.coordinator_id for s in by_coordinator.steps} == {lis.id}
    red = overview.overview(ids, today, overview.Filters(position="red"))
    assert (red.open_steps, red.overdue_steps) == (6, 2)
    assert red.overdue_by_institution == {"Børnehuset Mælkebøtten": 2}
    none = overview.overview(ids, today, overview.Filters(group_id=other_group.id, position="red"))
    assert none.steps == []
    assert {u.id for u in overview.coordinators(ids)} == {lis.id, eva.id}


def test_steps_come_one_page_at_a_time_overdue_first(today, world):
    paths_for(today, world["group"], world["leader"], 30, overdue=1)  # 90 open steps, 30 overdue
    first = overview.overview([world["inst"].id], today, per_page=40)
    assert (first.pages, len(first.steps), first.open_steps) == (3, 40, 90)
    assert all(s.overdue(today) for s in first.steps[:30])
    assert not first.steps[30].overdue(today)
    last = overview.overview([world["inst"].id], today, page=3, per_page=40)
    assert len(last.steps) == 10
    beyond = overview.overview([world["inst"].id], today, page=99, per_page=40)
    assert beyond.page == 3  # a page past the end shows the last one
    seen = {
        s.id
        for p in (1, 2, 3)
        for s in overview.overview([world["inst"].id], today, page=p, per_page=40).steps
    }
    assert len(seen) == 90


def test_the_page_makes_as_many_queries_for_many_steps_as_for_few(today, browser, world):
    browser.login("leder@example.dk")
    paths_for(today, world["group"], world["leader"], 3, opened_days_ago=200)
    db.session.commit()
    few = count_queries(lambda: browser.get("/momentum"))
    more = f.user(Role.LEADER, institutions=[world["inst"]], name="Anden Tovholder")
    paths_for(today, world["group"], more, 80, opened_days_ago=200)
    db.session.commit()
    many = count_queries(lambda: browser.get("/momentum"))
    assert few == many
    html = browser.get("/momentum").get_data(as_text=True)
    assert html.count('class="cell-link"') == 50 + 50  # one page of steps and of stalled paths
    assert "Side 1 af 5"  # 249 steps in html
    assert "De 50, der har været åbne længst, af 83." in html


def test_the_page_is_called_frister_og_fremdrift_and_keeps_its_filters(today, browser, world):
    paths_for(today, world["group"], world["leader"], 60)
    db.session.commit()
    browser.login("leder@example.dk")
    r = browser.get(f"/momentum?coordinator={world['leader'].id}&position=red")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Momentum" not in html
    assert "<title>Frister og fremdrift" in html
    assert re.search(r'<option value="red" selected>', html)
    nxt = re.search(r'<a class="button button-secondary" rel="next" href="([^"]+)"', html)
    assert nxt is not None
    assert "coordinator=" in nxt.group(1)
    assert "position=red" in nxt.group(1)
    assert "page=2" in nxt.group(1)


def test_bad_or_foreign_filter_values_are_ignored(today, browser, world):
    paths_for(today, world["group"], world["leader"], 1)
    elsewhere = world["elsewhere"].current_group
    db.session.commit()
    browser.login("leder@example.dk")
    for query in (
        "group=99999999999999999999",
        f"group={elsewhere.id}",  # a group of another institution
        "coordinator=-1",
        "position=green",
        "page=99999999999999999999",
        "page=abc",
    ):
        r = browser.get(f"/momentum?{query}")
        assert r.status_code == 200, query
        assert "Barn000" in r.get_data(as_text=True), query


def test_a_coordinator_sees_names_only_from_the_consultants_level(
    today, browser, new_browser, world
):
    (low,) = paths_for(today, world["group"], world["leader"], 1)
    low.escalation_level = 2  # the team's own level: no municipal consultants
    (high,) = paths_for(today, world["group"], world["leader"], 1)
    low.child.first_name, high.child.first_name = "Lavniveau", "Konsulentniveau"
    db.session.commit()
    browser.login("koord@example.dk")
    html = browser.get("/momentum").get_data(as_text=True)
    assert "Konsulentniveau" in html
    assert "Lavniveau" not in html
    assert f"/paths/{low.id}" not in html
    assert "Navnet vises ikke" in html
    leader = new_browser()
    leader.login("leder@example.dk")
    html = leader.get("/momentum").get_data(as_text=True)
    assert "Lavniveau" in html
    assert "Navnet vises ikke" not in html


def test_the_positions_are_named_in_the_users_language_unless_the_municipality_chose_words(
    browser, world
):
    from screening.org.models import Municipality

    browser.login("leder@example.dk")
    muni = db.session.scalar(sa.select(Municipality))
    if muni is None:
        muni = Municipality(name="Testkommune")
        db.session.add(muni)
        db.session.commit()
    assert re.search(
        r'<option value="yellow"[^>]*>Bekymring</option>',
        browser.get("/momentum").get_data(as_text=True),
    )
    browser.submit("/language", {"lang": "en", "next": "/momentum"}, page="/momentum")
    html = browser.get("/momentum").get_data(as_text=True)
    assert re.search(r'<option value="yellow"[^>]*>Concern</option>', html)
    assert re.search(r'<option value="red"[^>]*>Serious concern</option>', html)
    # Words the municipality chose are its own, in both languages.
    muni.label_red = "Rød zone"
    db.session.commit()
    html = browser.get("/momentum").get_data(as_text=True)
    assert re.search(r'<option value="red"[^>]*>Rød zone</option>', html)


def test_the_page_escapes_names_it_puts_into_its_words(today, browser, world):
    """The rows' "Tovholder: …" and "Ansvarlig: …" are translated once per page with the
    placeholder kept; the names put in are escaped all the same."""
    hostile = '<b onmouseover="x()">Lis & Co</b>'
    world["leader"].name = hostile
    paths_for(today, world["group"], world["leader"], 1)
    db.session.commit()
    assert browser.login("leder@example.dk").status_code == 302
    html = browser.get("/momentum").get_data(as_text=True)
    escaped = "&lt;b onmouseover=&#34;x()&#34;&gt;Lis &amp; Co&lt;/b&gt;"
    assert f"Tovholder: {escaped}" in html
    assert "Ansvarlig: Leder" in html
    assert hostile not in html


# A child as the property test builds it: (institution, left the daycare, moved from the
# other institution, path: None | (open, position, tovholder), steps: [(days due, done)]).
_steps = st.lists(st.tuples(st.integers(-5, 5), st.booleans()), max_size=4)
# A path: (open, position, tovholder, opened more than five months ago).
_path = st.none() | st.tuples(
    st.booleans(), st.sampled_from(["yellow", "red"]), st.integers(0, 1), st.booleans()
)
_kid = st.tuples(st.integers(0, 1), st.booleans(), st.booleans(), _path, _steps)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kids=st.lists(_kid, max_size=12), scope=st.sampled_from([None, 0, 1]))
def test_the_counts_agree_with_counting_each_childs_open_steps_by_hand(
    app, catalogue, today, kids, scope
):
    """The counts per institution, overdue and of children, and the page, against a count
    in Python of what was built: only open steps of open paths of children with a current
    group, in the institution of that group."""
    savepoint = db.session.begin_nested()
    try:
        houses = [f.institution(groups=("A", "B")), f.institution(groups=("C",))]
        tovholdere = [f.user(Role.LEADER, name=f"Tovholder {i}") for i in range(2)]
        version = load_templates().version
        expected_steps: dict[int, int] = {}
        expected_late: dict[int, int] = {}
        expected_children = 0
        expected_stalled: dict[int, tuple[int, int]] = {}  # path id: (tovholder, group)
        for n, (house, left, moved, path, steps) in enumerate(kids):
            group = houses[house].groups[n % len(houses[house].groups)]
            kid = f.child(group, first_name=f"B{n}")
            if moved:  # an earlier stay in the other house, ended
                kid.memberships[0].start_date = today - timedelta(days=30)
                kid.memberships.append(
                    GroupMembership(
                        group=houses[1 - house].groups[0],
                        start_date=today - timedelta(days=400),
                        end_date=today - timedelta(days=31),
                    )
                )
            if left:
                kid.memberships[0].end_date = today - timedelta(days=1)
            if path is None:
                continue
            is_open, position, who, old = path
            p = ActionPath(
                child_id=kid.id,
                position=position,
                status="open" if is_open else "closed",
                opened_on=today - timedelta(days=200 if old else 20),
                coordinator_id=tovholdere[who].id,
                escalation_level=1,
                template_key="default",
                template_version=version,
            )
            for k, (days, done) in enumerate(steps):
                p.steps.append(
                    ActionStep(
                        key=f"s{k}",
                        kind=StepKind.STEP,
                        title_da="Trin",
                        title_en="Step",
                        responsible_role="leader",
                        due_on=today + timedelta(days=days),
                        done_on=today if done else None,
                    )
                )
            db.session.add(p)
            db.session.flush()
            if is_open and not left and old and scope in (None, house):
                expected_stalled[p.id] = (tovholdere[who].id, group.id)
            open_steps = [days for days, done in steps if not done]
            if is_open and not left and open_steps and scope in (None, house):
                inst = houses[house].id
                expected_steps[inst] = expected_steps.get(inst, 0) + len(open_steps)
                late = sum(1 for d in open_steps if d < 0)
                expected_late[inst] = expected_late.get(inst, 0) + late
                expected_children += 1
        db.session.flush()
        ids = None if scope is None else [houses[scope].id]
        got = overview.overview(ids, today, per_page=1000)
        assert got.open_steps == sum(expected_steps.values())
        assert got.overdue_steps == sum(expected_late.values())
        assert got.children == expected_children
        names = {h.id: h.name for h in houses}
        assert got.overdue_by_institution == {names[i]: n for i, n in expected_late.items() if n}
        assert len(got.steps) == got.open_steps
        assert got.stalled_count == len(expected_stalled)
        assert {p.id for p, _days in got.stalled} == set(expected_stalled)
        group = houses[0].groups[1]
        in_group = overview.overview(ids, today, overview.Filters(group_id=group.id))
        assert {p.id for p, _days in in_group.stalled} == {
            i for i, (_who, g) in expected_stalled.items() if g == group.id
        }
        assert [s.due_on for s in got.steps] == sorted(s.due_on for s in got.steps)
        for who in range(2):
            mine = overview.overview(
                ids, today, overview.Filters(coordinator_id=tovholdere[who].id), per_page=1000
            )
            assert {s.coordinator_id for s in mine.steps} <= {tovholdere[who].id}
            assert mine.open_steps == sum(
                1 for s in got.steps if s.coordinator_id == tovholdere[who].id
            )
            assert {p.id for p, _days in mine.stalled} == {
                i for i, (w, _g) in expected_stalled.items() if w == tovholdere[who].id
            }
    finally:
        savepoint.rollback()


def test_the_tovholder_filter_of_the_whole_municipality_offers_every_open_paths_tovholder(
    today, world
):
    """Within institutions: the tovholdere of the children currently there. For the whole
    municipality: of every open path, that of a child who has left included (the list does
    not read the municipality's memberships); choosing that tovholder shows no steps."""
    lis, eva = world["leader"], world["edu1"]
    paths_for(today, world["group"], lis, 1)
    (gone,) = paths_for(today, world["group"], eva, 1)
    gone.child.memberships[0].end_date = today
    db.session.flush()
    assert {u.id for u in overview.coordinators([world["inst"].id])} == {lis.id}
    assert {u.id for u in overview.coordinators(None)} == {lis.id, eva.id}
    hers = overview.overview(None, today, overview.Filters(coordinator_id=eva.id))
    assert (hers.open_steps, hers.steps) == (0, [])
