"""Round overviews: for a leader (per group, with the children needing action) and for a
coordinator (per dagtilbud, no names, small counts suppressed).

The colour columns sit under one heading, "Fælles vurdering", because
they count joint assessments only; every column heading wraps inside its own column (the
widths are computed from the longest word of each heading); a legend under the table says
what each column counts and why the colour counts need not add up to "Vurderet"."""

from __future__ import annotations

import re

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from reports.base import (
    HEADING_LINES,
    STYLES,
    WIDTH,
    FastTable,
    Letterhead,
    build,
    heading,
    p,
    spacer,
    table,
)
from reports.data import ChildNeedingAction, GroupRow, MunicipalOverviewData, RoundOverviewData
from reports.text import Measure, Text, clean


def suppressed(below: int) -> str:
    """What a suppressed count shows: "<5" under the default threshold of 5."""
    return f"<{below}"


PADDING = 3
POSITIONS = ("green", "yellow", "red")
# Before the documents phase passes `ChildNeedingAction.overdue_steps`, the count arrives
# inside the reason text; it is read back here so the plural is right either way.
_OVERDUE_TEXT = re.compile(r"^(\d+) overskredne trin$")


def _count(n: int, suppress_below: int | None) -> str:
    """A count, or "<5" when it is so small that it could point to individual children.
    Zero is shown as 0: it reveals nobody."""
    if suppress_below and 0 < n < suppress_below:
        return suppressed(suppress_below)
    return str(n)


def _shown(row: GroupRow, name: str, suppress_below: int | None, hidden: str) -> str:
    """A count of `row`, or "<5" when small, or `hidden` when it is hidden to protect a
    small one (it is not small itself, so "<5" would be untrue)."""
    if suppress_below and name in row.hidden:
        return hidden
    return _count(getattr(row, name), suppress_below)


def _shown_position(row: GroupRow, key: str, suppress_below: int | None, hidden: str) -> str:
    """A position's count of `row`, as `_shown` (`hidden` names it by its key)."""
    if suppress_below and key in row.hidden:
        return hidden
    return _count(row.by_position.get(key, 0), suppress_below)


def _longest_word(text: str, m: Measure) -> float:
    return max((m.width(w) for w in clean(text).split()), default=0.0)


def _widths(headers: list[str], total: float) -> list[float]:
    """Column widths: each count column as wide as its heading's longest word (so headings
    wrap between words), the first column the rest (at least 25 mm). If that cannot fit,
    the count columns share the room and a too-long word breaks inside its column."""
    head = Measure.of(STYLES["cellhead"].fontName, STYLES["cellhead"].fontSize, False)
    pad = 2 * PADDING + 1
    counts = [max(_longest_word(h, head), head.width("0000")) + pad for h in headers[1:]]
    room = total - sum(counts)
    if room >= 25 * mm:
        return [room, *counts]
    share = (total - 25 * mm) / sum(counts)
    return [25 * mm, *(c * share for c in counts)]


def _cell(text: str, style: str) -> list[Text]:
    """A cell (in a list: ReportLab splits it inside a row); headings at most
    `HEADING_LINES` lines (the legend prints the colour labels in full)."""
    lines = HEADING_LINES if style == "cellhead" else None
    return [Text(text, STYLES[style], max_lines=lines)]


def _group_table(
    lh: Letterhead, rows: tuple[GroupRow, ...], first: str, suppress_below: int | None
) -> FastTable:
    _ = lh.language.gettext
    labels = [lh.label(k) for k in POSITIONS]
    headers = [
        first,
        _("Børn"),
        *labels,
        _("Vurderet"),
        _("Ikke vurderet"),
        _("Åbne handleveje"),
        _("Overskredne trin"),
    ]
    widths = _widths(headers, WIDTH)
    top = [
        _cell(first, "cellhead"),
        _cell(headers[1], "cellhead"),
        _cell(_("Fælles vurdering"), "cellhead"),
        "",
        "",
        *(_cell(h, "cellhead") for h in headers[5:]),
    ]
    second = ["", "", *(_cell(label, "cellhead") for label in labels), "", "", "", ""]
    mark = _("skjult")
    body = [
        [_cell(r.group, "cell"), _shown(r, "children", suppress_below, mark)]
        + [_shown_position(r, k, suppress_below, mark) for k in POSITIONS]
        + [
            _shown(r, name, suppress_below, mark)
            for name in ("assessed", "missing", "open_paths", "overdue_steps")
        ]
        for r in rows
    ]
    t = FastTable([top, second, *body], colWidths=widths, repeatRows=2, hAlign="LEFT", splitInRow=1)
    grid = colors.HexColor("#c9ced6")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), STYLES["cell"].fontName, 9, 11.5),
        ("ALIGN", (1, 2), (-1, -1), "RIGHT"),
        ("GRID", (0, 0), (-1, -1), 0.4, grid),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
        ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#e8edf3")),
        ("SPAN", (2, 0), (4, 0)),
        *(("SPAN", (c, 0), (c, 1)) for c in (0, 1, 5, 6, 7, 8)),
    ]
    commands.append(("ROWBACKGROUNDS", (0, 2), (-1, -1), [None, colors.HexColor("#f7f9fb")]))
    t.setStyle(TableStyle(commands))
    return t


def _legend(lh: Letterhead, suppress_below: int | None) -> list:
    _ = lh.language.gettext
    labels = ", ".join(lh.label(k) for k in POSITIONS)
    lines = [
        _("Børn: de børn, som runden omfatter."),
        _(
            "Fælles vurdering (%(labels)s): børn, hvis position er aftalt i en fælles "
            "vurdering i runden. Et barn tælles her først, når den fælles vurdering er lavet, "
            "så tallene tilsammen kan være færre end »Vurderet«."
        )
        % {"labels": labels},
        _("Vurderet: børn med mindst én indsendt vurdering i runden."),
        _("Ikke vurderet: børn uden nogen indsendt vurdering i runden."),
        _("Åbne handleveje: handleveje, der ikke er afsluttet."),
        _("Overskredne trin: trin i åbne handleveje, hvis frist er overskredet."),
    ]
    if suppress_below:
        lines.append(
            _(
                "Tal under %(n)d vises som »%(sign)s«, så enkelte børn ikke kan genkendes. "
                "Oversigten indeholder ingen navne."
            )
            % {"n": suppress_below, "sign": suppressed(suppress_below)}
        )
        lines.append(
            _(
                "»skjult«: et tal, der sammen med andre tal i oversigten eller i "
                "nøgletallene ville afsløre et lille tal, er også skjult. Tallene er de "
                "samme som i rundens nøgletal."
            )
        )
    return [spacer(3), heading(_("Sådan læses tabellen"), 3), *(p(x, "small") for x in lines)]


def _reason(lh: Letterhead, c: ChildNeedingAction) -> str:
    n = c.overdue_steps
    if n is None and (m := _OVERDUE_TEXT.match(c.reason or "")):
        n = int(m.group(1))
    if n is None:
        return c.reason
    return lh.language.ngettext("%(num)d overskredet trin", "%(num)d overskredne trin", n) % {
        "num": n
    }


def round_overview(lh: Letterhead, data: RoundOverviewData) -> bytes:
    _ = lh.language.gettext
    story = [
        heading(_("Oversigt: %(round)s") % {"round": data.round_name}),
        p(data.institution),
        heading(_("Stuer"), 2),
        _group_table(lh, data.groups, _("Stue"), None),
        *_legend(lh, None),
        heading(_("Børn, der kræver handling"), 2),
    ]
    if data.children_needing_action:
        story.append(
            table(
                [[_("Barn"), _("Stue"), _("Position"), _("Årsag")]]
                + [
                    [c.name, c.group, lh.label(c.position), _reason(lh, c)]
                    for c in data.children_needing_action
                ],
                [50 * mm, 35 * mm, 35 * mm, WIDTH - 120 * mm],
            )
        )
    else:
        story.append(p(_("Ingen børn kræver handling lige nu.")))
    return build(
        story,
        lh,
        title=_("Rundeoversigt – %(round)s") % {"round": data.round_name},
        subject=_("Rundeoversigt"),
    )


def municipal_overview(lh: Letterhead, data: MunicipalOverviewData) -> bytes:
    _ = lh.language.gettext
    story = [
        heading(_("Kommunal oversigt: %(round)s") % {"round": data.round_name}),
        _group_table(lh, data.rows, _("Dagtilbud"), data.suppress_below),
        *_legend(lh, data.suppress_below),
    ]
    return build(
        story,
        lh,
        title=_("Kommunal oversigt – %(round)s") % {"round": data.round_name},
        subject=_("Kommunal oversigt"),
        confidential=False,
    )
