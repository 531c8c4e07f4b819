"""The coordinator's key-figures dashboard (nøgletal): per round, filtered by institution,
group, age band and source; every table also as CSV and XLSX, the whole dashboard as PDF.

Every page and export prints what `tables.figures` publishes, so suppression is the same
everywhere. No child is named and no child id appears in a URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from screening.catalogue.services import round_bands
from screening.core import audit
from screening.core.access import require
from screening.core.extensions import db
from screening.core.i18n import lang
from screening.core.policy import Action
from screening.core.time import local_today
from screening.core.urls import query_id
from screening.documents.common import document_language, letterhead
from screening.figures import charts, exports, queries, tables
from screening.figures.suppression import DEFAULT_THRESHOLD
from screening.org.models import Group, Institution
from screening.org.services import municipality
from screening.rounds.models import RoundStatus, ScreeningRound

bp = Blueprint("figures", __name__)

# The tables the "Kilde" filter narrows (`queries._rest`): the individual assessments (the
# daycare's, or the health visitor's at a home visit; dental staff and PPR make none) and the
# observations. Every other table (joint positions, completion, movement, timeliness,
# response, staircase, trend) counts every source; the dashboard says so beside the filter.
SOURCE_FIGURES = ("individual", "observations")


@dataclass(frozen=True)
class Dashboard:
    round: ScreeningRound
    filters: queries.Filters
    counts: queries.Counts
    figures: list[tables.Figure]
    threshold: int
    institutions: list[Institution]
    groups: list[Group]
    band_names: dict[str, str]

    def describe(self) -> str:
        """The filters in words (for exports and the PDF)."""
        parts = [self.round.name]
        f = self.filters
        if f.institution_id is not None:
            inst = next((i for i in self.institutions if i.id == f.institution_id), None)
            parts.append(inst.name if inst else "")
        if f.group_id is not None:
            group = next((g for g in self.groups if g.id == f.group_id), None)
            parts.append(group.name if group else "")
        if f.band is not None:
            parts.append(self.band_names.get(f.band, f.band))
        if f.source is not None:
            parts.append(
                _("Kilde: %(source)s (kun individuelle vurderinger og observationer)")
                % {"source": tables.Labels(_).source(f.source)}
            )
        return " · ".join(p for p in parts if p)


def _threshold() -> int:
    muni = municipality()
    return muni.suppression_threshold if muni is not None else DEFAULT_THRESHOLD


def _rounds() -> list[ScreeningRound]:
    return list(
        db.session.scalars(
            sa.select(ScreeningRound)
            .where(ScreeningRound.status != RoundStatus.PLANNED)
            .order_by(ScreeningRound.reference_date.desc(), ScreeningRound.id.desc())
        )
    )


def _int(name: str) -> int | None:
    return query_id(name)


def _dashboard(round_id: int, *, trend: int = queries.TREND_ROUNDS, rest: bool = True) -> Dashboard:
    """The round's figures for the filters in the query string. `trend=0`: without the
    trend; `rest=False`: the trend and what it is protected with (`queries.counts`)."""
    require(Action.MUNICIPAL_OVERVIEW)
    round_ = db.get_or_404(ScreeningRound, round_id)
    if round_.status == RoundStatus.PLANNED:
        abort(404)
    institutions = sorted(round_.institutions, key=lambda i: i.name)
    bands = round_bands(round_)
    language = lang()
    band_names = {
        b.key: (b.instrument.title_en if language == "en" else b.instrument.title_da) for b in bands
    }
    # Unknown filter values are dropped, never an error: the filter form offers the rest.
    institution_id = _int("institution")
    if institution_id not in {i.id for i in institutions}:
        institution_id = None
    groups: list[Group] = []
    group_id = None
    if institution_id is not None:
        groups = list(
            db.session.scalars(
                sa.select(Group).where(Group.institution_id == institution_id).order_by(Group.name)
            )
        )
        group_id = _int("group")
        if group_id not in {g.id for g in groups}:
            group_id = None
    band = request.args.get("band") or None
    if band not in band_names:
        band = None
    source = request.args.get("source") or None
    if source not in queries.SOURCES:
        source = None
    filters = queries.Filters(institution_id, group_id, band, source)
    counts = queries.counts(round_, filters, local_today(), trend=trend, rest=rest)
    threshold = _threshold()
    figures = tables.figures(counts, threshold, _, band_names=band_names)
    return Dashboard(round_, filters, counts, figures, threshold, institutions, groups, band_names)


def _filter_args(board: Dashboard) -> dict[str, str | int]:
    f = board.filters
    args: dict[str, str | int] = {}
    if f.institution_id is not None:
        args["institution"] = f.institution_id
    if f.group_id is not None:
        args["group"] = f.group_id
    if f.band is not None:
        args["band"] = f.band
    if f.source is not None:
        args["source"] = f.source
    return args


def _audit(board: Dashboard, what: str) -> None:
    audit.record(
        what,
        "round",
        board.round.id,
        filters={k: str(v) for k, v in _filter_args(board).items()},
    )


@bp.route("/figures")
def latest() -> ResponseReturnValue:
    """The newest started round's dashboard (the coordinator's start page), or the round
    chosen in the filter form (`round`), keeping the other filters."""
    require(Action.MUNICIPAL_OVERVIEW)
    rounds = _rounds()
    if not rounds:
        return render_template("figures/dashboard.html", board=None, rounds=[])
    chosen = next((r for r in rounds if r.id == _int("round")), rounds[0])
    args: dict[str, Any] = {
        k: v for k, v in request.args.items() if k in ("institution", "group", "band", "source")
    }
    return redirect(url_for("figures.dashboard", round_id=chosen.id, **args))


@bp.route("/rounds/<int:round_id>/figures")
def dashboard(round_id: int) -> ResponseReturnValue:
    # The trend over the last rounds is a page of its own (`trend`): each earlier round's
    # children are counted on its own last day, which cost as much as the rest together.
    board = _dashboard(round_id, trend=0)
    _audit(board, "figures.view")
    return render_template(
        "figures/dashboard.html",
        board=board,
        rounds=_rounds(),
        args=_filter_args(board),
        stacked=charts.stacked,
        sources=[(s, tables.Labels(_).source(s)) for s in queries.SOURCES],
        source_figures=SOURCE_FIGURES,
        source_name=tables.Labels(_).source(board.filters.source) if board.filters.source else "",
        trend_rounds=queries.TREND_ROUNDS,
    )


@bp.route("/rounds/<int:round_id>/figures/trend")
def trend(round_id: int) -> ResponseReturnValue:
    """The joint positions of the last rounds (the same filters), protected as in the
    dashboard's exports: with the positions and completion of this round."""
    board = _dashboard(round_id, rest=False)
    _audit(board, "figures.view")
    return render_template(
        "figures/trend.html",
        board=board,
        figure=next((f for f in board.figures if f.key == "trend"), None),
        args=_filter_args(board),
        stacked=charts.stacked,
    )


def _figure(board: Dashboard, key: str) -> tables.Figure:
    found = next((f for f in board.figures if f.key == key), None)
    if found is None:
        abort(404)
    return found


def _download(content: bytes, mimetype: str, name: str) -> Response:
    return current_app.response_class(
        content,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _table_board(round_id: int, key: str) -> Dashboard:
    """What one table needs: the trend apart from the rest (neither is protected with a
    figure of the other)."""
    return _dashboard(round_id, rest=False) if key == "trend" else _dashboard(round_id, trend=0)


@bp.route("/rounds/<int:round_id>/figures/<key>.csv")
def table_csv(round_id: int, key: str) -> ResponseReturnValue:
    board = _table_board(round_id, key)
    figure = _figure(board, key)
    _audit(board, "figures.export")
    return _download(exports.csv_bytes(figure), "text/csv", f"noegletal-{round_id}-{key}.csv")


@bp.route("/rounds/<int:round_id>/figures/<key>.xlsx")
def table_xlsx(round_id: int, key: str) -> ResponseReturnValue:
    board = _table_board(round_id, key)
    figure = _figure(board, key)
    _audit(board, "figures.export")
    content = exports.xlsx_bytes([figure], board.describe())
    return _download(content, XLSX, f"noegletal-{round_id}-{key}.xlsx")


@bp.route("/rounds/<int:round_id>/figures.xlsx")
def all_xlsx(round_id: int) -> ResponseReturnValue:
    board = _dashboard(round_id)
    _audit(board, "figures.export")
    content = exports.xlsx_bytes(board.figures, board.describe())
    return _download(content, XLSX, f"noegletal-{round_id}.xlsx")


@bp.route("/rounds/<int:round_id>/figures.pdf")
def pdf(round_id: int) -> ResponseReturnValue:
    board = _dashboard(round_id)
    _audit(board, "figures.pdf")
    from reports.figures import FiguresData, FigureTable, figures_pdf  # ReportLab: on first PDF

    today = local_today()
    data = FiguresData(
        round_name=board.round.name,
        selection=board.describe(),
        threshold=board.threshold,
        tables=tuple(
            FigureTable(f.title, f.description, tuple(tuple(r) for r in f.published()))
            for f in board.figures
        ),
    )
    lh = letterhead(today, current_app.config.get("MUNICIPALITY_LOGO"), document_language())
    content = figures_pdf(lh, data)
    return _download(content, "application/pdf", f"noegletal-{round_id}.pdf")
