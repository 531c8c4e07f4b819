"""A whole municipality at scale, generated fast and deterministically, for benchmarks and
load tests.

Command line (against ``DATABASE_URL``, SQLite or PostgreSQL; migrates the schema and loads
the shipped catalogue first)::

    python -m benchmarks.municipality --children 20000 --institutions 40 --rounds 10

Python (inside or outside a Flask app; the schema and the catalogue must be there)::

    from benchmarks.municipality import Scale, build
    summary = build(engine_or_session, Scale(children=20_000))
    summary.rounds[-1]           # id of the newest (open) round
    summary.coordinator_email    # sign-in e-mails; every user's password is PASSWORD

The shape (defaults; every number is a `Scale` field): 40 institutions with 10 groups
(stuer) each, 4 for 0–3-year-olds and 6 for 3–6-year-olds; `children` children attend at
every round (children enrol at 9–14 months, move from a nursery group to a kindergarten
group at 3 and leave at about 6, so over ten rounds about twice as many children pass
through, with their group history and ``left_on``); one or two guardians per child, some
with a protected address; one educator per group, one leader per institution, health
visitors, dental staff, PPR, a social worker, coordinators and an admin. Ten rounds
(twice a year, the newest open and only partly done); in each, two individual
assessments per child (the group's educator and the leader; for infants a health visitor
at a home visit) and one joint assessment, with real classifier output as JSON; agreed
positions follow a Markov chain per child (about 80 % green). Observations from every
source. Up to `paths` action paths (the most recent yellow/red episodes) with the steps of
the shipped templates, due dates from the template rules, most done on time, some late,
some overdue; meetings with participants, action plans with actions and offers,
follow-ups and notify decisions.

Rows are written with SQLAlchemy Core ``insert()`` + executemany in chunks with explicit
ids (PostgreSQL sequences are moved past them afterwards). The same `Scale` (seed included)
gives the same rows; dates are counted back from ``Scale.today``.

The municipality row's name records the scale (`Scale.key`), so `build` on a database that
already holds this very municipality returns at once (`Summary.reused`), and refuses a
database holding anything else.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from screening.core.time import local_today

PASSWORD = "bench-adgangskode"  # noqa: S105 - every generated user's password
MARKER = "Generert Kommune"
VERSION = 1  # bump when the shape of the generated data changes

POSITIONS = ("green", "yellow", "red")
# Agreed position in the first round, and from one round to the next.
START = (0.82, 0.13, 0.05)
CHAIN = {
    "green": (0.93, 0.058, 0.012),
    "yellow": (0.45, 0.45, 0.10),
    "red": (0.15, 0.35, 0.50),
}
OFFERS = (
    ("Ekstra voksenkontakt i hverdagen", 1),
    ("Sprogstimulering i lille gruppe", 1),
    ("Motorikforløb", 1),
    ("Forældresamtaler med sundhedsplejen", 1),
    ("Familiecafé", 2),
    ("Forældrekursus", 2),
    ("Sparring med PPR", 2),
    ("Tale-hørekonsulent", 2),
    ("Familiebehandling i hjemmet", 3),
    ("Støttepædagog", 3),
    ("Aflastning i netværket", 4),
    ("Aflastningsfamilie", 5),
)
INSTITUTION_WORDS = (
    "Solsikken Mælkebøtten Lærkereden Egeblad Regnbuen Spiren Kastanjen Myretuen "
    "Skovsprutten Havtornen Troldehøj Mosebo Bøgely Engblommen Pilehuset Vibereden "
    "Anemonen Birkelunden Fyrreskoven Humlebien"
).split()
INSTITUTION_KINDS = ("Børnehuset", "Børnehaven", "Den Integrerede Institution", "Vuggestuen")
GROUP_NAMES = (
    "Mariehønsene Sommerfuglene Bierne Myrerne Egernene Rævene Uglerne Pindsvinene "
    "Frøerne Sneglene Græshopperne Mejserne"
).split()
FIRST = (
    "Alma Ida Freja Clara Emma Agnes Ella Karla Olivia Nora Asta Luna Sofie Ingrid Aya "
    "Maja Hannah Mila Oliver William Noah Oscar Carl Emil Aksel Malthe Alfred Arthur Lucas "
    "Elias Magnus August Viggo Theo Felix Anton Ali Omar Ibrahim Storm Hugo Otto"
).split()
LAST = (
    "Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen "
    "Jørgensen Petersen Madsen Kristensen Olsen Thomsen Poulsen Møller Ahmed Hussein "
    "Kowalski Yilmaz Khan Kovalenko Abdi Østergaard"
).split()
ADULT = "Anne Mette Louise Camilla Line Maria Sara Fatima Olena Søren Martin Thomas Jonas Piotr"
STREETS = "Rosenvej Bøgevej Skolegade Møllevangen Kirkevej Stationsvej Engvej Lærkevej".split()
CHUNK = 5000


@dataclass(frozen=True)
class Scale:
    """How big a municipality to generate. `children` attend at every round."""

    institutions: int = 40
    groups_per_institution: int = 10
    children: int = 20_000
    rounds: int = 10
    paths: int = 5_000
    observations_per_child_round: float = 0.3
    seed: int = 2026
    today: date = field(default_factory=local_today)

    @property
    def key(self) -> str:
        """What identifies the generated data (the day it was made on is not part of it)."""
        return (
            f"v{VERSION} i{self.institutions} g{self.groups_per_institution} "
            f"c{self.children} r{self.rounds} p{self.paths} "
            f"o{self.observations_per_child_round:g} s{self.seed}"
        )


@dataclass
class Summary:
    """What was generated (or found): ids and sign-ins a benchmark needs."""

    scale_key: str
    reused: bool
    rounds: list[int]  # oldest first; the last one is open
    institutions: list[int]
    coordinator_email: str
    leader_email: str  # the leader of the first institution
    educator_email: str  # the educator of the first institution's first group
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for dd in (day.day, 30, 29, 28):
        try:
            return date(year, month, dd)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class _Writer:
    """Collects rows per table and writes them in chunks with executemany."""

    def __init__(self, conn: Connection, metadata: sa.MetaData) -> None:
        self.conn = conn
        self.tables = metadata.tables
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}
        self.next_ids: dict[str, int] = {}

    def next_id(self, table: str) -> int:
        if table not in self.next_ids:
            t = self.tables[table]
            found = self.conn.execute(sa.select(sa.func.max(t.c.id))).scalar()
            self.next_ids[table] = (found or 0) + 1
        nid = self.next_ids[table]
        self.next_ids[table] = nid + 1
        return nid

    def add(self, table: str, row: dict[str, Any]) -> None:
        rows = self.rows.setdefault(table, [])
        rows.append(row)
        if len(rows) >= CHUNK:
            self.flush()  # every table, parents first: a row's parent may still be waiting

    def flush(self, table: str | None = None) -> None:
        """Write the collected rows of `table`, or of every table, parents first."""
        names = [table] if table else [t.name for t in self._sorted() if t.name in self.rows]
        for name in names:
            rows = self.rows.get(name)
            if rows:
                self.conn.execute(self.tables[name].insert(), rows)
                self.counts[name] = self.counts.get(name, 0) + len(rows)
                self.rows[name] = []

    def _sorted(self) -> list[sa.Table]:
        return list(next(iter(self.tables.values())).metadata.sorted_tables)


@dataclass
class _Round:
    id: int
    name: str
    starts_on: date
    ends_on: date
    reference_date: date
    open: bool


@dataclass
class _Child:
    id: int
    birth: date
    enrol: date
    leave: date  # the day the child leaves (may lie after today)
    institution: int  # index
    nursery_group: int  # group ids
    kg_group: int
    move: date  # nursery → kindergarten
    guardians: list[int] = field(default_factory=list)

    def group_on(self, day: date) -> int | None:
        if day < self.enrol or day >= self.leave:
            return None
        return self.nursery_group if day < self.move else self.kg_group


def _pick(rng: random.Random, weights: tuple[float, ...]) -> int:
    x = rng.random()
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w
        if x < acc:
            return i
    return len(weights) - 1


def _severity(position: str) -> int:
    return POSITIONS.index(position)


def _yaml(text: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def _connection(target: Engine | Connection | Session | Any) -> tuple[Connection, bool]:
    """The connection to write on, and whether this module opened it."""
    if isinstance(target, Engine):
        return target.connect(), True
    if isinstance(target, Connection):
        return target, False
    return target.connection(), False  # a Session or Flask-SQLAlchemy's scoped session


def build(target: Engine | Connection | Session, scale: Scale | None = None) -> Summary:
    """Generate the municipality into the database behind `target` (committing when given
    an engine; with a connection or session the caller commits). Returns at once when the
    database already holds the municipality of this `scale`."""
    scale = scale or Scale()
    conn, owned = _connection(target)
    try:
        summary = _build(conn, scale)
        if owned:
            conn.commit()
        return summary
    finally:
        if owned:
            conn.close()


def existing(conn: Connection, scale: Scale) -> Summary | None:
    """The summary of this scale's municipality when the database holds it, else None."""
    from screening.models import Institution, Municipality, ScreeningRound

    name = conn.execute(sa.select(Municipality.name).limit(1)).scalar()
    if name is None or not name.startswith(MARKER):
        return None
    if name != f"{MARKER} ({scale.key})":
        raise RuntimeError(f"the database holds another generated municipality: {name}")
    rounds = list(
        conn.execute(sa.select(ScreeningRound.id).order_by(ScreeningRound.reference_date)).scalars()
    )
    institutions = list(conn.execute(sa.select(Institution.id).order_by(Institution.id)).scalars())
    return Summary(
        scale.key,
        True,
        rounds,
        institutions,
        "koordinator@bench.dk",
        "leder-1@bench.dk",
        "paedagog-1-1@bench.dk",
    )


def _build(conn: Connection, scale: Scale) -> Summary:
    from screening import models as m
    from screening.classifier import (
        classify,
        load_instrument,
        load_observation_categories,
        load_ruleset,
        suggest_joint,
    )
    from screening.core.extensions import db
    from screening.paths import rules

    started = time.perf_counter()
    found = existing(conn, scale)
    if found is not None:
        return found
    if conn.execute(sa.select(sa.func.count(m.Institution.id))).scalar():
        raise RuntimeError("the database holds data already; generate into an empty one")
    inst_rows = conn.execute(
        sa.select(m.InstrumentVersion.__table__).order_by(
            m.InstrumentVersion.key, m.InstrumentVersion.version.desc()
        )
    ).all()
    newest: dict[str, Any] = {}
    for row in inst_rows:
        newest.setdefault(row.key, row)
    wanted = ["topi-0-1", "topi-1-3", "topi-3-6"]
    if any(k not in newest for k in wanted):
        raise RuntimeError("load the shipped catalogue first (`flask load-catalogue`)")
    ruleset_row = conn.execute(
        sa.select(m.RuleSetVersion.__table__)
        .where(m.RuleSetVersion.key == "default")
        .order_by(m.RuleSetVersion.version.desc())
        .limit(1)
    ).one()
    template_row = conn.execute(
        sa.select(m.ActionPathTemplateVersion.__table__).order_by(
            m.ActionPathTemplateVersion.id.desc()
        )
    ).first()
    if template_row is None:
        raise RuntimeError("load the shipped action-path templates first")
    ruleset = load_ruleset(_yaml(ruleset_row.source_yaml))
    templates = rules.load_templates(_yaml(template_row.source_yaml))
    instruments = {k: load_instrument(_yaml(newest[k].source_yaml)) for k in wanted}
    bands = sorted((newest[k].min_months, newest[k].max_months, k) for k in wanted)
    categories = load_observation_categories()

    rng = random.Random(scale.seed)
    w = _Writer(conn, db.metadata)
    today = scale.today
    t = w.tables

    # Classifier output, computed once per instrument and position and reused -----------
    pools: dict[tuple[str, str], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for key, inst in instruments.items():
        statements = [i for i in inst.items if i.kind == "indicator"]
        by_position = {
            p: [i for i in statements if i.position is not None and i.position.value == p]
            for p in POSITIONS
        }
        for p in POSITIONS:
            bucket = pools.setdefault((key, p), [])
            tries = 0
            while len(bucket) < 12 and tries < 500:
                tries += 1
                answers: dict[str, Any] = {}
                for item in rng.sample(by_position["green"], k=min(6, len(by_position["green"]))):
                    answers[item.key] = True
                if p != "green":
                    for item in rng.sample(by_position[p], k=rng.choice((1, 1, 2))):
                        answers[item.key] = True
                result = classify(inst, ruleset, answers)
                if result.position.value == p:
                    bucket.append((answers, result.to_dict()))
    joint_pool: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for key in instruments:
        for p1 in POSITIONS:
            for p2 in POSITIONS:
                joint_pool[(key, p1, p2)] = [
                    suggest_joint(
                        [rng.choice(pools[(key, p1)])[1], rng.choice(pools[(key, p2)])[1]],
                        ruleset,
                    ).to_dict()
                    for _ in range(3)
                ]

    # Municipality, offers, rounds ---------------------------------------------------------
    if conn.execute(sa.select(sa.func.count(m.Municipality.id))).scalar():
        conn.execute(sa.delete(t["municipality"]))
    w.add(
        "municipality",
        {
            "id": w.next_id("municipality"),
            "name": f"{MARKER} ({scale.key})",
            "label_green": "Trivsel",
            "label_yellow": "Bekymring",
            "label_red": "Stærk bekymring",
            "retention_years": 5,
            "ruleset_key": "default",
            "created_at": _at(today),
        },
    )
    offer_ids: dict[int, list[int]] = {}
    for name, step in OFFERS:
        oid = w.next_id("offer")
        offer_ids.setdefault(step, []).append(oid)
        w.add(
            "offer",
            {
                "id": oid,
                "name": name,
                "description": "",
                "staircase_step": step,
                "min_age_months": 0,
                "max_age_months": 84,
                "active": True,
            },
        )

    last_ref = today - timedelta(days=20)
    rounds: list[_Round] = []
    for k in range(scale.rounds):
        ref = add_months(last_ref, -6 * (scale.rounds - 1 - k))
        is_open = k == scale.rounds - 1
        season = "Forår" if ref.month <= 6 else "Efterår"
        rounds.append(
            _Round(
                w.next_id("screening_round"),
                f"{season} {ref.year}",
                ref - timedelta(days=10),
                today + timedelta(days=30) if is_open else ref + timedelta(days=50),
                ref,
                is_open,
            )
        )
    seen_names: set[str] = set()
    for r in rounds:
        while r.name in seen_names:
            r.name += " (2)"
        seen_names.add(r.name)
        w.add(
            "screening_round",
            {
                "id": r.id,
                "name": r.name,
                "starts_on": r.starts_on,
                "ends_on": r.ends_on,
                "reference_date": r.reference_date,
                "status": m.RoundStatus.OPEN if r.open else m.RoundStatus.CLOSED,
                "instrument_keys": wanted,
                "created_at": _at(r.starts_on - timedelta(days=30)),
            },
        )

    # Institutions, groups, users -----------------------------------------------------------
    nursery = max(1, round(scale.groups_per_institution * 0.4))
    inst_ids: list[int] = []
    groups: list[tuple[list[int], list[int]]] = []  # (nursery ids, kindergarten ids)
    group_inst: dict[int, int] = {}
    for i in range(scale.institutions):
        iid = w.next_id("institution")
        inst_ids.append(iid)
        word = INSTITUTION_WORDS[i % len(INSTITUTION_WORDS)]
        kind_word = INSTITUTION_KINDS[(i // len(INSTITUTION_WORDS)) % len(INSTITUTION_KINDS)]
        suffix = f" {i // (len(INSTITUTION_WORDS) * len(INSTITUTION_KINDS)) + 1}" if i >= 80 else ""
        w.add(
            "institution",
            {
                "id": iid,
                "name": f"{kind_word} {word}{suffix}",
                "kind": m.InstitutionKind.INTEGRERET,
                "address": f"{STREETS[i % len(STREETS)]} {i + 1}, 8000 Aarhus C",
                "active": True,
                "created_at": _at(rounds[0].starts_on - timedelta(days=400)),
            },
        )
        nurseries: list[int] = []
        kgs: list[int] = []
        for g in range(scale.groups_per_institution):
            gid = w.next_id("child_group")
            name = GROUP_NAMES[g % len(GROUP_NAMES)]
            if g >= len(GROUP_NAMES):
                name += f" {g // len(GROUP_NAMES) + 1}"
            w.add(
                "child_group",
                {
                    "id": gid,
                    "institution_id": iid,
                    "name": name,
                    "active": True,
                    "created_at": _at(rounds[0].starts_on - timedelta(days=400)),
                },
            )
            group_inst[gid] = iid
            (nurseries if g < nursery or scale.groups_per_institution == 1 else kgs).append(gid)
        groups.append((nurseries, kgs or nurseries))
    for r in rounds:  # every round covers every institution
        for iid in inst_ids:
            w.add("round_institution", {"round_id": r.id, "institution_id": iid})
    w.flush()

    from argon2 import PasswordHasher

    password_hash = PasswordHasher().hash(PASSWORD)
    users: dict[str, int] = {}

    def user(email: str, name: str, roles: Iterable[m.Role], institutions: Iterable[int]) -> int:
        uid = w.next_id("user_account")
        users[email] = uid
        w.add(
            "user_account",
            {
                "id": uid,
                "email": email,
                "name": name,
                "password_hash": password_hash,
                "session_token": f"{uid:032x}",
                "active": True,
                "locale": None,
                "password_changed_at": _at(today - timedelta(days=30)),
                "created_at": _at(today - timedelta(days=900)),
            },
        )
        for role in roles:
            w.add("user_role", {"id": w.next_id("user_role"), "user_id": uid, "role": role})
        for iid in institutions:
            w.add("user_institution", {"user_id": uid, "institution_id": iid})
        return uid

    leaders: list[int] = []
    educators: dict[int, int] = {}  # group id → educator
    for i, iid in enumerate(inst_ids):
        leaders.append(user(f"leder-{i + 1}@bench.dk", f"Leder {i + 1}", [m.Role.LEADER], [iid]))
        for g, gid in enumerate(groups[i][0] + [x for x in groups[i][1] if x not in groups[i][0]]):
            educators[gid] = user(
                f"paedagog-{i + 1}-{g + 1}@bench.dk",
                f"Pædagog {i + 1}.{g + 1}",
                [m.Role.EDUCATOR],
                [iid],
            )
    per_visitor = 5
    visitors = [
        user(
            f"sundhedsplejerske-{v + 1}@bench.dk",
            f"Sundhedsplejerske {v + 1}",
            [m.Role.HEALTH_VISITOR],
            inst_ids[v * per_visitor : (v + 1) * per_visitor],
        )
        for v in range((len(inst_ids) + per_visitor - 1) // per_visitor)
    ]
    dental = [
        user(f"tandplejer-{d + 1}@bench.dk", f"Tandplejer {d + 1}", [m.Role.DENTAL], inst_ids)
        for d in range(2)
    ]
    ppr = user("ppr@bench.dk", "Palle Psykolog", [m.Role.PPR], [])
    user("socialraadgiver@bench.dk", "Sanne Socialrådgiver", [m.Role.SOCIAL_WORKER], [])
    user("koordinator@bench.dk", "Karen Koordinator", [m.Role.COORDINATOR], [])
    user("koordinator-2@bench.dk", "Kim Koordinator", [m.Role.COORDINATOR], [])
    user("admin@bench.dk", "Anders Admin", [m.Role.ADMIN], [])
    w.flush()

    # Children with guardians and group history -----------------------------------------------
    stay_months = 62  # enrolled at 9–14 months, leave at 72–76 months
    first_birth = add_months(rounds[0].reference_date, -72)
    last_birth = add_months(rounds[-1].reference_date, -9)
    span_days = (last_birth - first_birth).days
    span_months = span_days / 30.44
    total = max(1, round(scale.children * span_months / stay_months))
    births = sorted(
        first_birth + timedelta(days=rng.randrange(span_days + 1)) for _ in range(total)
    )
    children: list[_Child] = []
    for birth in births:
        i = rng.randrange(len(inst_ids))
        nurseries, kgs = groups[i]
        enrol = add_months(birth, rng.randint(9, 14))
        leave = add_months(birth, rng.randint(72, 76))
        move = add_months(birth, 36)
        children.append(
            _Child(
                w.next_id("child"),
                birth,
                enrol,
                leave,
                i,
                rng.choice(nurseries),
                rng.choice(kgs),
                move,
            )
        )
    for c in children:
        left_on = c.leave if c.leave <= today else None
        w.add(
            "child",
            {
                "id": c.id,
                "external_ref": f"G-{c.id}",
                "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST),
                "birth_date": c.birth,
                "left_on": left_on,
                "created_at": _at(min(c.enrol, today)),
                "updated_at": _at(min(c.enrol, today)),
            },
        )
        stays = []
        if c.enrol < c.move:
            stays.append((c.nursery_group, c.enrol, min(c.move, c.leave)))
        if c.move < c.leave:
            stays.append((c.kg_group, max(c.move, c.enrol), c.leave))
        for gid, start, end in stays:
            if start > today:
                continue
            w.add(
                "group_membership",
                {
                    "id": w.next_id("group_membership"),
                    "child_id": c.id,
                    "group_id": gid,
                    "start_date": start,
                    "end_date": end if end <= today else None,
                },
            )
        family = rng.choice(LAST)
        keys: set[str] = set()
        for gi in range(1 if rng.random() < 0.25 else 2):
            gid_ = w.next_id("guardian")
            c.guardians.append(gid_)
            language = "da" if rng.random() < 0.9 else rng.choice(("ar", "uk", "so", "tr", "pl"))
            name = f"{rng.choice(ADULT.split())} {family}"
            # The roster's key per child (two parents of the same name keyed apart, as the
            # 0007 migration does).
            key = " ".join(name.split()).casefold()  # `children.models.guardian_key`
            key = key if key not in keys else f"{key} #{gid_}"
            keys.add(key)
            w.add(
                "guardian",
                {
                    "id": gid_,
                    "name": name,
                    "email": f"forælder-{gid_}@example.dk",
                    "phone": f"{20000000 + gid_}",
                    "address": f"{rng.choice(STREETS)} {rng.randint(1, 80)}, 8000 Aarhus C",
                    "language": language,
                    "needs_interpreter": language != "da" and rng.random() < 0.5,
                    "protected_address": rng.random() < 0.02,
                    "created_at": _at(min(c.enrol, today)),
                },
            )
            w.add(
                "child_guardian",
                {
                    "id": w.next_id("child_guardian"),
                    "child_id": c.id,
                    "guardian_id": gid_,
                    "match_key": key,
                    "has_custody": gi == 0 or rng.random() < 0.9,
                },
            )
    w.flush()

    # Assessments, joint assessments, observations, round by round ----------------------------
    band_lows = [b[0] for b in bands]

    def instrument_key(months: int) -> str | None:
        i = bisect.bisect_right(band_lows, months) - 1
        if i < 0 or months >= bands[i][1]:
            return None
        return bands[i][2]

    def age_months(birth: date, on: date) -> int:
        months = (on.year - birth.year) * 12 + (on.month - birth.month)
        return months - 1 if on.day < birth.day else months

    inst_by_key = {k: newest[k].id for k in wanted}
    chain: dict[int, str] = {}  # child id → last agreed position
    joints: dict[int, list[tuple[int, str, date, int]]] = {}  # child → [(round, position, day, id)]
    obs_sources = [("daycare", 0.5), ("health_visitor", 0.2), ("dental", 0.2), ("ppr", 0.1)]
    source_cats = {s: list(categories.sources[s].categories) for s, _ in obs_sources}
    for ri, r in enumerate(rounds):
        latest_day = min(r.ends_on, today)
        window = max(1, (latest_day - r.starts_on).days)
        for c in children:
            gid = c.group_on(r.reference_date)
            if gid is None:
                continue
            key = instrument_key(age_months(c.birth, r.reference_date))
            if key is None:
                continue
            iid_index = c.institution
            prev = chain.get(c.id)
            weights = CHAIN[prev] if prev else START
            agreed = POSITIONS[_pick(rng, weights)]
            if r.open:
                n_submitted = _pick(rng, (0.12, 0.18, 0.70))
                with_joint = n_submitted == 2 and rng.random() < 0.8
            else:
                n_submitted = 2 if rng.random() < 0.97 else 1
                with_joint = n_submitted >= 1 and rng.random() < 0.985
            assessors = [(educators[gid], m.AssessmentContext.DAYCARE)]
            if key == "topi-0-1":
                visitor = visitors[min(iid_index // per_visitor, len(visitors) - 1)]
                assessors.append((visitor, m.AssessmentContext.HOME_VISIT))
            else:
                assessors.append((leaders[iid_index], m.AssessmentContext.DAYCARE))
            individual: list[str] = []
            ids: list[int] = []
            last_submit = r.starts_on
            for n, (assessor, context) in enumerate(assessors):
                submitted = n < n_submitted
                if not submitted and not (r.open and rng.random() < 0.3):
                    continue
                aid = w.next_id("assessment")
                pos = agreed
                if rng.random() < 0.2:
                    pos = POSITIONS[max(0, min(2, _severity(agreed) + rng.choice((-1, 1))))]
                answers, classification = rng.choice(pools[(key, pos)])
                day = r.starts_on + timedelta(days=rng.randrange(window))
                last_submit = max(last_submit, day)
                w.add(
                    "assessment",
                    {
                        "id": aid,
                        "round_id": r.id,
                        "child_id": c.id,
                        "assessor_id": assessor,
                        "instrument_id": inst_by_key[key],
                        "context": context,
                        "status": m.AssessmentStatus.SUBMITTED
                        if submitted
                        else m.AssessmentStatus.DRAFT,
                        "answers": answers,
                        "resources": "Glad for at lege med de andre." if submitted else "",
                        "concerns": "" if pos == "green" else "Virker ofte trist om morgenen.",
                        "justification": "" if pos == "green" else "Set over flere uger.",
                        "vulnerability": None,
                        "suggested_position": m.Position(pos) if submitted else None,
                        "classification": classification if submitted else None,
                        "ruleset_key": ruleset_row.key if submitted else None,
                        "ruleset_version": ruleset_row.version if submitted else None,
                        "version": 2,
                        "created_at": _at(day),
                        "updated_at": _at(day),
                        "submitted_at": _at(day) if submitted else None,
                    },
                )
                if submitted:
                    individual.append(pos)
                    ids.append(aid)
            if not with_joint or not individual:
                continue
            suggested = max(individual, key=_severity)
            pair = (individual + individual)[:2]
            suggestion = dict(rng.choice(joint_pool[(key, pair[0], pair[1])]))
            suggestion["assessment_ids"] = ids
            decided = min(latest_day, last_submit + timedelta(days=rng.randint(1, 10)))
            changed = prev is not None and prev != agreed
            informed = changed and (not r.open or rng.random() < 0.6)
            jid = w.next_id("joint_assessment")
            w.add(
                "joint_assessment",
                {
                    "id": jid,
                    "round_id": r.id,
                    "child_id": c.id,
                    "suggested_position": m.Position(suggested),
                    "suggestion": suggestion,
                    "agreed_position": m.Position(agreed),
                    "justification": "Drøftet i teamet.",
                    "override_reason": ""
                    if agreed == suggested
                    else "Teamet kender barnet bedre end skemaet viser.",
                    "decided_by_id": leaders[iid_index],
                    "decided_at": _at(decided, 14),
                    "previous_position": m.Position(prev) if prev else None,
                    "parents_informed_on": min(latest_day, decided + timedelta(days=7))
                    if informed
                    else None,
                    "parents_informed_by_id": leaders[iid_index] if informed else None,
                    "parents_informed_note": "",
                },
            )
            chain[c.id] = agreed
            joints.setdefault(c.id, []).append((ri, agreed, decided, jid))
        # Observations in the round's window.
        for c in children:
            if c.group_on(r.reference_date) is None:
                continue
            x = rng.random()
            if x >= scale.observations_per_child_round:
                continue
            source = obs_sources[_pick(rng, tuple(s[1] for s in obs_sources))][0]
            concern = chain.get(c.id, "green") != "green"
            author = {
                "daycare": educators[c.group_on(r.reference_date) or c.kg_group],
                "health_visitor": visitors[min(c.institution // per_visitor, len(visitors) - 1)],
                "dental": dental[c.id % len(dental)],
                "ppr": ppr,
            }[source]
            w.add(
                "observation",
                {
                    "id": w.next_id("observation"),
                    "child_id": c.id,
                    "author_id": author,
                    "source": m.ObservationSourceValue(source),
                    "category": rng.choice(source_cats[source]),
                    "level": _pick(rng, (0.3, 0.45, 0.25) if concern else (0.7, 0.25, 0.05)) + 1,
                    "observed_on": r.starts_on + timedelta(days=rng.randrange(window)),
                    "note": "Noteret ved dagligt fremmøde.",
                    "created_at": _at(r.starts_on),
                },
            )
    w.flush()

    # Action paths: the most recent yellow/red episodes ------------------------------------------
    episodes: list[tuple[date, int, list[tuple[int, str, date, int]], date | None]] = []
    by_id = {c.id: c for c in children}
    for child_id, history in joints.items():
        run: list[tuple[int, str, date, int]] = []
        prev_ri = None
        for entry in history:
            ri, pos, day, _jid = entry
            consecutive = prev_ri is not None and ri == prev_ri + 1
            if pos != "green":
                if run and not consecutive:
                    episodes.append((run[0][2], child_id, run, None))
                    run = []
                run.append(entry)
            elif run:
                episodes.append((run[0][2], child_id, run, day))
                run = []
            prev_ri = ri
        if run:
            episodes.append((run[0][2], child_id, run, None))
    episodes.sort(key=lambda e: (e[0], e[1]), reverse=True)
    chosen = sorted(episodes[: scale.paths], key=lambda e: (e[0], e[1]))
    # A child's earlier path is closed before the next one opens (one open path per child).
    next_start: dict[int, date] = {}
    closes_before: dict[int, date] = {}
    for n in range(len(chosen) - 1, -1, -1):
        opened_on, child_id = chosen[n][0], chosen[n][1]
        if child_id in next_start:
            closes_before[n] = next_start[child_id]
        next_start[child_id] = opened_on

    def done_day(due: date, opened: date) -> date | None:
        x = rng.random()
        if x < 0.75:
            day = max(opened, due - timedelta(days=rng.randint(0, 5)))
        elif x < 0.9:
            day = due + timedelta(days=rng.randint(1, 20))
        else:
            return None
        return day if day <= today else None

    for n, (opened, child_id, run, green_day) in enumerate(chosen):
        c = by_id[child_id]
        first_pos = run[0][1]
        gid = c.group_on(opened) or c.kg_group
        tovholder = educators[gid]
        leader = leaders[c.institution]
        closed_on = None
        if green_day is not None:
            closed_on = green_day + timedelta(days=rng.randint(20, 60))
            if closed_on > today:
                closed_on = None
        if n in closes_before:
            limit = max(opened, closes_before[n] - timedelta(days=1))
            closed_on = min(closed_on or limit, limit)
            green_day = green_day or limit
        position = max((p for _, p, _, _ in run), key=_severity)
        pid = w.next_id("action_path")
        tpl = templates.for_position(first_pos)
        w.add(
            "action_path",
            {
                "id": pid,
                "child_id": child_id,
                "position": m.Position(position),
                "status": m.PathStatus.CLOSED if closed_on else m.PathStatus.OPEN,
                "opened_on": opened,
                "coordinator_id": tovholder,
                "escalation_level": templates.for_position(position).escalation_level,
                "template_key": template_row.key,
                "template_version": template_row.version,
                "opened_by_joint_id": run[0][3],
                "may_close": green_day is not None,
                "closed_on": closed_on,
                "closed_by_id": leader if closed_on else None,
                "close_note": "Barnet trives igen." if closed_on else "",
                "created_at": _at(opened, 15),
            },
        )
        end = closed_on or today
        planned = [(p, opened) for p in rules.plan_steps(tpl, opened)]
        if position == "red" and first_pos != "red":
            red_day = next(d for _, p, d, _ in run if p == "red")
            keys = {p.template.key for p, _ in planned}
            planned += [
                (p, red_day)
                for p in rules.plan_steps(templates.for_position("red"), red_day)
                if p.template.key not in keys
            ]
        if green_day is not None:
            planned += [
                (rules.PlannedStep(s, s.deadline.due(green_day)), green_day)
                for s in templates.closing
            ]
        has_plan = False
        queue = list(planned)
        while queue:
            step, since = queue.pop(0)
            st = step.template
            done = done_day(step.due_on, since)
            if closed_on and done is None:  # a path closes with every step done
                done = max(since, min(step.due_on, closed_on))
            if done is not None and done > end:
                done = None
            sid = w.next_id("action_step")
            responsible = leader if st.responsible == "leader" else tovholder
            w.add(
                "action_step",
                {
                    "id": sid,
                    "path_id": pid,
                    "key": st.key,
                    "kind": m.StepKind(st.kind),
                    "title_da": st.title_da,
                    "title_en": st.title_en,
                    "responsible_role": st.responsible,
                    "required": st.required,
                    "repeat_weeks": st.repeat_weeks,
                    "due_on": step.due_on,
                    "done_on": done,
                    "done_by_id": responsible if done else None,
                    "note": "",
                    "created_at": _at(since),
                },
            )
            if done is None:
                if st.kind == "meeting" and step.due_on > today:
                    _meeting(w, m, pid, c, st.key, step.due_on, tovholder, ppr, rng)
                continue
            if st.repeat_weeks and closed_on is None and green_day is None:
                nxt = rules.next_repeat(st, done)
                if nxt is not None:
                    queue.append((nxt, done))
            if st.kind == "meeting":
                _meeting(w, m, pid, c, st.key, done, tovholder, ppr, rng)
            elif st.kind == "plan" and not has_plan:
                has_plan = True
                plan_id = w.next_id("action_plan")
                w.add(
                    "action_plan",
                    {
                        "id": plan_id,
                        "path_id": pid,
                        "resources": "Nysgerrig og glad for at bygge.",
                        "concerns": "Trækker sig fra legen.",
                        "goals": "Deltager i samling tre dage om ugen.",
                        "parents_perspective": "Mere ro om morgenen.",
                        "child_perspective": "Kan lide klodser.",
                        "evaluation_on": done + timedelta(weeks=8),
                        "created_by_id": tovholder,
                        "created_at": _at(done),
                        "updated_at": _at(done),
                    },
                )
                for n in range(2):
                    w.add(
                        "action_plan_item",
                        {
                            "id": w.next_id("action_plan_item"),
                            "plan_id": plan_id,
                            "position": n,
                            "what": ("Fast voksen ved aflevering", "Sprogleg i lille gruppe")[n],
                            "who": "Pædagog",
                            "by_when": done + timedelta(weeks=4 * (n + 1)),
                        },
                    )
                top = 1 + _pick(rng, (0.45, 0.35, 0.15, 0.04, 0.01))
                chosen_offers = {rng.choice(offer_ids[min(top, max(offer_ids))])}
                if top > 1 and rng.random() < 0.5:
                    chosen_offers.add(rng.choice(offer_ids[1]))
                for oid in sorted(chosen_offers):
                    w.add("action_plan_offer", {"plan_id": plan_id, "offer_id": oid})
            elif st.kind == "follow_up":
                w.add(
                    "follow_up",
                    {
                        "id": w.next_id("follow_up"),
                        "path_id": pid,
                        "held_on": done,
                        "progress": m.Progress(
                            ("better", "unchanged", "worse")[_pick(rng, (0.4, 0.45, 0.15))]
                        ),
                        "note": "Drøftet med forældrene.",
                        "next_step": "",
                        "by_id": leader,
                        "created_at": _at(done),
                    },
                )
            elif st.kind == "notify":
                notify = rng.random() < 0.2
                w.add(
                    "notify_decision",
                    {
                        "id": w.next_id("notify_decision"),
                        "path_id": pid,
                        "step_id": sid,
                        "decision": m.NotifyDecisionValue.NOTIFY
                        if notify
                        else m.NotifyDecisionValue.NO_NOTIFY,
                        "reasoning": "Vurderet med lederen.",
                        "decided_by_id": leader,
                        "decided_on": done,
                        "sent_on": done if notify else None,
                        "sent_by_id": leader if notify else None,
                        "created_at": _at(done),
                    },
                )
    w.flush()
    if conn.dialect.name == "postgresql":
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.name in w.next_ids:
                conn.execute(
                    sa.select(
                        sa.func.setval(
                            sa.func.pg_get_serial_sequence(table.name, "id"),
                            sa.select(
                                sa.func.coalesce(sa.func.max(table.c.id), 1)
                            ).scalar_subquery(),
                        )
                    )
                )
    return Summary(
        scale.key,
        False,
        [r.id for r in rounds],
        inst_ids,
        "koordinator@bench.dk",
        "leder-1@bench.dk",
        "paedagog-1-1@bench.dk",
        dict(w.counts),
        time.perf_counter() - started,
    )


def _meeting(
    w: _Writer,
    m: Any,
    path_id: int,
    child: _Child,
    step_key: str,
    day: date,
    staff: int,
    ppr: int,
    rng: random.Random,
) -> None:
    kind = (
        m.MeetingKind.PARENT_TALK if step_key == "parent_talk" else m.MeetingKind.CROSS_DISCIPLINARY
    )
    mid = w.next_id("meeting")
    w.add(
        "meeting",
        {
            "id": mid,
            "path_id": path_id,
            "kind": kind,
            "starts_at": _at(day, 9),
            "place": "Mødelokalet",
            "purpose": "At tale om barnets trivsel og aftale de næste skridt.",
            "agenda": "1. Velkomst\n2. Det ser vi\n3. Aftaler",
            "minutes": "",
            "decisions": "",
            "created_by_id": staff,
            "created_at": _at(day - timedelta(days=7)),
        },
    )
    for gid in child.guardians:
        w.add(
            "meeting_participant",
            {
                "id": w.next_id("meeting_participant"),
                "meeting_id": mid,
                "kind": m.ParticipantKind.GUARDIAN,
                "guardian_id": gid,
                "user_id": None,
                "name": "Forælder",
                "profession": "",
                "organisation": "",
                "email": "",
                "consent_id": None,
                "legal_basis": "",
            },
        )
    w.add(
        "meeting_participant",
        {
            "id": w.next_id("meeting_participant"),
            "meeting_id": mid,
            "kind": m.ParticipantKind.STAFF,
            "guardian_id": None,
            "user_id": staff,
            "name": "Pædagog",
            "profession": "",
            "organisation": "",
            "email": "",
            "consent_id": None,
            "legal_basis": "",
        },
    )
    if kind == m.MeetingKind.CROSS_DISCIPLINARY and rng.random() < 0.5:
        w.add(
            "meeting_participant",
            {
                "id": w.next_id("meeting_participant"),
                "meeting_id": mid,
                "kind": m.ParticipantKind.EXTERNAL,
                "guardian_id": None,
                "user_id": ppr,
                "name": "Palle Psykolog",
                "profession": "psychologist",
                "organisation": "PPR",
                "email": "ppr@bench.dk",
                "consent_id": None,
                "legal_basis": "Udveksling af oplysninger i det tidlige forebyggende samarbejde.",
            },
        )


def fresh_statistics(engine: Any) -> None:
    """Statistics as a running deployment has them (autovacuum on PostgreSQL, a periodic
    ANALYZE on SQLite); bulk-loaded tables have none, and PostgreSQL then plans every join
    for one row. On PostgreSQL also VACUUM, as autovacuum would after the bulk load (the
    test server runs with autovacuum off): without the visibility map no index-only scan
    pays, and every count reads the tables' rows."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM (ANALYZE)"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def prepare(database_url: str) -> Any:
    """A Flask app on `database_url` with the schema migrated and the catalogue loaded."""
    os.environ.setdefault("SCREENING_CONFIG", "development")
    from flask_migrate import upgrade

    from screening import create_app
    from screening.catalogue.services import (
        load_instrument_files,
        load_ruleset_files,
        load_template_file,
    )
    from screening.core.config import normalise_database_url
    from screening.core.extensions import db

    app = create_app(None, {"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url)})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            schema = db.session.execute(sa.text("SELECT current_schema()")).scalar()
            if schema is None:  # a search_path naming a schema that does not exist yet
                path = db.session.execute(sa.text("SHOW search_path")).scalar() or ""
                first = path.split(",")[0].strip().strip('"')
                db.session.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{first}"'))
                db.session.commit()
        upgrade()
        load_instrument_files()
        load_ruleset_files()
        load_template_file()
        db.session.commit()
    return app


def main(argv: list[str] | None = None) -> int:
    defaults = Scale()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=defaults.institutions)
    parser.add_argument("--groups", type=int, default=defaults.groups_per_institution)
    parser.add_argument("--children", type=int, default=defaults.children)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--paths", type=int, default=defaults.paths)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or pass --database-url")
    scale = replace(
        defaults,
        institutions=args.institutions,
        groups_per_institution=args.groups,
        children=args.children,
        rounds=args.rounds,
        paths=args.paths,
        seed=args.seed,
    )
    app = prepare(args.database_url)
    from screening.core.extensions import db

    with app.app_context():
        summary = build(db.engine, scale)
    state = "already there" if summary.reused else f"generated in {summary.seconds:.1f} s"
    print(f"{MARKER} ({summary.scale_key}): {state}")
    for table, n in sorted(summary.counts.items()):
        print(f"  {table}: {n:,}")
    print(json.dumps({"rounds": summary.rounds, "coordinator": summary.coordinator_email}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
