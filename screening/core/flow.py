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

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from wtforms import Field

from screening.core.errors import DomainError
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
    On success: ``record(result)`` (the audit entry), the `success` message is flashed and
    the answer redirects to `redirect_to` (a URL, or a function of the result).
    """
    try:
        result = call()
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
