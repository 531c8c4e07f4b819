"""Charts drawn on the server as SVG, from a published table only (never from raw counts:
a chart shows nothing the table beside it hides).

A stacked bar per row, each part a column's share of the row total. Hidden cells are not
drawn one by one: together they make one hatched part labelled as hidden (their sum is
the row total minus the published cells, which the table already shows). Every chart has
a title and a description (`role="img"`, `aria-labelledby`); the numbers are in the table
beside it, so the chart itself is `aria-describedby` that table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Chart:
    """What a chart draws: a published table's rows (counts, None where hidden, the row
    total last when `row_totals`)."""

    key: str
    title: str
    description: str
    columns: Sequence[str]
    rows: Sequence[tuple[str, Sequence[int | None]]]
    row_totals: bool
    hidden_label: str


# Colours with text: every part also has its label in the legend and in the table.
PALETTE = ("#2e7d32", "#f9a825", "#c62828", "#78909c", "#1565c0", "#6a1b9a", "#00838f")
POSITION_COLOURS = {"positions": PALETTE[:4], "trend": PALETTE[:4], "individual": PALETTE[:3]}
BAR = 18
GAP = 8
LABEL = 170
WIDTH = 640
LEGEND = 22


def _short(text: str, n: int = 26) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def stacked(figure: Chart, dom_id: str, table_id: str) -> Markup:
    """One bar per row, parts in column order."""
    colours = POSITION_COLOURS.get(figure.key, PALETTE[3:] + PALETTE[:3])
    rows = figure.rows
    n_cols = len(figure.columns)
    plot = WIDTH - LABEL - 10
    height = LEGEND * 2 + len(rows) * (BAR + GAP) + 10
    title = escape(figure.title)
    desc = escape(figure.description)
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{dom_id}-title {dom_id}-desc" aria-describedby="{table_id}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{dom_id}-title">{title}</title>',
        f'<desc id="{dom_id}-desc">{desc}</desc>',
        f'<defs><pattern id="{dom_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eceff1"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#90a4ae" stroke-width="3"/></pattern>'
        "</defs>",
    ]
    # Legend.
    x = 0
    for c, label in enumerate(figure.columns):
        colour = colours[c % len(colours)]
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="14" font-size="12">{escape(_short(label, 22))}</text>')
        x += 24 + 7 * min(len(label), 22)
        if x > WIDTH - 120:
            break
    out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="url(#{dom_id}-hatch)"/>')
    out.append(f'<text x="{x + 16}" y="14" font-size="12">{escape(figure.hidden_label)}</text>')
    y = LEGEND * 2
    for label, counts in rows:
        cells = counts[:n_cols]
        whole = counts[n_cols] if figure.row_totals else None
        out.append(
            f'<text x="{LABEL - 6}" y="{y + BAR - 5}" font-size="12" text-anchor="end">'
            f"{escape(_short(label))}</text>"
        )
        if whole is None or whole == 0:
            text = figure.hidden_label if whole is None else "0"
            out.append(
                f'<text x="{LABEL}" y="{y + BAR - 5}" font-size="12" fill="#455a64">'
                f"{escape(text)}</text>"
            )
            y += BAR + GAP
            continue
        x_at = float(LABEL)
        hidden = whole - sum(v for v in cells if v is not None)
        for c, value in enumerate(cells):
            if value is None or value == 0:
                continue
            w = plot * value / whole
            out.append(
                f'<rect x="{x_at:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" '
                f'fill="{colours[c % len(colours)]}"/>'
            )
            x_at += w
        if hidden > 0:
            w = plot * hidden / whole
            out.append(
                f'<rect x="{x_at:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" '
                f'fill="url(#{dom_id}-hatch)"/>'
            )
        y += BAR + GAP
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above is escaped
