"""The Danish working-day calendar, pure: Monday to Friday except the days a Danish
municipality is closed. The holidays come from the maintained `holidays` package (its
Denmark calendar), not from a list of our own:

* the public holidays (helligdage: nytårsdag, skærtorsdag, langfredag, påske, Kristi
  himmelfartsdag, pinse, juledag, 2. juledag), and
* the customary days off of its "optional" category: grundlovsdag, juleaftensdag and
  nytårsaftensdag. 1 May is in that category too, but municipal offices are open then, so
  it counts as a working day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

WORKERS_DAY = (5, 1)


@lru_cache(maxsize=64)
def closed_days(year: int) -> frozenset[date]:
    """The days of `year` that are not working days although they fall on a weekday."""
    calendar = holidays.country_holidays(
        "DK", years=year, categories=(holidays.PUBLIC, holidays.OPTIONAL)
    )
    return frozenset(d for d in calendar if (d.month, d.day) != WORKERS_DAY)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in closed_days(day.year)


def add_working_days(start: date, n: int) -> date:
    """`n` working days after `start`. 0 gives `start` itself if it is a working day, else
    the next working day."""
    day = start
    if n == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    added = 0
    while added < n:
        day += timedelta(days=1)
        if is_working_day(day):
            added += 1
    return day
