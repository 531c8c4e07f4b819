"""With the UI in English, the documents are printed in English: the letters (to a guardian
and to a professional), the action plan, the round overview and the parents' copy
(indsigt), data sentences included (the classifier's reasons, the steps, the positions'
words, the access log, the instrument's statements). Each document is parsed back to text
and holds none of the Danish fixed phrases that `reports/` and `screening/documents/`
print (read from the catalogue, so a new phrase is checked too), nor a Danish date."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import screening
from screening.core.extensions import db

from .test_parents_copy import _everything
from .test_reports import docs, text_of  # noqa: F401  (the fixture with a red path)

PO = Path(screening.__file__).parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
DANISH_DATE_WORDS = (
    "januar",
    "februar",
    "marts",
    "maj",
    "juni",
    "juli",
    "oktober",
    "mandag",
    "tirsdag",
    "onsdag",
    "torsdag",
    "fredag",
    "lørdag",
    "søndag",
    "kl",
)


def danish_phrases() -> list[str]:
    """The fixed parts (between placeholders) of every message the documents print, where
    the English differs: at least two words, or one long word."""
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    out: set[str] = set()
    for m in catalog:
        if not m.id or not any(
            loc.startswith(("reports/", "screening/documents/")) for loc, _ in m.locations
        ):
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        english = " ".join(strings)
        for msgid in ids:
            for part in PLACEHOLDER.split(msgid):
                part = " ".join(part.split()).strip(" .,:;()–-»«")
                if part and part not in english and (" " in part or len(part) >= 8):
                    out.add(part)
    return sorted(out, key=len, reverse=True)


def danish_in(text: str, phrases: list[str]) -> list[str]:
    return [p for p in phrases if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text)]


def flat(pdf: bytes) -> str:
    text, _ = text_of(pdf)
    return " ".join(text.split())


@pytest.fixture
def english_docs(docs, world):  # noqa: F811
    """Everything in the parents' copy, with the typed texts in English (what people type
    is printed as typed, in whatever language they typed it)."""
    _everything(docs, world)
    docs["consent"].purpose = "A joint meeting"
    docs["meeting"].purpose = "To find out how we support Otto"
    docs["meeting"].agenda = "1. Welcome"
    docs["meeting"].place = "Meeting room"
    docs["meeting"].minutes = "We talked about the mornings"
    docs["meeting"].decisions = "New plan"
    docs["social"].name = "Sune Hansen"  # not "Socialrådgiver", a Danish word in a name
    db.session.commit()
    return docs


def english_browser(browser):
    browser.login("leder@example.dk")
    r = browser.submit("/language", {"lang": "en", "next": "/"}, page="/")
    assert r.status_code == 302
    return browser


def documents(browser, docs, world) -> dict[str, bytes]:  # noqa: F811
    meeting = docs["meeting"]
    urls = {
        "guardian_letter": f"/meetings/{meeting.id}/participants/"
        f"{next(p.id for p in meeting.participants if p.guardian_id == docs['mother'].id)}"
        "/letter.pdf",
        "professional_letter": f"/meetings/{meeting.id}/participants/{docs['psych'].id}/letter.pdf",
        "action_plan": f"/paths/{docs['path'].id}/plan.pdf",
        "round_overview": f"/rounds/{world['round'].id}/institutions/{world['inst'].id}"
        "/overview.pdf",
        "parents_copy": f"/children/{docs['child'].id}/guardians/{docs['mother'].id}/copy.pdf",
        "group_overview": f"/rounds/{world['round'].id}/groups/{world['group'].id}/overview.pdf",
    }
    out = {}
    for name, url in urls.items():
        r = browser.get(url)
        assert r.status_code == 200, (name, r.status_code)
        out[name] = r.data
    return out


def test_every_document_in_english_has_no_danish_fixed_phrase(browser, english_docs, world):
    english_browser(browser)
    assert browser.get(f"/children/{english_docs['child'].id}").status_code == 200
    phrases = danish_phrases()
    assert len(phrases) > 100
    for name, pdf in documents(browser, english_docs, world).items():
        text = flat(pdf)
        assert danish_in(text, phrases) == [], name
        dates = [w for w in DANISH_DATE_WORDS if re.search(rf"\b{w}\b", text, re.I)]
        assert dates == [], name


def test_the_data_sentences_are_english(browser, english_docs, world):
    english_browser(browser)
    assert browser.get(f"/children/{english_docs['child'].id}").status_code == 200
    assert browser.get(f"/paths/{english_docs['path'].id}").status_code == 200
    pdfs = documents(browser, english_docs, world)
    copy = flat(pdfs["parents_copy"])
    for part in (
        "Wellbeing assessment, Efterår test",
        "Assessed by Eva (educator). Suggested position: Mistrivsel.",
        "Statements ticked: »",
        "Justification: Set.",
        "The suggestion was Mistrivsel. The agreed position differs from the suggestion. "
        "Reason: Vi kender familien godt",
        "Degree of concern: 2 –",
        "The action path was opened on",
        "Coordinating adult (tovholder): Lis.",
        "Responsible: leader. Deadline:",
        "Not done yet.",
        "Assessment of the duty to notify",
        "No notification of concern is needed now. Assessed by Lis.",
        "Participants: Mette Østergaard, parent; Søren Ærø, parent; Eva, educator;",
        "Minutes: We talked about the mornings",
        "Given by Mette Østergaard on",
        "Recipients: psychologist.",
        "Information: assessments of the child's wellbeing and the action plan.",
        "Consent (withdrawn)",
        "Lis (leader, Børnehuset Mælkebøtten) opened the child's page.",
        "Lis (leader, Børnehuset Mælkebøtten) viewed the action path.",
    ):
        assert part in copy, part
    plan = flat(pdfs["action_plan"])
    assert "Better" in plan  # the follow-up's development
    assert re.search(r"\d+ years? and \d+ months?|\d+ years", plan)
    letter = flat(pdfs["guardian_letter"])
    assert "Cross-disciplinary meeting" in letter or "a meeting" in letter
    assert "psychologist" in letter.lower()
    professional = flat(pdfs["professional_letter"])
    assert "Agreed position: Øget opmærksomhed." in professional
    assert "A red statement is ticked in the area" in professional  # the classifier's reason
    assert "The consent covers assessments of the child's wellbeing and the action plan." in (
        professional
    )


def test_danish_stays_the_default(browser, english_docs, world):
    browser.login("leder@example.dk")
    copy = flat(documents(browser, english_docs, world)["parents_copy"])
    assert "Vurderet af Eva (pædagog). Forslag til position: Mistrivsel." in copy
    assert "Hvem har set eller ændret oplysningerne" in copy


def test_the_key_figures_pdf_in_english(browser, english_docs, world):
    browser.login("koord@example.dk")
    url = f"/rounds/{world['round'].id}/figures"
    browser.submit("/language", {"lang": "en", "next": "/"}, page=url)
    r = browser.get(url + ".pdf")
    assert r.status_code == 200
    text = flat(r.data)
    assert danish_in(text, danish_phrases()) == []
    assert "Page 1 of" in text


def test_a_batch_ordered_in_english_is_built_in_english(browser, english_docs, world, consumer):
    """The consumer builds the combined PDF later, with no request: in the language of the
    reader who ordered it."""
    english_browser(browser)
    r = browser.submit(
        f"/meetings/{english_docs['meeting'].id}/invitations",
        {},
        page=f"/paths/{english_docs['path'].id}",
    )
    assert r.status_code == 302
    job_url = r.headers["Location"]
    deadline = time.monotonic() + 60  # a bound, not a timing assertion
    while (status := browser.get(f"{job_url}/status").get_json())["status"] in (
        "queued",
        "running",
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status["status"] == "done"
    text = flat(browser.get(status["download"]).data)
    assert text.count("Page 1 of") == 4  # two guardians and two professionals
    assert danish_in(text, danish_phrases()) == []
