"""Age bands as birth-date ranges (catalogue.services.round_bands): SQL places a child by
comparing dates, and that must agree with the age in months that picks the instrument."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from screening.catalogue.services import (
    age_in_months,
    instrument_for,
    latest_birth_for_age,
    round_bands,
)
from screening.core.extensions import db
from screening.models import RoundStatus, ScreeningRound

days = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


@given(days, st.integers(0, 90), st.integers(-40, 40))
def test_the_latest_birth_date_for_an_age_is_exact(on, months, shift):
    latest = latest_birth_for_age(on, months)
    assert age_in_months(latest, on) >= months
    assert age_in_months(latest + timedelta(days=1), on) < months
    birth = latest + timedelta(days=shift)
    assert (birth <= latest) == (age_in_months(birth, on) >= months)


def test_round_bands_agree_with_instrument_for_every_day_of_birth(app, catalogue):
    round_ = ScreeningRound(
        name="R",
        starts_on=date(2026, 2, 20),
        ends_on=date(2026, 3, 31),
        reference_date=date(2026, 2, 28),
        status=RoundStatus.OPEN,
        instrument_keys=["topi-0-1", "topi-1-3", "topi-3-6"],
    )
    db.session.add(round_)
    db.session.flush()
    bands = round_bands(round_)
    assert [b.key for b in bands] == ["topi-0-1", "topi-1-3", "topi-3-6"]
    by_months = {}
    birth = date(2018, 1, 1)
    while birth <= round_.reference_date:
        months = age_in_months(birth, round_.reference_date)
        if months not in by_months:
            found = instrument_for(round_, months)
            by_months[months] = found.key if found else None
        band = next((b.key for b in bands if b.born_after < birth <= b.born_by), None)
        assert band == by_months[months], birth
        birth += timedelta(days=1)
