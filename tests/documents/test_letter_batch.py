"""Issue 17: a meeting's invitation letters as one batch, with the participants part made
once per meeting. Each letter in the batch must still say exactly what the same letter
alone says: every other participant, each external professional's basis on the guardians'
letters, and never an address that is not the reader's own."""

from __future__ import annotations

import re

from reports.data import GuardianRecipient
from reports.letters import guardian_letter, invitations, professional_letter
from screening.core.extensions import db
from screening.documents.common import letterhead
from screening.documents.letters import meeting_letters
from screening.paths import meetings

from .test_reports import docs, text_of  # noqa: F401 - the fixture

PAGE_ONE = re.compile(r"Side 1 af \d+")


def letters_of(pdf: bytes) -> list[str]:
    """The combined PDF's text, one string per letter (each letter's pages restart at 1)."""
    _, reader = text_of(pdf)
    out: list[str] = []
    for page in reader.pages:
        text = page.extract_text()
        if PAGE_ONE.search(text) or not out:
            out.append(text)
        else:
            out[-1] += "\n" + text
    return out


def alone(lh, letter) -> str:
    """The letter built alone, with the batch's title in its running header."""
    info, child, to = letter
    build = guardian_letter if isinstance(to, GuardianRecipient) else professional_letter
    pages = text_of(build(lh, info, child, to))[1].pages
    return "\n".join(p.extract_text() for p in pages).replace(
        "Solbjerg Kommune\nInvitation\n", "Solbjerg Kommune\nMødeinvitationer\n"
    )


def test_each_letter_in_the_batch_is_the_letter_alone(today, docs, world):  # noqa: F811
    lh = letterhead(today)
    letters = meeting_letters(docs["meeting"], lh, today)
    batch = letters_of(invitations(lh, letters))
    assert len(batch) == len(letters) == 4
    for letter, text in zip(letters, batch, strict=True):
        assert text == alone(lh, letter), letter[2].name


def test_a_large_meeting_lists_every_other_participant_in_every_letter(today, docs, world):  # noqa: F811
    meeting = docs["meeting"]
    for i in range(40):
        meetings.invite_external(
            meeting,
            name=f"Fagperson Nummer{i:02d}",
            profession="speech_therapist",  # no consent names them: the legal basis
            organisation="PPR",
            email="",
            legal_basis=f"Barnets lov § {100 + i}",
            on=today,
        )
    db.session.commit()
    lh = letterhead(today)
    letters = meeting_letters(meeting, lh, today)
    names = [pt.name for pt in letters[0][0].participants]
    assert len(names) == 45
    assert len(letters) == 44  # the colleague gets no letter
    batch = letters_of(invitations(lh, letters))
    assert len(batch) == len(letters)
    for (_info, _child, to), text in zip(letters, batch, strict=True):
        lines = text.split("\n")
        listed = [n for n in names if any(line.startswith(f"• {n},") for line in lines)]
        assert listed == [n for n in names if n != to.name], to.name
        flat = " ".join(text.split())
        assert "Hemmelig" not in flat  # the protected address, on no letter
        if isinstance(to, GuardianRecipient):
            for i in range(40):
                assert (
                    f"Fagperson Nummer{i:02d} får oplysninger på grundlag af loven "
                    f"(Barnets lov § {100 + i})." in flat
                ), to.name
            if to.name == "Mette Østergaard":
                assert "Rosenvej 1" in flat  # her own address, on her own letter only
        else:
            assert "Rosenvej" not in flat  # a guardian's address never reaches a professional
            assert "får oplysninger på grundlag af" not in flat
    # The last letter laid out (from the shared part) reads as the same letter alone.
    assert batch[-1] == alone(lh, letters[-1])
