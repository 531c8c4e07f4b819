"""The retention tasks: the nightly run and `flask erase-child`. They commit, once per
child (see `screening.retention.services`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from screening.core.extensions import db
from screening.core.time import LOCAL_TZ
from screening.retention.services import MANUAL, due_for_erasure, erase_child, policy, prune_audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    erased: int
    skipped: int
    failed: int
    audit_pruned: int


def run(today: date | None = None) -> RunResult:
    """The nightly run: erase every child due, one transaction each; then prune the audit
    trail. A child that fails is rolled back alone and named by id in the log."""
    today = today or datetime.now(LOCAL_TZ).date()
    pol = policy()
    due = due_for_erasure(today, pol)
    db.session.rollback()
    erased = skipped = failed = 0
    for item in due:
        try:
            if erase_child(item.child_id, item.rule, pol):
                erased += 1
            else:
                skipped += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("erasure of child id %s failed; nothing of it was erased", item.child_id)
            failed += 1
    pruned = prune_audit(pol=pol)
    db.session.commit()
    log.info(
        "retention: %s erased, %s skipped, %s failed, %s audit events pruned",
        erased,
        skipped,
        failed,
        pruned,
    )
    return RunResult(erased, skipped, failed, pruned)


def erase_now(child_id: int) -> bool:
    """`flask erase-child ID --yes`: erase one child at once, whatever the policy."""
    done = erase_child(child_id, MANUAL)
    db.session.commit()
    return done
