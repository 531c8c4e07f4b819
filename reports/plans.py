"""The action plan (handleplan) as a PDF: one child's plan, or all plans of a round for an
institution as one combined PDF."""

from __future__ import annotations

from collections.abc import Iterable

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Table, TableStyle

from reports.base import (
    Letterhead,
    Section,
    build,
    heading,
    p,
    position_badge,
    spacer,
    table,
)
from reports.data import ActionPlanData
from reports.fonts import REGULAR
from reports.i18n import N_
from reports.wording import plain_reasons

STAIRCASE = {
    1: N_("Tidlige indsatser i almenområdet"),
    2: N_("Forebyggende indsatser"),
    3: N_("Hjemmebaserede indsatser"),
    4: N_("Anbringelse i slægt eller netværk"),
    5: N_("Anbringelse i plejefamilie"),
    6: N_("Anbringelse på institution"),
}


def plan_story(lh: Letterhead, plan: ActionPlanData) -> list:
    _ = lh.language.gettext
    date = lh.language.date
    c = plan.child
    story: list = [
        Section(confidential=True),
        heading(_("Handleplan for %(name)s") % {"name": c.name}),
        table(
            [
                [_("Barn"), _("Alder"), _("Stue"), _("Dagtilbud")],
                [
                    c.name,
                    _("%(age)s (født %(date)s)") % {"age": c.age_text, "date": date(c.birth_date)},
                    c.group,
                    c.institution,
                ],
            ],
            [50 * mm, 45 * mm, 30 * mm, 45 * mm],
            zebra=False,
        ),
        heading(_("Position"), 2),
        position_badge(lh, plan.position),
    ]
    story += [p(f"• {reason}", "cell") for reason in plain_reasons(plan.reasons)]
    for title, text in (
        (_("Barnets ressourcer"), plan.resources),
        (_("Bekymringer"), plan.concerns),
        (_("Konkrete mål"), plan.goals),
        (_("Forældrenes perspektiv"), plan.parents_perspective),
        (_("Barnets perspektiv"), plan.child_perspective),
    ):
        story += [heading(title, 2), p(text or "–")]
    story.append(heading(_("Handlinger"), 2))
    if plan.actions:
        story.append(
            table(
                [[_("Hvad"), _("Hvem"), _("Hvornår")]]
                + [[a.what, a.who, date(a.by_when)] for a in plan.actions],
                [105 * mm, 40 * mm, 25 * mm],
            )
        )
    else:
        story.append(p(_("Ingen handlinger aftalt endnu.")))
    story.append(heading(_("Aftalte tilbud"), 2))
    if plan.offers:
        story.append(
            table(
                [[_("Tilbud"), _("Trin på indsatstrappen"), _("Beskrivelse")]]
                + [
                    [
                        o.name,
                        f"{o.staircase_step}. {_(STAIRCASE[o.staircase_step])}"
                        if o.staircase_step in STAIRCASE
                        else str(o.staircase_step),
                        o.description,
                    ]
                    for o in plan.offers
                ],
                [50 * mm, 50 * mm, 70 * mm],
            )
        )
    else:
        story.append(p(_("Ingen tilbud aftalt.")))
    story.append(heading(_("Opfølgninger"), 2))
    if plan.follow_ups:
        story.append(
            table(
                [[_("Dato"), _("Udvikling"), _("Hvad har vi set?"), _("Næste skridt")]]
                + [[date(f.held_on), f.progress, f.note, f.next_step] for f in plan.follow_ups],
                [22 * mm, 22 * mm, 66 * mm, 60 * mm],
            )
        )
    else:
        story.append(p(_("Ingen opfølgninger endnu.")))
    story += [
        heading(_("Næste evaluering"), 3),
        p(lh.language.long_date(plan.evaluation_on)),
        heading(_("Deltagere"), 2),
        p(", ".join(f"{pt.name} ({pt.role})" for pt in plan.participants) or "–"),
        spacer(8),
        KeepTogether(_signatures(lh, plan)),
    ]
    return story


def _signatures(lh: Letterhead, plan: ActionPlanData) -> list:
    _ = lh.language.gettext
    names = [_("Leder: %(name)s") % {"name": plan.leader_name}] + [
        _("Forælder: %(name)s") % {"name": g} for g in plan.guardian_names
    ]
    sign = _("Dato og underskrift")
    cells = [p("_" * 34 + "\n" + n + "\n" + sign, "cell") for n in names]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    data = [[[c] for c in row] + ([[p("", "cell")]] if len(row) == 1 else []) for row in rows]
    t = Table(data, colWidths=[85 * mm, 85 * mm], splitInRow=1)
    t.setStyle(
        TableStyle([("FONT", (0, 0), (-1, -1), REGULAR, 9), ("TOPPADDING", (0, 0), (-1, -1), 18)])
    )
    return [heading(_("Underskrifter"), 2), t]


def action_plan(lh: Letterhead, plan: ActionPlanData) -> bytes:
    _ = lh.language.gettext
    return build(plan_story(lh, plan), lh, title=_("Handleplan"), subject=_("Handleplan"))


def action_plans(lh: Letterhead, plans: Iterable[ActionPlanData], progress=None) -> bytes:
    _ = lh.language.gettext
    story: list = []
    for plan in plans:
        if story:
            story.append(PageBreak())
        story += plan_story(lh, plan)
    if not story:
        story = [p(_("Ingen handleplaner."))]
    return build(story, lh, title=_("Handleplaner"), subject=_("Handleplaner"), progress=progress)
