"""Who may download which document: decided in `screening.core.policy`, so a document
shows exactly what its reader may see on screen. An access matrix over the real views."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from screening.core.extensions import db
from screening.core.models import Outcome
from screening.core.policy import Action, can
from screening.models import AuditEvent, Role

from .. import factories as f
from .test_reports import docs, text_of  # noqa: F401  (the fixture with every document)


@pytest.fixture
def matrix(docs, world):  # noqa: F811
    """`docs` plus an invited PPR user: the psychologist invited on the mother's consent."""
    ppr = f.user(Role.PPR, email="pia@ppr.dk", name="Pia Psykolog")
    docs["psych"].email = "pia@ppr.dk"
    db.session.commit()
    return {**docs, "ppr": ppr}


def _urls(matrix, world) -> dict[str, str]:
    meeting = matrix["meeting"].id
    by_name = {pt.name: pt.id for pt in matrix["meeting"].participants}
    letter = f"/meetings/{meeting}/participants/%d/letter.pdf"
    rnd = f"/rounds/{world['round'].id}"
    return {
        "mother_letter": letter % by_name["Mette Østergaard"],
        "father_letter": letter % by_name["Søren Ærø"],
        "psych_letter": letter % by_name["Pia Psykolog"],
        "social_letter": letter % by_name["Sune Socialrådgiver"],
        "staff_letter": letter % by_name["Eva"],
        "plan": f"/paths/{matrix['path'].id}/plan.pdf",
        "round_overview": f"{rnd}/institutions/{world['inst'].id}/overview.pdf",
        "municipal": f"{rnd}/municipal.pdf",
        "parents_copy": f"/children/{matrix['child'].id}/guardians/{matrix['mother'].id}/copy.pdf",
    }


OK, DENIED, HIDDEN = 200, 403, 404
# user → document → answer. 404 where the user may not know the object exists.
MATRIX = {
    "leder@example.dk": {
        "mother_letter": OK,
        "father_letter": OK,
        "psych_letter": OK,
        "social_letter": OK,
        "staff_letter": HIDDEN,  # colleagues get no letter
        "plan": OK,
        "round_overview": OK,
        "municipal": DENIED,
        "parents_copy": OK,
    },
    "edu1@example.dk": {
        "mother_letter": OK,
        "father_letter": OK,
        "psych_letter": OK,
        "social_letter": OK,
        "staff_letter": HIDDEN,
        "plan": OK,
        "round_overview": DENIED,  # the whole institution's overview is the leader's
        "municipal": DENIED,
        "parents_copy": DENIED,
    },
    "pia@ppr.dk": {
        "mother_letter": DENIED,  # PPR never sees guardians' addresses
        "father_letter": DENIED,
        "psych_letter": OK,  # her own letter
        "social_letter": DENIED,  # another professional's basis and summary
        "staff_letter": HIDDEN,
        "plan": OK,
        "round_overview": HIDDEN,
        "municipal": DENIED,
        "parents_copy": DENIED,
    },
    "koord@example.dk": {
        "mother_letter": OK,
        "father_letter": OK,
        "psych_letter": OK,
        "social_letter": OK,
        "staff_letter": HIDDEN,
        "plan": OK,
        "round_overview": OK,
        "municipal": OK,
        "parents_copy": DENIED,
    },
    "sp@example.dk": {  # health visitor: no action paths
        "mother_letter": DENIED,
        "father_letter": DENIED,
        "psych_letter": DENIED,
        "social_letter": DENIED,
        "staff_letter": DENIED,  # no action paths at all
        "plan": DENIED,
        "round_overview": DENIED,
        "municipal": DENIED,
        "parents_copy": DENIED,
    },
    "tand@example.dk": {
        "mother_letter": DENIED,
        "father_letter": DENIED,
        "psych_letter": DENIED,
        "social_letter": DENIED,
        "staff_letter": DENIED,  # no action paths at all
        "plan": DENIED,
        "round_overview": DENIED,
        "municipal": DENIED,
        "parents_copy": DENIED,
    },
}


@pytest.mark.parametrize("email", sorted(MATRIX))
def test_document_access_matrix(new_browser, matrix, world, email):
    browser = new_browser()
    browser.login(email)
    urls = _urls(matrix, world)
    got = {name: browser.get(url).status_code for name, url in urls.items()}
    assert got == MATRIX[email]
    # Every refusal is in the audit trail.
    refused = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.outcome == Outcome.DENIED)
    )
    assert refused == sum(1 for code in got.values() if code == DENIED)


def test_invited_ppr_sees_only_their_own_letter_link_and_batch(
    new_browser, matrix, world, consumer
):
    browser = new_browser()
    browser.login("pia@ppr.dk")
    page = browser.get(f"/meetings/{matrix['meeting'].id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("letter.pdf") == 1
    r = browser.submit(
        f"/meetings/{matrix['meeting'].id}/invitations",
        {},
        page=f"/meetings/{matrix['meeting'].id}",
    )
    assert r.status_code == 302
    deadline = time.monotonic() + 60  # a bound for the queue's worker, not a timing test
    while (status := browser.get(f"{r.headers['Location']}/status").get_json())["status"] in (
        "queued",
        "running",
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (status["status"], status["total"]) == ("done", 1)
    text, _ = text_of(browser.get(status["download"]).data)
    assert "Kære Pia Psykolog" in text
    assert "Rosenvej" not in text
    assert "Sune Socialrådgiver" not in text.split("Hvem deltager?")[0]
    assert text.count("Side 1 af") == 1


def test_the_policy_answers_for_letters_only_about_participants(matrix, world):
    assert not can(world["leader"], Action.DOWNLOAD_LETTER, matrix["meeting"])
    assert not can(world["leader"], Action.DOWNLOAD_LETTER)
    staff = next(pt for pt in matrix["meeting"].participants if pt.name == "Eva")
    assert not can(world["leader"], Action.DOWNLOAD_LETTER, staff)
