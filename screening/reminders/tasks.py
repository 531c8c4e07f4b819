"""The daily reminder run (a consumer task; `flask reminders` runs it now): in-app
notifications, then the e-mail digest when SMTP is configured (`MAIL_SERVER`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_mailman import EmailMessage

from screening.accounts.models import User
from screening.core.extensions import db, mail
from screening.core.time import local_today
from screening.reminders import services as svc
from screening.reminders.models import Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    notified: int
    emailed: int


def run(today: date | None = None) -> RunResult:
    today = today or local_today()
    escalate_days = svc.escalate_after()
    inserted = svc.notify(today, svc.counts_by_user(today, escalate_days))
    db.session.commit()
    emailed = 0
    if current_app.config.get("MAIL_SERVER"):
        emailed = send_digests(inserted, escalate_days)
    log.info("reminders: %s users notified, %s e-mailed", len(inserted), emailed)
    return RunResult(len(inserted), emailed)


def send_digests(ids: list[int], escalate_days: int) -> int:
    """E-mail each notification once: claimed (committed) before it is sent, so a second
    consumer or a retry never sends it again."""
    sent = 0
    for start in range(0, len(ids), 200):
        batch = svc.claim_for_email(ids[start : start + 200])
        db.session.commit()
        users = {
            u.id: u for u in db.session.query(User).filter(User.id.in_([n.user_id for n in batch]))
        }
        messages = [
            digest(n, users[n.user_id], escalate_days) for n in batch if users[n.user_id].email
        ]
        with mail.get_connection() as connection:
            connection.send_messages(messages)
        sent += len(messages)
    return sent


def digest(n: Notification, user: User, escalate_days: int) -> EmailMessage:
    """The digest names no child: counts only, and where to log in."""
    with force_locale(user.locale or "da"):
        lines = []
        if n.overdue:
            lines.append(
                ngettext(
                    "Du har %(num)s opgave, der er overskredet.",
                    "Du har %(num)s opgaver, der er overskredet.",
                    n.overdue,
                )
            )
        if n.due_soon:
            lines.append(
                ngettext(
                    "Du har %(num)s opgave med frist inden for to arbejdsdage.",
                    "Du har %(num)s opgaver med frist inden for to arbejdsdage.",
                    n.due_soon,
                )
            )
        if n.escalated:
            lines.append(
                ngettext(
                    "%(num)s opgave i din institution er overskredet med mindst %(days)s "
                    "arbejdsdage.",
                    "%(num)s opgaver i din institution er overskredet med mindst %(days)s "
                    "arbejdsdage.",
                    n.escalated,
                    days=escalate_days,
                )
            )
        lines.append(_("Log ind i Trivselsspor for at se dem."))
        url = current_app.config.get("PUBLIC_URL")
        if url:
            lines.append(str(url))
        subject = (
            ngettext(
                "Du har %(num)s opgave, der er overskredet – log ind i Trivselsspor",
                "Du har %(num)s opgaver, der er overskredet – log ind i Trivselsspor",
                n.overdue,
            )
            if n.overdue
            else _("Du har opgaver, der snart skal gøres – log ind i Trivselsspor")
        )
    return EmailMessage(
        subject=subject,
        body="\n\n".join(lines) + "\n",
        from_email=current_app.config.get("MAIL_DEFAULT_SENDER"),
        to=[user.email],
    )
