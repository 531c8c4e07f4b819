"""The background tasks, in one list: what each runs, how often it is retried and when the
periodic ones run. It spans areas (like `cli.py`); `create_app` hands it to the queue
(`screening.core.queue`), and every consumer and web worker registers the same tasks.

Each task commits its own work; a task that raises is retried with back-off (`retries`,
`retry_delay` doubling each time) and then logged as failed.
"""

from __future__ import annotations

from flask import Flask

from screening.core.queue import TaskSpec, daily, every


def specs(app: Flask) -> list[TaskSpec]:
    from screening import housekeeping
    from screening.documents import jobs
    from screening.reminders import tasks as reminders
    from screening.retention import tasks as retention

    return [
        TaskSpec(jobs.TASK, jobs.run, retries=2, retry_delay=5),
        TaskSpec(
            "housekeeping",
            housekeeping.run,
            retries=1,
            schedule=every(app.config["HOUSEKEEPING_EVERY_MINUTES"]),
        ),
        # Nightly (the consumer's scheduler runs in UTC: 01:30 UTC is 02:30 or 03:30 in
        # Denmark).
        TaskSpec("retention", retention.run, retries=2, retry_delay=60, schedule=daily(1, 30)),
        # Every morning (05:00 UTC: 06:00 or 07:00 in Denmark).
        TaskSpec("reminders", reminders.run, retries=3, retry_delay=60, schedule=daily(5)),
    ]
