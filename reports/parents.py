"""The parents' copy (indsigt): what is stored about one child, including who has read it.

Made for one guardian: that guardian's own address is printed; every other guardian only
by name (their address is their data, GDPR art. 15(4))."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import PageBreak

from reports.base import Letterhead, build, heading, p, table
from reports.data import ParentsCopyData
from reports.plans import plan_story


def _guardian_lines(lh: Letterhead, data: ParentsCopyData) -> list[str]:
    _ = lh.language.gettext
    lines = []
    for g in data.guardians:
        if g.name == data.requested_by:
            address = _("Adressebeskyttet") if g.protected else (g.address or "–")
            lines.append(f"{g.name}: {address}")
        else:
            lines.append(g.name)
    return lines


def parents_copy(lh: Letterhead, data: ParentsCopyData) -> bytes:
    _ = lh.language.gettext
    lang = lh.language
    c = data.child
    first = (c.name.split() or [c.name])[0]
    intro = _(
        "Kære %(name)s. Du har bedt om at se de oplysninger, vi har registreret om "
        "%(child)s. Her er de, og en oversigt over, hvem der har set eller ændret dem. "
        "Er noget forkert, kan du bede os rette det."
    ) % {"name": data.requested_by, "child": first}
    if data.contact_name:
        intro += " " + _("Kontakt %(name)s.") % {"name": data.contact_name}
    story: list = [
        heading(_("Oplysninger om %(name)s") % {"name": c.name}),
        p(intro),
        table(
            [
                [_("Barn"), _("Født"), _("Stue"), _("Dagtilbud")],
                [c.name, lang.date(c.birth_date), c.group, c.institution],
            ],
            [50 * mm, 30 * mm, 40 * mm, 50 * mm],
            zebra=False,
        ),
        heading(_("Forældre"), 2),
        *(p(line) for line in _guardian_lines(lh, data)),
        heading(_("Barnets position i hver vurderingsrunde"), 2),
    ]
    story.append(
        table(
            [[_("Vurderingsrunde"), _("Position"), _("Fælles vurdering")]]
            + [[r, lh.label(pos), why] for r, pos, why in data.positions],
            [40 * mm, 35 * mm, 95 * mm],
        )
        if data.positions
        else p(_("Ingen fælles vurderinger endnu."))
    )
    for title, entries in (
        (_("Vurderinger"), data.assessments),
        (_("Observationer"), data.observations),
        (_("Handlevej: trin, ansvar og frister"), data.action_path),
        (_("Møder"), data.meetings),
        (_("Samtykker"), data.consents),
    ):
        story.append(heading(title, 2))
        if entries:
            story.append(
                table(
                    [[_("Dato"), _("Hvad"), _("Indhold")]]
                    + [[lang.date(e.on), e.kind, e.text] for e in entries],
                    [22 * mm, 38 * mm, 110 * mm],
                )
            )
        else:
            story.append(p(_("Ingen.")))
    story.append(heading(_("Hvem har set eller ændret oplysningerne"), 2))
    if data.access_log:
        # One sentence per access: "12. marts 2026 kl. 10.14: Lise Leder (leder, ...)
        # åbnede handleplanen."
        lines = []
        for when, who, what in data.access_log:
            at = _("%(date)s kl. %(time)s") % {
                "date": lang.long_date(when.date()),
                "time": lang.time(when),
            }
            sentence = f"{at}: {who} {what}".rstrip()
            lines.append(sentence if sentence.endswith((".", "!", "?")) else sentence + ".")
        story.append(p("\n".join(lines)))
    else:
        story.append(p(_("Ingen registreret adgang.")))
    for plan in data.plans:
        story += [PageBreak(), *plan_story(lh, plan)[1:]]
    return build(
        story, lh, title=_("Oplysninger om barnet"), subject=_("Indsigt"), outline_levels=2
    )
