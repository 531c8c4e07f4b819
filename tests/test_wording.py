"""The screen texts follow the shared wording review (LANGUAGE.md): its "wrong" phrasings
are defects and appear nowhere in the source of a screen, and the legal wording of the
duty-to-notify page is the corrected one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from screening.catalogue.services import (
    DATA_DIR,
    compiled_instrument,
    load_instrument_files,
    newest_instruments,
)
from screening.core.extensions import db
from screening.documents.common import age_text
from screening.models import InstrumentVersion
from screening.paths import meetings

from .paths.test_paths import agree, step

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    *sorted((ROOT / "templates").rglob("*.html")),
    *sorted((ROOT / "forms").rglob("*.py")),
    *sorted(p for p in (ROOT / "screening").rglob("*.py")),
    *sorted((ROOT / "screening" / "static" / "js").rglob("*.js")),
    # The documents' fixed texts; wording.py names the classifier's old sentences to
    # strip them from stored reasons.
    *sorted(p for p in (ROOT / "reports").rglob("*.py") if p.name != "wording.py"),
]

# (wrong phrasing, why) from the review; the corrected text is on the screen instead.
WRONG = [
    ("underskriver underretningen", "the duty to notify is personal, not the leader's alone"),
    ("Lav den helst sammen med forældrene", "parents are not involved first if abuse is suspected"),
    ("§ 133 (underretning)", "§ 133 is no basis for sharing with PPR"),
    ("kan få indsigt i alt", "there are exceptions to the parents' access"),
    ("Skriv datoen, underretningen blev sendt", "ungrammatical"),
    ("genindlæs siden og prøv igen", "comma before og with a new subject"),
    ("Det du skrev er ikke gemt", "commas around the relative clause"),
    ("mest bekymrede", "a position is not bekymret: mest alvorlige"),
    ("Markeres med «", "the flag's key, and «» is not Danish"),
    ("_('Momentum')", "internal English word: Frister og fremdrift"),
    ("Regelsæt: %(key)s", "the rule set's internal key"),
    ("Ingen regler gav anledning", "staff see no rules"),
    ("Lederen er orienteret", "a state, not a task: Orienter lederen"),
    ("'1 venter på at blive sendt'", "a count without its noun"),
    ("%(n)s børn.', n=", "a count that does not agree with its number"),
    ("'%(n)s mdr.', n=", "mdr. is plural only"),
    ("åbne eller afsluttede vurderingsrunder", "rounds are lukket, not afsluttet"),
    ("Registrér", "imperatives without accent: Registrer"),
    ("Vurdér", "imperatives without accent: Vurder"),
    ("Markér", "imperatives without accent: Marker"),
    ("runde — forældrene", "the dash is ' – ', and here a new sentence"),
    # "Confusing" in the review, fixed too.
    ("Eskaleringstrin", "trin means the path's steps: niveau"),
    ("eskaleret til rød med de nye trin", "jargon"),
    ("Markeres til eskalering", "jargon"),
    ("Handleplaner vælger", "personification"),
    ("oprettes som planlagt", "reads as 'as planned'"),
    ("Du følger ingen af rundens", "unclear"),
    ("Samtykke i dag for hver fagperson", "unclear"),
    ("flere oplysninger på det.", "unidiomatic"),
    ("Det kan altid trækkes tilbage", "no clear subject; joint custody unsaid"),
    ("Vurdering ved %(name)s", "misreadable: Vurderet af"),
    ("Browseren har lovet", "literal translation"),
    ("Ingen valgt: alle", "telegraphic"),
    ("Eksportér ikke-sendte", "accent and jargon"),
    ("kan ikke findes igen", "kan ikke gendannes"),
    ("_('Værre')", "Dårligere"),
    ("Område') }}</label>", "the offline form uses the online labels (Kategori)"),
    # The key figures and the home pages (issue 13).
    ("_('Institution')", "users say dagtilbud; institution at most in admin"),
    ('_("Institution")', "users say dagtilbud; institution at most in admin"),
    ("pr. række", "a row is the table's, not the user's: pr. dagtilbud / pr. stue"),
    ('_("Niveau 1")', "degree of concern: the observation form's grades"),
    ("højeste bekymringsniveau", "the term is grad af bekymring"),
    ('_("Tandpleje")', "the source is Tandplejen"),
    ("fristen i institutionen", "i jeres dagtilbud"),
    ("er ikke informeret", "one term for the parents being told: orienteret"),
    ("orienteret om ny position", "om den nye position"),
]


@pytest.mark.parametrize(("phrase", "why"), WRONG)
def test_no_screen_text_says_what_the_review_calls_wrong(phrase, why):
    found = [str(p.relative_to(ROOT)) for p in SOURCES if phrase in p.read_text(encoding="utf-8")]
    assert found == [], f"{phrase!r} ({why})"


def test_no_imperative_on_screen_carries_an_accent():
    """LANGUAGE.md: imperatives without accent everywhere (Registrer, Vurder, Kasser …), not
    only the ones the review happened to list; the catalogue's YAML texts too (an
    instrument's wording changes only with a new instrument version)."""
    accented = re.compile(r"\b[^\W\d_]+ér\b")
    found = [
        f"{p.relative_to(ROOT)}: {word}"
        for p in [*SOURCES, *sorted((ROOT / "screening" / "data").rglob("*.yaml"))]
        if "translations" not in p.parts
        for word in accented.findall(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_rating_instrument_says_vurder_in_a_new_version_and_old_assessments_keep_theirs(
    app, tmp_path
):
    """rating-3-6 said "Vurdér" in version 1; version 2 says "Vurder". A database that holds
    version 1 adds version 2 beside it: new assessments get version 2, version 1 (and every
    assessment made with it) keeps its own text."""
    shipped = (DATA_DIR / "instruments" / "rating-3-6.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(shipped)
    assert doc["version"] == 2
    assert doc["description"]["da"].startswith("Vurder for hvert udsagn")
    old = dict(doc, version=1)
    old["description"] = dict(doc["description"], da="Vurdér" + doc["description"]["da"][6:])
    path = tmp_path / "rating-3-6-v1.yaml"
    path.write_text(yaml.safe_dump(old, allow_unicode=True), encoding="utf-8")
    assert [x.status for x in load_instrument_files(path)] == ["added"]
    loaded = {(x.key, x.version): x.status for x in load_instrument_files()}
    assert loaded[("rating-3-6", 2)] == "added"
    db.session.commit()
    rows = {
        r.version: r
        for r in db.session.scalars(
            sa.select(InstrumentVersion).where(InstrumentVersion.key == "rating-3-6")
        )
    }
    assert sorted(rows) == [1, 2]
    assert compiled_instrument(rows[1]).description.da.startswith("Vurdér")
    assert compiled_instrument(rows[2]).description.da.startswith("Vurder ")
    newest = {r.key: r.version for r in newest_instruments()}
    assert newest["rating-3-6"] == 2


def test_the_duty_to_notify_page_says_the_duty_is_personal(browser, new_browser, world):
    _, path = agree(world, "red")
    url = f"/paths/{path.id}/steps/{step(path, 'notify_assessment').id}/notify"
    browser.login("leder@example.dk")
    html = browser.get(url).get_data(as_text=True)
    assert "underretningspligten er personlig" in html
    assert "men ikke hvis der er mistanke om vold eller overgreb i familien" in html
    assert "eller har været udsat for overgreb" in html
    assert "om barnet er i fare og har brug for akut hjælp" in html
    educator = new_browser()
    educator.login("edu1@example.dk")
    html = educator.get(url).get_data(as_text=True)
    assert "Er du uenig i lederens vurdering, har du stadig selv pligt til at underrette." in html


def test_the_legal_basis_example_is_not_the_duty_to_notify(browser, world):
    _, path = agree(world, "red")
    m = meetings.create_meeting(
        path,
        world["leader"],
        kind="cross_disciplinary",
        starts_at=path.created_at,
        place="Mødelokalet",
        purpose="Trivsel",
        agenda="",
    )
    db.session.commit()
    browser.login("leder@example.dk")
    html = browser.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "Skriv den præcise hjemmel" in html
    assert "§ 133 (underretning)" not in html
    assert "Forældrene har som udgangspunkt ret til at se det" in html


@pytest.mark.parametrize(
    ("months", "text"),
    [
        (1, "1 md."),
        (2, "2 mdr."),
        (0, "0 mdr."),
        (36, "3 år"),
        (49, "4 år og 1 md."),
        (50, "4 år og 2 mdr."),
    ],
)
def test_ages_in_letters_agree_with_their_number(months, text):
    assert age_text(months) == text
