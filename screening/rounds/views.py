"""Screening rounds (vurderingsrunder): the list, the form and the status (the progress pages
of a round are in `screening.assessments.views`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from forms.common import EmptyForm
from forms.rounds import RoundForm
from screening.catalogue.services import newest_instruments
from screening.core import audit, flow
from screening.core.access import require
from screening.core.extensions import db
from screening.core.i18n import lang
from screening.core.policy import Action, can
from screening.org.models import Institution
from screening.rounds import services
from screening.rounds.models import RoundStatus, ScreeningRound

bp = Blueprint("rounds", __name__)


def load_round(round_id: int) -> ScreeningRound:
    """A round by id, or 404 (rounds hold no child data: no authorization of their own)."""
    return db.get_or_404(ScreeningRound, round_id)


@bp.route("/rounds")
def rounds() -> ResponseReturnValue:
    manage = can(current_user, Action.MANAGE_ROUNDS)
    stmt = sa.select(ScreeningRound).order_by(ScreeningRound.reference_date.desc())
    if not manage:
        stmt = stmt.where(ScreeningRound.status != RoundStatus.PLANNED)
    rows = db.session.scalars(stmt).all()
    return render_template("rounds/rounds.html", rounds=rows, manage=manage)


def _round_form(round_: ScreeningRound | None) -> RoundForm:
    form = RoundForm(obj=round_)
    form.institutions.choices = [
        SelectChoice(i.id, i.name)
        for i in db.session.scalars(
            sa.select(Institution).where(Institution.active.is_(True)).order_by(Institution.name)
        )
    ]
    form.instrument_keys.choices = [
        SelectChoice(i.key, i.title_da if lang() == "da" else i.title_en)
        for i in newest_instruments()
    ]
    if round_ is not None and not form.is_submitted():
        form.institutions.data = [i.id for i in round_.institutions]
        form.instrument_keys.data = list(round_.instrument_keys)
    return form


@bp.route("/rounds/new", methods=["GET", "POST"])
@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def edit_round(round_id: int | None = None) -> ResponseReturnValue:
    require(Action.MANAGE_ROUNDS)
    round_ = load_round(round_id) if round_id is not None else None
    form = _round_form(round_)

    def page(error: object = None) -> ResponseReturnValue:
        if round_ is not None and getattr(error, "code", None) == "changed_meanwhile":
            form.version.data = str(round_.version)  # saving again applies what was typed
        return render_template("rounds/round_form.html", form=form, round=round_), (
            400 if form.errors or error is not None else 200
        )

    if not form.validate_on_submit():
        return page()
    return flow.perform(
        lambda: services.save_round(
            round_,
            name=form.name.data,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            reference_date=form.reference_date.data,
            instrument_keys=form.instrument_keys.data,
            institution_ids=form.institutions.data,
            expected_version=int(form.version.data)
            if round_ is not None and (form.version.data or "").isdigit()
            else None,
        ),
        record=lambda saved: audit.record("round.save", "round", saved.id),
        success=_("Runden er gemt."),
        redirect_to=url_for("rounds.rounds"),
        fields={"round_name_taken": form.name, "instruments_overlap": form.instrument_keys},
        failed=page,
    )


def _status_message(round_: ScreeningRound, before: RoundStatus, after: RoundStatus) -> str:
    if after == RoundStatus.CLOSED:
        return _("Runden »%(name)s« er lukket.", name=round_.name)
    if before == RoundStatus.CLOSED:
        return _("Runden »%(name)s« er genåbnet.", name=round_.name)
    return _("Runden »%(name)s« er åbnet.", name=round_.name)


@bp.route("/rounds/<int:round_id>/status", methods=["GET", "POST"])
def round_status(round_id: int) -> ResponseReturnValue:
    """Opening or closing a round asks first (GET: the question; POST: the change) and
    then says what happened."""
    require(Action.MANAGE_ROUNDS)
    round_ = load_round(round_id)
    form = EmptyForm()
    target = request.values.get("status", "")
    if target not in (RoundStatus.OPEN.value, RoundStatus.CLOSED.value) or target == round_.status:
        return redirect(url_for("rounds.rounds"))
    after = RoundStatus(target)
    if not form.validate_on_submit():
        return render_template("rounds/round_status.html", round=round_, target=after, form=form), (
            400 if form.is_submitted() else 200
        )
    before = round_.status
    services.set_status(round_, after)
    audit.record("round.status", "round", round_.id, status=target)
    flash(_status_message(round_, before, after), "success")
    return redirect(url_for("rounds.rounds"))
