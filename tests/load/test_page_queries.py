"""Issue 17: the SQL statements of every page in the load mix, counted at two sizes of the
municipality. A page's count must not grow with the data: more children in the group, more
rounds of history, more paths. (Counted, never timed; the load benchmark times them.)

Each page is asked once to warm it (what a running worker has cached: the instruments, the
rule sets), then counted on the second request, as the same user would send it again."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import g

from benchmarks.municipality import PASSWORD, Scale, build
from screening.accounts.models import User
from screening.assessments.models import Assessment, JointAssessment
from screening.children.models import Child, GroupMembership
from screening.core.extensions import db
from screening.org.models import Group
from screening.paths import meetings
from screening.paths.models import ActionPath, PathStatus

from ..conftest import csrf_from
from .test_per_object_work import counting

SMALL = Scale(institutions=1, groups_per_institution=2, children=8, rounds=3, paths=8)
LARGE = Scale(institutions=1, groups_per_institution=2, children=24, rounds=5, paths=24)


@dataclass
class Subjects:
    round_id: int
    group_id: int
    child_id: int  # in the educator's group, nothing yet in the open round, no open path
    other_id: int  # another child of the group (its child page and form)
    children_in_group: int


def subjects(summary) -> Subjects:
    educator = db.session.scalar(sa.select(User).where(User.email == summary.educator_email))
    group_id = db.session.scalar(
        sa.select(Group.id)
        .where(Group.institution_id == summary.institutions[0], Group.active)
        .order_by(Group.id)
        .limit(1)
    )
    round_id = summary.rounds[-1]
    kids = db.session.scalars(
        sa.select(Child.id)
        .join(GroupMembership)
        .where(GroupMembership.group_id == group_id, GroupMembership.end_date.is_(None))
        .where(
            ~sa.exists().where(
                ActionPath.child_id == Child.id, ActionPath.status != PathStatus.CLOSED
            ),
            # History: a joint assessment in an earlier round (the child page shows it).
            sa.exists().where(
                JointAssessment.child_id == Child.id, JointAssessment.round_id != round_id
            ),
        )
        .order_by(Child.first_name, Child.last_name, Child.id)
    ).all()
    assert len(kids) >= 2, kids
    child_id, other_id = kids[0], kids[1]
    # The chosen child starts the round afresh: no one has assessed it yet.
    db.session.execute(
        sa.delete(JointAssessment).where(
            JointAssessment.child_id == child_id, JointAssessment.round_id == round_id
        )
    )
    db.session.execute(
        sa.delete(Assessment).where(
            Assessment.child_id == child_id, Assessment.round_id == round_id
        )
    )
    # The other child has the educator's draft (its form opens with answers).
    db.session.execute(
        sa.delete(Assessment).where(
            Assessment.child_id == other_id,
            Assessment.round_id == round_id,
            Assessment.assessor_id == educator.id,
        )
    )
    # An upcoming meeting about a child of the institution, at both sizes (the home pages
    # list them).
    path = db.session.scalar(
        sa.select(ActionPath)
        .join(GroupMembership, GroupMembership.child_id == ActionPath.child_id)
        .where(GroupMembership.group_id == group_id, ActionPath.status != PathStatus.CLOSED)
        .order_by(ActionPath.id)
        .limit(1)
    )
    assert path is not None
    meeting = meetings.create_meeting(
        path,
        path.coordinator,
        kind="parent_talk",
        starts_at=datetime.now(UTC) + timedelta(days=3),
        place="Mødelokalet",
        purpose="Samtale",
        agenda="",
    )
    meetings.invite_staff(meeting, educator)  # the educator's home lists it too
    db.session.commit()
    in_group = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(GroupMembership)
        .where(GroupMembership.group_id == group_id, GroupMembership.end_date.is_(None))
    )
    return Subjects(round_id, group_id, child_id, other_id, in_group)


def version_of(html: str) -> str:
    found = re.search(r'name="version"[^>]*value="(\d+)"', html)
    assert found, html[:500]
    return found.group(1)


def as_a_worker() -> None:
    """The next request loads the signed-in user as a worker does on every request (the
    test's application context, held around its requests, would keep the user in `g` and
    leave the user's statement out of the count)."""
    g.pop("_login_user", None)


def count_get(browser, url: str, expect: int = 200) -> list[str]:
    browser.get(url)  # warm
    as_a_worker()
    with counting() as seen:
        response = browser.get(url)
    assert response.status_code == expect, (url, response.status_code)
    return seen


def count_post(browser, url: str, data: dict, expect: int = 302) -> list[str]:
    """The POST alone (the page it was sent from is fetched before counting)."""
    html = browser.get(url).get_data(as_text=True)
    payload = {"csrf_token": csrf_from(html), "version": version_of(html), **data}
    as_a_worker()
    with counting() as seen:
        response = browser.client.post(url, data=payload)
    errors = re.findall(r'class="[^"]*(?:error|flash)[^"]*"[^>]*>([^<]+)', response.get_data(True))
    assert response.status_code == expect, (url, response.status_code, errors)
    return seen


# The header's own statements before issue 17's cut: the municipality alone, the unread count.
HEADER_ALONE = re.compile(
    r"^SELECT municipality\.id.*FROM municipality\s+LIMIT|count\(notification\.id\)", re.S
)

# A justification always (a child with yellow or red history gets a concerned suggestion).
TEXTS = {"resources": "Glad for at bygge", "justification": "Trives i gruppen"}


def measure(summary, new_browser) -> tuple[dict[str, list[str]], Subjects]:
    s = subjects(summary)
    found: dict[str, list[str]] = {}
    edu = new_browser()
    edu.login(summary.educator_email, PASSWORD)
    found["educator home"] = count_get(edu, "/")
    found["child list of a group"] = count_get(edu, f"/groups/{s.group_id}")
    found["worklist"] = count_get(edu, f"/rounds/{s.round_id}/groups/{s.group_id}")
    found["child page"] = count_get(edu, f"/children/{s.other_id}")
    found["offline pack"] = count_get(edu, "/api/offline-pack")
    assess = f"/rounds/{s.round_id}/children/{s.child_id}/assess"
    found["assessment form GET (new)"] = count_get(edu, assess)
    found["assessment draft save (first)"] = count_post(edu, assess, {"save_draft": "1", **TEXTS})
    found["assessment form GET (draft)"] = count_get(edu, assess)
    found["assessment draft save"] = count_post(
        edu, assess, {"save_draft": "1", **TEXTS, "resources": "Glad for at bygge og lege"}
    )
    found["assessment submit"] = count_post(edu, assess, {"submit_assessment": "1", **TEXTS})

    leader = new_browser()
    leader.login(summary.leader_email, PASSWORD)
    found["leader home"] = count_get(leader, "/")
    found["momentum"] = count_get(leader, "/momentum")
    joint = f"/rounds/{s.round_id}/children/{s.child_id}/joint"
    found["joint assessment GET"] = count_get(leader, joint)
    found["joint assessment POST"] = count_post(
        leader,
        joint,
        {
            "agreed_position": "green",
            "justification": "Trives",
            "override_reason": "Set i hverdagen",
        },
    )
    found["joint assessment GET (recorded)"] = count_get(leader, joint)
    return found, s


# Every page of the mix at most this many, at both sizes (issue 17). The child page, the
# assessment form and the joint assessment after the cut of their statements (the child
# with its groups in one query before the policy asks, the assessors joined in, the own
# assessment with the submitted ones, the round's age bands read once, each permission
# asked once; before it: 21, 11, 11, 17 and 17); the worklist, the child page and the joint
# assessment without the delegate question for a user who is nobody's delegate (counted
# with the user); the offline pack without the own assessments' instruments (they are the
# round's, already loaded).
CEILINGS = {
    "child list of a group": 4,
    "worklist": 7,
    "child page": 11,
    "offline pack": 7,
    "assessment form GET (new)": 8,
    "assessment form GET (draft)": 9,
    "assessment draft save": 11,
    "momentum": 8,
    "joint assessment GET": 9,
    "joint assessment GET (recorded)": 7,
}


def test_no_page_in_the_load_mix_asks_more_queries_for_more_data(
    today, app, catalogue, new_browser, reset_db
):
    results = []
    for scale in (SMALL, LARGE):
        summary = build(db.session, replace(scale, today=today))
        db.session.commit()
        results.append(measure(summary, new_browser))
        db.session.remove()
        reset_db(catalogue=True)
    (small, s_small), (large, s_large) = results
    assert s_large.children_in_group >= 3 * s_small.children_in_group, (s_small, s_large)
    counts = {page: (len(small[page]), len(large[page])) for page in small}
    grown = {page: n for page, n in counts.items() if n[0] != n[1]}
    shown = {page: [q[:120] for q in large[page]] for page in grown}
    assert not grown, {"grown (small, large)": grown, "all": counts, "statements": shown}
    over = {
        page: (counts[page], most, [q[:120] for q in large[page]])
        for page, most in CEILINGS.items()
        if max(counts[page]) > most
    }
    assert not over, over
    # The header (the municipality, the unread count) comes with the user's one statement
    # on every page, and no page reads the municipality again: the classifier's rule set
    # (`catalogue.services.active_ruleset`, on the assessment's POSTs and the joint
    # assessment) takes the municipality the user's statement loaded.
    for page, statements in large.items():
        users = [q for q in statements if "FROM user_account" in q and "notification" in q]
        assert len(users) == 1, (page, users)
        alone = [q for q in statements if HEADER_ALONE.search(q) and q not in users]
        assert not alone, (page, alone)
    for page, (n, _) in counts.items():  # the table in docs/PERFORMANCE.md (pytest -s)
        print(f"| {page} | {n} |")
