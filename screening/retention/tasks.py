"""The retention tasks: the nightly run and `flask erase-child`. They commit, once per
child (see `screening.retention.services`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from screening.core.extensions import db
from screening.core.time import local_today
from screening.retention.services import (
    MANUAL,
    due_for_erasure,
    erase_child,
    erase_children,
    policy,
    prune_audit,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    erased: int
    skipped: int
    failed: int
    audit_pruned: int


BATCH = 100


def run(today: date | None = None) -> RunResult:
    """The nightly run: erase every child due, up to `BATCH` children per transaction
    (each child wholly or not at all); a batch that fails is done again one child per
    transaction, so a failing child is rolled back alone and named by id in the log. Then
    prune the audit trail."""
    today = today or local_today()
    pol = policy()
    due = due_for_erasure(today, pol)
    db.session.rollback()
    erased = skipped = failed = 0
    for start in range(0, len(due), BATCH):
        rules = {d.child_id: d.rule for d in due[start : start + BATCH]}
        try:
            done = len(erase_children(rules, pol))
            db.session.commit()
        except Exception:
            db.session.rollback()
            done = 0
            for child_id, rule in rules.items():
                try:
                    done += erase_child(child_id, rule, pol)
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    log.exception(
                        "erasure of child id %s failed; nothing of it was erased", child_id
                    )
                    failed += 1
        erased += done
        skipped += len(rules) - done
    skipped -= failed
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
