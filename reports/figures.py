"""The coordinator's key-figures dashboard as a PDF: every table exactly as the screen
publishes it (hidden counts already replaced by "< 5" by the caller), no names."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.units import mm

from reports.base import WIDTH, Letterhead, build, heading, p, spacer, table


@dataclass(frozen=True)
class FigureTable:
    title: str
    description: str
    rows: tuple[tuple[str, ...], ...]  # the header first, then the published rows


@dataclass(frozen=True)
class FiguresData:
    round_name: str
    selection: str  # the filters in words
    threshold: int
    tables: tuple[FigureTable, ...]


def _widths(columns: int) -> list[float]:
    first = 42 * mm if columns > 1 else WIDTH
    rest = (WIDTH - first) / max(1, columns - 1)
    return [first, *([rest] * (columns - 1))]


def figures_pdf(lh: Letterhead, data: FiguresData) -> bytes:
    _ = lh.language.gettext
    story: list = [
        heading(_("Nøgletal: %(round)s") % {"round": data.round_name}),
        p(data.selection),
        p(
            _(
                "Tal under %(n)d vises som »< %(n)d«, og hvor en sum ville afsløre et skjult "
                "tal, er endnu et tal skjult og vist som »skjult«. Oversigten indeholder "
                "ingen navne."
            )
            % {"n": data.threshold},
            "small",
        ),
    ]
    for t in data.tables:
        story += [spacer(4), heading(t.title, 2), p(t.description, "small"), spacer(1)]
        story.append(table(t.rows, _widths(len(t.rows[0]))))
    return build(
        story,
        lh,
        title=_("Nøgletal – %(round)s") % {"round": data.round_name},
        subject=_("Nøgletal"),
        confidential=False,
        outline_levels=2,
    )
