"""Meeting invitation letters: one per recipient; each guardian separately, each invited
professional separately; or all of them for a meeting as one combined PDF.

The guardian's letter follows the klarsprog model in `shared/LANGUAGE.md`."""

from __future__ import annotations

from collections.abc import Iterable

from reportlab.platypus import KeepTogether, PageBreak

from reports.base import Letterhead, Section, build, heading, p, spacer
from reports.data import ChildInfo, GuardianRecipient, MeetingInfo, ProfessionalRecipient
from reports.i18n import N_
from reports.text import Shared

# What a meeting is called inside a sentence, with its article, by kind.
MEETING_IN_SENTENCE = {
    "parent_talk": N_("en samtale"),
    "cross_disciplinary": N_("et tværfagligt møde"),
    "network": N_("et netværksmøde"),
}


def when(lh: Letterhead, meeting: MeetingInfo) -> str:
    """ "torsdag den 3. december 2026 kl. 9.00" (Babel's Danish formats)."""
    return lh.language.when(meeting.starts_at)


def _lower_first(label: str) -> str:
    """ "Forælder" → "forælder" inside a sentence; "PPR" stays."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _first_name(child: ChildInfo) -> str:
    return (child.name.split() or [child.name])[0]


def _meeting_phrase(lh: Letterhead, meeting: MeetingInfo, guardian: bool) -> str:
    _ = lh.language.gettext
    if guardian:
        return _(N_("en samtale")) if meeting.kind_code == "parent_talk" else _("et møde")
    if meeting.kind_code in MEETING_IN_SENTENCE:
        return _(MEETING_IN_SENTENCE[meeting.kind_code])
    return meeting.kind.lower()


class _Batch:
    """What the letters of one meeting share, made once per meeting however many letters
    there are: each participant's line, each external professional's basis sentence, and
    the laid-out lines (`Shared`). Without it every letter would measure and wrap every
    participant again, and a meeting's batch would grow with the square of its invitees."""

    def __init__(self) -> None:
        self.shared = Shared()
        self._meetings: dict[int, tuple[MeetingInfo, tuple, tuple]] = {}

    def _of(self, lh: Letterhead, meeting: MeetingInfo) -> tuple[tuple, tuple]:
        found = self._meetings.get(id(meeting))
        if found is None or found[0] is not meeting:
            _ = lh.language.gettext
            lines = tuple(
                (
                    pt.name,
                    ", ".join(
                        x for x in (f"• {pt.name}", _lower_first(pt.role), pt.organisation) if x
                    ),
                )
                for pt in meeting.participants
            )
            bases = tuple(
                (
                    pt.name,
                    _("%(person)s får oplysninger på grundlag af %(basis)s.")
                    % {"person": pt.name, "basis": pt.basis}
                    if pt.basis
                    else "",
                )
                for pt in meeting.participants
                if pt.external
            )
            found = self._meetings[id(meeting)] = (meeting, lines, bases)
        return found[1], found[2]

    def participants(self, lh: Letterhead, meeting: MeetingInfo, exclude: str) -> list:
        _ = lh.language.gettext
        lines, _bases = self._of(lh, meeting)
        text = "\n".join(line for name, line in lines if name != exclude)
        if not text:
            return []
        return [heading(_("Hvem deltager?"), 3), p(text, shared=self.shared)]

    def externals(self, lh: Letterhead, meeting: MeetingInfo, exclude: str) -> tuple[bool, str]:
        """(whether any external professional takes part, their bases as lines)."""
        _lines, bases = self._of(lh, meeting)
        others = [basis for name, basis in bases if name != exclude]
        return bool(others), "\n".join(b for b in others if b)


def _place(lh: Letterhead, meeting: MeetingInfo) -> list:
    _ = lh.language.gettext
    lines = [when(lh, meeting), meeting.place]
    if meeting.address:
        lines.append(meeting.address)
    first = lines[0][:1].upper() + lines[0][1:]
    return [heading(_("Hvornår og hvor?"), 3), p("\n".join([first, *lines[1:]]))]


def _reach(lh: Letterhead, meeting: MeetingInfo) -> str:
    """How to reach the contact person: phone and/or e-mail."""
    _ = lh.language.gettext
    ways = []
    if meeting.contact_phone:
        ways.append(_("tlf. %(phone)s") % {"phone": meeting.contact_phone})
    if meeting.contact_email:
        ways.append(_("e-mail %(email)s") % {"email": meeting.contact_email})
    return _(" eller ").join(ways)


def _signature(lh: Letterhead, meeting: MeetingInfo) -> list:
    _ = lh.language.gettext
    role = (
        f"{meeting.contact_role[:1].upper()}{meeting.contact_role[1:]}, "
        if meeting.contact_role
        else ""
    )
    return [
        spacer(4),
        p(_("Venlig hilsen")),
        p(f"{meeting.contact_name}\n{role}{meeting.contact_institution}"),
    ]


def guardian_letter_story(
    lh: Letterhead,
    meeting: MeetingInfo,
    child: ChildInfo,
    to: GuardianRecipient,
    batch: _Batch | None = None,
) -> list:
    _ = lh.language.gettext
    batch = batch or _Batch()
    story: list = [Section(confidential=True), p(to.name, "address")]
    if to.address:
        story += [p(to.address, "address"), spacer(10)]
    else:
        # A protected (or unknown) address is never printed; the letter goes digitally.
        story += [p(_("Sendes digitalt"), "small"), spacer(10)]
    name = _first_name(child)
    what = _meeting_phrase(lh, meeting, guardian=True)
    story += [
        heading(_("Invitation til %(meeting)s om %(name)s") % {"meeting": what, "name": name}),
        p(_("Kære %(name)s") % {"name": to.name}),
        p(
            _(
                "Vi vil gerne invitere dig til %(meeting)s om %(name)s. Vi vil gerne høre, "
                "hvordan du oplever %(name)s derhjemme, og fortælle, hvad vi ser i hverdagen "
                "på %(group)s. Sammen finder vi ud af, hvordan vi bedst støtter %(name)s."
            )
            % {"meeting": what, "name": name, "group": child.group}
        ),
        *_place(lh, meeting),
        heading(_("Hvorfor vil vi mødes?"), 3),
        p(meeting.purpose or "–"),
        *batch.participants(lh, meeting, exclude=to.name),
    ]
    externals, bases = batch.externals(lh, meeting, exclude=to.name)
    if externals:
        story.append(
            p(
                _(
                    "De fagpersoner, der ikke arbejder i dagtilbuddet, får kun de oplysninger "
                    "om %(name)s, som du har givet lov til, eller som loven tillader."
                )
                % {"name": name}
            )
        )
        if bases:
            story.append(p(bases, shared=batch.shared))
    if meeting.agenda:
        story += [heading(_("Det vil vi tale om"), 3), p(meeting.agenda)]
    story.append(
        p(
            _(
                "Du er velkommen til at tage en med, som du er tryg ved, fx et "
                "familiemedlem eller en ven."
            )
        )
    )
    if to.needs_interpreter:
        if to.language and to.language != "da":
            story.append(
                p(
                    _("Vi sørger for en tolk, der taler %(language)s.")
                    % {"language": lh.language.language_name(to.language)}
                )
            )
        else:
            story.append(p(_("Vi sørger for en tolk til mødet.")))
    reach = _reach(lh, meeting)
    story.append(heading(_("Kan du ikke komme?"), 3))
    if reach:
        story.append(
            p(
                _("Ring eller skriv til %(name)s på %(reach)s, så finder vi et andet tidspunkt.")
                % {"name": meeting.contact_name, "reach": reach}
            )
        )
    else:
        story.append(
            p(
                _("Kontakt %(name)s i %(place)s, så finder vi et andet tidspunkt.")
                % {"name": meeting.contact_name, "place": meeting.contact_institution}
            )
        )
    story += [p(_("Vi glæder os til at se dig.")), *_signature(lh, meeting)]
    return story


def professional_letter_story(
    lh: Letterhead,
    meeting: MeetingInfo,
    child: ChildInfo,
    to: ProfessionalRecipient,
    batch: _Batch | None = None,
) -> list:
    _ = lh.language.gettext
    batch = batch or _Batch()
    date = lh.language.date
    t = meeting.starts_at
    story: list = [
        Section(confidential=True),
        p(to.name, "address"),
        p(f"{to.profession}" + (f", {to.organisation}" if to.organisation else ""), "address"),
        spacer(10),
        heading(
            _("Invitation: %(meeting)s den %(date)s")
            % {
                "meeting": meeting.kind,
                "date": lh.language.long_date(t.date()),
            }
        ),
        p(_("Kære %(name)s") % {"name": to.name}),
        p(
            _("Du inviteres til %(meeting)s om et barn i %(institution)s.")
            % {
                "meeting": _meeting_phrase(lh, meeting, guardian=False),
                "institution": child.institution,
            }
        ),
        *_place(lh, meeting),
        heading(_("Formål"), 3),
        p(meeting.purpose or "–"),
        *batch.participants(lh, meeting, exclude=to.name),
    ]
    if meeting.agenda:
        story += [heading(_("Dagsorden"), 3), p(meeting.agenda)]
    story += [
        heading(_("Barnet"), 3),
        p(
            _("%(name)s, født %(date)s (%(age)s), %(group)s, %(institution)s.")
            % {
                "name": child.name,
                "date": date(child.birth_date),
                "age": child.age_text,
                "group": child.group,
                "institution": child.institution,
            }
        ),
    ]
    if to.concern_summary:
        story.append(heading(_("Baggrund for mødet"), 3))
        story += [p(part) for part in to.concern_summary.split("\n\n") if part.strip()]
    else:
        story.append(
            p(
                _(
                    "Oplysninger om baggrunden gives på mødet, i det omfang forældrenes "
                    "samtykke eller lovgivningen giver mulighed for det."
                )
            )
        )
    if meeting.interpreter_languages:
        names = ", ".join(lh.language.language_name(c) for c in meeting.interpreter_languages)
        story.append(p(_("Der er bestilt tolk til mødet (%(languages)s).") % {"languages": names}))
    story += [heading(_("Grundlag for at dele oplysninger"), 3), p(to.basis or "–")]
    reach = _reach(lh, meeting)
    if reach:
        story.append(
            p(
                _("Kan du ikke komme, så kontakt %(name)s på %(reach)s.")
                % {"name": meeting.contact_name, "reach": reach}
            )
        )
    story.append(KeepTogether(_signature(lh, meeting)))
    return story


def guardian_letter(
    lh: Letterhead, meeting: MeetingInfo, child: ChildInfo, to: GuardianRecipient
) -> bytes:
    _ = lh.language.gettext
    return build(
        guardian_letter_story(lh, meeting, child, to),
        lh,
        title=_("Invitation"),
        subject=_("Mødeinvitation"),
    )


def professional_letter(
    lh: Letterhead, meeting: MeetingInfo, child: ChildInfo, to: ProfessionalRecipient
) -> bytes:
    _ = lh.language.gettext
    return build(
        professional_letter_story(lh, meeting, child, to),
        lh,
        title=_("Invitation"),
        subject=_("Mødeinvitation"),
    )


def invitations(
    lh: Letterhead, items: Iterable[tuple[MeetingInfo, ChildInfo, object]], progress=None
) -> bytes:
    """Every letter as one PDF; page numbers restart for each letter. `progress(n)` is
    called after each letter is laid out."""
    _ = lh.language.gettext
    story: list = []
    batch = _Batch()  # each meeting's shared part made once, whatever its number of letters
    for meeting, child, to in items:
        if story:
            story.append(PageBreak())
        if isinstance(to, GuardianRecipient):
            story += guardian_letter_story(lh, meeting, child, to, batch)
        else:
            story += professional_letter_story(lh, meeting, child, to, batch)
    if not story:
        story = [p(_("Ingen breve."))]
    return build(
        story, lh, title=_("Mødeinvitationer"), subject=_("Mødeinvitationer"), progress=progress
    )
