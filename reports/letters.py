"""Meeting invitation letters: one per recipient; each guardian separately, each invited
professional separately; or all of them for a meeting as one combined PDF."""

from __future__ import annotations

from collections.abc import Iterable

from reportlab.platypus import KeepTogether, PageBreak

from reports.base import Letterhead, Section, build, esc, fmt_date, markup, p, spacer, with_fonts
from reports.data import ChildInfo, GuardianRecipient, MeetingInfo, ProfessionalRecipient

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


def when(meeting: MeetingInfo) -> str:
    t = meeting.starts_at
    return f"{WEEKDAYS[t.weekday()]} den {fmt_date(t.date())} kl. {t:%H.%M}"


def _participants(meeting: MeetingInfo, exclude: str) -> list:
    others = [pt for pt in meeting.participants if pt.name != exclude]
    if not others:
        return []
    lines = "<br/>".join(
        f"• {esc(pt.name)}, {esc(pt.role)}"
        + (f" ({esc(pt.organisation)})" if pt.organisation else "")
        for pt in others
    )
    return [markup("<b>Hvem deltager</b>"), markup(lines)]


def guardian_letter_story(
    lh: Letterhead, meeting: MeetingInfo, child: ChildInfo, to: GuardianRecipient
) -> list:
    story: list = [Section(confidential=True)]
    if to.address:
        story += [p(to.name, "address"), p(to.address, "address"), spacer(10)]
    else:
        # A protected (or unknown) address is never printed; the letter goes digitally.
        story += [p(to.name, "address"), p("Sendes digitalt", "small"), spacer(10)]
    first_name = child.name.split(" ")[0]
    story += [
        markup(f"Invitation til {esc(meeting.kind.lower())} om {esc(first_name)}", "h1"),
        p(f"Kære {to.name}"),
        p(
            f"Vi vil gerne invitere dig til en snak om {first_name}. Vi holder af at se "
            f"{first_name} i {child.group}, og vi vil gerne tale med dig om, hvordan "
            f"{first_name} har det, og hvad vi sammen kan gøre for at støtte {first_name} "
            "godt på vej."
        ),
        markup("<b>Hvorfor mødes vi?</b>"),
        p(meeting.purpose),
        markup("<b>Hvornår og hvor?</b>"),
        p(f"{when(meeting).capitalize()}, {meeting.place}."),
        *_participants(meeting, exclude=to.name),
    ]
    if meeting.agenda:
        story += [markup("<b>Det vil vi tale om</b>"), p(meeting.agenda)]
    story += [
        p(
            "Du er meget velkommen til at tage en person med, som du er tryg ved, "
            "fx et familiemedlem eller en ven."
        ),
    ]
    if to.needs_interpreter:
        story.append(p("Vi sørger for en tolk til mødet."))
    story += [
        p(
            f"Passer tidspunktet ikke, så kontakt {meeting.contact_name} i "
            f"{meeting.contact_institution}"
            + (f" på {meeting.contact_phone}" if meeting.contact_phone else "")
            + ", så finder vi en anden tid sammen."
        ),
        spacer(6),
        p("Venlig hilsen"),
        p(f"{meeting.contact_name}\n{meeting.contact_institution}"),
    ]
    return story


def professional_letter_story(
    lh: Letterhead, meeting: MeetingInfo, child: ChildInfo, to: ProfessionalRecipient
) -> list:
    story: list = [
        Section(confidential=True),
        p(to.name, "address"),
        p(f"{to.profession}" + (f", {to.organisation}" if to.organisation else ""), "address"),
        spacer(10),
        markup(f"Invitation: {esc(meeting.kind)} den {fmt_date(meeting.starts_at.date())}", "h1"),
        p(f"Kære {to.name}"),
        p(
            f"Du inviteres til {meeting.kind.lower()} om et barn i {child.institution}, "
            f"{when(meeting)}, {meeting.place}."
        ),
        markup("<b>Formål</b>"),
        p(meeting.purpose),
        *_participants(meeting, exclude=to.name),
    ]
    if meeting.agenda:
        story += [markup("<b>Dagsorden</b>"), p(meeting.agenda)]
    story += [
        markup("<b>Barnet</b>"),
        p(
            f"{child.name}, født {fmt_date(child.birth_date)} ({child.age_text}), "
            f"{child.group}, {child.institution}."
        ),
    ]
    if to.concern_summary:
        story += [markup("<b>Baggrund for mødet</b>"), p(to.concern_summary)]
    else:
        story.append(
            p(
                "Oplysninger om baggrunden gives på mødet, i det omfang forældrenes "
                "samtykke eller lovgivningen giver mulighed for det."
            )
        )
    story += [
        markup("<b>Grundlag for at dele oplysninger</b>"),
        p(to.basis),
        KeepTogether(
            [
                spacer(4),
                p("Venlig hilsen"),
                p(f"{meeting.contact_name}\n{meeting.contact_institution}"),
            ]
        ),
    ]
    return story


@with_fonts
def guardian_letter(
    lh: Letterhead, meeting: MeetingInfo, child: ChildInfo, to: GuardianRecipient
) -> bytes:
    return build(
        guardian_letter_story(lh, meeting, child, to),
        lh,
        title=f"Invitation – {meeting.kind}",
        subject="Mødeinvitation",
    )


@with_fonts
def professional_letter(
    lh: Letterhead, meeting: MeetingInfo, child: ChildInfo, to: ProfessionalRecipient
) -> bytes:
    return build(
        professional_letter_story(lh, meeting, child, to),
        lh,
        title=f"Invitation – {meeting.kind}",
        subject="Mødeinvitation",
    )


@with_fonts
def invitations(
    lh: Letterhead, items: Iterable[tuple[MeetingInfo, ChildInfo, object]], progress=None
) -> bytes:
    """Every letter as one PDF; page numbers restart for each letter. `progress(n)` is
    called after each letter is laid out."""
    story: list = []
    for meeting, child, to in items:
        if story:
            story.append(PageBreak())
        if isinstance(to, GuardianRecipient):
            story += guardian_letter_story(lh, meeting, child, to)
        else:
            story += professional_letter_story(lh, meeting, child, to)
    return build(story, lh, title="Mødeinvitationer", subject="Mødeinvitationer", progress=progress)
