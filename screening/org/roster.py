"""Roster import (børneliste) from CSV: children, their guardians and their group.

The whole file is validated first, in one pass: every problem of every row is reported
(row, column, reason), unknown institutions and groups included, also on rows with other
problems, so the file is fixed once; nothing is written unless the file is valid.
Importing the same file twice changes nothing: children are matched by the roster's own
id (``barn_id``), guardians by a stable key within the child (their name, case and
spacing aside; unique per child in the database), and a group move closes the old
membership and opens a new one. Two imports at once run one after the other
(`serialize`), so the second sees what the first wrote.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from screening.accounts.services import EMAIL_PATTERN
from screening.children.models import (
    Child,
    ChildGuardian,
    GroupMembership,
    Guardian,
    guardian_key,
)
from screening.core.db import serialize
from screening.core.extensions import db
from screening.org.models import Group, Institution

REQUIRED = ("barn_id", "fornavn", "efternavn", "fødselsdato", "institution", "stue")
GUARDIAN_FIELDS = ("navn", "email", "telefon", "adresse", "sprog", "tolk", "myndighed", "beskyttet")
GUARDIAN_SLOTS = (1, 2)
OPTIONAL = tuple(f"forælder{i}_{f}" for i in GUARDIAN_SLOTS for f in GUARDIAN_FIELDS)
KNOWN = REQUIRED + OPTIONAL
MAX_AGE_YEARS = 7

_YES = {"ja", "j", "yes", "y", "1", "x", "sand", "true"}
_NO = {"nej", "n", "no", "0", "", "falsk", "false"}
_LANG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class RowError:
    row: int  # line number in the file; the header is row 1
    column: str
    message: str


@dataclass
class GuardianRow:
    name: str
    email: str
    phone: str
    address: str
    language: str
    needs_interpreter: bool
    has_custody: bool
    protected_address: bool


@dataclass
class ChildRow:
    row: int
    external_ref: str
    first_name: str
    last_name: str
    birth_date: date
    institution: str
    group: str
    guardians: list[GuardianRow] = field(default_factory=list)


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    children_created: int = 0
    children_updated: int = 0
    children_moved: int = 0
    guardians_created: int = 0
    guardians_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return any(
            (
                self.children_created,
                self.children_updated,
                self.children_moved,
                self.guardians_created,
                self.guardians_updated,
            )
        )


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); Windows-1252 as exported by older Danish systems."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_key(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return key.replace("foedselsdato", "fødselsdato").replace("foraelder", "forælder")


def parse_date(value: str) -> date | None:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


@dataclass
class Parsed:
    rows: list[ChildRow]  # the rows without problems of their own
    errors: list[RowError]
    # (row, institution, group) of every row that names both: checked against the database.
    places: list[tuple[int, str, str]] = field(default_factory=list)


def parse(text: str, max_rows: int, today: date) -> tuple[list[ChildRow], list[RowError]]:
    """Parse and check the file on its own (no database). Returns rows and every error."""
    parsed = parse_file(text, max_rows, today)
    return parsed.rows, parsed.errors


def parse_file(text: str, max_rows: int, today: date) -> Parsed:
    """Parse and check the file on its own (no database): every problem, in one pass. A
    header problem does not stop the check of the rows (a missing column is not checked)."""
    if not text.strip():
        return Parsed([], [RowError(1, "", _("Filen er tom."))])
    if "\x00" in text:
        # PostgreSQL cannot store a NUL character; it only comes from a damaged export.
        return Parsed(
            [],
            [
                RowError(
                    line_no,
                    "",
                    _(
                        "Rækken indeholder et NUL-tegn (U+0000), som ikke kan gemmes. Eksporter "
                        "filen igen som CSV (UTF-8)."
                    ),
                )
                for line_no, line in enumerate(text.splitlines(), start=1)
                if "\x00" in line
            ],
        )
    first_line = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = _Reader(csv.reader(io.StringIO(text), delimiter=delimiter))
    try:
        return _parse_rows(reader, max_rows, today)
    except csv.Error:
        # The csv module refuses a field over its limit (131,072 characters) and cannot go
        # on after that: report it and stop (nothing of the file is imported).
        return Parsed(
            [],
            [
                RowError(
                    reader.line_num or 1,
                    "",
                    _(
                        "Et felt er længere end %(n)s tegn, eller rækken kan ikke læses som "
                        "CSV. Resten af filen er ikke læst.",
                        n=f"{csv.field_size_limit():,}".replace(",", "."),
                    ),
                )
            ],
        )


class _Reader:
    """A csv reader that remembers the line it reached (for an error raised mid-row)."""

    def __init__(self, reader: Any):
        self._reader = reader
        self.line_num = 0

    def __iter__(self) -> _Reader:
        return self

    def __next__(self) -> list[str]:
        self.line_num = self._reader.line_num + 1
        row: list[str] = next(self._reader)
        return row


def _parse_rows(reader: Any, max_rows: int, today: date) -> Parsed:
    errors: list[RowError] = []
    header = [_header_key(h) for h in next(reader)]
    missing = [h for h in REQUIRED if h not in header]
    for name in missing:
        errors.append(RowError(1, name, _("Kolonnen mangler i overskriftsrækken.")))
    for name in header:
        if name and name not in KNOWN:
            errors.append(RowError(1, name, _("Ukendt kolonne.")))
    dupes = {h for h in header if header.count(h) > 1}
    for name in sorted(dupes):
        errors.append(RowError(1, name, _("Kolonnen står mere end én gang.")))
    present = [h for h in REQUIRED if h in header]

    rows: list[ChildRow] = []
    places: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    data_rows = 0
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        data_rows += 1
        if data_rows > max_rows:
            errors.append(RowError(line_no, "", _("Filen har mere end %(n)d rækker.", n=max_rows)))
            break
        if len(cells) != len(header):
            errors.append(
                RowError(
                    line_no,
                    "",
                    _(
                        "Rækken har %(got)d felter, men overskriftsrækken har %(want)d.",
                        got=len(cells),
                        want=len(header),
                    ),
                )
            )
            continue
        values = dict.fromkeys(KNOWN, "")
        for h, c in zip(header, cells, strict=True):
            if h in values and not (h in dupes and values[h]):
                values[h] = c.strip()
        row_errors: list[RowError] = []

        def err(
            column: str, message: str, _line: int = line_no, _errs: list[RowError] = row_errors
        ) -> None:
            _errs.append(RowError(_line, column, message))

        for col in present:
            if not values[col]:
                err(col, _("Feltet skal udfyldes."))
        ref = values["barn_id"]
        if ref:
            if len(ref) > 64:
                err("barn_id", _("Højst 64 tegn."))
            elif ref in seen:
                err("barn_id", _("Samme barn_id står også i række %(row)d.", row=seen[ref]))
            else:
                seen[ref] = line_no
        for col, limit in (("fornavn", 80), ("efternavn", 80), ("institution", 120), ("stue", 80)):
            if len(values[col]) > limit:
                err(col, _("Højst %(n)d tegn.", n=limit))
        if values["institution"] and values["stue"]:
            places.append((line_no, values["institution"], values["stue"]))
        birth = None
        if values["fødselsdato"]:
            birth = parse_date(values["fødselsdato"])
            if birth is None:
                err("fødselsdato", _("Ugyldig dato. Brug formen ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ."))
            elif birth > today:
                err("fødselsdato", _("Datoen ligger i fremtiden."))
            elif (today.year - birth.year) > MAX_AGE_YEARS:
                err("fødselsdato", _("Barnet er ældre end %(n)d år.", n=MAX_AGE_YEARS))
        guardians = [
            g for slot in GUARDIAN_SLOTS if (g := _guardian(values, slot, err)) is not None
        ]
        if row_errors or birth is None or missing:
            errors.extend(row_errors)
            continue
        rows.append(
            ChildRow(
                row=line_no,
                external_ref=ref,
                first_name=values["fornavn"],
                last_name=values["efternavn"],
                birth_date=birth,
                institution=values["institution"],
                group=values["stue"],
                guardians=guardians,
            )
        )
    if not rows and not errors:
        errors.append(RowError(2, "", _("Filen indeholder ingen børn.")))
    return Parsed(rows, errors, places)


def _guardian(
    values: dict[str, str], slot: int, err: Callable[[str, str], None]
) -> GuardianRow | None:
    p = f"forælder{slot}_"

    def get(name: str) -> str:
        return values.get(p + name, "")

    if not get("navn"):
        others = [f for f in GUARDIAN_FIELDS if f != "navn" and get(f)]
        if others:
            err(p + "navn", _("Navnet mangler, men der står andre oplysninger om forælderen."))
        return None

    def flag(name: str, default: bool) -> bool:
        raw = get(name).lower()
        if not raw:
            return default
        if raw in _YES:
            return True
        if raw in _NO:
            return False
        err(p + name, _("Skriv ja eller nej."))
        return default

    if len(get("navn")) > 120:
        err(p + "navn", _("Højst %(n)d tegn.", n=120))
    email = get("email")
    if email and (len(email) > 200 or not EMAIL_PATTERN.match(email)):
        err(p + "email", _("Ugyldig e-mailadresse."))
    if len(get("telefon")) > 40:
        err(p + "telefon", _("Højst %(n)d tegn.", n=40))
    if len(get("adresse")) > 200:
        err(p + "adresse", _("Højst %(n)d tegn.", n=200))
    language = get("sprog").lower() or "da"
    if not _LANG.match(language):
        err(p + "sprog", _("Brug en sprogkode på to eller tre bogstaver, fx da, en, ar."))
    return GuardianRow(
        name=get("navn"),
        email=email,
        phone=get("telefon"),
        address=get("adresse"),
        language=language,
        needs_interpreter=flag("tolk", False),
        has_custody=flag("myndighed", True),
        protected_address=flag("beskyttet", False),
    )


def import_roster(data: bytes, *, today: date, max_rows: int = 20000) -> ImportResult:
    """Validate the whole file, then apply it in the caller's transaction (flush only)."""
    result = ImportResult()
    parsed = parse_file(decode(data), max_rows, today)
    rows, errors = parsed.rows, parsed.errors
    result.rows = len(rows)
    if not errors:
        serialize(db.session, "roster-import")
    groups = _resolve_groups(parsed.places, errors)
    if errors:
        result.errors = sorted(errors, key=lambda e: (e.row, e.column))
        return result

    existing = {
        c.external_ref: c
        for c in db.session.scalars(
            sa.select(Child)
            .where(Child.external_ref.in_([r.external_ref for r in rows]))
            .options(
                selectinload(Child.memberships),
                selectinload(Child.guardian_links).selectinload(ChildGuardian.guardian),
            )
            .execution_options(populate_existing=True)
        )
    }
    for row in rows:
        group = groups[(row.institution.casefold(), row.group.casefold())]
        child = existing.get(row.external_ref)
        if child is None:
            child = Child(
                external_ref=row.external_ref,
                first_name=row.first_name,
                last_name=row.last_name,
                birth_date=row.birth_date,
            )
            child.memberships.append(GroupMembership(group=group, start_date=today))
            db.session.add(child)
            result.children_created += 1
        else:
            if _assign(
                child, first_name=row.first_name, last_name=row.last_name, birth_date=row.birth_date
            ):
                result.children_updated += 1
            current = child.current_membership
            if current is None or current.group_id != group.id:
                if current is not None:
                    current.end_date = today
                    db.session.flush()  # close the old one before the unique open index sees two
                child.memberships.append(GroupMembership(group=group, start_date=today))
                result.children_moved += 1
        _apply_guardians(child, row.guardians, result)
    db.session.flush()
    return result


def _resolve_groups(
    places: list[tuple[int, str, str]], errors: list[RowError]
) -> dict[tuple[str, str], Group]:
    """The group of every (institution, group) the file names; an unknown one is an error on
    each row that names it."""
    institutions = {
        i.name.casefold(): i
        for i in db.session.scalars(
            sa.select(Institution).options(selectinload(Institution.groups))
        )
    }
    groups: dict[tuple[str, str], Group] = {}
    for row, inst_name, group_name in places:
        inst = institutions.get(inst_name.casefold())
        if inst is None:
            errors.append(
                RowError(
                    row, "institution", _("Institutionen »%(name)s« findes ikke.", name=inst_name)
                )
            )
            continue
        group = next((g for g in inst.groups if g.name.casefold() == group_name.casefold()), None)
        if group is None:
            errors.append(
                RowError(
                    row,
                    "stue",
                    _(
                        "Stuen »%(group)s« findes ikke i »%(institution)s«.",
                        group=group_name,
                        institution=inst.name,
                    ),
                )
            )
            continue
        groups[(inst_name.casefold(), group_name.casefold())] = group
    return groups


def _assign(obj: object, **values: Any) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _apply_guardians(child: Child, guardians: list[GuardianRow], result: ImportResult) -> None:
    by_key = {link.match_key: link for link in child.guardian_links}
    for g in guardians:
        key = guardian_key(g.name)
        link = by_key.get(key)
        fields = {
            "email": g.email,
            "phone": g.phone,
            "address": g.address,
            "language": g.language,
            "needs_interpreter": g.needs_interpreter,
            "protected_address": g.protected_address,
        }
        if link is None:
            guardian = Guardian(name=g.name, **fields)
            link = ChildGuardian(guardian=guardian, has_custody=g.has_custody, match_key=key)
            child.guardian_links.append(link)
            by_key[key] = link
            result.guardians_created += 1
        else:
            changed = _assign(link.guardian, name=g.name, **fields)
            changed = _assign(link, has_custody=g.has_custody) or changed
            if changed:
                result.guardians_updated += 1
