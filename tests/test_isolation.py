"""The test harness itself: every test starts from a known database, whatever the test
before it wrote, with or without the shipped catalogue."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import yaml

from screening.catalogue.services import DATA_DIR, load_instrument_files
from screening.core.extensions import db
from screening.models import (
    ActionPathTemplateVersion,
    AuditEvent,
    Child,
    InstrumentVersion,
    Outcome,
    RuleSetVersion,
)

from . import factories as f

SHIPPED_INSTRUMENTS = {"topi-0-1": 1, "topi-1-3": 1, "topi-3-6": 1, "rating-3-6": 2}
SHIPPED = set(SHIPPED_INSTRUMENTS.items())


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def catalogue_keys() -> set[tuple[str, int]]:
    return set(db.session.execute(sa.select(InstrumentVersion.key, InstrumentVersion.version)))


def test_without_the_catalogue_fixture_the_database_is_empty(app):
    assert count(InstrumentVersion) == count(RuleSetVersion) == 0
    assert count(ActionPathTemplateVersion) == 0


def test_the_catalogue_fixture_gives_the_shipped_catalogue(catalogue):
    assert catalogue_keys() == SHIPPED
    assert count(RuleSetVersion) == len(list((DATA_DIR / "rules").glob("*.yaml")))
    assert count(ActionPathTemplateVersion) == 1


def _write_a_second_version_and_a_child(tmp_path) -> None:
    doc = yaml.safe_load((DATA_DIR / "instruments" / "topi-3-6.yaml").read_text())
    doc["version"] = 2
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    load_instrument_files(path)  # a new row after the restored ones: no id clash
    f.child(f.institution().groups[0])
    db.session.commit()
    assert ("topi-3-6", 2) in catalogue_keys()


def test_a_reset_with_the_catalogue_forgets_what_a_test_wrote(catalogue, reset_db, tmp_path):
    _write_a_second_version_and_a_child(tmp_path)
    for _ in range(2):
        reset_db(catalogue=True)
        assert catalogue_keys() == SHIPPED
        assert count(Child) == 0
        _write_a_second_version_and_a_child(tmp_path)  # and ids still do not clash


def test_a_reset_without_the_catalogue_empties_it(catalogue, reset_db):
    assert count(InstrumentVersion) == 4
    reset_db()
    assert count(InstrumentVersion) == count(RuleSetVersion) == 0


def test_the_catalogue_asked_for_late_is_loaded_then(app, request):
    assert count(InstrumentVersion) == 0
    request.getfixturevalue("catalogue")
    assert catalogue_keys() == SHIPPED
    assert count(ActionPathTemplateVersion) == 1


def test_ids_start_again_after_a_reset(app, reset_db):
    f.institution()
    db.session.commit()
    f.institution()
    db.session.rollback()  # a rolled-back insert moves the id sequence too
    reset_db()
    assert f.institution().id == 1


def test_the_audit_trail_is_emptied_although_it_refuses_delete(app, reset_db):
    db.session.add(AuditEvent(action="test", object_type="child", outcome=Outcome.OK))
    db.session.commit()
    with pytest.raises(sa.exc.DatabaseError):  # the database refuses to delete it ...
        db.session.execute(sa.delete(AuditEvent))
    db.session.rollback()
    reset_db()  # ... the reset empties it all the same
    assert count(AuditEvent) == 0
