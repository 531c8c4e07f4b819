"""The group overview (trafiklys) for the team meeting: every child of a group with the
position overall and per area, the previous round's beside it, and who assessed.

A position is printed as shape, word and a light cell colour (never colour alone):
● green, ▲ yellow, ■ red, each with the municipality's label. The document says what the
screen says (`templates/children/overview.html`): "Ikke aftalt" where no joint position
is agreed yet, "–" where there is no assessment, "Ingen endnu" where nobody has assessed.

The columns are as wide as their longest word (the column headings' words in full), so
text wraps between words; a word that cannot fit its column even so (a long double name)
breaks after a hyphen of its own, else with a hyphen added, never silently mid-word."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from reports.base import CELL_PADDING, STYLES, WIDTH, Letterhead, build, heading, p, spacer, table
from reports.data import GroupOverviewData, GroupOverviewRow, TrafficCell
from reports.i18n import N_
from reports.text import Measure, Text, clean

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
# Widths the columns get when their words allow: the rest goes to "Vurderet af".
NAME_WIDTH = 34 * mm
CELL_WIDTH = 22 * mm
# The narrowest a name or "Vurderet af" column is made to leave room for the others.
MIN_TEXT_WIDTH = 20 * mm
HEADER = STYLES["cellhead"]
# The table's text size: the first at which every column's longest word fits (long
# position labels such as "Øget opmærksomhed" in five columns need a smaller one).
SIZES = (9.0, 8.0, 7.5)
PAD = 2 * CELL_PADDING + 1  # the cell's padding, and a point to spare for rounding


def cell_style(size: float) -> ParagraphStyle:
    base = STYLES["cell"]
    if size == base.fontSize:
        return base
    return ParagraphStyle(f"cell-{size:g}", parent=base, fontSize=size, leading=size * 1.28)


def _measure(st: ParagraphStyle) -> Measure:
    return Measure.of(st.fontName, st.fontSize, False)


def _position(lh: Letterhead, code: str | None, none_text: str = "–") -> str:
    if code is None:
        return none_text
    return f"{SHAPES.get(code, '')} {lh.label(code)}".strip()


def _cell(lh: Letterhead, cell: TrafficCell, none_text: str = "–") -> str:
    _ = lh.language.gettext
    return "{}\n{}".format(
        _position(lh, cell.position, none_text),
        _("før: %(position)s") % {"position": _position(lh, cell.previous_position)},
    )


def _who(lh: Letterhead, row: GroupOverviewRow) -> str:
    _ = lh.language.gettext
    lines = [", ".join(row.assessors)] if row.assessors else []
    if row.hidden:
        lines.append(_("Andres vurderinger vises, når du har indsendt din egen."))
    if row.decided_by:
        lines.append(_("Fælles vurdering: %(name)s") % {"name": row.decided_by})
    if not row.assessors and not row.decided_by:
        lines.append(_("Ingen endnu"))
    return "\n".join(lines)


def _name(lh: Letterhead, row: GroupOverviewRow) -> str:
    """The child's name; under it whether the round covers the child and the round the
    "før" positions are from."""
    _ = lh.language.gettext
    lines = [row.name]
    if not row.in_round:
        lines.append(_("Ikke omfattet af runden"))
    if row.previous_round:
        lines.append(_("Før: %(round)s") % {"round": row.previous_round})
    return "\n".join(lines)


# A position's shape stays with its word: before the label ("▲ Gul"), after a name in
# "Vurderet af" ("Eva ▲,"). Bound with a no-break space while a line is laid out.
_SHAPE = "".join(SHAPES.values())
_BIND_BACK = re.compile(f" ([{_SHAPE}])(?=,|$)", re.MULTILINE)
_BIND_FORWARD = re.compile(f"([{_SHAPE}]) (?=\\S)")
NBSP = "\u00a0"


def _bound(line: str) -> str:
    return _BIND_FORWARD.sub(rf"\1{NBSP}", _BIND_BACK.sub(rf"{NBSP}\1", line))


def _units(text: str) -> list[str]:
    """The pieces a text may break into: its words (a shape with the label after it; a
    shape after a name may go to the next line when the column is narrow), and a word's
    parts after a hyphen of its own ("Anne-", "Sofie")."""
    out = []
    for word in _BIND_FORWARD.sub(rf"\1{NBSP}", clean(text)).replace("\n", " ").split(" "):
        parts = word.split("-")
        out += [part + "-" for part in parts[:-1] if part] + [parts[-1]]
    return [u for u in out if u]


def _longest(texts: Sequence[str], m: Measure) -> float:
    """The widest unit of `texts` (each distinct text and unit measured once: a column
    repeats "før:" and its labels in every row)."""
    units = {u for t in set(texts) for u in _units(t)}
    return max((m.width(u) for u in units), default=0.0)


def widths(columns: Sequence[Sequence[str]], cell: ParagraphStyle) -> tuple[list[float], bool]:
    """Column widths for [heading, *cells] per column (the child's name first, "Vurderet
    af" last, the positions between) with the cells in `cell`, and whether every word
    fits. Each column is at least as wide as its longest word (a heading's at the
    heading's size; a word may break after its own hyphen) and, where there is room, as
    `NAME_WIDTH` / `CELL_WIDTH`; the rest goes to the last column. When the longest words
    cannot all fit, the name and "Vurderet af" columns give way first (down to
    `MIN_TEXT_WIDTH` and their heading's words): the headings and the positions' words
    stay whole while any room is left, and what does not fit breaks (`breakable`)."""
    head, body = _measure(HEADER), _measure(cell)
    last = len(columns) - 1
    heads = [_longest([c[0]], head) + PAD for c in columns]
    words = [_longest(c[1:], body) + PAD for c in columns]
    floor = [
        max(h, MIN_TEXT_WIDTH) if j in (0, last) else max(h, w)
        for j, (h, w) in enumerate(zip(heads, words, strict=True))
    ]
    need = [max(w, f) for w, f in zip(words, floor, strict=True)]
    if sum(need) <= WIDTH:
        wanted = [NAME_WIDTH, *([CELL_WIDTH] * (len(columns) - 2)), 0.0]
        out = list(need)
        for j in range(last):  # the name, then the positions, up to their usual width
            out[j] += max(0.0, min(wanted[j] - out[j], WIDTH - sum(out)))
        out[last] += WIDTH - sum(out)
        return out, True
    if sum(floor) >= WIDTH:
        return [f * WIDTH / sum(floor) for f in floor], False
    share = (WIDTH - sum(floor)) / (sum(need) - sum(floor))
    return [f + (n - f) * share for f, n in zip(floor, need, strict=True)], False


def layout(columns: Sequence[Sequence[str]]) -> tuple[list[float], ParagraphStyle]:
    """The widths and the text size of the table: the largest of `SIZES` at which every
    word fits, else the smallest."""
    for size in SIZES:
        cell = cell_style(size)
        found, fits = widths(columns, cell)
        if fits:
            return found, cell
    return found, cell


def _pieces(word: str, m: Measure, room: float) -> list[str]:
    """A word wider than `room` in pieces that fit: after its own hyphens first ("Anne-",
    "Sofie"; parts that fit together stay together), else with a hyphen added at the
    break."""
    parts = [part + "-" for part in word.split("-")]
    parts[-1] = parts[-1][:-1]
    out: list[str] = []
    whole: list[bool] = []  # the piece ends at a hyphen of the word's own
    for part in (x for x in parts if x):
        if m.width(part) <= room:
            if out and whole[-1] and m.width(out[-1] + part) <= room:
                out[-1] += part
            else:
                out.append(part)
                whole.append(True)
            continue
        piece = ""
        for ch in part:
            if piece and m.width(piece + ch + "-") > room:
                out.append(piece + "-")
                whole.append(False)
                piece = ""
            piece += ch
        out.append(piece)
        whole.append(piece.endswith("-"))
    return out


def breakable(text: str, st: ParagraphStyle, width: float) -> str:
    """`text` laid out in lines for a cell of `width` (joined by line breaks, so the cell
    prints them as they are): wrapped between words, a shape kept with its word, and a
    word wider than the cell broken into lines of its own (`_pieces`)."""
    m = _measure(st)
    room = width - 2 * CELL_PADDING
    lines: list[str] = []
    for line in clean(text).split("\n"):
        if m.width(line) <= room:
            lines.append(line)
            continue
        words = []
        for word in _bound(line).split(" "):
            if m.width(word) <= room:
                words.append(word)
                continue
            for sub in word.split(NBSP):  # a shape that does not fit beside its word
                words.append(sub if m.width(sub) <= room else "\n".join(_pieces(sub, m, room)))
        lines += m.lines(" ".join(words), room)
    return "\n".join(lines).replace(NBSP, " ")


def group_overview(lh: Letterhead, data: GroupOverviewData) -> bytes:
    _ = lh.language.gettext
    areas = [_(AREA_TITLES[k]) if k in AREA_TITLES else k for k in data.area_keys]
    headers = [_("Barn"), _("Samlet position"), *areas, _("Vurderet af")]
    rows = [
        [
            _name(lh, r),
            _cell(lh, r.overall, _("Ikke aftalt")),
            *(_cell(lh, c) for c in r.areas),
            _who(lh, r),
        ]
        for r in data.rows
    ]
    story = [
        heading(_("Trafiklys: %(group)s") % {"group": data.group}),
        p(f"{data.institution} · {data.round_name}"),
        spacer(2),
    ]
    if rows:
        cols, cell = layout([[h, *(r[j] for r in rows)] for j, h in enumerate(headers)])
        laid: dict[tuple[str, float], str] = {}  # a column repeats its cells row after row

        def lay(text: str, w: float) -> str:
            found = laid.get((text, w))
            if found is None:
                found = laid[(text, w)] = breakable(text, cell, w)
            return found

        body = [
            [breakable(h, HEADER, w) for h, w in zip(headers, cols, strict=True)],
            *([Text(lay(c, w), cell) for c, w in zip(r, cols, strict=True)] for r in rows),
        ]
        t = table(body, cols, zebra=False, header_style="cellhead")
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
                "Samlet position: den position, der er aftalt i den fælles vurdering "
                "(»Ikke aftalt«, til den fælles vurdering er lavet). Position pr. område: "
                "den mest alvorlige af de indsendte vurderinger. »før« er positionen i "
                "barnets forrige runde med en fælles vurdering. – betyder: ingen vurdering "
                "endnu."
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
