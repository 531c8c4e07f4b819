"""Round overviews: for a leader (per group, with the children needing action) and for a
coordinator (per institution, no names, small counts suppressed)."""

from __future__ import annotations

from reportlab.lib.units import mm

from reports.base import Letterhead, build, markup, p, table, with_fonts
from reports.data import GroupRow, MunicipalOverviewData, RoundOverviewData

SUPPRESSED = "<5"


def _count(n: int, suppress_below: int | None) -> str:
    """A count, or "<5" when it is so small that it could point to individual children.
    Zero is shown as 0: it reveals nobody."""
    if suppress_below and 0 < n < suppress_below:
        return SUPPRESSED
    return str(n)


def _rows(
    lh: Letterhead, rows: tuple[GroupRow, ...], first: str, suppress_below: int | None
) -> list:
    header = [
        first,
        "Børn",
        lh.label("green"),
        lh.label("yellow"),
        lh.label("red"),
        "Vurderet",
        "Mangler",
        "Åbne handleveje",
        "Overskredne trin",
    ]
    body = [
        [r.group, _count(r.children, suppress_below)]
        + [_count(r.by_position.get(k, 0), suppress_below) for k in ("green", "yellow", "red")]
        + [
            _count(r.assessed, suppress_below),
            _count(r.missing, suppress_below),
            _count(r.open_paths, suppress_below),
            _count(r.overdue_steps, suppress_below),
        ]
        for r in rows
    ]
    widths = [40 * mm] + [16.25 * mm] * 8
    return [table([header, *body], widths)]


@with_fonts
def round_overview(lh: Letterhead, data: RoundOverviewData) -> bytes:
    story = [
        markup(f"Oversigt: {data.round_name}", "h1"),
        p(data.institution),
        markup("Stuer", "h2"),
        *_rows(lh, data.groups, "Stue", None),
        markup("Børn der kræver handling", "h2"),
    ]
    if data.children_needing_action:
        story.append(
            table(
                [["Barn", "Stue", "Position", "Hvorfor"]]
                + [
                    [c.name, c.group, lh.label(c.position), c.reason]
                    for c in data.children_needing_action
                ],
                [50 * mm, 35 * mm, 30 * mm, 55 * mm],
            )
        )
    else:
        story.append(p("Ingen børn kræver handling lige nu."))
    return build(story, lh, title=f"Rundeoversigt – {data.round_name}", subject="Rundeoversigt")


@with_fonts
def municipal_overview(lh: Letterhead, data: MunicipalOverviewData) -> bytes:
    story = [
        markup(f"Kommunal oversigt: {data.round_name}", "h1"),
        p(
            f"Tal under {data.suppress_below} vises som »{SUPPRESSED}«, så ingen enkelte børn "
            "kan genkendes. Oversigten indeholder ingen navne."
        ),
        *_rows(lh, data.rows, "Institution", data.suppress_below),
    ]
    return build(
        story,
        lh,
        title=f"Kommunal oversigt – {data.round_name}",
        subject="Kommunal oversigt",
        confidential=False,
    )
