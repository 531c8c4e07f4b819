"""The offline tablets' JSON API (offline pack, data key, sync, conflicts) and the page where
a person resolves a sync conflict.

JSON endpoints answer JSON, errors included: 401 when signed out (the app does that for
requests that send or accept JSON), 400 for a missing or wrong CSRF token (sent in the
``X-CSRFToken`` header), 400 for a body that is not JSON within the limits
(`offline/parsing.py`), and 413 for too many items or bytes.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from forms.common import EmptyForm
from screening.accounts.models import User
from screening.assessments import individual
from screening.assessments.models import Assessment, ChildObservation
from screening.catalogue.services import compiled_instrument
from screening.classifier import load_observation_categories
from screening.core import audit, flow
from screening.core.access import authorize, load
from screening.core.db import DB_INT_MAX
from screening.core.extensions import db
from screening.core.i18n import lang
from screening.core.menu import menu_json
from screening.core.policy import Action, can
from screening.core.time import local_today
from screening.offline import pack
from screening.offline.apply import apply_batch
from screening.offline.conflicts import open_conflicts, resolve_conflict
from screening.offline.models import SyncConflict, SyncKind
from screening.offline.parsing import (
    MAX_BATCH,
    MAX_BODY_BYTES,
    BadBody,
    load_body,
    observation_snapshot,
)
from screening.rounds.models import ScreeningRound

bp = Blueprint("api", __name__)

API_PREFIX = "/api/"


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def _error(message: str, status: int, **extra: Any) -> ResponseReturnValue:
    return jsonify(error=message, **extra), status


@bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError) -> ResponseReturnValue:
    if _is_api():
        return _error(
            "CSRF token missing or invalid: read a fresh token and send it in the "
            "X-CSRFToken header",
            400,
        )
    return render_template("errors/csrf.html"), 400


@bp.errorhandler(413)
def too_large(error: Exception) -> ResponseReturnValue:
    if _is_api():
        return _error("request body too large", 413)
    return render_template("errors/error.html", code=413), 413


def _user() -> User:
    return current_user._get_current_object()


# JSON -----------------------------------------------------------------------------------------


@bp.route("/api/session")
def session_info() -> ResponseReturnValue:
    """Who is signed in, and a fresh CSRF token for the next state change (the offline app
    reads it just before sending, so a token never outlives the session it came from)."""
    user = _user()
    return jsonify(
        user={"id": user.id, "name": user.name},
        csrf_token=generate_csrf(),
        groups=pack.pack_groups(user),
        offline_pack_days=int(current_app.config.get("OFFLINE_PACK_DAYS", pack.DEFAULT_PACK_DAYS)),
        # The shell is the same for everyone: it draws the user's main menu from this.
        menu=menu_json(user),
    )


@bp.route("/api/offline-pack")
def offline_pack() -> ResponseReturnValue:
    """The children, open rounds, instruments and observation categories for the user's
    institutions (narrowed by repeated ``?group=<id>``), with ``expires_at``."""
    raw_groups = request.args.getlist("group")
    if not all(
        g.isascii() and g.isdigit() and len(g) <= 10 and int(g) <= DB_INT_MAX for g in raw_groups
    ):
        return _error(f"group must be a whole number from 0 to {DB_INT_MAX}", 400)
    # A fraction of a day is allowed (the tests let a pack expire within seconds).
    days = float(current_app.config.get("OFFLINE_PACK_DAYS", pack.DEFAULT_PACK_DAYS))
    data = pack.offline_pack(
        _user(), local_today(), days=days, group_ids=[int(g) for g in raw_groups] or None
    )
    # The pack leaves the server for a tablet: each child's copy is in the trail.
    audit.record_many(
        "offline_pack.download", "child", ((c["id"], c["id"]) for c in data["children"])
    )
    return jsonify(data)


@bp.route("/api/device-key")
def device_key() -> ResponseReturnValue:
    """The user's data key, base64. The device wraps it with a PIN-derived key."""
    row = pack.device_key(_user())
    audit.record("device_key.read", "user", row.user_id)
    return jsonify(
        user_id=row.user_id,
        key=base64.b64encode(row.key).decode("ascii"),
        created_at=row.created_at.isoformat(),
    )


@bp.route("/api/sync", methods=["POST"])
def sync() -> ResponseReturnValue:
    """Body ``{"items": [...], "user_id"?: int}``; answers ``{"results": [...]}``, one per
    item, in order (409 when ``user_id`` is not the signed-in user)."""
    if not request.is_json:
        return _error("the body must be JSON (Content-Type: application/json)", 400)
    if (request.content_length or 0) > MAX_BODY_BYTES:  # refused before reading it
        return _error(f"request body too large (at most {MAX_BODY_BYTES} bytes)", 413)
    try:
        decoded = load_body(request.get_data(cache=False))
    except BadBody as exc:
        return _error(exc.reason, exc.status)
    body = decoded.value
    if not isinstance(body, dict) or "items" not in body:
        return _error('the body must be an object with "items": [...]', 400)
    items = body["items"]
    if not isinstance(items, list):
        return _error('"items" must be a list', 400)
    # A tablet names the user whose items it sends: if the browser's session belongs to
    # someone else (a colleague signed in on the shared tablet), nothing is stored.
    expected = body.get("user_id")
    if expected is not None and expected != _user().id:
        return _error("these items belong to another user than the one signed in", 409)
    if len(items) > MAX_BATCH:
        return _error(
            f"too many items: {len(items)} (at most {MAX_BATCH} per request)",
            413,
            max_items=MAX_BATCH,
        )
    results = apply_batch(_user(), items, marker=decoded.marker)
    return jsonify(results=results)


@bp.route("/api/conflicts")
def conflicts() -> ResponseReturnValue:
    """Open conflicts: the user's own, and (for leaders) those of their institutions."""
    user = _user()
    rows = open_conflicts(user)
    out = []
    for c in rows:
        may_open = can(user, Action.VIEW_CONFLICT, c)
        out.append(
            {
                "id": c.id,
                "client_id": c.client_id,
                "kind": c.kind.value,
                "reason": c.reason.value,
                "status": c.status.value,
                "object_id": c.object_id,
                "round_id": (c.payload or {}).get("round_id")
                if c.kind == SyncKind.ASSESSMENT
                else None,
                "base_version": c.base_version,
                "server_version": c.server_version,
                "created_at": c.created_at.isoformat(),
                "child": {
                    "id": c.child.id,
                    "first_name": c.child.first_name,
                    "last_name": c.child.last_name,
                },
                "user": {"id": c.user.id, "name": c.user.name},
                "mine": c.user_id == user.id,
                "url": url_for("api.conflict", conflict_id=c.id) if may_open else None,
            }
        )
    audit.record("sync.conflicts", "sync_conflict", None, count=len(out))
    return jsonify(conflicts=out)


# The conflict page ------------------------------------------------------------------------------


@bp.route("/sync/conflicts/<int:conflict_id>", methods=["GET", "POST"])
def conflict(conflict_id: int) -> ResponseReturnValue:
    user = _user()
    row = load(SyncConflict, conflict_id, Action.VIEW_CONFLICT, audited_as="sync.conflict.view")
    may_resolve = row.is_open and can(user, Action.RESOLVE_CONFLICT, row)
    form = EmptyForm()
    here = url_for("api.conflict", conflict_id=row.id)

    def page(error: object = None) -> ResponseReturnValue:
        audit.record("sync.conflict.view", "sync_conflict", row.id, child_id=row.child_id)
        context = _conflict_context(row, form, may_resolve)
        return render_template("offline/conflict.html", **context), (
            400 if error is not None else 200
        )

    if request.method != "POST":
        return page()
    if not row.is_open:
        flash(_("Konflikten er allerede løst."), "info")
        return redirect(here)
    authorize(row, Action.RESOLVE_CONFLICT, audited_as="sync.conflict.resolve")
    keep = request.form.get("keep", "")
    if not (form.validate_on_submit() and keep in ("device", "server")):
        flash(_("Vælg, hvilken version der skal gælde."), "error")
        return page(error="no_choice")
    return flow.perform(
        lambda: resolve_conflict(row, user, keep),
        success=_("Tablettens version er gemt. Konflikten er løst.")
        if keep == "device"
        else _("Serverens version er beholdt. Konflikten er løst."),
        redirect_to=here,
        failed=page,
    )


def _conflict_context(row: SyncConflict, form: EmptyForm, may_resolve: bool) -> dict[str, Any]:
    language = lang()
    device = row.payload or {}
    server = row.server_snapshot
    ctx = {
        "conflict": row,
        "form": form,
        "may_resolve": may_resolve,
        "device": device,
        "server": server,
        "lang": language,
        "instrument": None,
        "round": None,
        "device_may_apply": may_resolve,
    }
    if row.kind == SyncKind.ASSESSMENT:
        round_id = device.get("round_id")
        round_ = db.session.get(ScreeningRound, round_id) if isinstance(round_id, int) else None
        current = db.session.get(Assessment, row.object_id) if row.object_id else None
        instrument_row = current.instrument if current is not None else None
        if instrument_row is None and round_ is not None:
            instrument_row = individual.instrument_for_child(round_, row.child)
        ctx["round"] = round_
        ctx["instrument"] = compiled_instrument(instrument_row) if instrument_row else None
        # A submitted assessment is final: only the server's version can stay.
        ctx["device_may_apply"] = may_resolve and (current is None or not current.submitted)
        ctx["server_changed"] = (
            current is not None and server is not None and current.version != server["version"]
        )
    else:
        catalogue = load_observation_categories()

        def source_title(key: str) -> str:
            src = catalogue.sources.get(key)
            return src.title.get(language) if src is not None else key

        def category_title(source: str, key: str) -> str:
            src = catalogue.sources.get(source)
            cat = src.categories.get(key) if src is not None else None
            return cat.title.get(language) if cat is not None else key

        def level_title(level: int) -> str | int:
            label = catalogue.levels.get(level)
            return label.get(language) if label is not None else level

        ctx.update(
            source_title=source_title, category_title=category_title, level_title=level_title
        )
        stored = db.session.get(ChildObservation, row.object_id) if row.object_id else None
        ctx["server_changed"] = (
            stored is not None and server is not None and (observation_snapshot(stored) != server)
        )
    return ctx
