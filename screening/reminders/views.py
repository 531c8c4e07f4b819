"""The signed-in user's notifications: a list (its own partial, `reminders/_list.html`, so a
home page can include it), a badge with the unread count in the menu, and marking all
read. A user only ever sees their own."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from forms.common import EmptyForm
from screening.core import audit, flow, header
from screening.reminders import services as svc

bp = Blueprint("reminders", __name__)


@bp.app_context_processor
def _badge() -> dict[str, object]:
    def unread_notifications() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        # Counted with the signed-in user (`screening.core.header`), else asked for here.
        return header.unread(lambda: svc.unread_count(int(current_user.id)))

    return {"unread_notifications": unread_notifications}


@bp.route("/notifications")
def notifications() -> ResponseReturnValue:
    items = svc.recent(int(current_user.id))
    return render_template("reminders/list.html", notifications=items, form=EmptyForm())


@bp.route("/notifications/read", methods=["POST"])
def mark_read() -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        abort(400)
    return flow.perform(
        lambda: svc.mark_read(int(current_user.id)),
        record=lambda n: audit.record("notifications.read", "app", count=n),
        success=_("Påmindelserne er markeret som læst."),
        redirect_to=url_for("reminders.notifications"),
    )
