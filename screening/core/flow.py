"""The one view helper for a change: call the service; on a `DomainError` roll back and show
its message; otherwise write the audit entry, flash the success and redirect.

    return flow.perform(
        lambda: services.close_path(path, current_user, today, note),
        record=lambda _: audit.record("path.close", "action_path", path.id, child_id=...),
        success=_("Handlevejen er afsluttet."),
        redirect_to=url_for("paths.path", path_id=path.id),
        failed=lambda: render_path(path, status=400),
    )
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import current_app, flash, redirect
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import Field

from screening.core.db import savepoint
from screening.core.errors import DomainError, integrity_code
from screening.core.extensions import db

T = TypeVar("T")


def perform(
    call: Callable[[], T],
    *,
    redirect_to: str | Callable[[T], str],
    success: str | Callable[[T], str] | None = None,
    record: Callable[[T], object] | None = None,
    failed: Callable[[DomainError], ResponseReturnValue] | None = None,
    fields: Mapping[str, Field] | None = None,
) -> ResponseReturnValue:
    """Run `call` (a service that flushes, never commits) and answer the request.

    On `DomainError`: the session is rolled back, the message is added to the errors of the
    form field that `fields` names for the error's code, or else flashed, and the answer is
    ``failed(error)`` (e.g. the page again with status 400) or, without `failed`, a redirect
    to `redirect_to` (which must be a URL).
    A second writer's unique violation or a stale row (see `concurrent`) is a DomainError
    too. On success: ``record(result)`` (the audit entry), the `success` message is flashed and
    the answer redirects to `redirect_to` (a URL, or a function of the result).
    """
    try:
        result = concurrent(call)
    except DomainError as exc:
        db.session.rollback()
        field = (fields or {}).get(exc.code)
        if field is not None:
            field.errors = [*field.errors, exc.message]
        else:
            flash(exc.message, "error")
        if failed is not None:
            return failed(exc)
        if not isinstance(redirect_to, str):
            raise TypeError("perform() needs `failed` or a URL in `redirect_to`") from exc
        return redirect(redirect_to)
    if record is not None:
        record(result)
    if success is not None:
        flash(str(success(result) if callable(success) else success), "success")
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)


def concurrent(call: Callable[[], T]) -> T:
    """Run `call` as one unit of work and turn what a second writer runs into into a
    `DomainError`: a unique violation (the code its constraint names in
    `core.errors.CONSTRAINT_CODES`) or an UPDATE that found its row changed since it was read
    (a version column, "changed_meanwhile"). Only the unit is rolled back here; the caller
    rolls back the rest. This is the one place an IntegrityError becomes a message
    (`core.web` answers the ones raised outside `perform` with the same mapping)."""
    try:
        with savepoint(db.session):
            return call()
    except IntegrityError as exc:
        code = integrity_code(exc)
        current_app.logger.info("second writer refused: %s", code)
        raise DomainError(code) from None
    except StaleDataError:
        current_app.logger.info("second writer refused: changed_meanwhile")
        raise DomainError("changed_meanwhile") from None


# The codes that mean "someone else saved first": the page shows what is saved now beside
# what the user typed (kept in the form) so they can apply it again.
CONFLICT_CODES = frozenset({"changed_meanwhile", "saved_meanwhile"})


def conflict_rows(rows: list[tuple[Field, object, object]]) -> list[tuple[str, str, str]]:
    """(field, saved now, typed) → (label, saved, typed) for the fields that differ."""
    out = []
    for field, saved, typed in rows:
        saved_text = "" if saved is None else str(saved).strip()
        typed_text = "" if typed is None else str(typed).strip()
        if saved_text != typed_text:
            out.append((str(field.label.text), saved_text, typed_text))
    return out
