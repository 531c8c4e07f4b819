"""The parents' copy (aktindsigt) with data in every part: each part is there, in words,
with no internal codes and no other guardian's contact details."""

from __future__ import annotations

import re
from datetime import timedelta

from reports.i18n import DANISH
from reports.parents import parents_copy
from screening.assessments import joints, observations
from screening.core.extensions import db
from screening.documents.common import letterhead
from screening.documents.parents_copy import parents_copy_data
from screening.paths import meetings
from screening.paths import services as paths

from .test_reports import docs, text_of  # noqa: F401  (the fixture with a red path)

STATEMENT = "Barnet virker trist, indadvendt eller opgivende i længere perioder."
# Internal codes a parent must never read (word by word).
CODES = (
    "green",
    "yellow",
    "red",
    "psychologist",
    "speech_therapist",
    "wellbeing",
    "action_plan",
    "cross_disciplinary",
    "daycare",
    "notify",
    "no_notify",
    "educator",
    "leader",
    "view",
    "open",
    "System",
)


def _everything(docs, world):  # noqa: F811
    """Adds what the fixture lacks: an override, an observation, a notify assessment,
    minutes, a withdrawn consent; then visits the child's pages (the access log)."""
    kid, leader = docs["child"], world["leader"]
    joints.record_joint(
        world["round"],
        kid,
        leader,
        agreed="yellow",
        justification="Vi ser bedring i samling.",
        override_reason="Vi kender familien godt",
    )
    observations.add_observation(
        kid,
        world["edu1"],
        source="daycare",
        category="behaviour",
        level=2,
        observed_on=world["today"] - timedelta(days=3),
        note="Slår ofte ved samling",
    )
    notify = next(s for s in docs["path"].steps if s.kind.value == "notify")
    paths.record_notify_decision(
        notify,
        leader,
        decision="no_notify",
        reasoning="Forældrene samarbejder, og vi følger op om fire uger",
        decided_on=world["today"],
    )
    meetings.save_minutes(docs["meeting"], minutes="Vi talte om morgenerne", decisions="Ny plan")
    withdrawn = meetings.record_consent(
        kid,
        docs["mother"],
        leader,
        information_kinds=["observations"],
        recipients=["speech_therapist"],
        purpose="Sprogvurdering",
        given_on=world["today"] - timedelta(days=5),
    )
    meetings.withdraw_consent(withdrawn, leader, world["today"])
    db.session.commit()


def test_the_copy_holds_every_part_in_words(today, browser, docs, world):  # noqa: F811
    _everything(docs, world)
    browser.login("leder@example.dk")
    assert browser.get(f"/children/{docs['child'].id}").status_code == 200
    assert browser.get(f"/paths/{docs['path'].id}").status_code == 200
    r = browser.get(f"/children/{docs['child'].id}/guardians/{docs['mother'].id}/copy.pdf")
    assert r.status_code == 200
    text, _ = text_of(r.data)
    flat = " ".join(text.split())
    today_text = DANISH.long_date(today)
    for part in (
        # the letter and the guardians: her own address, the other guardian by name only
        "Kære Mette Østergaard. Du har bedt om at se de oplysninger",
        "Er noget forkert, kan du bede os rette det. Kontakt Lis (leder, Børnehuset",
        "Mette Østergaard: Rosenvej 1, 8000 Aarhus C",
        # every assessment: who, the suggestion, the statements ticked, the justification
        "Trivselsvurdering, Efterår test",
        "Vurderet af Eva (pædagog). Forslag til position: Mistrivsel.",
        f"Udsagn, der er sat kryds ved: »{STATEMENT}«.",
        "Begrundelse: Set.",
        # the joint assessment with the override and its reason
        "Barnets position i hver vurderingsrunde",
        "Øget opmærksomhed",
        "ved Lis.",
        "Begrundelse: Vi ser bedring i samling.",
        "Forslaget var Mistrivsel. Den aftalte position afviger fra forslaget. "
        "Årsag: Vi kender familien godt",
        # observations by source, with the degree of concern in words
        "Dagtilbuddet: Adfærd",
        "Grad af bekymring: 2 – nogen bekymring.",
        "Slår ofte ved samling",
        # the action path: every step, who is responsible, deadlines, what was done
        "Handlevej: trin, ansvar og frister",
        f"Handlevejen blev åbnet den {today_text}. Position: Mistrivsel. Åben.",
        "Tovholder: Lis.",
        "Ansvarlig: leder. Frist:",
        "Ikke udført endnu.",
        # the recorded assessment of the duty to notify
        "Vurdering af underretningspligt",
        "Der skal ikke underrettes nu. Vurderet af Lis.",
        "Begrundelse: Forældrene samarbejder, og vi følger op om fire uger",
        # the plan
        "Handleplan for Otto Ærø",
        "Otto deltager i samling tre dage om ugen",
        "Leger mere med de andre",
        # meetings with participants and minutes
        "Torsdag den 3. december 2026 kl. 9.30. Sted: Mødelokalet, Mælkebøtten",
        "Deltagere: Mette Østergaard, forælder; Søren Ærø, forælder; Eva, pædagog; "
        "Pia Psykolog, psykolog, PPR; Sune Socialrådgiver, socialrådgiver, Familieafdelingen.",
        "Referat: Vi talte om morgenerne",
        "Beslutninger: Ny plan",
        # consents given and withdrawn
        f"Givet af Mette Østergaard den {today_text}.",
        "Modtagere: psykolog.",
        "Oplysninger: vurderinger af barnets trivsel og handleplanen.",
        "Samtykke (trukket tilbage)",
        "Modtagere: talepædagog.",
        f"Trukket tilbage den {today_text}.",
        # the access log as sentences
        "Hvem har set eller ændret oplysningerne",
        "Lis (leder, Børnehuset Mælkebøtten) åbnede barnets side.",
        "Lis (leder, Børnehuset Mælkebøtten) så handlevejen.",
    ):
        assert part in flat, part
    assert re.search(
        rf"{re.escape(today_text)} kl\. \d{{1,2}}\.\d\d: Lis \(leder, Børnehuset Mælkebøtten\) "
        r"åbnede barnets side\.",
        flat,
    )
    for code in CODES:
        assert not re.search(rf"\b{code}\b", flat), code
    assert "Hemmelig" not in flat
    assert "Adressebeskyttet" not in flat  # the father's protection is his data too


def test_the_copy_for_one_guardian_never_prints_the_others_details(today, docs, world):  # noqa: F811
    lh = letterhead(today)
    docs["mother"].email, docs["mother"].phone = "mette@example.dk", "12 34 56 78"
    db.session.commit()
    text, _ = text_of(parents_copy(lh, parents_copy_data(docs["child"], docs["father"], today)))
    flat = " ".join(text.split())
    assert "Kære Søren Ærø" in flat
    assert "Søren Ærø: Adressebeskyttet" in flat  # his own, as protected
    assert "Mette Østergaard" in flat  # the other guardian by name
    for detail in ("Rosenvej", "mette@example.dk", "12 34 56 78", "Hemmelig"):
        assert detail not in flat, detail
