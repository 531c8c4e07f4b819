"""A realistic, deterministic demo municipality for `flask seed-demo`.

Three institutions, ten groups, 200 children aged 0–6 with guardians (some with a
protected address, some needing an interpreter), and one user per role. The same seed
gives the same data; ages are counted back from the day of seeding so that the children
stay 0–6 years old.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from screening.accounts import services as accounts
from screening.accounts.models import Role, User
from screening.assessments.models import JointAssessment
from screening.children.models import Child, ChildGuardian, GroupMembership, Guardian
from screening.classifier import Instrument
from screening.core.extensions import db
from screening.org.models import Group, Institution, InstitutionKind, Municipality

DEMO_PASSWORD = "demo-adgangskode"  # noqa: S105 - documented in the README, demo only

FIRST_NAMES = (
    "Alma Ida Freja Clara Emma Agnes Ella Karla Olivia Nora Asta Luna Ellie Lily Sofie "
    "Ingrid Vigga Merle Esther Liva Aya Maja Hannah Zainab Mila Yasmin Oliver William "
    "Noah Oscar Carl Emil Aksel Malthe Alfred Arthur Valdemar Lucas Elias Magnus August "
    "Viggo Theo Felix Bertram Anton Ali Omar Mikkel Ibrahim Storm Hugo Otto Villads"
).split()
LAST_NAMES = (
    "Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen "
    "Jørgensen Petersen Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen "
    "Møller Mortensen Ahmed Hussein Kowalski Yilmaz Khan Kovalenko Abdi Østergaard Bæk "
    "Due"
).split()
ADULT_FIRST = (
    "Anne Mette Louise Camilla Line Maria Sara Julie Rikke Fatima Olena Amina Ayse Anders "
    "Søren Martin Thomas Jesper Mads Rasmus Peter Jonas Mohammed Piotr Andrii Hassan"
).split()
STREETS = (
    "Rosenvej Bøgevej Skolegade Møllevangen Kirkevej Stationsvej Engvej Åboulevarden "
    "Lærkevej Skovbrynet Havnegade Søndergade"
).split()
# (language code, share of guardians); about 1 in 12 families needs an interpreter.
LANGUAGES = (("ar", 3), ("uk", 3), ("so", 2), ("tr", 2), ("pl", 2), ("ur", 1))


@dataclass(frozen=True)
class DemoInstitution:
    name: str
    kind: InstitutionKind
    address: str
    # (group name, min age in months, max age in months)
    groups: tuple[tuple[str, int, int], ...]


INSTITUTIONS = (
    DemoInstitution(
        "Børnehuset Mælkebøtten",
        InstitutionKind.INTEGRERET,
        "Mælkebøttevej 4, 8000 Aarhus C",
        (
            ("Mariehønsene", 6, 36),
            ("Sommerfuglene", 6, 36),
            ("Egernene", 36, 74),
            ("Rævene", 36, 74),
        ),
    ),
    DemoInstitution(
        "Vuggestuen Lærkereden",
        InstitutionKind.VUGGESTUE,
        "Lærkevej 12, 8200 Aarhus N",
        (("Solsikken", 6, 36), ("Kløveren", 6, 36), ("Valmuen", 6, 36)),
    ),
    DemoInstitution(
        "Skovbørnehaven Egeblad",
        InstitutionKind.BOERNEHAVE,
        "Skovbrynet 2, 8210 Aarhus V",
        (("Bøgen", 36, 74), ("Asken", 36, 74), ("Ahornen", 36, 74)),
    ),
)

# One user per role. Leaders and educators work in one institution; health visitors and
# dental staff in all of them; a second educator lets you try institution boundaries.
USERS = (
    ("leder@demo.dk", "Lise Leder", (Role.LEADER,), (0,)),
    ("paedagog@demo.dk", "Peter Pædagog", (Role.EDUCATOR,), (0,)),
    ("paedagog2@demo.dk", "Pia Pædagog", (Role.EDUCATOR,), (1,)),
    ("leder2@demo.dk", "Lars Leder", (Role.LEADER,), (1, 2)),
    ("sundhedsplejerske@demo.dk", "Susanne Sundhedsplejerske", (Role.HEALTH_VISITOR,), (0, 1, 2)),
    ("tandpleje@demo.dk", "Tina Tandplejer", (Role.DENTAL,), (0, 1, 2)),
    ("koordinator@demo.dk", "Karen Koordinator", (Role.COORDINATOR,), ()),
    ("ppr@demo.dk", "Palle Psykolog", (Role.PPR,), ()),
    ("socialraadgiver@demo.dk", "Sanne Socialrådgiver", (Role.SOCIAL_WORKER,), ()),
    ("admin@demo.dk", "Anders Admin", (Role.ADMIN,), ()),
)

CHILDREN = 200


def seed(today: date, *, password: str = DEMO_PASSWORD, seed_value: int = 2026) -> bool:
    """Create the demo municipality. Returns False (and does nothing) if data exists."""
    if db.session.scalar(sa.select(sa.func.count(Institution.id))):
        return False
    rng = random.Random(seed_value)
    db.session.add(
        Municipality(
            name="Solbjerg Kommune",
            label_green="Trivsel",
            label_yellow="Bekymring",
            label_red="Stærk bekymring",
            retention_years=5,
        )
    )
    institutions = []
    all_groups: list[tuple[Group, int, int]] = []
    for spec in INSTITUTIONS:
        inst = Institution(name=spec.name, kind=spec.kind, address=spec.address)
        for name, lo, hi in spec.groups:
            group = Group(name=name)
            inst.groups.append(group)
            all_groups.append((group, lo, hi))
        institutions.append(inst)
        db.session.add(inst)

    password_hash = accounts.hash_password(password)
    for n, (email, name, roles, inst_indexes) in enumerate(USERS):
        user = User(email=email, name=name, password_hash=password_hash)
        if Role.LEADER in roles:  # the contact person in the demo's meeting letters
            user.phone = f"87 13 20 {n:02d}"
        user.set_roles(roles)
        user.institutions = [institutions[i] for i in inst_indexes]
        db.session.add(user)

    for n in range(CHILDREN):
        group, lo, hi = all_groups[n % len(all_groups)]
        age_days = rng.randint(lo * 30 + 1, hi * 30 - 1)
        birth = today - timedelta(days=age_days)
        child = Child(
            external_ref=f"DEMO-{n + 1:04d}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            birth_date=birth,
        )
        _memberships(child, group, all_groups, birth, today, rng)
        _guardians(child, rng)
        db.session.add(child)
    db.session.flush()
    seed_offers()
    seed_rounds(today, rng)
    seed_meeting(today)
    db.session.flush()
    return True


def _memberships(
    child: Child,
    group: Group,
    all_groups: list[tuple[Group, int, int]],
    birth: date,
    today: date,
    rng: random.Random,
) -> None:
    joined = birth + timedelta(days=rng.randint(180, 300))
    joined = min(joined, today - timedelta(days=14))
    # Children over three in the integrated institution moved up from its nursery side.
    nursery = [
        g
        for g, lo, hi in all_groups
        if g.institution is group.institution and hi <= 36 and g is not group
    ]
    if nursery and (today - birth).days > 36 * 30 + 60:
        moved = birth + timedelta(days=36 * 30 + rng.randint(0, 40))
        if joined < moved < today:
            child.memberships.append(
                GroupMembership(group=rng.choice(nursery), start_date=joined, end_date=moved)
            )
            joined = moved
    child.memberships.append(GroupMembership(group=group, start_date=joined))


def _guardians(child: Child, rng: random.Random) -> None:
    family = child.last_name
    protected_family = rng.random() < 0.06
    language = "da"
    if rng.random() < 0.12:
        codes = [code for code, weight in LANGUAGES for _ in range(weight)]
        language = rng.choice(codes)
    for i in range(1 if rng.random() < 0.15 else 2):
        first = rng.choice(ADULT_FIRST)
        # In a protected family, one parent (the one who moved) has the protected address.
        protected = protected_family and i == 1
        address = f"{rng.choice(STREETS)} {rng.randint(1, 120)}, 8{rng.randint(0, 3)}00 Aarhus"
        guardian = Guardian(
            name=f"{first} {family}",
            email=f"{first.lower()}.{n_ascii(family)}{rng.randint(1, 99)}@example.dk",
            phone=f"+45 {rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
            f"{rng.randint(10, 99)}",
            address=address,
            language=language,
            needs_interpreter=language != "da" and rng.random() < 0.7,
            protected_address=protected,
        )
        child.guardian_links.append(
            ChildGuardian(guardian=guardian, has_custody=rng.random() > 0.05)
        )


def n_ascii(name: str) -> str:
    return name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")


def _season_name(day: date) -> str:
    return f"{'Forår' if day.month <= 6 else 'Efterår'} {day.year}"


def seed_rounds(today: date, rng: random.Random) -> None:
    """A closed earlier round with agreed positions, and an open current round part-way
    through: some children assessed by one or two professionals, some agreed jointly."""
    from screening.assessments import individual, joints
    from screening.catalogue.services import compiled_instrument
    from screening.rounds.models import RoundStatus, ScreeningRound

    institutions = list(db.session.scalars(sa.select(Institution).order_by(Institution.id)))
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    assessors = {
        institutions[0].id: [users["paedagog@demo.dk"], users["leder@demo.dk"]],
        institutions[1].id: [users["paedagog2@demo.dk"], users["leder2@demo.dk"]],
        institutions[2].id: [users["leder2@demo.dk"]],
    }
    joint_by = {
        institutions[0].id: users["leder@demo.dk"],
        institutions[1].id: users["leder2@demo.dk"],
        institutions[2].id: users["leder2@demo.dk"],
    }
    keys = ["topi-0-1", "topi-1-3", "topi-3-6"]
    earlier_start = today - timedelta(days=240)
    current_start = today - timedelta(days=45)
    for start, share in ((earlier_start, 0.9), (current_start, 0.55)):
        round_ = ScreeningRound(
            name=_season_name(start),
            starts_on=start,
            ends_on=start + timedelta(days=75),
            reference_date=start,
            status=RoundStatus.OPEN,
            instrument_keys=keys,
            institutions=institutions,
        )
        db.session.add(round_)
        db.session.flush()
        children = db.session.scalars(sa.select(Child).order_by(Child.external_ref)).all()
        for child in children:
            instrument_row = individual.instrument_for_child(round_, child)
            if instrument_row is None or rng.random() > share:
                continue
            instrument = compiled_instrument(instrument_row)
            concern = rng.random()
            group = child.current_group
            if group is None:
                continue
            inst_id = group.institution_id
            submitted = []
            for n, user in enumerate(assessors[inst_id]):
                if n > 0 and rng.random() < 0.35:
                    break
                answers = _demo_answers(instrument, concern, rng)
                a = individual.start(round_, child, user, instrument_row)
                justification = "" if concern < 0.75 else "Se bekymringerne ovenfor."
                data = individual.AssessmentInput(
                    answers=answers,
                    resources="Barnet er glad for at lege udenfor og har en god ven på stuen.",
                    concerns="" if concern < 0.75 else "Barnet trækker sig ofte fra legen.",
                    justification=justification or "Barnet trives i hverdagen.",
                )
                individual.save(a, data, submit=True, today=round_.ends_on)
                submitted.append(a)
            both = len(submitted) >= 2 or len(assessors[inst_id]) == 1
            if submitted and both and rng.random() < 0.8:
                suggestion = joints.joint_suggestion(submitted)
                joint = joints.record_joint(
                    round_,
                    child,
                    joint_by[inst_id],
                    agreed=suggestion.position.value,
                    justification="Vi er enige i forslaget efter en snak på personalemødet.",
                )
                # Agreed at the end of the round's window, as it would have been.
                joint.decided_at = datetime.combine(
                    min(round_.ends_on, today), time(14), tzinfo=UTC
                )
                _demo_path(joint, joint_by[inst_id], today, rng)
        if start == earlier_start:
            round_.status = RoundStatus.CLOSED


def _demo_path(joint: JointAssessment, leader: User, today: date, rng: random.Random) -> None:
    """Open, escalate or prepare to close the child's action path, and do the steps that
    would be done by now (most of them; some are left overdue for the momentum view)."""
    from screening.paths import services as paths

    _action, path = paths.apply_agreed_position(joint, leader)
    if path is None:
        return
    for step in list(path.steps):
        if step.done or step.due_on > today or rng.random() < 0.2:
            continue
        if step.kind.value == "notify":
            paths.record_notify_decision(
                step,
                leader,
                decision="no_notify",
                reasoning="Vi følger barnet tæt og har aftalt et tværfagligt møde med familien.",
                decided_on=step.due_on,
            )
        else:
            paths.complete_step(step, leader, step.due_on)


OFFERS = (
    ("Sprogstimulering i dagtilbuddet", 1, 0, 84, "Ekstra sprogarbejde i hverdagen på stuen."),
    ("Motorikforløb med fysioterapeut", 1, 12, 84, "Seks ugers forløb i små grupper."),
    ("De Utrolige År – forældreprogram", 2, 36, 84, "Forældrekursus om samspil og grænser."),
    ("Familierådgivning (åben anonym)", 2, 0, 84, "Samtaler for forældre uden visitation."),
    ("Sundhedsplejerskens ekstra besøg", 2, 0, 24, "Ekstra hjemmebesøg ved bekymring."),
    ("Familiebehandling i hjemmet", 3, 0, 84, "Forløb efter Barnets lov, visiteret."),
    ("Aflastning i netværket", 4, 0, 84, "Aflastning hos slægt eller netværk."),
    ("Plejefamilie", 5, 0, 84, "Anbringelse i plejefamilie."),
    ("Døgninstitution", 6, 0, 84, "Anbringelse på døgninstitution."),
)


def seed_meeting(today: date) -> None:
    """For the first red path: a consent, a cross-disciplinary meeting with the family and a
    psychologist, and an action plan, so every part of the action path shows in the demo."""
    from screening.classifier import Position
    from screening.paths import books, meetings, plans
    from screening.paths.models import ActionPath, Offer, PathStatus

    path = db.session.scalars(
        sa.select(ActionPath)
        .where(ActionPath.position == Position.RED, ActionPath.status == PathStatus.OPEN)
        .order_by(ActionPath.id)
    ).first()
    if path is None:
        return
    child = path.child
    custody = [gl.guardian for gl in child.guardian_links if gl.has_custody]
    if not custody:
        return
    meetings.record_consent(
        child,
        custody[0],
        path.coordinator,
        information_kinds=["wellbeing", "action_plan"],
        recipients=["psychologist"],
        purpose="Tværfagligt møde om barnets trivsel",
        given_on=today - timedelta(days=3),
    )
    starts = datetime.combine(today + timedelta(days=7), time(8, 30), tzinfo=UTC)
    meeting = meetings.create_meeting(
        path,
        path.coordinator,
        kind="cross_disciplinary",
        starts_at=starts,
        place="Mødelokalet",
        purpose="At finde ud af, hvordan vi bedst støtter barnet",
        agenda="1. Velkomst\n2. Barnets hverdag\n3. Aftaler",
    )
    for guardian in custody:
        meetings.invite_guardian(meeting, guardian)
    meetings.invite_staff(meeting, path.coordinator)
    meetings.invite_external(
        meeting,
        name="Palle Psykolog",
        profession="psychologist",
        organisation="PPR",
        email="ppr@demo.dk",
        legal_basis="",
        on=today,
    )
    offer = db.session.scalar(sa.select(Offer).where(Offer.staircase_step == 1))
    books.save_plan(
        path,
        path.coordinator,
        today,
        resources="Glad for at lege udenfor og for at hjælpe de små.",
        concerns="Virker trist og trækker sig fra legen, især om morgenen.",
        goals="Barnet er med i samling og leg med mindst én anden tre dage om ugen.",
        parents_perspective="Forældrene oplever, at morgenerne er svære.",
        child_perspective="Barnet siger, at det godt kan lide at bygge.",
        evaluation_on=today + timedelta(days=56),
        items=[
            plans.PlanItemInput(
                "Fast voksen tager imod om morgenen", "Pædagog", today + timedelta(days=7)
            ),
            plans.PlanItemInput(
                "Leg i små grupper to gange om ugen", "Pædagog", today + timedelta(days=14)
            ),
        ],
        offer_ids=[offer.id] if offer else [],
    )


def seed_offers() -> None:
    from screening.paths.models import Offer

    for name, step, lo, hi, text in OFFERS:
        db.session.add(
            Offer(
                name=name,
                staircase_step=step,
                min_age_months=lo,
                max_age_months=hi,
                description=text,
            )
        )


def _demo_answers(instrument: Instrument, concern: float, rng: random.Random) -> dict[str, Any]:
    """Mostly green children; about one in five with a yellow and one in fifteen with a red
    statement ticked; score instruments get ratings to match."""
    answers: dict[str, Any] = {}
    for item in instrument.items:
        if item.kind == "indicator" and item.position is not None:
            p = item.position.value
            if (
                (p == "green" and rng.random() < 0.7)
                or (p == "yellow" and concern > 0.8 and rng.random() < 0.25)
                or (p == "red" and concern > 0.93 and rng.random() < 0.3)
            ):
                answers[item.key] = True
        elif item.kind == "rated" and item.scale is not None:
            lo, hi = item.scale.min, item.scale.max
            good = hi if item.direction == "higher_is_better" else lo
            answers[item.key] = good if concern < 0.8 else rng.randint(lo, hi)
    return answers
