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
    esc,
    fmt_date,
    markup,
    p,
    position_badge,
    spacer,
    table,
    with_fonts,
)
from reports.data import ActionPlanData

STAIRCASE = {
    1: "Tidlige indsatser i almenområdet",
    2: "Forebyggende indsatser",
    3: "Hjemmebaserede indsatser",
    4: "Anbringelse i slægt eller netværk",
    5: "Anbringelse i plejefamilie",
    6: "Anbringelse på institution",
}
WIDTH = 170 * mm


def plan_story(lh: Letterhead, plan: ActionPlanData) -> list:
    c = plan.child
    story: list = [
        Section(confidential=True),
        markup(f"Handleplan for {esc(c.name)}", "h1"),
        table(
            [
                ["Barn", "Alder", "Stue", "Institution"],
                [c.name, f"{c.age_text} (født {fmt_date(c.birth_date)})", c.group, c.institution],
            ],
            [50 * mm, 45 * mm, 30 * mm, 45 * mm],
            zebra=False,
        ),
        markup("Position", "h2"),
        position_badge(lh, plan.position),
    ]
    for reason in plan.reasons:
        story.append(p(f"• {reason}", "cell"))
    for title, text in (
        ("Barnets ressourcer", plan.resources),
        ("Bekymringer", plan.concerns),
        ("Konkrete mål", plan.goals),
        ("Forældrenes perspektiv", plan.parents_perspective),
        ("Barnets perspektiv", plan.child_perspective),
    ):
        story += [markup(title, "h2"), p(text or "–")]
    story.append(markup("Handlinger", "h2"))
    if plan.actions:
        story.append(
            table(
                [["Hvad", "Hvem", "Hvornår"]]
                + [[a.what, a.who, fmt_date(a.by_when)] for a in plan.actions],
                [105 * mm, 40 * mm, 25 * mm],
            )
        )
    else:
        story.append(p("Ingen handlinger aftalt endnu."))
    story.append(markup("Aftalte tilbud", "h2"))
    if plan.offers:
        story.append(
            table(
                [["Tilbud", "Trin på indsatstrappen", "Beskrivelse"]]
                + [
                    [
                        o.name,
                        f"{o.staircase_step}. {STAIRCASE.get(o.staircase_step, '')}",
                        o.description,
                    ]
                    for o in plan.offers
                ],
                [50 * mm, 50 * mm, 70 * mm],
            )
        )
    else:
        story.append(p("Ingen tilbud aftalt."))
    story.append(markup("Opfølgning", "h2"))
    if plan.follow_ups:
        story.append(
            table(
                [["Dato", "Udvikling", "Hvad så vi", "Næste skridt"]]
                + [[fmt_date(f.held_on), f.progress, f.note, f.next_step] for f in plan.follow_ups],
                [22 * mm, 22 * mm, 66 * mm, 60 * mm],
            )
        )
    else:
        story.append(p("Ingen opfølgninger endnu."))
    story += [
        markup(f"<b>Næste evaluering:</b> {esc(fmt_date(plan.evaluation_on))}"),
        markup("Deltagere", "h2"),
        p(", ".join(f"{pt.name} ({pt.role})" for pt in plan.participants) or "–"),
        spacer(8),
        KeepTogether(_signatures(plan)),
    ]
    return story


def _signatures(plan: ActionPlanData) -> list:
    names = [f"Leder: {plan.leader_name}"] + [f"Forælder: {g}" for g in plan.guardian_names]
    cells = [["_" * 34 + "\n" + n + "\nDato og underskrift"] for n in names]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    data = [
        [p(c[0], "cell") for c in row] + ([p("", "cell")] if len(row) == 1 else []) for row in rows
    ]
    t = Table(data, colWidths=[85 * mm, 85 * mm])
    t.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 18)]))
    return [markup("Underskrifter", "h2"), t]


@with_fonts
def action_plan(lh: Letterhead, plan: ActionPlanData) -> bytes:
    return build(
        plan_story(lh, plan), lh, title=f"Handleplan – {plan.child.name}", subject="Handleplan"
    )


@with_fonts
def action_plans(lh: Letterhead, plans: Iterable[ActionPlanData], progress=None) -> bytes:
    story: list = []
    for plan in plans:
        if story:
            story.append(PageBreak())
        story += plan_story(lh, plan)
    if not story:
        story = [p("Ingen handleplaner.")]
    return build(story, lh, title="Handleplaner", subject="Handleplaner", progress=progress)
