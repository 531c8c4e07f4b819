"""The group overview (trafiklys) for the team meeting: every child of a group with the
position overall and per area, the previous round's beside it, and who assessed.

A position is printed as shape, word and a light cell colour (never colour alone):
● green, ▲ yellow, ■ red, each with the municipality's label."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from reports.base import WIDTH, Letterhead, build, heading, p, spacer, table
from reports.data import GroupOverviewData, TrafficCell
from reports.i18n import N_

SHAPES = {"green": "●", "yellow": "▲", "red": "■"}
TINTS = {
    "green": colors.HexColor("#e4f3e8"),
    "yellow": colors.HexColor("#fff3c4"),
    "red": colors.HexColor("#fde5e3"),
}
AREA_TITLES = {
    "emotional": N_("Psykisk og følelsesmæssig"),
    "cognitive": N_("Kognitiv"),
    "social": N_("Social"),
    "physical": N_("Fysisk og sansemotorisk"),
}
NAME_WIDTH = 34 * mm
CELL_WIDTH = 22 * mm


def _position(lh: Letterhead, code: str | None) -> str:
    if code is None:
        return "–"
    return f"{SHAPES.get(code, '')} {lh.label(code)}".strip()


def _cell(lh: Letterhead, cell: TrafficCell) -> str:
    _ = lh.language.gettext
    return "{}\n{}".format(
        _position(lh, cell.position),
        _("før: %(position)s") % {"position": _position(lh, cell.previous_position)},
    )


def _who(lh: Letterhead, assessors: tuple[str, ...], decided_by: str) -> str:
    _ = lh.language.gettext
    lines = [", ".join(assessors)] if assessors else []
    if decided_by:
        lines.append(_("Fælles vurdering: %(name)s") % {"name": decided_by})
    return "\n".join(lines) or "–"


def _before(lh: Letterhead, previous_round: str | None) -> str:
    """The round the "før" positions are from, under the child's name."""
    if not previous_round:
        return ""
    return "\n" + lh.language.gettext("Før: %(round)s") % {"round": previous_round}


def group_overview(lh: Letterhead, data: GroupOverviewData) -> bytes:
    _ = lh.language.gettext
    areas = [_(AREA_TITLES[k]) if k in AREA_TITLES else k for k in data.area_keys]
    headers = [_("Barn"), _("Samlet position"), *areas, _("Vurderet af")]
    cells = len(headers) - 2
    widths = [NAME_WIDTH, *([CELL_WIDTH] * cells), WIDTH - NAME_WIDTH - CELL_WIDTH * cells]
    rows = [
        [
            r.name + _before(lh, r.previous_round),
            _cell(lh, r.overall),
            *(_cell(lh, c) for c in r.areas),
            _who(lh, r.assessors, r.decided_by),
        ]
        for r in data.rows
    ]
    story = [
        heading(_("Trafiklys: %(group)s") % {"group": data.group}),
        p(f"{data.institution} · {data.round_name}"),
        spacer(2),
    ]
    if rows:
        t = table([headers, *rows], widths, zebra=False)
        tints = []
        for i, r in enumerate(data.rows, start=1):
            for j, c in enumerate((r.overall, *r.areas), start=1):
                if c.position in TINTS:
                    tints.append(("BACKGROUND", (j, i), (j, i), TINTS[c.position]))
        t.setStyle(TableStyle(tints))
        story.append(t)
    else:
        story.append(p(_("Der er ingen børn på stuen.")))
    story += [
        spacer(3),
        heading(_("Sådan læses tabellen"), 3),
        p(
            _(
                "Samlet position: den position, der er aftalt i den fælles vurdering. "
                "Position pr. område: den mest alvorlige af de indsendte vurderinger. "
                "»før« er positionen i barnets forrige runde med en fælles vurdering; "
                "– betyder, at der ingen vurdering er."
            ),
            "small",
        ),
        p(
            "  ".join(f"{SHAPES[k]} {lh.label(k)}" for k in ("green", "yellow", "red")),
            "small",
        ),
    ]
    return build(
        story,
        lh,
        title=_("Trafiklys – %(round)s") % {"round": data.round_name},
        subject=_("Trafiklys"),
    )
