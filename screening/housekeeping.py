"""Housekeeping, every few minutes in the consumer and `flask housekeeping` for cron:
forget finished PDFs after an hour, prune old sign-in attempts, recover stale PDF jobs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from screening.accounts.services import prune_login_attempts
from screening.core.extensions import db
from screening.documents import jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Housekeeping:
    pdfs_forgotten: int
    login_attempts_pruned: int
    jobs_requeued: int
    jobs_failed: int


def run() -> Housekeeping:
    forgotten = jobs.purge_expired()
    pruned = prune_login_attempts()
    db.session.commit()
    requeued, failed = jobs.recover_stale()
    result = Housekeeping(forgotten, pruned, requeued, failed)
    log.info("housekeeping: %s", result)
    return result
