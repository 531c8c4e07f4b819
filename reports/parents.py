"""The parents' copy: everything stored about one child, including who has read it."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import PageBreak

from reports.base import Letterhead, build, fmt_date, markup, p, table, with_fonts
from reports.data import ParentsCopyData
from reports.plans import plan_story


@with_fonts
def parents_copy(lh: Letterhead, data: ParentsCopyData) -> bytes:
    c = data.child
    story: list = [
        markup(f"Oplysninger om {c.name}", "h1"),
        p(
            f"Udskrift til {data.requested_by}. Den indeholder alt, hvad Trivselsspor har "
            "registreret om barnet, og en liste over, hvem der har set eller ændret "
            "oplysningerne."
        ),
        table(
            [
                ["Barn", "Født", "Stue", "Institution"],
                [c.name, fmt_date(c.birth_date), c.group, c.institution],
            ],
            [50 * mm, 30 * mm, 40 * mm, 50 * mm],
            zebra=False,
        ),
        markup("Forældre", "h2"),
    ]
    for g in data.guardians:
        address = "Adressebeskyttet" if g.protected else (g.address or "–")
        story.append(p(f"{g.name}: {address}"))
    story.append(markup("Positioner", "h2"))
    story.append(
        table(
            [["Runde", "Position", "Begrundelse"]]
            + [[r, lh.label(pos), why] for r, pos, why in data.positions],
            [40 * mm, 30 * mm, 100 * mm],
        )
        if data.positions
        else p("Ingen fælles vurderinger endnu.")
    )
    for title, entries in (
        ("Vurderinger", data.assessments),
        ("Observationer", data.observations),
        ("Møder", data.meetings),
        ("Samtykker", data.consents),
    ):
        story.append(markup(title, "h2"))
        if entries:
            story.append(
                table(
                    [["Dato", "Hvad", "Indhold"]]
                    + [[fmt_date(e.on), e.kind, e.text] for e in entries],
                    [22 * mm, 38 * mm, 110 * mm],
                )
            )
        else:
            story.append(p("Ingen."))
    story.append(markup("Adgangslog", "h2"))
    if data.access_log:
        story.append(
            table(
                [["Tidspunkt", "Hvem", "Hvad"]]
                + [[f"{when:%d-%m-%Y %H.%M}", who, what] for when, who, what in data.access_log],
                [35 * mm, 55 * mm, 80 * mm],
            )
        )
    else:
        story.append(p("Ingen registreret adgang."))
    for plan in data.plans:
        story += [PageBreak(), *plan_story(lh, plan)[1:]]
    return build(story, lh, title=f"Forældrekopi – {c.name}", subject="Indsigt")
