"""PDF reports parsed back to text: invitations, action plans, overviews, the parents'
copy; protected addresses on no document; batches with progress; downloads audited."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from reports.base import Letterhead
from reports.i18n import DANISH
from reports.letters import guardian_letter, professional_letter
from reports.overviews import municipal_overview, round_overview
from reports.parents import parents_copy
from reports.plans import action_plan
from screening.core.extensions import db
from screening.documents.action_plans import plan_data
from screening.documents.common import letterhead
from screening.documents.letters import meeting_letters
from screening.documents.overviews import municipal_overview_data, round_overview_data
from screening.documents.parents_copy import parents_copy_data
from screening.models import AuditEvent, ChildGuardian, Municipality, Role
from screening.paths import meetings, plans

from .. import factories as f
from ..paths.test_paths import agree

SECRET = "Hemmelig Allé 7, 8000 Aarhus"
LONG = ("Barnet har brug for ro og forudsigelighed i hverdagen, især ved overgange. " * 30)[:2000]


def text_of(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), reader


@pytest.fixture
def docs(today, world):
    """A red path with guardians (one with a protected address), professionals invited on
    a consent and on a legal basis, a 40-action plan and follow-ups."""
    db.session.add(
        Municipality(
            name="Solbjerg Kommune",
            label_green="Trivsel",
            label_yellow="Øget opmærksomhed",
            label_red="Mistrivsel",
        )
    )
    kid = world["older"]
    kid.last_name = "Ærø"
    world["inst"].address = "Engvej 2, 8000 Aarhus C"
    mother = f.guardian(name="Mette Østergaard", address="Rosenvej 1, 8000 Aarhus C")
    mother.needs_interpreter, mother.language = True, "ar"
    father = f.guardian(name="Søren Ærø", address=SECRET, protected=True)
    kid.guardian_links += [
        ChildGuardian(guardian=mother, has_custody=True),
        ChildGuardian(guardian=father, has_custody=True),
    ]
    _, path = agree(world, "red")
    consent = meetings.record_consent(
        kid,
        mother,
        world["leader"],
        information_kinds=["wellbeing", "action_plan"],
        recipients=["psychologist"],
        purpose="Tværfagligt møde",
        given_on=today,
    )
    meeting = meetings.create_meeting(
        path,
        world["leader"],
        kind="cross_disciplinary",
        starts_at=datetime(2026, 12, 3, 8, 30, tzinfo=UTC),
        place="Mødelokalet, Mælkebøtten",
        purpose="At finde ud af, hvordan vi støtter Otto",
        agenda="1. Velkomst\n2. Ottos hverdag\n3. Aftaler",
    )
    meetings.invite_guardian(meeting, mother)
    meetings.invite_guardian(meeting, father)
    meetings.invite_staff(meeting, world["edu1"])
    psych = meetings.invite_external(
        meeting,
        name="Pia Psykolog",
        profession="psychologist",
        organisation="PPR",
        email="",
        legal_basis="",
        on=today,
    )
    social = meetings.invite_external(
        meeting,
        name="Sune Socialrådgiver",
        profession="social_worker",
        organisation="Familieafdelingen",
        email="",
        legal_basis="Barnets lov § 133",
        on=today,
    )
    plan = plans.save_plan(
        path,
        world["leader"],
        resources="Otto er nysgerrig og glad for at bygge",
        concerns=LONG,
        goals="Otto deltager i samling tre dage om ugen",
        parents_perspective="Vi vil gerne have mere ro om morgenen",
        child_perspective="Otto siger, at han kan lide klodser",
        evaluation_on=today + timedelta(days=60),
        items=[
            plans.PlanItemInput(
                f"Handling nummer {i}: små grupper og ro", "Eva", today + timedelta(days=i)
            )
            for i in range(1, 41)
        ],
        offer_ids=[],
    )
    plans.add_follow_up(
        path,
        world["leader"],
        held_on=today,
        progress="better",
        note="Leger mere med de andre",
        next_step="Fortsæt",
    )
    db.session.commit()
    return {
        "path": path,
        "meeting": meeting,
        "mother": mother,
        "father": father,
        "psych": psych,
        "social": social,
        "plan": plan,
        "consent": consent,
        "child": kid,
    }


def every_document(docs, world) -> dict[str, bytes]:
    today = world["today"]
    lh = letterhead(today)
    out = {}
    for info, child, to in meeting_letters(docs["meeting"], lh, today):
        name = re.sub(r"\W", "_", to.name)
        out[f"invitation_{name}"] = (
            guardian_letter(lh, info, child, to)
            if hasattr(to, "protected")
            else professional_letter(lh, info, child, to)
        )
    out["action_plan"] = action_plan(lh, plan_data(docs["path"], today))
    out["round_overview"] = round_overview(
        lh, round_overview_data(world["round"], world["inst"], today)
    )
    out["municipal_overview"] = municipal_overview(
        lh, municipal_overview_data(world["round"], today)
    )
    out["parents_copy"] = parents_copy(lh, parents_copy_data(docs["child"], docs["mother"], today))
    return out


def test_protected_address_appears_on_no_document(docs, world):
    documents = every_document(docs, world)
    assert len(documents) == 8
    for name, pdf in documents.items():
        text, _ = text_of(pdf)
        assert "Hemmelig Allé" not in text, name
        assert "Hemmelig" not in text.replace("\n", ""), name


def test_every_document_has_the_form(today, docs, world):
    for name, pdf in every_document(docs, world).items():
        text, reader = text_of(pdf)
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842), name
        assert reader.metadata.title, name
        assert reader.metadata.author == "Solbjerg Kommune", name
        assert f"Dato: {DANISH.long_date(today)}" in text, name
        pages = len(reader.pages)
        for n, page in enumerate(reader.pages, start=1):
            page_text = page.extract_text()
            assert "Solbjerg Kommune" in page_text, name
            assert f"Side {n} af {pages}" in page_text, name
            if name != "municipal_overview":  # the only document without personal data
                assert "Fortroligt" in page_text, (name, n)


def test_guardian_letters_are_warm_and_separate(today, docs, world):
    lh = letterhead(today)
    letters = {
        to.name: (info, child, to)
        for info, child, to in meeting_letters(docs["meeting"], lh, today)
    }
    text, _ = text_of(guardian_letter(lh, *letters["Mette Østergaard"]))
    flat = " ".join(text.split())
    assert "Kære Mette Østergaard" in text
    assert "Rosenvej 1, 8000 Aarhus C" in text  # her own address, on her own letter
    assert "Torsdag den 3. december 2026 kl. 9.30" in text  # Babel's Danish, local time
    assert "Mødelokalet, Mælkebøtten\nEngvej 2, 8000 Aarhus C" in text  # with the street
    assert "tage en med, som du er tryg ved" in flat
    assert "Vi sørger for en tolk, der taler arabisk." in flat
    assert "Pia Psykolog, psykolog, PPR" in text
    assert "Søren Ærø, forælder" in text
    assert (
        "Pia Psykolog får oplysninger på grundlag af samtykke fra Mette Østergaard af "
        f"{DANISH.long_date(today)} (det omfatter vurderinger af barnets trivsel og "
        "handleplanen)." in flat
    )
    assert "Sune Socialrådgiver får oplysninger på grundlag af loven (Barnets lov § 133)." in flat
    assert "Ring eller skriv til Lis på e-mail leder@example.dk, så finder vi et andet" in flat
    assert "Lis\nLeder, Børnehuset Mælkebøtten" in text
    # With a work phone number on the contact person's user, the letter gives it too.
    world["leader"].phone = "87 13 20 00"
    with_phone = meeting_letters(docs["meeting"], lh, today)
    mette = next(x for x in with_phone if x[2].name == "Mette Østergaard")
    phoned = " ".join(text_of(guardian_letter(lh, *mette))[0].split())
    assert "Lis på tlf. 87 13 20 00 eller e-mail leder@example.dk" in phoned
    for code in ("psychologist", "cross_disciplinary", "wellbeing", "action_plan"):
        assert code not in text
    text, _ = text_of(guardian_letter(lh, *letters["Søren Ærø"]))
    assert "Sendes digitalt" in text
    assert "Rosenvej" not in text
    assert "tolk" not in text  # the interpreter is for the mother


def test_professional_letters_share_only_what_the_basis_covers(today, docs, world):
    lh = letterhead(today)
    letters = {
        to.name: (info, child, to)
        for info, child, to in meeting_letters(docs["meeting"], lh, today)
    }
    text, _ = text_of(professional_letter(lh, *letters["Pia Psykolog"]))
    flat = " ".join(text.split())
    assert "Aftalt position: Mistrivsel." in text  # the consent names wellbeing ...
    assert "\nMål i handleplanen: Otto deltager" in text  # ... and the plan, in paragraphs
    assert f"Samtykke givet den {DANISH.long_date(today)} af Mette Østergaard." in flat
    assert "Samtykket omfatter vurderinger af barnets trivsel og handleplanen." in flat
    assert "Der er bestilt tolk til mødet (arabisk)." in flat
    assert "Kan du ikke komme, så kontakt Lis på e-mail leder@example.dk." in flat
    text, _ = text_of(professional_letter(lh, *letters["Sune Socialrådgiver"]))
    assert "Hjemmel: Barnets lov § 133" in text
    assert "Mål i handleplanen" not in text
    # A consent without wellbeing information gives no concern summary.
    docs["consent"].information_kinds = ["health"]
    db.session.commit()
    letters = {
        to.name: (info, child, to)
        for info, child, to in meeting_letters(docs["meeting"], lh, today)
    }
    text, _ = text_of(professional_letter(lh, *letters["Pia Psykolog"]))
    assert "Aftalt position" not in text
    assert "i det omfang forældrenes samtykke" in text


def test_action_plan_flows_over_pages_without_clipping(today, docs, world):
    text, reader = text_of(action_plan(letterhead(today), plan_data(docs["path"], today)))
    assert len(reader.pages) >= 3
    flat = re.sub(r"\s+", " ", text)
    for i in range(1, 41):
        assert f"Handling nummer {i}:" in flat, i
    assert re.sub(r"\s+", " ", LONG.strip())[-60:] in flat  # the end of 2,000 characters
    assert "Otto Ærø" in text
    assert "Mistrivsel" in text
    assert "Underskrifter" in text
    assert "Leder:" in text
    assert "Forælder: Søren Ærø" in text
    assert "Næste evaluering" in text
    assert "Leger mere med de andre" in text
    assert "CPR" not in text


def test_overviews(today, docs, world):
    lh = letterhead(today)
    text, _ = text_of(round_overview(lh, round_overview_data(world["round"], world["inst"], today)))
    assert "Egernene" in text
    assert "Børn, der kræver handling" in text
    assert "Otto Ærø" in text or "Ingen børn kræver handling" in text
    text, _ = text_of(municipal_overview(lh, municipal_overview_data(world["round"], today)))
    assert "Børnehuset Mælkebøtten" in " ".join(text.split())
    assert "Otto" not in text
    assert "Ærø" not in text
    assert "<5" in text  # 4 children in the institution: suppressed, not shown as "4"
    rows = municipal_overview_rows(world)
    assert rows[0].children == 4
    # The municipality's threshold for small counts (the key figures' one) applies here too.
    db.session.scalar(sa.select(Municipality)).suppression_threshold = 3
    db.session.commit()
    text, _ = text_of(municipal_overview(lh, municipal_overview_data(world["round"], today)))
    assert "<5" not in text
    assert "Tal under 3 vises som »<3«" in " ".join(text.split())


def municipal_overview_rows(world):
    return municipal_overview_data(world["round"], world["today"]).rows


def test_parents_copy_holds_everything_including_the_access_log(browser, docs, world):
    browser.login("leder@example.dk")
    browser.get(f"/children/{docs['child'].id}")
    r = browser.get(f"/children/{docs['child'].id}/guardians/{docs['mother'].id}/copy.pdf")
    assert r.status_code == 200
    assert r.mimetype == "application/pdf"
    text, _ = text_of(r.data)
    for expected in (
        "Oplysninger om Otto Ærø",
        "Mette Østergaard",
        "Barnets position i hver vurderingsrunde",
        "Mistrivsel",
        "Trivselsvurdering",
        "Tværfagligt møde",
        "Samtykke",
        "Hvem har set eller ændret oplysningerne",
        "åbnede barnets side",
        "Handleplan for Otto Ærø",
    ):
        assert expected in text, expected
    assert "Hemmelig" not in text
    assert "Adressebeskyttet" not in text  # the other guardian's protection is theirs too


def test_downloads_are_audited_and_guarded(browser, new_browser, docs, world):
    browser.login("leder@example.dk")
    urls = [
        f"/paths/{docs['path'].id}/plan.pdf",
        f"/meetings/{docs['meeting'].id}/participants/{docs['psych'].id}/letter.pdf",
        f"/rounds/{world['round'].id}/institutions/{world['inst'].id}/overview.pdf",
    ]
    for url in urls:
        r = browser.get(url)
        assert r.status_code == 200, url
        assert r.data.startswith(b"%PDF")
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "pdf.download")
    ).all()
    assert len(events) == 3
    assert {e.details["document"] for e in events} == {
        "action_plan",
        "invitation",
        "round_overview",
    }
    stranger = new_browser()
    f.user(Role.LEADER, institutions=[f.institution("Fremmed")], email="fremmed@example.dk")
    db.session.commit()
    stranger.login("fremmed@example.dk")
    for url in urls[:2]:
        assert stranger.get(url).status_code == 404
    assert browser.get(f"/rounds/{world['round'].id}/municipal.pdf").status_code == 403
    coordinator = new_browser()
    coordinator.login("koord@example.dk")
    assert coordinator.get(f"/rounds/{world['round'].id}/municipal.pdf").status_code == 200


def _run_job(browser, post_url, page):
    r = browser.submit(post_url, {}, page=page)
    assert r.status_code == 302
    job_url = r.headers["Location"]
    assert "Hent PDF" in browser.get(job_url).get_data(as_text=True)
    deadline = time.monotonic() + 60  # a bound, not a timing assertion
    while (status := browser.get(f"{job_url}/status").get_json())["status"] in (
        "queued",
        "running",
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status["status"] == "done"
    assert status["done"] == status["total"]
    return browser.get(status["download"])


def test_all_invitations_of_a_meeting_as_one_pdf(browser, docs, world, consumer):
    browser.login("leder@example.dk")
    meeting_url = f"/paths/{docs['path'].id}"
    r = _run_job(browser, f"/meetings/{docs['meeting'].id}/invitations", meeting_url)
    text, _reader = text_of(r.data)
    assert text.count("Side 1 af") == 4  # two guardians and two professionals
    assert "Hemmelig" not in text
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "pdf.download")
        )
        == 1
    )


def test_all_action_plans_of_a_round_as_one_pdf(browser, docs, world, consumer):
    browser.login("leder@example.dk")
    r = _run_job(
        browser,
        f"/rounds/{world['round'].id}/institutions/{world['inst'].id}/plans",
        f"/paths/{docs['path'].id}",
    )
    text, _ = text_of(r.data)
    assert "Handleplan for Otto Ærø" in text


def test_job_belongs_to_its_user(browser, new_browser, docs, world):
    browser.login("leder@example.dk")
    r = browser.submit(
        f"/meetings/{docs['meeting'].id}/invitations", {}, page=f"/paths/{docs['path'].id}"
    )
    other = new_browser()
    other.login("edu1@example.dk")
    assert other.get(r.headers["Location"]).status_code == 404


def test_render_every_document_to_png_for_a_visual_check(docs, world, tmp_path):
    """Renders page 1 of every document to <document>-1.png. To look at them after a change
    to the layout, name a folder to keep them in: TEST_ARTIFACTS=test-artifacts."""
    assert shutil.which("pdftoppm"), "pdftoppm is missing: `make test` installs poppler-utils"
    out = Path(os.environ.get("TEST_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    for name, pdf in every_document(docs, world).items():
        src = out / f"{name}.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(src), str(out / name)],
            check=True,
        )
        png = next(out.glob(f"{name}-*1.png"))
        assert png.stat().st_size > 5000, name


def test_letterhead_uses_the_municipality_labels(today, app):
    lh = Letterhead(
        "X", today, labels={"green": "Trivsel", "yellow": "Bekymring", "red": "Stærk bekymring"}
    )
    assert lh.label("red") == "Stærk bekymring"
    assert Letterhead("X", today).label("red") == "Rød"
