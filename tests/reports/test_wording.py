"""Wording in the documents: reasons once and without machine sentences, counts with the
right plural, LANGUAGE.md's letter model, long-form Danish dates, English on request."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from reports.base import Letterhead
from reports.data import ChildNeedingAction, Person
from reports.i18n import Language
from reports.wording import plain_reasons
from screening.classifier import classify, load_instruments, load_rulesets

from . import samples as s
from .docs import builders, flat, page_texts, squash, text_of

CATALOGUE = Path(__file__).resolve().parents[2] / "screening" / "translations"


def new(**kw) -> Letterhead:
    return s.letterhead(**kw)


@pytest.fixture(scope="module")
def classifier_reasons() -> list[str]:
    """Reasons as the real classifier words them, for two assessors who ticked the same
    statements (the joint assessment keeps both)."""
    instruments = {i.key: i for i in load_instruments()}
    rules = load_rulesets(instruments=list(instruments.values()))["default"]
    answers = {"emo-y1": True, "emo-r1": True}
    reasons = [r.text_da for r in classify(instruments["topi-3-6"], rules, answers).reasons]
    assert any("Det giver" in r for r in reasons)  # the classifier's effect sentences
    return reasons + reasons


def test_reasons_are_printed_once_without_the_effect_sentence(classifier_reasons):
    plain = plain_reasons(classifier_reasons)
    assert len(plain) == len(classifier_reasons) // 2
    text = flat(text_of(builders()["action_plan"](s.plan(reasons=tuple(classifier_reasons)))))
    for reason in plain:
        assert text.count(reason) == 1
    assert "Det giver" not in text
    assert "position." not in text


def test_plain_reasons_keeps_what_is_not_machine_wording():
    assert plain_reasons(["Barnet  er glad.", "Barnet er glad.", "", "Det giver ro."]) == [
        "Barnet er glad.",
        "Det giver ro.",
    ]


@pytest.mark.parametrize(
    ("child", "expected"),
    [
        (ChildNeedingAction("A", "Stue", "red", "", overdue_steps=1), "1 overskredet trin"),
        (ChildNeedingAction("A", "Stue", "red", "", overdue_steps=3), "3 overskredne trin"),
        (ChildNeedingAction("A", "Stue", "red", "1 overskredne trin"), "1 overskredet trin"),
        (ChildNeedingAction("A", "Stue", None, "Mangler fælles vurdering"), "Mangler fælles"),
    ],
)
def test_overdue_steps_in_singular_and_plural(child, expected):
    text = text_of(builders()["round_overview"](s.round_overview(children_needing_action=(child,))))
    assert expected in text
    assert "1 overskredne" not in text


def test_overview_explains_its_counts():
    for kind in ("round_overview", "municipal_overview"):
        text = flat(text_of(builders(new())[kind]()))
        assert "Fælles vurdering" in text
        assert "Sådan læses tabellen" in text
        assert "kan være færre end »Vurderet«" in text
        assert "Ikke vurderet" in text
    assert "Børn, der kræver handling" in text_of(builders(new())["round_overview"]())
    assert "Tal under 5 vises som »<5«" in flat(text_of(builders()["municipal_overview"]()))


def test_guardian_letter_follows_the_model():
    m = s.meeting(
        kind_code="cross_disciplinary",
        address="Engvej 2, 8000 Aarhus C",
        contact_email="hanne@solbjerg.dk",
        contact_role="pædagog",
        participants=(
            Person("Lars Jensen", "Forælder"),
            Person("Hanne Holm", "Pædagog"),
            Person("Søren Berg", "Psykolog", "PPR", True, "dit samtykke af 1. november 2026"),
        ),
    )
    to = s.guardian(needs_interpreter=True, language="ar")
    text = flat(text_of(builders(new())["guardian_letter"](m, None, to)))
    for expected in (
        "Invitation til et møde om Alma",
        "Kære Mette Østergaard",
        "Torsdag den 3. december 2026 kl. 9.00",
        "Engvej 2, 8000 Aarhus C",
        "Hvorfor vil vi mødes?",
        "Hvem deltager?",
        "• Lars Jensen, forælder",
        "• Søren Berg, psykolog, PPR",
        "De fagpersoner, der ikke arbejder i dagtilbuddet, får kun de oplysninger om Alma",
        "Søren Berg får oplysninger på grundlag af dit samtykke af 1. november 2026.",
        "Vi sørger for en tolk, der taler arabisk.",
        "Ring eller skriv til Hanne Holm på tlf. 12 34 56 78 eller e-mail hanne@solbjerg.dk",
        "Vi glæder os til at se dig.",
        "Hanne Holm Pædagog, Børnehuset Solsikken",
    ):
        assert expected in text, expected
    assert "Dato: 23. november 2026" in page_texts(builders(new())["guardian_letter"]())[0]
    talk = s.meeting(kind_code="parent_talk")
    assert "Invitation til en samtale om Alma" in text_of(builders(new())["guardian_letter"](talk))


def test_professional_letter_in_paragraphs_with_interpreter():
    m = s.meeting(kind_code="cross_disciplinary", interpreter_languages=("ar",))
    pro = s.professional(concern_summary="Første afsnit.\n\nAndet afsnit.")
    text = text_of(builders(new())["professional_letter"](m, None, pro))
    assert "Du inviteres til et tværfagligt møde om et barn i Børnehuset Solsikken." in text
    assert "Første afsnit.\nAndet afsnit." in text
    assert "Der er bestilt tolk til mødet (arabisk)." in text
    assert "Invitation: Tværfagligt møde den 3. december 2026" in flat(text)


def test_parents_copy_shows_only_the_requesting_guardians_address():
    data = s.parents_copy(
        guardians=[s.guardian(), s.guardian(name="Lars Jensen", address="Skjult Allé 3")],
        access_log=[
            (
                datetime(2026, 3, 12, 10, 14),
                "Lise Leder (leder, Mælkebøtten)",
                "åbnede handleplanen",
            )
        ],
        contact_name="Lise Leder",
    )
    text = text_of(builders(new())["parents_copy"](data))
    assert "Mette Østergaard: Rosenvej 1, 8000 Aarhus C" in text
    assert "Lars Jensen" in text
    assert "Skjult" not in text
    assert "Barnets position i hver vurderingsrunde" in text
    assert "Hvem har set eller ændret oplysningerne" in text
    assert "12. marts 2026 kl. 10.14: Lise Leder (leder, Mælkebøtten) åbnede handleplanen." in flat(
        text
    )
    assert "Er noget forkert, kan du bede os rette det. Kontakt Lise Leder." in flat(text)


def test_documents_in_english():
    lh = new(language=Language.load("en", CATALOGUE), labels=None)
    m = s.meeting(kind_code="parent_talk", contact_email="hanne@solbjerg.dk")
    text = flat(text_of(builders(lh)["guardian_letter"](m)))
    assert "Invitation to a conversation about Alma" in text
    assert "Thursday, 3 December 2026 at 09:00" in text
    assert "Dear Mette Østergaard" in text
    text = flat(text_of(builders(lh)["round_overview"]()))
    assert "1 overdue step" in text
    assert "Joint assessment" in text
    assert "Yellow" in text
    for kind, build in builders(lh).items():
        got = squash(" ".join(page_texts(build())))
        for danish in ("Side", "Fortroligt", "Handleplanfor", "Kære", "Ingen"):
            assert danish not in got, (kind, danish)
