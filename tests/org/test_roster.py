"""Roster import: whole-file validation with precise Danish errors, all-or-nothing,
idempotent, and group moves kept as history."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from screening.core.extensions import db
from screening.models import AuditEvent, Child, ChildGuardian, GroupMembership, Guardian, Role
from screening.org.roster import import_roster

from .. import factories as f

TODAY = date(2026, 11, 23)
HEADER = (
    "barn_id;fornavn;efternavn;fødselsdato;institution;stue;"
    "forælder1_navn;forælder1_email;forælder1_telefon;forælder1_adresse;forælder1_sprog;"
    "forælder1_tolk;forælder1_myndighed;forælder1_beskyttet;"
    "forælder2_navn;forælder2_email;forælder2_telefon;forælder2_adresse;forælder2_sprog;"
    "forælder2_tolk;forælder2_myndighed;forælder2_beskyttet"
)
GOOD_ROWS = [
    "A1;Alma;Østergaard;2022-03-14;Børnehuset Mælkebøtten;Egernene;"
    "Mette Østergaard;mette@example.dk;+45 11 22 33 44;Rosenvej 1;da;nej;ja;nej;"
    "Søren Østergaard;soren@example.dk;;Hemmelig Vej 2;da;nej;ja;ja",
    "A2;Omar;Ahmed;01-06-2024;Børnehuset Mælkebøtten;Mariehønsene;"
    "Amina Ahmed;;+45 55 66 77 88;Engvej 9;ar;ja;ja;nej;;;;;;;;",
    "A3;Åse;Bæk;02.01.2021;Børnehuset Mælkebøtten;Egernene;;;;;;;;;;;;;;;;",
]


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


@pytest.fixture
def inst(app):
    i = f.institution("Børnehuset Mælkebøtten", groups=("Egernene", "Mariehønsene"))
    db.session.commit()
    return i


def counts():
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Child, Guardian, ChildGuardian, GroupMembership)
    )


def test_valid_file_is_imported(inst):
    result = import_roster(csv_bytes(GOOD_ROWS), today=TODAY)
    assert result.ok, result.errors
    assert (result.rows, result.children_created, result.guardians_created) == (3, 3, 3)
    alma = db.session.scalar(sa.select(Child).where(Child.external_ref == "A1"))
    assert alma.last_name == "Østergaard"
    assert alma.birth_date == date(2022, 3, 14)
    assert alma.current_group.name == "Egernene"
    guardians = {link.guardian.name: link.guardian for link in alma.guardian_links}
    assert guardians["Søren Østergaard"].protected_address is True
    assert guardians["Mette Østergaard"].protected_address is False
    omar = db.session.scalar(sa.select(Child).where(Child.external_ref == "A2"))
    assert omar.birth_date == date(2024, 6, 1)
    amina = omar.guardian_links[0].guardian
    assert (amina.language, amina.needs_interpreter) == ("ar", True)


def test_importing_the_same_file_twice_changes_nothing(inst):
    data = csv_bytes(GOOD_ROWS)
    assert import_roster(data, today=TODAY).ok
    db.session.commit()
    before = counts()
    again = import_roster(data, today=TODAY)
    assert again.ok
    assert not again.changed
    db.session.commit()
    assert counts() == before


def test_a_group_move_keeps_history_and_updates_are_counted(inst):
    assert import_roster(csv_bytes(GOOD_ROWS), today=TODAY).ok
    db.session.commit()
    moved = GOOD_ROWS[0].replace(";Egernene;", ";Mariehønsene;").replace("Alma;", "Alma Sofie;")
    result = import_roster(csv_bytes([moved]), today=date(2027, 1, 5))
    assert result.ok
    assert (result.children_moved, result.children_updated) == (1, 1)
    db.session.commit()
    alma = db.session.scalar(sa.select(Child).where(Child.external_ref == "A1"))
    history = sorted((m.group.name, m.start_date, m.end_date) for m in alma.memberships)
    assert history == [
        ("Egernene", TODAY, date(2027, 1, 5)),
        ("Mariehønsene", date(2027, 1, 5), None),
    ]


def test_every_bad_row_is_reported_and_nothing_is_imported(inst):
    rows = [
        GOOD_ROWS[0],
        "A2;;Ahmed;2024-13-01;Børnehuset Mælkebøtten;Mariehønsene;;;;;;;;;;;;;;;;",
        "A1;Dobbelt;Id;2023-01-01;Ukendt Hus;Egernene;;;;;;;;;;;;;;;;",
        "A4;Ida;Ny;2023-01-01;Børnehuset Mælkebøtten;Ukendt Stue;;;;;;;;;;;;;;;;",
        "A5;Ida;Ny;2030-01-01;Børnehuset Mælkebøtten;Egernene;Far;ikke-en-mail;;;;maske;;;;;;;;;;",
        "A6;for;få;felter",
    ]
    result = import_roster(csv_bytes(rows), today=TODAY)
    assert not result.ok
    got = {(e.row, e.column, e.message) for e in result.errors}
    assert got == {
        (3, "fornavn", "Feltet skal udfyldes."),
        (3, "fødselsdato", "Ugyldig dato. Brug formen ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ."),
        (4, "barn_id", "Samme barn_id står også i række 2."),
        # An unknown institution is reported on a row with other problems too.
        (4, "institution", "Institutionen »Ukendt Hus« findes ikke."),
        (5, "stue", "Stuen »Ukendt Stue« findes ikke i »Børnehuset Mælkebøtten«."),
        (6, "fødselsdato", "Datoen ligger i fremtiden."),
        (6, "forælder1_email", "Ugyldig e-mailadresse."),
        (6, "forælder1_tolk", "Skriv ja eller nej."),
        (7, "", "Rækken har 4 felter, men overskriftsrækken har 22."),
    }
    db.session.rollback()
    assert counts() == (0, 0, 0, 0)


def test_unknown_institution_is_reported(inst):
    row = "B1;Ida;Ny;2023-01-01;Ukendt Hus;Egernene;;;;;;;;;;;;;;;;"
    result = import_roster(csv_bytes([row]), today=TODAY)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "institution", "Institutionen »Ukendt Hus« findes ikke.")
    ]


def test_header_problems(inst):
    result = import_roster(b"barn_id;fornavn;foo\n1;2;3\n", today=TODAY)
    assert {(e.row, e.column, e.message) for e in result.errors} == {
        (1, "efternavn", "Kolonnen mangler i overskriftsrækken."),
        (1, "fødselsdato", "Kolonnen mangler i overskriftsrækken."),
        (1, "institution", "Kolonnen mangler i overskriftsrækken."),
        (1, "stue", "Kolonnen mangler i overskriftsrækken."),
        (1, "foo", "Ukendt kolonne."),
    }
    assert import_roster(b"", today=TODAY).errors[0].message == "Filen er tom."


def test_header_and_row_problems_are_reported_in_one_pass(inst):
    header = "barn_id;fornavn;efternavn;fødselsdato;institution;stue;kaldenavn;stue"
    rows = [
        "D1;Ida;;2023-01-01;Ukendt Hus;Egernene;Idde;Egernene",
        "D2;Bo;Berg;2023-01-01;Børnehuset Mælkebøtten;Ukendt Stue;;Ukendt Stue",
        "D3;Ib;Berg;2023-01-01;Børnehuset Mælkebøtten;Egernene;;Egernene",
    ]
    result = import_roster(csv_bytes(rows, header=header), today=TODAY)
    assert {(e.row, e.column, e.message) for e in result.errors} == {
        (1, "kaldenavn", "Ukendt kolonne."),
        (1, "stue", "Kolonnen står mere end én gang."),
        (2, "efternavn", "Feltet skal udfyldes."),
        (2, "institution", "Institutionen »Ukendt Hus« findes ikke."),
        (3, "stue", "Stuen »Ukendt Stue« findes ikke i »Børnehuset Mælkebøtten«."),
    }
    db.session.rollback()
    assert counts() == (0, 0, 0, 0)


def test_comma_separated_windows_1252_with_ascii_headers(inst):
    header = "barn_id,fornavn,efternavn,foedselsdato,institution,stue"
    data = csv_bytes(
        ["C1,Søs,Ærø,2022-02-02,Børnehuset Mælkebøtten,Egernene"], header=header, encoding="cp1252"
    )
    result = import_roster(data, today=TODAY)
    assert result.ok, result.errors
    kid = db.session.scalar(sa.select(Child).where(Child.external_ref == "C1"))
    assert (kid.first_name, kid.last_name) == ("Søs", "Ærø")


def test_utf8_bom_is_accepted(inst):
    result = import_roster(b"\xef\xbb\xbf" + csv_bytes(GOOD_ROWS[2:]), today=TODAY)
    assert result.ok, result.errors


def test_upload_through_the_admin_page(browser, inst):
    f.user(Role.ADMIN, email="admin@example.dk")
    db.session.commit()
    browser.login("admin@example.dk")

    def upload(data):
        return browser.submit(
            "/admin/roster",
            {"file": (io.BytesIO(data), "boern.csv")},
            content_type="multipart/form-data",
        )

    r = upload(csv_bytes([*GOOD_ROWS[:1], "X;;;;;;;;;;;;;;;;;;;;;"]))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Feltet skal udfyldes." in html
    assert "Intet er indlæst" in html
    assert counts() == (0, 0, 0, 0)
    r = upload(csv_bytes(GOOD_ROWS))
    assert r.status_code == 200
    assert "Børnelisten er indlæst." in r.get_data(as_text=True)
    assert counts()[0] == 3
    # The admin who imported cannot read the children.
    kid = db.session.scalar(sa.select(Child).limit(1))
    assert browser.get(f"/children/{kid.id}").status_code == 404
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("roster.import") == 1
    assert actions.count("roster.import_rejected") == 1
