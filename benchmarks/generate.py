"""National-scale synthetic data for the benchmarks.

    from benchmarks.generate import generate
    context = generate(scale=1.0, seed=42)

Fixed by the domain, whatever the scale: 357 municipalities (valid kommunenummer under real county numbers,
names "Syntetisk 1101"), population figures for five years, 40 collaborations of 2–15 members (every
municipality in one, some in two), legal form history, 6 service areas with a sector group each, and a
portfolio council, board and owners' meeting per collaboration. Scaled by `scale`: people (about 8 per
member municipality and collaboration, plus the collaboration's own staff), their seats and role
assignments. Everything is written with `bulk_create` and no history rows: this is benchmark data.

Later issues add their own data by appending a phase to `PHASES` (or passing `phases=`). A phase is
`phase(ctx, scale, rng, progress)`; it reads what earlier phases left on `ctx` (see `Context`), writes
rows, and may name objects for the benchmark targets in `ctx.ids` and users in `ctx.users`.
"""

from __future__ import annotations

import datetime
import math
import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

BATCH = 1000

# Real county numbers (2024 reform) with the real number of municipalities in each: 357 in all.
COUNTIES: list[tuple[str, str, int]] = [
    ("03", "Oslo", 1),
    ("11", "Rogaland", 23),
    ("15", "Møre og Romsdal", 27),
    ("18", "Nordland", 41),
    ("31", "Østfold", 12),
    ("32", "Akershus", 21),
    ("33", "Buskerud", 18),
    ("34", "Innlandet", 46),
    ("39", "Vestfold", 6),
    ("40", "Telemark", 17),
    ("42", "Agder", 25),
    ("46", "Vestland", 43),
    ("50", "Trøndelag", 38),
    ("55", "Troms", 21),
    ("56", "Finnmark", 18),
]
MUNICIPALITY_COUNT = 357
COLLABORATION_COUNT = 40
MIN_MEMBERS, MAX_MEMBERS = 2, 15
DOUBLE_MEMBERSHIPS = 20  # municipalities that belong to a second collaboration
POPULATION_YEARS = 5
PEOPLE_PER_MEMBER = 8  # per member municipality and collaboration, times `scale`
STAFF_PER_COLLABORATION = 4  # the collaboration's own employees, times `scale` (at least 2)

SERVICE_AREAS = [
    # code, bokmål, nynorsk, English
    ("helse-omsorg", "Helse og omsorg", "Helse og omsorg", "Health and care"),
    ("oppvekst", "Oppvekst og utdanning", "Oppvekst og utdanning", "Childhood and education"),
    ("hr-lonn", "HR og lønn", "HR og løn", "HR and payroll"),
    ("okonomi", "Økonomi", "Økonomi", "Finance"),
    ("plan-bygg-geodata", "Plan, bygg og geodata", "Plan, bygg og geodata", "Planning, building and geodata"),
    ("sak-arkiv", "Sak og arkiv", "Sak og arkiv", "Case handling and archives"),
]
GOVERNING_BODIES = [
    # kind, bokmål, nynorsk, English
    ("portfolio_council", "Porteføljeråd", "Porteføljeråd", "Portfolio council"),
    ("board", "Styre", "Styre", "Board"),
    ("owners_meeting", "Eiermøte", "Eigarmøte", "Owners' meeting"),
]
LEGAL_FORM_HISTORIES = [
    # legal forms in order; the last one is current
    ("section27", "oppgavefellesskap"),
    ("vertskommune",),
    ("iks",),
    ("samkommune", "oppgavefellesskap"),
    ("agreement", "section27", "oppgavefellesskap"),
    ("as",),
    ("agreement", "vertskommune"),
]
FIRST_NAMES = [
    "Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg", "Hilde", "Anna",
    "Solveig", "Marianne", "Randi", "Ida", "Nina", "Maria", "Elisabeth", "Kristin", "Jan", "Per", "Bjørn",
    "Ole", "Lars", "Kjell", "Knut", "Arne", "Svein", "Thomas", "Hans", "Geir", "Tor", "Morten", "Terje",
    "Odd", "Erik", "Martin", "Andreas", "John", "Anders", "Rune", "Trond", "Tore", "Jon", "Nils", "Sigrid",
]  # fmt: skip
LAST_NAMES = [
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
    "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen",
    "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen", "Lund", "Sørensen", "Jakobsen", "Moen",
    "Gundersen", "Iversen", "Strand", "Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen",
    "Bakken", "Kristoffersen", "Mathisen", "Lie", "Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde",
]  # fmt: skip
# Job titles of a member's people, in seat order (see `_seats`).
MEMBER_TITLES = [
    "Kommunedirektør", "Ordfører", "Digitaliseringsleder", "Fagleder helse og omsorg", "Rektor",
    "HR-sjef", "Økonomisjef", "Arealplanlegger", "Arkivleder",
]  # fmt: skip
STAFF_TITLES = ["Daglig leder", "Sektoransvarlig", "Porteføljeleder", "Rådgiver"]


@dataclass
class Context:
    """What the phases build, for the phases after them and for the benchmark targets."""

    scale: float
    seed: int
    today: datetime.date
    municipalities: list = field(default_factory=list)
    population: dict[int, int] = field(default_factory=dict)  # municipality id -> latest population
    collaborations: list = field(default_factory=list)
    members: dict[int, list] = field(default_factory=dict)  # collaboration id -> member municipalities
    memberships: list = field(default_factory=list)
    service_areas: dict[int, list] = field(default_factory=dict)  # collaboration id -> service areas
    sector_groups: dict[int, list] = field(default_factory=dict)  # collaboration id -> one per service area
    governing_bodies: dict[int, dict[str, Any]] = field(default_factory=dict)  # collaboration id -> kind -> body
    member_people: dict[tuple[int, int], list] = field(default_factory=dict)  # (collab id, muni id) -> people
    staff: dict[int, list] = field(default_factory=dict)  # collaboration id -> staff people
    users: dict[str, Any] = field(default_factory=dict)  # named users for the benchmark (operator, admin, member)
    ids: dict[str, int] = field(default_factory=dict)  # named objects for target URLs ("{collaboration}")
    extra: dict[str, Any] = field(default_factory=dict)  # free space for later phases


Phase = Callable[[Context, float, random.Random, Callable[..., Any]], Any]


def bulk(model, objects: list, *, refetch_by: str | None = None) -> list:
    """bulk_create in batches; returns the objects with primary keys (SQLite and MariaDB ≥ 10.5 return them;
    otherwise `refetch_by`, a unique field, finds them)."""
    created = model.objects.bulk_create(objects, batch_size=BATCH)
    if created and created[0].pk is None:
        if refetch_by is None:
            raise RuntimeError(f"{model.__name__}: the database returned no primary keys; pass refetch_by")
        by_key = model.objects.in_bulk([getattr(o, refetch_by) for o in created], field_name=refetch_by)
        created = [by_key[getattr(o, refetch_by)] for o in created]
    return created


def scaled(count: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(round(count * scale)))


# ------------------------------------------------------------------------------------------------ phases


def phase_municipalities(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    from ikt_portfolio.members.models import COUNTY_NUMBERS, Municipality, validate_municipality_number

    rows = []
    for county_number, county_name, count in COUNTIES:
        assert county_number in COUNTY_NUMBERS, county_number
        suffixes = [1] if county_number == "03" else sorted(rng.sample(range(1, 100), count))
        for suffix in suffixes:
            number = f"{county_number}{suffix:02d}"
            validate_municipality_number(number)
            rows.append(Municipality(number=number, name=f"Syntetisk {number}", county=county_name))
    assert len(rows) == MUNICIPALITY_COUNT, len(rows)
    ctx.municipalities = bulk(Municipality, rows, refetch_by="number")
    progress(f"  {len(ctx.municipalities)} municipalities")


def _population_of(number: str, rng: random.Random) -> int:
    """Skewed like Norway: median about 5 000, a long tail of towns and cities, and the capital."""
    if number == "0301":
        return 717_000
    return int(min(320_000, max(200, rng.lognormvariate(math.log(5000), 1.15))))


def phase_population(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    from ikt_portfolio.members.models import PopulationFigure

    last_year = ctx.today.year
    rows = []
    for municipality in ctx.municipalities:
        population = _population_of(municipality.number, rng)
        ctx.population[municipality.pk] = population
        for year in range(last_year, last_year - POPULATION_YEARS, -1):
            rows.append(
                PopulationFigure(
                    municipality=municipality, year=year, population=population, source="Syntetisk (SSB 07459)"
                )
            )
            population = max(100, int(population / (1 + rng.uniform(-0.01, 0.015))))
    bulk(PopulationFigure, rows)
    sizes = sorted(ctx.population.values())
    small = sum(1 for p in sizes if p <= 5000)
    large = sum(1 for p in sizes if p > 20000)
    progress(
        f"  {len(rows)} population figures; {small} small (≤5 000), {len(sizes) - small - large} medium, "
        f"{large} large (>20 000), median {sizes[len(sizes) // 2]}"
    )


def _member_counts(rng: random.Random) -> list[int]:
    """40 sizes in [2, 15] that add up to the 357 municipalities; the first is the largest possible."""
    sizes = [MAX_MEMBERS] + [rng.randint(MIN_MEMBERS, MAX_MEMBERS) for _ in range(COLLABORATION_COUNT - 1)]
    while (total := sum(sizes)) != MUNICIPALITY_COUNT:
        i = rng.randrange(1, len(sizes))
        if total < MUNICIPALITY_COUNT and sizes[i] < MAX_MEMBERS:
            sizes[i] += 1
        elif total > MUNICIPALITY_COUNT and sizes[i] > MIN_MEMBERS:
            sizes[i] -= 1
    return sizes


def phase_collaborations(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """40 collaborations of neighbouring municipalities (by number), a few members in a second one."""
    from ikt_portfolio.members.models import Collaboration, GovernanceModel

    sizes = _member_counts(rng)
    by_number = sorted(ctx.municipalities, key=lambda m: m.number)
    groups, start = [], 0
    for size in sizes:
        groups.append(by_number[start : start + size])
        start += size
    doubles, attempts = 0, 0
    while doubles < DOUBLE_MEMBERSHIPS and attempts < 1000:
        attempts += 1
        i = rng.randrange(len(groups))
        neighbour = groups[(i + 1) % len(groups)]
        candidates = [m for m in neighbour if m not in groups[i]]
        if len(groups[i]) < MAX_MEMBERS and candidates:
            groups[i].append(rng.choice(candidates))
            doubles += 1
    rows = []
    for index, group in enumerate(groups, start=1):
        first, last = group[0].county, group[-1].county
        region = first if first == last else f"{first}/{last}"
        small_max = rng.choice([3000, 5000, 5000, 8000])
        rows.append(
            Collaboration(
                name=f"Syntetisk IKT-samarbeid {index:02d} ({region})",
                short_name=f"SYN-{index:02d}",
                governance_model=GovernanceModel.KS if index % 3 == 0 else GovernanceModel.RECOMMENDED,
                small_max_population=small_max,
                medium_max_population=small_max * 4,
                note="Syntetiske data for ytelsestest.",
            )
        )
    ctx.collaborations = bulk(Collaboration, rows, refetch_by="short_name")
    ctx.members = {c.pk: group for c, group in zip(ctx.collaborations, groups, strict=True)}
    progress(
        f"  {len(rows)} collaborations of {min(map(len, groups))}–{max(map(len, groups))} members; "
        f"{doubles} municipalities in two"
    )


def phase_memberships(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    from ikt_portfolio.members.models import Membership

    seen: set[int] = set()
    rows = []
    for collaboration in ctx.collaborations:
        for municipality in ctx.members[collaboration.pk]:
            second = municipality.pk in seen
            seen.add(municipality.pk)
            rows.append(
                Membership(
                    collaboration=collaboration,
                    municipality=municipality,
                    role=Membership.Role.PARTICIPANT if second else Membership.Role.OWNER,
                    valid_from=datetime.date(2018 if second else rng.choice([2004, 2008, 2012, 2016]), 1, 1),
                )
            )
    ctx.memberships = bulk(Membership, rows)
    assert len(seen) == MUNICIPALITY_COUNT, "every municipality belongs to a collaboration"
    progress(f"  {len(rows)} memberships")


def phase_legal_forms(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    from ikt_portfolio.members.models import Collaboration, LegalFormPeriod

    rows, hosted = [], []
    for collaboration in ctx.collaborations:
        history = rng.choice(LEGAL_FORM_HISTORIES)
        year = rng.randint(2003, 2010)
        for position, legal_form in enumerate(history):
            current = position == len(history) - 1
            if current:
                end_year = None
            elif legal_form in ("section27", "samkommune"):
                end_year = 2019  # the 1992 act's forms ended when the 2018 act came into force
            else:
                end_year = year + rng.randint(2, 5)
            rows.append(
                LegalFormPeriod(
                    collaboration=collaboration,
                    legal_form=legal_form,
                    valid_from=datetime.date(year, 1, 1),
                    valid_to=datetime.date(end_year, 12, 31) if end_year else None,
                    decision_reference=f"Syntetisk sak {year}/{rng.randint(100, 9999)}",
                )
            )
            if end_year:
                year = end_year + 1
        if history[-1] == "vertskommune":
            collaboration.host_municipality = max(ctx.members[collaboration.pk], key=lambda m: ctx.population[m.pk])
            hosted.append(collaboration)
    bulk(LegalFormPeriod, rows)
    Collaboration.objects.bulk_update(hosted, ["host_municipality"], batch_size=BATCH)
    progress(f"  {len(rows)} legal form periods; {len(hosted)} host municipalities")


def phase_bodies(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    from ikt_portfolio.members.models import Body, ServiceArea

    areas = []
    for collaboration in ctx.collaborations:
        for order, (code, nb, nn, en) in enumerate(SERVICE_AREAS, start=1):
            areas.append(
                ServiceArea(collaboration=collaboration, code=code, name=nb, name_nn=nn, name_en=en, order=order)
            )
    areas = bulk(ServiceArea, areas)
    for area in areas:
        ctx.service_areas.setdefault(area.collaboration_id, []).append(area)
    bodies = []
    for collaboration in ctx.collaborations:
        for area in ctx.service_areas[collaboration.pk]:
            bodies.append(
                Body(
                    collaboration=collaboration,
                    kind=Body.Kind.SECTOR_GROUP,
                    service_area=area,
                    name=f"Faggruppe {area.name.lower()}",
                    name_nn=f"Faggruppe {area.name_nn.lower()}",
                    name_en=f"Sector group {area.name_en.lower()}",
                )
            )
        for kind, nb, nn, en in GOVERNING_BODIES:
            bodies.append(Body(collaboration=collaboration, kind=kind, name=nb, name_nn=nn, name_en=en))
    bodies = bulk(Body, bodies)
    for body in bodies:
        if body.kind == Body.Kind.SECTOR_GROUP:
            ctx.sector_groups.setdefault(body.collaboration_id, []).append(body)
        else:
            ctx.governing_bodies.setdefault(body.collaboration_id, {})[body.kind] = body
    progress(f"  {len(areas)} service areas, {len(bodies)} bodies")


def phase_people(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """Users and people: about 8 per member and collaboration, plus the collaboration's staff."""
    from django.contrib.auth import get_user_model

    from ikt_portfolio.members.models import Person

    User = get_user_model()
    per_member = scaled(PEOPLE_PER_MEMBER, scale)
    per_staff = scaled(STAFF_PER_COLLABORATION, scale, minimum=2)
    plan = []  # (username, job title, municipality, staff_of, key)
    for collaboration in ctx.collaborations:
        for municipality in ctx.members[collaboration.pk]:
            for i in range(per_member):
                title = MEMBER_TITLES[i] if i < len(MEMBER_TITLES) else "Saksbehandler"
                username = f"syn-{collaboration.short_name[4:]}-{municipality.number}-{i:03d}"
                plan.append((username, title, municipality, None, (collaboration.pk, municipality.pk)))
        for i in range(per_staff):
            username = f"syn-{collaboration.short_name[4:]}-stab-{i:03d}"
            plan.append((username, STAFF_TITLES[min(i, len(STAFF_TITLES) - 1)], None, collaboration, collaboration.pk))
    users = [
        User(
            username=username,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            email=f"{username}@syntetisk.invalid",
            password="!synthetic-no-login",  # unusable: the benchmark signs in with force_login
            is_staff=True,  # the Desk (Django admin) requires is_staff
        )
        for username, *_ in plan
    ]
    users = bulk(User, users, refetch_by="username")
    languages = [Person.Language.BOKMAL] * 8 + [Person.Language.NYNORSK] * 2 + [Person.Language.ENGLISH]
    people = bulk(
        Person,
        [
            Person(
                user=user, municipality=municipality, staff_of=staff_of, job_title=title, language=rng.choice(languages)
            )
            for user, (_, title, municipality, staff_of, _) in zip(users, plan, strict=True)
        ],
    )
    for person, (*_, key) in zip(people, plan, strict=True):
        target = ctx.staff if isinstance(key, int) else ctx.member_people
        target.setdefault(key, []).append(person)
    progress(f"  {len(users)} users and people ({per_member} per member and collaboration, {per_staff} staff each)")


def _seats(ctx: Context, collaboration_id: int) -> list:
    """The seats each member fills, in order: board, owners' meeting, council, then the sector groups."""
    governing = ctx.governing_bodies[collaboration_id]
    return [governing["board"], governing["owners_meeting"], governing["portfolio_council"]] + ctx.sector_groups[
        collaboration_id
    ]


def phase_body_memberships(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    from ikt_portfolio.members.models import BodyMembership

    Role = BodyMembership.Role
    rows = []
    since = datetime.date(ctx.today.year - 2, 1, 1)
    for collaboration in ctx.collaborations:
        seats = _seats(ctx, collaboration.pk)
        members = sorted(ctx.members[collaboration.pk], key=lambda m: -ctx.population[m.pk])
        for rank, municipality in enumerate(members):
            people = ctx.member_people[(collaboration.pk, municipality.pk)]
            for s, body in enumerate(seats):
                role = Role.CHAIR if rank == 0 and s < 2 else Role.MEMBER
                rows.append(
                    BodyMembership(
                        body=body, person=people[s % len(people)], role=role, represents=municipality, valid_from=since
                    )
                )
            # More people than seats (scale > 1): every second extra person is a deputy in a sector group.
            for i in range(len(seats), len(people), 2):
                body = ctx.sector_groups[collaboration.pk][(i - len(seats)) // 2 % len(SERVICE_AREAS)]
                rows.append(
                    BodyMembership(
                        body=body, person=people[i], role=Role.DEPUTY, represents=municipality, valid_from=since
                    )
                )
        staff = ctx.staff[collaboration.pk]
        administrator, leads = staff[0], staff[1:]
        for kind in ("portfolio_council", "board"):
            body = ctx.governing_bodies[collaboration.pk][kind]
            rows.append(BodyMembership(body=body, person=administrator, role=Role.SECRETARY, valid_from=since))
        for g, group in enumerate(ctx.sector_groups[collaboration.pk]):
            rows.append(BodyMembership(body=group, person=leads[g % len(leads)], role=Role.LEAD, valid_from=since))
    bulk(BodyMembership, rows)
    progress(f"  {len(rows)} body memberships")


def phase_role_assignments(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """One collaboration administrator per collaboration; an owner representative and a benefit owner per member."""
    from ikt_portfolio.members.capacities import Capacity
    from ikt_portfolio.members.models import RoleAssignment

    rows = []
    since = datetime.date(ctx.today.year - 2, 1, 1)
    for collaboration in ctx.collaborations:
        rows.append(
            RoleAssignment(
                person=ctx.staff[collaboration.pk][0],
                collaboration=collaboration,
                capacity=Capacity.COLLABORATION_ADMIN,
                valid_from=since,
            )
        )
        for municipality in ctx.members[collaboration.pk]:
            people = ctx.member_people[(collaboration.pk, municipality.pk)]
            for index, capacity in ((1, Capacity.OWNER_REPRESENTATIVE), (2, Capacity.BENEFIT_OWNER)):
                rows.append(
                    RoleAssignment(
                        person=people[min(index, len(people) - 1)],
                        collaboration=collaboration,
                        capacity=capacity,
                        municipality=municipality,
                        valid_from=since,
                    )
                )
    bulk(RoleAssignment, rows)
    progress(f"  {len(rows)} role assignments")


def phase_benchmark_users(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """Name the users and objects the benchmark requests as: in the largest collaboration (worst case)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    operator = User(
        username="bench-operator",
        first_name="Drift",
        last_name="Operatør",
        email="bench-operator@syntetisk.invalid",
        password="!synthetic-no-login",
        is_staff=True,
        is_superuser=True,
    )
    operator.save()
    collaboration = max(ctx.collaborations, key=lambda c: (len(ctx.members[c.pk]), -c.pk))
    municipality = max(ctx.members[collaboration.pk], key=lambda m: ctx.population[m.pk])
    people = ctx.member_people[(collaboration.pk, municipality.pk)]
    # A plain member: a sector representative holding no role assignment (people 3.. at scale 1).
    member = people[min(4, len(people) - 1)]
    administrator = ctx.staff[collaboration.pk][0]
    ctx.users.update(operator=operator, admin=administrator.user, member=member.user)
    ctx.ids.update(
        collaboration=collaboration.pk,
        municipality=municipality.pk,
        person=member.pk,
        body=ctx.governing_bodies[collaboration.pk]["board"].pk,
    )
    progress(
        f"  operator {operator.username}; collaboration {collaboration.short_name} "
        f"({len(ctx.members[collaboration.pk])} members): admin {administrator.user.username}, "
        f"member {member.user.username}"
    )


# ------------------------------------------------------------------------------ workflows, goals and needs

WORKFLOW_FIXTURE = "need_routing_recommended.json"
GOALS = [
    ("M1", "Digitale innbyggertjenester"),
    ("M2", "Sikker og stabil drift"),
    ("M3", "Felles arkitektur og deling av data"),
    ("M4", "Effektiv forvaltning og bedre arbeidsprosesser"),
]
NEEDS_PER_COLLABORATION = 75  # on average at scale 1 (about 3 000 in all), in proportion to the number of members
BUSIEST_FACTOR = 3  # the largest collaboration is also the busiest: three times its share (about 360 needs)
# How the needs spread over the six service areas: health and care reports most (the benchmark's lead works there).
AREA_WEIGHTS = [30, 20, 12, 12, 14, 12]
# The need the change and need pages show: at the council after two rounds of questions and a reopening, so
# its timeline is long; every other member co-signs it, and it has many comments and followers.
RICH_ROUTE = (
    "submit", "return", "resubmit", "take_up", "return", "resubmit", "take_up", "recommend", "reopen", "recommend",
    "send_to_council",
)  # fmt: skip
RICH_COMMENTS = 40
RICH_FOLLOWERS = 25
# The reason the log gives for actions that require a comment.
LOG_COMMENTS = {
    "return": "Hvor mange brukere gjelder det, og hvilke kommuner vil være med?",
    "merge": "Samme behov som et annet behov i faggruppen; medunderskriverne er ført over.",
    "resolve": "Løst i drift: funksjonen finnes i dagens system og er slått på.",
    "reject": "Avvist: dekkes av en nasjonal løsning som tas i bruk neste år.",
    "reopen": "Faggruppen vurderer behovet på nytt etter nye opplysninger.",
}
# Where the needs stand (weights in percent) and the actions that took them there from the draft.
NEED_STATES: dict[str, tuple[int, tuple[str, ...]]] = {
    "draft": (5, ()),
    "submitted": (18, ("submit",)),
    "returned": (4, ("submit", "return")),
    "in_sector_group": (25, ("submit", "take_up")),
    "recommended": (8, ("submit", "take_up", "recommend")),
    "portfolio_council": (12, ("submit", "take_up", "recommend", "send_to_council")),
    "board": (3, ("submit", "take_up", "recommend", "send_to_council", "send_to_board")),
    "deferred": (3, ("submit", "take_up", "recommend", "send_to_council", "defer")),
    "approved": (8, ("submit", "take_up", "recommend", "send_to_council", "include")),
    "converted": (3, ("submit", "take_up", "recommend", "send_to_council", "include", "convert")),
    "merged": (2, ("submit", "take_up", "merge")),
    "resolved": (4, ("submit", "take_up", "resolve")),
    "rejected": (4, ("submit", "take_up", "reject")),
    "withdrawn": (1, ("withdraw",)),
}
LEAD_ACTIONS = {"take_up", "return", "recommend", "send_to_council", "merge", "resolve", "reject", "reopen"}
SUBMITTER_ACTIONS = {"submit", "withdraw", "resubmit"}
NEED_TOPICS = [
    "Digital søknad om {x}", "Bedre oversikt over {x}", "Felles system for {x}", "Automatisk varsling om {x}",
    "Elektronisk signering av {x}", "Mobil tilgang til {x}", "Integrasjon mellom fagsystem og {x}",
    "Selvbetjening for {x}", "Erstatte papirskjema for {x}", "Innsyn for innbyggere i {x}",
]  # fmt: skip
NEED_OBJECTS = [
    "barnehageplass", "byggesaker", "vikarer", "fakturaer", "tilsyn", "vedtak", "timelister", "SFO-plass",
    "startlån", "reiseregninger", "avviksmeldinger", "arkivplan", "turnus", "medisinering", "skoleskyss",
]  # fmt: skip


@contextmanager
def explicit_timestamps(model, *names: str):
    """Let bulk_create keep the timestamps we set on auto_now/auto_now_add fields (history-like data)."""
    fields = [model._meta.get_field(name) for name in names]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def largest_collaboration(ctx: Context):
    return max(ctx.collaborations, key=lambda c: (len(ctx.members[c.pk]), -c.pk))


def phase_workflows(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """The default recommended need routing, imported (validated and published) as each collaboration's
    active workflow through the real service: 40 imports."""
    import json
    from pathlib import Path

    import ikt_portfolio.workflow
    from ikt_portfolio.workflow.services import import_workflow

    path = Path(ikt_portfolio.workflow.__file__).resolve().parent / "fixtures" / WORKFLOW_FIXTURE
    data = json.loads(path.read_text(encoding="utf-8"))
    versions = {}
    for collaboration in ctx.collaborations:
        versions[collaboration.pk] = import_workflow(data, collaboration, activate=True)
    ctx.extra["workflow_versions"] = versions
    progress(f"  {len(versions)} active workflows ({data['key']}), {len(data['states'])} states each")


def phase_goals(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    from ikt_portfolio.needs.models import Goal

    year = ctx.today.year
    rows = [
        Goal(collaboration=c, code=code, title=title, first_year=year - 2, last_year=year + 2)
        for c in ctx.collaborations
        for code, title in GOALS
    ]
    goals = bulk(Goal, rows)
    ctx.extra["goals"] = {}
    for goal in goals:
        ctx.extra["goals"].setdefault(goal.collaboration_id, []).append(goal)
    progress(f"  {len(goals)} goals")


def _voting_members(body_ids) -> dict[int, list]:
    """body id -> its voting seats' people (ids), as the engine counts them for a ballot."""
    from ikt_portfolio.members.models import BodyMembership

    found: dict[int, set[int]] = {body_id: set() for body_id in body_ids}
    for body_id, person_id in (
        BodyMembership.objects.active_on()
        .filter(body_id__in=body_ids, role__in=BodyMembership.VOTING_ROLES)
        .values_list("body_id", "person_id")
    ):
        found[body_id].add(person_id)
    return {body_id: sorted(people) for body_id, people in found.items()}


def phase_workflow_users(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """The sector lead and a portfolio council member of the largest collaboration, as benchmark users;
    and who the throughput measurement acts as (submitters, the lead, every voting council member)."""
    from ikt_portfolio.members.models import BodyMembership, Person

    collaboration = largest_collaboration(ctx)
    area = ctx.service_areas[collaboration.pk][0]
    group = next(g for g in ctx.sector_groups[collaboration.pk] if g.service_area_id == area.pk)
    lead_seat = BodyMembership.objects.select_related("person__user").get(body=group, role=BodyMembership.Role.LEAD)
    council = ctx.governing_bodies[collaboration.pk]["portfolio_council"]
    municipality_id = ctx.ids["municipality"]
    council_seat = (
        BodyMembership.objects.filter(body=council, represents_id=municipality_id, role__in=BodyMembership.VOTING_ROLES)
        .select_related("person__user")
        .order_by("pk")
        .first()
    )
    if council_seat is None:
        raise RuntimeError("the largest member has no seat in the portfolio council")
    voters = _voting_members([council.pk])[council.pk]
    voter_users = dict(Person.objects.filter(pk__in=voters).values_list("pk", "user_id"))
    # Submitters for fresh needs: people of the members with no seat in the council (the usual reporter).
    submitters = [
        people[min(5, len(people) - 1)].user_id
        for municipality in ctx.members[collaboration.pk]
        if (people := ctx.member_people[(collaboration.pk, municipality.pk)])
    ]
    ctx.users.update(lead=lead_seat.person.user, council=council_seat.person.user)
    ctx.extra["throughput"] = {
        "collaboration_id": collaboration.pk,
        "service_area_id": area.pk,
        "lead_user_id": lead_seat.person.user_id,
        "submitter_user_ids": submitters,
        "voter_user_ids": [voter_users[p] for p in voters],
    }
    progress(
        f"  lead {lead_seat.person.user.username} ({area.code}), council member "
        f"{council_seat.person.user.username}; {len(voters)} voting council members"
    )


def _need_times(state: str, now: datetime.datetime, rng: random.Random):
    """(created, entered the state) for a need in `state`: open items are recent, finished ones older."""
    day = datetime.timedelta(days=1)
    age = rng.uniform(2, 720) * day
    if state == "draft":
        return now - age, now - age
    final = state in ("converted", "merged", "resolved", "rejected", "withdrawn", "approved")
    waited = age * rng.uniform(0.1, 0.7) if final else min(age * 0.9, rng.expovariate(1 / 25) * day)
    return now - age, now - waited


def phase_needs(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """Needs spread over the workflow's states (written directly, as if the engine had moved them), their
    transition log, goals, and open portfolio council ballots with some of the votes cast."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from ikt_portfolio.members.capacities import Capacity
    from ikt_portfolio.needs.models import AffectedGroup, BenefitType, Need, PurchaseNeeded, Urgency
    from ikt_portfolio.workflow.models import Ballot, Transition, TransitionLog, Vote
    from ikt_portfolio.workflow.services.engine import tally

    now = timezone.now()
    content_type_id = ContentType.objects.get_for_model(Need).pk
    versions = ctx.extra["workflow_versions"]
    transitions: dict[int, dict[tuple[str, str], Transition]] = {}
    deadlines: dict[int, dict[str, int | None]] = {}
    for t in Transition.objects.filter(version__in=versions.values()).select_related("from_state", "to_state"):
        transitions.setdefault(t.version_id, {})[(t.from_state.key, t.action)] = t
        deadlines.setdefault(t.version_id, {})[t.to_state.key] = t.to_state.deadline_days
    states, weights = zip(*[(state, weight) for state, (weight, _route) in NEED_STATES.items()], strict=True)
    mean_members = sum(len(m) for m in ctx.members.values()) / len(ctx.members)
    councils = {c.pk: ctx.governing_bodies[c.pk]["portfolio_council"] for c in ctx.collaborations}
    voting = _voting_members([body.pk for body in councils.values()])
    person_user = {p.pk: p.user_id for people in ctx.member_people.values() for p in people}
    largest = largest_collaboration(ctx)
    council_person = ctx.users["council"].person.pk

    needs, plans = [], []  # plans[i]: (route, lead person, admin user id) of needs[i]
    for collaboration in ctx.collaborations:
        count = scaled(NEEDS_PER_COLLABORATION * len(ctx.members[collaboration.pk]) / mean_members, scale)
        if collaboration.pk == largest.pk:
            count *= BUSIEST_FACTOR
        areas = ctx.service_areas[collaboration.pk]
        staff = ctx.staff[collaboration.pk]
        leads = staff[1:]
        version = versions[collaboration.pk]
        for number in range(1, count + 1):
            state = rng.choices(states, weights)[0]
            area_index = rng.choices(range(len(areas)), AREA_WEIGHTS[: len(areas)])[0]
            if collaboration.pk == largest.pk and number == 1:
                state, area_index = "portfolio_council", 0  # the need the change page shows
            municipality = rng.choice(ctx.members[collaboration.pk])
            submitter = rng.choice(ctx.member_people[(collaboration.pk, municipality.pk)])
            created, entered = _need_times(state, now, rng)
            topic = rng.choice(NEED_TOPICS).format(x=rng.choice(NEED_OBJECTS))
            assessed = state not in ("draft", "submitted", "returned", "withdrawn")
            big = state == "board" or (state == "portfolio_council" and number > 1 and rng.random() < 0.25)
            cost = None
            if assessed:
                cost = rng.randrange(600_000, 3_000_000, 10_000) if big else rng.randrange(50_000, 480_000, 5_000)
            days = deadlines[version.pk].get(state)
            deadline = entered + datetime.timedelta(days=days) if days else None
            route = RICH_ROUTE if (collaboration.pk == largest.pk and number == 1) else NEED_STATES[state][1]
            needs.append(
                Need(
                    collaboration=collaboration,
                    number=number,
                    title=f"{topic} ({municipality.name})",
                    problem=(
                        f"I dag håndteres {topic.lower()} manuelt i {municipality.name}. Det gir dobbeltarbeid, "
                        "lang saksbehandlingstid og lite oversikt for innbyggerne. " * 3
                    ).strip(),
                    desired_outcome="Én felles, digital løsning for alle medlemskommunene i samarbeidet.",
                    purchase_needed=rng.choice(PurchaseNeeded.values),
                    service_area=areas[area_index],
                    submitted_by=submitter,
                    municipality=municipality,
                    affected_group=rng.choice(AffectedGroup.values),
                    affected_count=rng.choice([None, 20, 150, 1200, 8000]),
                    benefit_type=rng.choice(BenefitType.values),
                    expected_benefit="Sparer tid for saksbehandlerne og gir raskere svar.",
                    expected_benefit_nok=rng.choice([None, 100_000, 250_000, 900_000]),
                    urgency=rng.choices(Urgency.values, [3, 5, 2, 1])[0],
                    estimated_cost=cost,
                    estimated_effort=rng.choice([None, 2, 6, 14]) if assessed else None,
                    strategic=big and rng.random() < 0.5,
                    created_at=created,
                    updated_at=entered,
                    workflow_version=version,
                    state=state,
                    state_entered_at=entered,
                    deadline_at=deadline,
                    reminder_sent_at=deadline + datetime.timedelta(days=1)
                    if deadline and deadline + datetime.timedelta(days=1) < now
                    else None,
                    workflow_revision=1 + len(route),  # the engine counts every move
                )
            )
            plans.append((route, leads[area_index % len(leads)], staff[0].user_id))
    with explicit_timestamps(Need, "created_at", "updated_at"):
        needs = bulk(Need, needs)

    goal_links, logs, ballots, ballot_votes = [], [], [], []
    decided, decided_logs = [], []  # passed council ballots with their voters, and the log entries they made
    steps_at: dict[int, list[tuple[str, datetime.datetime]]] = {}  # need id -> (action, when) of its log
    for need, (route, lead, admin_user_id) in zip(needs, plans, strict=True):
        lead_user_id = lead.user_id
        goals = ctx.extra["goals"][need.collaboration_id]
        for goal in rng.sample(goals, rng.choice([0, 1, 1, 2])):
            goal_links.append(Need.goals.through(need_id=need.pk, goal_id=goal.pk))
        # The log of the route, spread between creation and the last step.
        steps = len(route)
        council_people = voting[councils[need.collaboration_id].pk]
        log_base = dict(content_type_id=content_type_id, object_id=need.pk, collaboration_id=need.collaboration_id)
        logs.append(
            TransitionLog(
                **log_base, version_id=need.workflow_version_id, action="start", to_state="draft",
                actor_id=person_user[need.submitted_by_id], capacity=Capacity.SUBMITTER, at=need.created_at,
            )
        )  # fmt: skip
        state = "draft"
        for index, action in enumerate(route, start=1):
            t = transitions[need.workflow_version_id][(state, action)]
            at = need.created_at + (need.state_entered_at - need.created_at) * index / steps
            ballot = None
            if action in SUBMITTER_ACTIONS:
                actor, capacity = person_user[need.submitted_by_id], Capacity.SUBMITTER
            elif action in LEAD_ACTIONS:
                actor, capacity = lead_user_id, Capacity.SECTOR_LEAD
            elif t.committee:
                # Decided by the council's vote, as the engine records it: a passed ballot whose deciding
                # (last) vote's caster is the log's actor.
                voters = rng.sample(council_people, min(len(council_people), max(3, len(council_people) // 2 + 1)))
                actor, capacity = person_user.get(voters[-1]), f"committee:{t.committee}"
                ballot = Ballot(
                    content_type_id=content_type_id, object_id=need.pk, collaboration_id=need.collaboration_id,
                    transition=t, body=councils[need.collaboration_id], eligible=council_people, outcome="passed",
                    open_key=None, opened_at=at - datetime.timedelta(hours=2), closed_at=at,
                )  # fmt: skip
                decided.append((ballot, voters))
            else:
                actor, capacity = admin_user_id, Capacity.COLLABORATION_ADMIN
            logs.append(
                TransitionLog(
                    **log_base, version_id=need.workflow_version_id, transition=t, action=action,
                    from_state=state, to_state=t.to_state.key, actor_id=actor, capacity=capacity, at=at,
                    comment=LOG_COMMENTS.get(action, ""),
                )
            )  # fmt: skip
            if ballot is not None:
                decided_logs.append(logs[-1])
            steps_at.setdefault(need.pk, []).append((action, at))
            state = t.to_state.key
        assert state == need.state, (route, state, need.state)
        if state != "portfolio_council":
            continue
        # An open ballot on the decision the council is heading for, some votes cast, none deciding yet.
        outgoing = transitions[need.workflow_version_id]
        t = outgoing[(state, "send_to_board" if (need.estimated_cost or 0) > 500_000 or need.strategic else "include")]
        eligible = council_people
        needed = len(eligible) // 2 + 1
        first = need.collaboration_id == largest.pk and need.number == 1
        candidates = [p for p in eligible if not (first and p == council_person)]
        cast = rng.sample(candidates, min(len(candidates), 3 if first else rng.randint(0, needed - 1)))
        choices = [rng.choices(["yes", "no", "abstain"], [8, 1, 1])[0] for _ in cast]

        def still_open(choices, t=t, eligible=eligible):
            return tally(t.vote_rule, t.votes_required, t.quorum, len(eligible), choices) == "open"

        if not still_open(choices):
            choices = ["yes"] * len(choices)
        if not still_open(choices):  # e.g. a council smaller than the quorum: no vote can ever pass
            cast, choices = [], []
        opened = need.state_entered_at + datetime.timedelta(hours=1)
        ballots.append(
            Ballot(
                content_type_id=content_type_id, object_id=need.pk, collaboration_id=need.collaboration_id,
                transition=t, body=councils[need.collaboration_id], eligible=eligible, outcome="open",
                open_key=f"{content_type_id}:{need.pk}:{t.pk}", opened_at=opened,
            )
        )  # fmt: skip
        ballot_votes.append([(voter, choice) for voter, choice in zip(cast, choices, strict=True)])
        if first:
            ctx.ids["need"] = need.pk
    bulk(Need.goals.through, goal_links)
    with explicit_timestamps(Ballot, "opened_at"):
        passed = bulk(Ballot, [ballot for ballot, _voters in decided])
    for log, ballot in zip(decided_logs, passed, strict=True):
        log.ballot = ballot
    with explicit_timestamps(TransitionLog, "at"):
        bulk(TransitionLog, logs)
    with explicit_timestamps(Ballot, "opened_at"):
        ballots = bulk(Ballot, ballots)
    votes = [
        Vote(
            ballot=ballot, voter_id=voter, cast_by_id=person_user[voter], capacity=Capacity.COUNCIL_MEMBER,
            choice=choice, at=ballot.opened_at + datetime.timedelta(hours=2 + i),
        )
        for ballot, cast in zip(ballots, ballot_votes, strict=True)
        for i, (voter, choice) in enumerate(cast)
    ]  # fmt: skip
    votes += [
        Vote(
            ballot=ballot, voter_id=voter, cast_by_id=person_user[voter], capacity=Capacity.COUNCIL_MEMBER,
            choice="yes", at=ballot.closed_at - datetime.timedelta(minutes=5 * (len(voters) - 1 - i)),
        )
        for ballot, (_unsaved, voters) in zip(passed, decided, strict=True)
        for i, voter in enumerate(voters)
    ]  # fmt: skip
    with explicit_timestamps(Vote, "at"):
        bulk(Vote, votes)
    by_state = {state: 0 for state in NEED_STATES}
    for need in needs:
        by_state[need.state] += 1
    in_largest = sum(1 for need in needs if need.collaboration_id == largest.pk)
    progress(
        f"  {len(needs)} needs ({in_largest} in {largest.short_name}): "
        + ", ".join(f"{state} {n}" for state, n in by_state.items())
    )
    progress(
        f"  {len(logs)} log entries, {len(goal_links)} goal links, {len(ballots)} open and {len(passed)} passed "
        f"ballots, {len(votes)} votes"
    )
    ctx.extra["needs"] = needs
    ctx.extra["need_plans"] = {need.pk: plan for need, plan in zip(needs, plans, strict=True)}
    ctx.extra["need_steps"] = steps_at


# ------------------------------------------------------------------ co-signs, comments, merges, assessments

# How many other members co-sign a need, and how many comments it gets (weights in percent).
CO_SIGN_COUNTS = {0: 35, 1: 25, 2: 15, 3: 12, 5: 8, 8: 5}
COMMENT_COUNTS = {0: 40, 1: 20, 2: 20, 3: 12, 6: 8}
EXTRA_FOLLOWERS = {0: 60, 1: 25, 2: 15}
FINAL_STATES = {"converted", "merged", "resolved", "rejected", "withdrawn"}
CO_SIGN_BENEFITS = [
    "", "", "Vi har samme problem og bruker mye tid på det.", "Sparer oss for dobbeltarbeid hver uke.",
    "Gir innbyggerne raskere svar.", "Gjør tjenesten mindre sårbar ved fravær.",
]  # fmt: skip
COMMENTS = [  # (who, is a question, text), in turn
    ("lead", True, "Hvor mange brukere gjelder det, og har dere snakket med leverandøren?"),
    ("submitter", False, "Rundt hundre i året. Leverandøren sier at modulen finnes, men at den koster ekstra."),
    ("other", False, "Vi har det samme behovet og følger saken."),
    ("lead", False, "Faggruppen tar dette opp på neste møte."),
]


def _weighted(rng: random.Random, weights: dict[int, int]) -> int:
    return rng.choices(list(weights), list(weights.values()))[0]


def _between(rng: random.Random, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
    return start + (end - start) * rng.random() if end > start else start


def phase_need_activity(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """What members and sector groups add to the needs, as the services would write it: co-signatures (one
    per member, never the reporter's own, while the need is open; the co-signer follows), comments (questions
    from the sector lead, the submitter's answers, other members' remarks), followers, merged duplicates (the
    duplicate's municipality and co-signers carried over to the target, its people following the target) and
    the sector group's assessment (every active default criterion scored, breadth from the co-signatures at the
    time, the total computed as `needs.assessment` does) of every need recommended."""
    from json import loads

    from django.utils import timezone

    from ikt_portfolio.members.capacities import Capacity
    from ikt_portfolio.needs.assessment import BREADTH_KEY, DEFAULT_CRITERIA_FILE, breadth_level, compute_total
    from ikt_portfolio.needs.models import Assessment, Comment, CoSign, Criterion, CriterionScore, Follow, Need

    now = timezone.now()
    needs = ctx.extra["needs"]
    plans, steps_at = ctx.extra["need_plans"], ctx.extra["need_steps"]
    rich = ctx.ids["need"]
    user_of = {p.pk: p.user_id for people in ctx.member_people.values() for p in people}
    user_of |= {p.pk: p.user_id for people in ctx.staff.values() for p in people}

    def first(need, action):
        return next((at for step, at in steps_at.get(need.pk, []) if step == action), None)

    def open_until(need):
        return need.state_entered_at if need.state in FINAL_STATES else now

    # Co-signatures: municipality id -> (person, benefit, affected, when), per need.
    signed: dict[int, dict[int, tuple]] = {}
    for need in needs:
        submitted = first(need, "submit")
        if submitted is None:
            continue  # a draft, or withdrawn before it was submitted: nobody else has seen it
        others = [m for m in ctx.members[need.collaboration_id] if m.pk != need.municipality_id]
        count = len(others) if need.pk == rich else min(len(others), _weighted(rng, CO_SIGN_COUNTS))
        rows = {}
        for municipality in rng.sample(others, count):
            person = rng.choice(ctx.member_people[(need.collaboration_id, municipality.pk)])
            at = _between(rng, submitted, min(open_until(need), submitted + datetime.timedelta(days=90)))
            rows[municipality.pk] = (person, rng.choice(CO_SIGN_BENEFITS), rng.choice([None, 5, 40, 300]), at, "")
        signed[need.pk] = rows

    # Merged duplicates: into a need of the same collaboration that was open when the merge was made.
    by_collaboration: dict[int, list] = {}
    for need in needs:
        by_collaboration.setdefault(need.collaboration_id, []).append(need)
    merged, follows = [], {}
    for need in needs:
        merged_at = first(need, "merge")
        if need.state != "merged" or merged_at is None:
            continue
        targets = [
            other
            for other in by_collaboration[need.collaboration_id]
            if other.pk != need.pk
            and other.state not in FINAL_STATES | {"draft"}
            and (first(other, "submit") or now) < merged_at
        ]
        if not targets:
            continue
        target = rng.choice(targets)
        need.merged_into_id = target.pk
        merged.append(need)
        carried = {need.municipality_id: (need.submitted_by, need.expected_benefit, need.affected_count)}
        for municipality_id, (person, benefit, affected, _at, _reason) in signed.get(need.pk, {}).items():
            carried.setdefault(municipality_id, (person, benefit, affected))
        on_target = signed.setdefault(target.pk, {})
        for municipality_id, (person, benefit, affected) in carried.items():
            if municipality_id != target.municipality_id and municipality_id not in on_target:
                on_target[municipality_id] = (person, benefit, affected, merged_at, f"merged from need {need.pk}")
        for person in [need.submitted_by] + [row[0] for row in signed.get(need.pk, {}).values()]:
            follows.setdefault((target.pk, user_of[person.pk]), merged_at)
    Need.objects.bulk_update(merged, ["merged_into"], batch_size=BATCH)

    co_signs = []
    for need_id, rows in signed.items():
        for municipality_id, (person, benefit, affected, at, _reason) in rows.items():
            co_signs.append(
                CoSign(
                    need_id=need_id, municipality_id=municipality_id, person=person, expected_benefit=benefit,
                    affected_count=affected, created_at=at,
                )
            )  # fmt: skip
            follows.setdefault((need_id, user_of[person.pk]), at)
    with explicit_timestamps(CoSign, "created_at"):
        bulk(CoSign, co_signs)

    # Comments and followers.
    comments = []
    for need in needs:
        submitted = first(need, "submit")
        if submitted is None:
            continue
        count = RICH_COMMENTS if need.pk == rich else _weighted(rng, COMMENT_COUNTS)
        end = open_until(need)
        moments = sorted(_between(rng, submitted, end) for _ in range(count))
        lead = plans[need.pk][1]
        signers = [row[0] for row in signed.get(need.pk, {}).values()]
        for position, at in enumerate(moments):
            who, question, text = COMMENTS[position % len(COMMENTS)]
            if who == "lead":
                author, capacity = lead, Capacity.SECTOR_LEAD
            elif who == "submitter" or not signers:
                author, capacity, question = need.submitted_by, Capacity.SUBMITTER, False
            else:
                author, capacity = rng.choice(signers), ""
            comments.append(
                Comment(need=need, author=author, capacity=capacity, body=text, is_question=question, created_at=at)
            )
        people = [p for (c, _m), members in ctx.member_people.items() if c == need.collaboration_id for p in members]
        extra = RICH_FOLLOWERS if need.pk == rich else _weighted(rng, EXTRA_FOLLOWERS)
        for person in rng.sample(people, min(extra, len(people))):
            follows.setdefault((need.pk, user_of[person.pk]), _between(rng, submitted, end))
    with explicit_timestamps(Comment, "created_at"):
        bulk(Comment, comments)
    with explicit_timestamps(Follow, "created_at"):
        bulk(Follow, [Follow(need_id=n, user_id=u, created_at=at) for (n, u), at in follows.items()])

    # The default assessment criteria of every collaboration, and the assessments.
    specs = loads(DEFAULT_CRITERIA_FILE.read_text(encoding="utf-8"))
    criteria = bulk(
        Criterion,
        [
            Criterion(collaboration=c, **(spec | {"weight": Decimal(str(spec["weight"]))}))
            for c in ctx.collaborations
            for spec in specs
        ],
    )
    by_collaboration_criteria: dict[int, list] = {}
    for criterion in criteria:
        by_collaboration_criteria.setdefault(criterion.collaboration_id, []).append(criterion)
    assessments, levels_of = [], []
    for need in needs:
        recommended_at = first(need, "recommend")
        if recommended_at is None:
            continue
        taken_up = first(need, "take_up") or need.created_at
        assessed_at = _between(rng, taken_up, recommended_at)
        members = len(ctx.members[need.collaboration_id])
        signers = 1 + sum(1 for row in signed.get(need.pk, {}).values() if row[3] <= assessed_at)
        pairs = []
        for criterion in by_collaboration_criteria[need.collaboration_id]:
            level = breadth_level(signers, members) if criterion.key == BREADTH_KEY else rng.randint(1, 5)
            pairs.append((criterion, level))
        total, _contributions = compute_total(pairs)
        assessments.append(
            Assessment(
                need=need, assessed_by=plans[need.pk][1], capacity=Capacity.SECTOR_LEAD, assessed_at=assessed_at,
                estimated_cost=need.estimated_cost, estimated_effort=need.estimated_effort, total=total,
                recommendation="Anbefales: bred støtte og tydelig gevinst for medlemmene.",
            )
        )  # fmt: skip
        levels_of.append((pairs, signers, members))
    assessments = bulk(Assessment, assessments)
    scores = [
        CriterionScore(
            assessment=assessment, criterion=criterion, score=level,
            note=f"{signers} av {members} medlemmer meldte inn eller støttet behovet." if criterion.key == BREADTH_KEY
            else "",
        )
        for assessment, (pairs, signers, members) in zip(assessments, levels_of, strict=True)
        for criterion, level in pairs
    ]  # fmt: skip
    bulk(CriterionScore, scores)

    largest = largest_collaboration(ctx)
    areas = ctx.service_areas[largest.pk]
    ctx.ids.update(service_area=areas[0].pk)
    # A plain need to hold the rich one against: also at the council in the lead's area, with the fewest
    # co-signatures and comments (so a query count that grows with them shows as a difference).
    talk = {need.pk: 0 for need in needs}
    for comment in comments:
        talk[comment.need_id] += 1
    plain = min(
        (n for n in needs if n.collaboration_id == largest.pk and n.state == "portfolio_council" and n.pk != rich
         and n.service_area_id == areas[0].pk),
        key=lambda n: (len(signed.get(n.pk, {})) + talk[n.pk], n.pk),
    )  # fmt: skip
    ctx.ids["plain_need"] = plain.pk
    # The same goals as the rich need, so the two differ only in co-signatures, comments and log entries.
    Goals = Need.goals.through
    Goals.objects.filter(need_id=plain.pk).delete()
    rich_goals = list(Goals.objects.filter(need_id=rich).values_list("goal_id", flat=True))
    bulk(Goals, [Goals(need_id=plain.pk, goal_id=goal_id) for goal_id in rich_goals])
    queued = {
        area.code: sum(1 for n in needs if n.service_area_id == area.pk and n.state in ("submitted", "in_sector_group"))
        for area in areas[:2]
    }
    rich_need = next(need for need in needs if need.pk == rich)
    progress(
        f"  {len(co_signs)} co-signatures, {len(comments)} comments, {len(follows)} followers, {len(merged)} "
        f"merged duplicates, {len(assessments)} assessments ({len(scores)} criterion scores); the need page "
        f"shows {rich_need.reference}: {len(signed[rich])} co-signatures, {RICH_COMMENTS} comments, "
        f"{len(RICH_ROUTE) + 1} log entries; the plain need {plain.reference}: {len(signed.get(plain.pk, {}))} "
        f"co-signatures, {talk[plain.pk]} comments; waiting for the sector groups of {largest.short_name}: {queued}"
    )


# ------------------------------------------------------------------------------ projects, costs and meetings

PROJECTS_IN_LARGEST = 1000  # times `scale`: projects of the largest collaboration, each made from an approved need
# Where the projects stand in the KS phase routing (weights in percent) and the actions that took them there.
PROJECT_STATES: dict[str, tuple[int, tuple[str, ...]]] = {
    "forfase": (30, ()),
    "forprosjekt": (30, ("start_preproject",)),
    "gjennomforing": (25, ("start_preproject", "start_execution")),
    "drift": (10, ("start_preproject", "start_execution", "hand_over")),
    "stopped": (5, ("stop",)),
}
PROJECT_OWNER_ACTIONS = {"start_preproject", "hand_over"}
RICH_PROJECT_YEARS = 5  # the rich project: every member, investment and operation for 5 years, many reports/risks
RICH_PROJECT_REPORTS = 24
RICH_PROJECT_RISKS = 30
MEETING_AGENDA = 40  # items on the council's long agenda (needs waiting for it, then manual items)
RISKS = [
    "Leverandøren leverer ikke integrasjonen i tide.", "Medlemskommunene har ikke kapasitet til opplæring.",
    "Kostnaden for lisenser øker etter første år.", "Personvernkonsekvensene er ikke avklart.",
    "Nøkkelpersoner i prosjektet slutter.",
]  # fmt: skip
REPORT_COMMENTS = [
    "Framdrift som planlagt; testing med to kommuner pågår.", "Forsinket leveranse fra leverandøren, tiltak iverksatt.",
    "Budsjettet holder; gevinstrealiseringsplanen er oppdatert.",
]  # fmt: skip


def phase_projects(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """Projects of the largest collaboration, as `projects.services.create_project_from_needs` leaves them and
    the owner then records them: each made from an approved need of its own (written here as "converted", with
    the convert step in its log), in the KS phase routing (installed with `install_phase_workflow`, as the
    projects' demo does) with the log of its route; a participation per submitting and co-signing member
    (decided: most take part, some postpone, some opt out with a reason), budget lines by year split by a
    cost-sharing key (created as the costs' demo does), status reports and risks. `ctx.ids["project"]` is the
    rich project (every member, five years of budget lines, 24 reports, 30 risks), `ctx.ids["plain_project"]`
    one with a single member and nothing recorded."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from ikt_portfolio.costs.models import AnnualBudgetLine, CostKey
    from ikt_portfolio.members.capacities import Capacity
    from ikt_portfolio.needs.models import CoSign, Need
    from ikt_portfolio.projects import services as project_services
    from ikt_portfolio.projects.models import BudgetLine, Participation, Project, Rag, Risk, StatusReport
    from ikt_portfolio.workflow.models import Transition, TransitionLog

    now = timezone.now()
    largest = largest_collaboration(ctx)
    members = ctx.members[largest.pk]
    staff = ctx.staff[largest.pk]
    admin = staff[0]
    people = [p for m in members for p in ctx.member_people[(largest.pk, m.pk)]]
    version = project_services.install_phase_workflow(largest, "ks", activate=True)
    transitions = {
        (t.from_state.key, t.action): t
        for t in Transition.objects.filter(version=version).select_related("from_state", "to_state")
    }
    need_version = ctx.extra["workflow_versions"][largest.pk]
    convert = Transition.objects.get(version=need_version, from_state__key="approved", action="convert")

    # Cost-sharing keys as the costs' demo makes them: 50/50 equal and population, for projects and the budget.
    year = ctx.today.year
    keys = bulk(
        CostKey,
        [
            CostKey(collaboration=largest, name="Prosjektnøkkel 50/50", applies_to=CostKey.AppliesTo.PROJECTS,
                    decided_by="Styret, sak 12/2024", decided_on=datetime.date(year - 2, 6, 1),
                    valid_from=datetime.date(year - 2, 1, 1)),
            CostKey(collaboration=largest, name="Driftsnøkkel 50/50", applies_to=CostKey.AppliesTo.ANNUAL_BUDGET,
                    decided_by="Eiermøtet, sak 3/2024", decided_on=datetime.date(year - 2, 3, 1),
                    valid_from=datetime.date(year - 2, 1, 1)),
        ],
    )  # fmt: skip
    project_key, budget_key = keys
    bulk(
        AnnualBudgetLine,
        [
            AnnualBudgetLine(
                collaboration=largest, year=y, name=name, kind=kind, amount=Decimal(amount), key=budget_key
            )
            for y in (year - 1, year, year + 1)
            for name, kind, amount in (
                ("Felles drift og lisenser", AnnualBudgetLine.Kind.OPERATION, "12500000.00"),
                ("Sekretariat", AnnualBudgetLine.Kind.OPERATION, "4200000.00"),
            )
        ],
    )

    # One approved need per project, converted: copies of the collaboration's approved needs, numbered on.
    ours = [n for n in ctx.extra["needs"] if n.collaboration_id == largest.pk]
    templates = [n for n in ours if n.state == "approved"] or ours
    next_number = max(n.number for n in ctx.extra["needs"] if n.collaboration_id == largest.pk) + 1
    count = scaled(PROJECTS_IN_LARGEST, scale)
    states, weights = zip(*[(s, w) for s, (w, _r) in PROJECT_STATES.items()], strict=True)
    plans, needs = [], []
    for index in range(count):
        template = templates[index % len(templates)]
        need = Need(
            **{f.attname: getattr(template, f.attname) for f in Need._meta.concrete_fields if not f.primary_key}
        )
        need.number = next_number + index
        started = now - datetime.timedelta(days=rng.randint(20, 900))
        need.created_at = started - datetime.timedelta(days=rng.randint(60, 200))
        need.state, need.state_entered_at, need.updated_at = "converted", started, started
        need.deadline_at = need.reminder_sent_at = None
        need.workflow_revision = 1 + len(NEED_STATES["converted"][1])
        needs.append(need)
        plans.append((rng.choices(states, weights)[0] if index else "gjennomforing", started))
    with explicit_timestamps(Need, "created_at", "updated_at"):
        needs = bulk(Need, needs)
    need_type = ContentType.objects.get_for_model(Need).pk
    project_type = ContentType.objects.get_for_model(Project).pk

    projects = []
    for number, (need, (state, started)) in enumerate(zip(needs, plans, strict=True), start=1):
        route = PROJECT_STATES[state][1]
        entered = started + (now - started) * rng.uniform(0.3, 0.9) if route else started
        projects.append(
            Project(
                collaboration=largest, number=number, title=need.title, description=need.problem,
                expected_benefits=need.expected_benefit, expected_benefit_nok=need.expected_benefit_nok,
                estimated_cost=need.estimated_cost, estimated_effort=need.estimated_effort, owner=admin,
                manager=rng.choice(people), created_by=admin.user, created_at=started, updated_at=entered,
                workflow_version=version, state=state, state_entered_at=entered, workflow_revision=1 + len(route),
            )
        )  # fmt: skip
    with explicit_timestamps(Project, "created_at", "updated_at"):
        projects = bulk(Project, projects)
    rich, plain = projects[0], projects[1]
    pairs = list(zip(projects, needs, strict=True))
    Needs, Areas = Project.needs.through, Project.service_areas.through
    bulk(Needs, [Needs(project_id=p.pk, need_id=n.pk) for p, n in pairs])
    bulk(Areas, [Areas(project_id=p.pk, servicearea_id=n.service_area_id) for p, n in pairs])

    # Logs: the need's convert step, the project's start and its route through the phases.
    logs = []
    for project, need in zip(projects, needs, strict=True):
        started = project.created_at
        logs.append(TransitionLog(
            content_type_id=need_type, object_id=need.pk, collaboration_id=largest.pk, version_id=need_version.pk,
            transition=convert, action="convert", from_state="approved", to_state="converted",
            actor_id=admin.user_id, capacity=Capacity.COLLABORATION_ADMIN, at=started,
            comment=f"Gjort til prosjektet P-{project.number}.",
        ))  # fmt: skip
        base = dict(content_type_id=project_type, object_id=project.pk, collaboration_id=largest.pk,
                    version_id=version.pk)  # fmt: skip
        logs.append(TransitionLog(**base, action="start", to_state="forfase", actor_id=admin.user_id,
                                  capacity=Capacity.COLLABORATION_ADMIN, at=started))  # fmt: skip
        state, route = "forfase", PROJECT_STATES[project.state][1]
        for index, action in enumerate(route, start=1):
            t = transitions[(state, action)]
            at = started + (project.state_entered_at - started) * index / len(route)
            capacity = (Capacity.PROJECT_OWNER if action in PROJECT_OWNER_ACTIONS
                        else f"committee:{t.committee}" if t.committee else Capacity.COLLABORATION_ADMIN)  # fmt: skip
            logs.append(TransitionLog(**base, transition=t, action=action, from_state=state, to_state=t.to_state.key,
                                      actor_id=admin.user_id, capacity=capacity, at=at,
                                      comment="Vedtatt." if t.comment_required else ""))  # fmt: skip
            state = t.to_state.key
    with explicit_timestamps(TransitionLog, "at"):
        bulk(TransitionLog, logs)

    # Participations: the submitter's and co-signers' municipalities (every member for the rich project).
    co_signers: dict[int, list[int]] = {}
    for need_id, municipality_id in CoSign.objects.filter(need__collaboration=largest).values_list(
        "need_id", "municipality_id"
    ):
        co_signers.setdefault(need_id, []).append(municipality_id)
    by_copy = {n.pk: templates[i % len(templates)].pk for i, n in enumerate(needs)}
    participations, budget, reports, risks = [], [], [], []
    statuses = [Participation.Status.PARTICIPATES] * 8 + [Participation.Status.POSTPONES, Participation.Status.OPTS_OUT]
    for project, need in zip(projects, needs, strict=True):
        if project.pk == rich.pk:
            municipalities = [m.pk for m in members]
        elif project.pk == plain.pk:
            municipalities = [need.municipality_id]
        else:
            municipalities = list(dict.fromkeys([need.municipality_id, *co_signers.get(by_copy[need.pk], [])]))
        for position, municipality_id in enumerate(municipalities):
            status = Participation.Status.PARTICIPATES if position == 0 else rng.choice(statuses)
            participations.append(Participation(
                project=project, municipality_id=municipality_id, status=status,
                postponed_until=ctx.today + datetime.timedelta(days=180) if status == "postpones" else None,
                reason="Kommunen har nylig byttet system og venter til neste anbud." if status == "opts_out" else "",
                decided_at=project.created_at + datetime.timedelta(days=7), decided_by_id=admin.user_id,
            ))  # fmt: skip
        if project.pk == plain.pk:
            continue
        years = RICH_PROJECT_YEARS if project.pk == rich.pk else rng.randint(1, 3)
        cost = project.estimated_cost or Decimal(rng.randrange(100_000, 2_000_000, 10_000))
        for offset in range(years):
            for kind in (BudgetLine.Kind.INVESTMENT, BudgetLine.Kind.OPERATION):
                if kind == BudgetLine.Kind.INVESTMENT and offset > 1 and project.pk != rich.pk:
                    continue
                amount = (Decimal(cost) / years).quantize(Decimal("0.01"))
                if kind == BudgetLine.Kind.OPERATION:
                    amount = (amount / 5).quantize(Decimal("0.01"))
                budget.append(BudgetLine(project=project, year=project.created_at.year + offset, kind=kind,
                                         amount=amount, key=project_key))  # fmt: skip
        n_reports = RICH_PROJECT_REPORTS if project.pk == rich.pk else rng.choice([0, 1, 2, 4])
        for r in range(n_reports):
            at = project.created_at + datetime.timedelta(days=30 * (r + 1))
            reports.append(StatusReport(
                project=project, period_end=at.date(), scope=rng.choice(Rag.values), time=rng.choice(Rag.values),
                cost=rng.choice(Rag.values), benefits=rng.choice(Rag.values), comment=rng.choice(REPORT_COMMENTS),
                reported_by_id=project.manager.user_id, reported_at=at,
            ))  # fmt: skip
        n_risks = RICH_PROJECT_RISKS if project.pk == rich.pk else rng.choice([0, 1, 2, 3])
        for _r in range(n_risks):
            risks.append(Risk(
                project=project, description=rng.choice(RISKS), probability=rng.randint(1, 5),
                consequence=rng.randint(1, 5), owner=rng.choice([project.manager, admin]),
                mitigation="Tett oppfølging i styringsgruppen.", status=rng.choice(Risk.Status.values),
            ))  # fmt: skip
    bulk(Participation, participations)
    bulk(BudgetLine, budget)
    with explicit_timestamps(StatusReport, "reported_at"):
        bulk(StatusReport, reports)
    bulk(Risk, risks)
    ctx.ids.update(project=rich.pk, plain_project=plain.pk)
    by_state = {state: sum(1 for p in projects if p.state == state) for state in PROJECT_STATES}
    progress(
        f"  {len(projects)} projects in {largest.short_name} ({by_state}) from as many converted needs, "
        f"{len(participations)} participations, {len(budget)} budget lines, {len(reports)} status reports, "
        f"{len(risks)} risks, {len(logs)} log entries; the rich project P-{rich.number}: {len(members)} members, "
        f"{RICH_PROJECT_YEARS} years, {RICH_PROJECT_REPORTS} reports, {RICH_PROJECT_RISKS} risks"
    )


def phase_meetings(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """Meetings of the largest collaboration's portfolio council: past ones (held) and one upcoming with a long
    agenda (every need waiting for the council as a document item, then manual items), each with the council's
    seats as participants. `ctx.ids["meeting"]` is the upcoming one."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from ikt_portfolio.council.models import AgendaItem, Meeting, Participant
    from ikt_portfolio.members.models import BodyMembership
    from ikt_portfolio.needs.models import Need

    now = timezone.now()
    largest = largest_collaboration(ctx)
    council = ctx.governing_bodies[largest.pk]["portfolio_council"]
    admin = ctx.staff[largest.pk][0]
    seats = list(
        BodyMembership.objects.active_on().filter(body=council).values_list("person_id", "role", "represents_id")
    )
    meetings = []
    for months_ago in (12, 9, 6, 3, 1, -1):
        starts = (now - datetime.timedelta(days=30 * months_ago)).replace(hour=9, minute=0, second=0, microsecond=0)
        meetings.append(Meeting(
            body=council, title=f"Porteføljerådet {starts:%d.%m.%Y}", starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=3), place="Rådhuset, møterom 2",
            status=Meeting.Status.HELD if months_ago > 0 else Meeting.Status.PLANNED, created_by=admin.user,
        ))  # fmt: skip
    meetings = bulk(Meeting, meetings)
    upcoming = meetings[-1]
    participants = [
        Participant(meeting=meeting, person_id=person_id, role=role, represents_id=represents_id,
                    voting=role in BodyMembership.VOTING_ROLES,
                    attendance="present" if meeting.status == Meeting.Status.HELD else "invited")
        for meeting in meetings
        for person_id, role, represents_id in seats
    ]  # fmt: skip
    bulk(Participant, participants)
    need_type = ContentType.objects.get_for_model(Need)
    waiting = [n for n in ctx.extra["needs"] if n.collaboration_id == largest.pk and n.state == "portfolio_council"]
    items = []
    for meeting in meetings:
        documents = waiting[:MEETING_AGENDA] if meeting is upcoming else []
        for order, need in enumerate(documents, start=1):
            items.append(AgendaItem(meeting=meeting, order=order, kind=AgendaItem.Kind.DOCUMENT,
                                    content_type=need_type, object_id=need.pk, title=need.title[:250],
                                    presenter=admin))  # fmt: skip
        manual = MEETING_AGENDA - len(documents) if meeting is upcoming else 6
        for order in range(len(documents) + 1, len(documents) + manual + 1):
            items.append(AgendaItem(meeting=meeting, order=order, title=f"Orientering {order}",
                                    description="Status fra sekretariatet.", presenter=admin,
                                    outcome="Tatt til orientering." if meeting.status == "held" else ""))  # fmt: skip
    bulk(AgendaItem, items)
    ctx.ids["meeting"] = upcoming.pk
    progress(
        f"  {len(meetings)} council meetings of {largest.short_name}, {len(participants)} participants, "
        f"{len(items)} agenda items; the upcoming meeting has {MEETING_AGENDA} items "
        f"({min(len(waiting), MEETING_AGENDA)} needs)"
    )


# ------------------------------------------------------------------------------ benefits realisation

BENEFITS_PER_PROJECT = (2, 4)  # benefits on each project of the largest collaboration (the rich project: 4)
MEASUREMENT_YEARS = 5  # every member's baseline is this many years back; monthly values since then
MEASUREMENT_FLUSH = 20_000  # measurements held in memory before they are written
# (name, type, gain, monetary, yearly value in NOK per member or None); the value varies ±50 % per benefit.
BENEFIT_KINDS = [
    ("Spart tid i saksbehandlingen", "efficiency", "productivity", True, 180_000),
    ("Lavere lisenskostnader", "economic", "cost_cut", True, 120_000),
    ("Færre utskrifter og porto", "economic", "cost_cut", True, 40_000),
    ("Bedre tjenester for innbyggerne", "quality", "none", False, None),
    ("Færre avvik", "quality", "none", False, None),
    ("Mindre sårbar drift", "reduced_vulnerability", "none", False, None),
    ("Raskere svar til innbyggerne", "efficiency", "productivity", True, 90_000),
]
# (name, unit, direction, baseline range, change towards the target as a share of the baseline, plausible max)
INDICATOR_KINDS = [
    ("Timer spart per måned", "timer per måned", "higher", (20, 400), 0.8, 5000),
    ("Saksbehandlingstid", "dager", "lower", (10, 60), -0.4, 365),
    ("Andel digitale søknader", "prosent", "higher", (10, 50), 0.6, 100),
    ("Antall avvik per måned", "avvik", "lower", (5, 80), -0.5, 1000),
    ("Kostnad per måned", "NOK", "lower", (20_000, 400_000), -0.25, 10_000_000),
]
# Per benefit: no indicator yet ("not measurable yet"), one or two. Per indicator: how often it is measured.
INDICATOR_COUNTS = {0: 15, 1: 55, 2: 30}
SCHEDULE_WEIGHTS = {"monthly": 80, "quarterly": 15, "yearly": 5}
BENEFIT_STATES = {"identified": 10, "planned": 20, "being_realised": 60, "realised": 10}


def _periods_since(first: datetime.date, last: datetime.date, months: int) -> list[datetime.date]:
    periods, index, stop = [], first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    while index <= stop:
        periods.append(datetime.date(index // 12, index % 12 + 1, 1))
        index += months
    return periods


def phase_benefits(ctx: Context, scale: float, rng: random.Random, progress) -> None:
    """Benefits plans on the largest collaboration's projects (the national-scale worst case of the member
    report), as the Desk and `benefits.services.record_measurement` would leave them: 2–4 benefits per project
    (a mix of the four types; some monetary with a yearly value per member, some with no indicator, listed as
    "not measurable yet"), 0–2 indicators each (mostly monthly), a target per member taking part (participating
    or postponing; not one that opted out) with its baseline five years back and the member's benefit owner, and
    a measurement for every period since the baseline: 60 a target when monthly. Benefits are written directly
    in a lifecycle state (no workflow version). Scaled with the projects (`scale`); the five years are fixed.
    Users: `benefit_large` and `benefit_small` are the benefit owners of the collaboration's largest and
    smallest member (by population), `member_small` a plain sector representative of the smallest."""
    from django.utils import timezone

    from ikt_portfolio.benefits import services as benefit_services
    from ikt_portfolio.benefits.models import Benefit, Indicator, Measurement, MemberTarget
    from ikt_portfolio.projects.models import Participation, Project

    now = timezone.now()
    today = ctx.today
    largest = largest_collaboration(ctx)
    members = ctx.members[largest.pk]
    areas = ctx.service_areas[largest.pk]
    owners = {m.pk: (p := ctx.member_people[(largest.pk, m.pk)])[min(2, len(p) - 1)] for m in members}
    rich_id = ctx.ids.get("project")
    projects = list(Project.objects.filter(collaboration=largest).order_by("number").values_list("pk", flat=True))
    taking_part: dict[int, list[int]] = {}
    for project_id, municipality_id in (
        Participation.objects.filter(project__collaboration=largest)
        .exclude(status=Participation.Status.OPTS_OUT)
        .order_by("project_id", "municipality_id")
        .values_list("project_id", "municipality_id")
    ):
        taking_part.setdefault(project_id, []).append(municipality_id)

    states, state_weights = zip(*BENEFIT_STATES.items(), strict=True)
    benefits = []
    for project_id in projects:
        count = BENEFITS_PER_PROJECT[1] if project_id == rich_id else rng.randint(*BENEFITS_PER_PROJECT)
        for kind_index in rng.sample(range(len(BENEFIT_KINDS)), count):
            name, type_, gain, monetary, value = BENEFIT_KINDS[kind_index]
            state = rng.choices(states, state_weights)[0]
            benefits.append(Benefit(
                project_id=project_id, name=name, type=type_, gain=gain, monetary=monetary,
                yearly_value=Decimal(int(value * rng.uniform(0.5, 1.5)) // 1000 * 1000) if monetary else None,
                service_area=rng.choice(areas), description="Syntetisk gevinst for ytelsestesten.",
                state=state, state_entered_at=now - datetime.timedelta(days=rng.randint(10, 400)),
            ))  # fmt: skip
    benefits = bulk(Benefit, benefits)

    counts, count_weights = zip(*INDICATOR_COUNTS.items(), strict=True)
    schedules, schedule_weights = zip(*SCHEDULE_WEIGHTS.items(), strict=True)
    indicators, specs = [], []
    for benefit in benefits:
        # The rich project's benefits are all measured monthly (the page shows every member's latest value).
        count = 1 if benefit.project_id == rich_id else rng.choices(counts, count_weights)[0]
        for kind_index in rng.sample(range(len(INDICATOR_KINDS)), count):
            name, unit, direction, _range, _change, high = INDICATOR_KINDS[kind_index]
            schedule = "monthly" if benefit.project_id == rich_id else rng.choices(schedules, schedule_weights)[0]
            indicators.append(Indicator(
                benefit=benefit, name=name, unit=unit, direction=direction, schedule=schedule,
                method="Uttrekk fra fagsystemet.", plausible_min=Decimal(0), plausible_max=Decimal(high),
            ))  # fmt: skip
            specs.append(INDICATOR_KINDS[kind_index])
    indicators = bulk(Indicator, indicators)

    # Baselines five years back (the first day of the month), targets at the end of next year.
    baseline = datetime.date(today.year - MEASUREMENT_YEARS, today.month, 1)
    target_date = datetime.date(today.year + 1, 12, 31)
    small = min(members, key=lambda m: ctx.population[m.pk])
    project_of = {b.pk: b.project_id for b in benefits}
    targets, plans = [], []
    for indicator, (_name, _unit, _direction, (low, high), change, _max) in zip(indicators, specs, strict=True):
        for municipality_id in taking_part.get(project_of[indicator.benefit_id], []):
            start = Decimal(rng.randint(low, high))
            goal = (start * Decimal(1 + change)).quantize(Decimal("0.1"))
            # How far the member gets in the five years: small members often gain little.
            reached = rng.uniform(0.0, 0.5) if ctx.population[municipality_id] < 3000 else rng.uniform(0.3, 1.2)
            targets.append(MemberTarget(
                indicator=indicator, municipality_id=municipality_id, baseline_date=baseline, baseline_value=start,
                target_value=goal, target_date=target_date, owner=owners[municipality_id],
            ))  # fmt: skip
            plans.append((indicator.schedule, start, goal, reached))
    targets = bulk(MemberTarget, targets)

    # Every period since the baseline up to the last complete one: 60 monthly values, 20 quarterly, 5 yearly.
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    periods = {
        schedule: _periods_since(
            benefit_services.period_start(baseline, schedule),
            benefit_services.period_start(last_month, schedule),
            benefit_services.MONTHS[schedule],
        )
        for schedule in SCHEDULE_WEIGHTS
    }
    periods = {s: [p for p in ps if benefit_services.next_period(p, s) <= today] for s, ps in periods.items()}
    tenth = Decimal("0.1")
    written, buffer, started = 0, [], time.perf_counter()
    with explicit_timestamps(Measurement, "entered_at"):
        for target, (schedule, start, goal, reached) in zip(targets, plans, strict=True):
            dates = periods[schedule]
            step = (goal - start) * Decimal(str(round(reached, 3)))
            user_id = owners[target.municipality_id].user_id
            for index, period in enumerate(dates):
                share = Decimal(index) / Decimal(max(len(dates) - 1, 1))
                wobble = Decimal(rng.randint(-30, 30)) / Decimal(1000)
                value = max(Decimal(0), (start + step * share + abs(goal - start) * wobble).quantize(tenth))
                entered = datetime.datetime.combine(
                    benefit_services.next_period(period, schedule), datetime.time(9), tzinfo=datetime.UTC
                )
                buffer.append(Measurement(target_id=target.pk, period=period, value=value, entered_by_id=user_id,
                                          entered_at=entered))  # fmt: skip
            if len(buffer) >= MEASUREMENT_FLUSH:
                Measurement.objects.bulk_create(buffer, batch_size=BATCH)
                written += len(buffer)
                buffer = []
                if written // 100_000 != (written - MEASUREMENT_FLUSH) // 100_000:
                    progress(f"    {written} measurements ({time.perf_counter() - started:.0f} s)")
        Measurement.objects.bulk_create(buffer, batch_size=BATCH)
        written += len(buffer)

    ctx.users.update(
        benefit_large=owners[ctx.ids["municipality"]].user,
        benefit_small=owners[small.pk].user,
        member_small=(p := ctx.member_people[(largest.pk, small.pk)])[min(4, len(p) - 1)].user,
    )
    ctx.ids.update(small_municipality=small.pk, report_year=today.year - 1)
    per_member = {m: sum(1 for t in targets if t.municipality_id == m) for m in (ctx.ids["municipality"], small.pk)}
    projects_of = {m: sum(1 for ids in taking_part.values() if m in ids) for m in per_member}
    without = len({b.pk for b in benefits} - {i.benefit_id for i in indicators})
    progress(
        f"  {len(benefits)} benefits on {len(projects)} projects of {largest.short_name} "
        f"({sum(1 for b in benefits if b.monetary)} monetary, {without} with no indicator), {len(indicators)} "
        f"indicators ({sum(1 for i in indicators if i.schedule == 'monthly')} monthly), {len(targets)} member targets, "
        f"{written} measurements ({len(periods['monthly'])} a monthly target); the largest member takes part in "
        f"{projects_of[ctx.ids['municipality']]} projects with {per_member[ctx.ids['municipality']]} targets, the "
        f"smallest ({small.name}, population {ctx.population[small.pk]}) in {projects_of[small.pk]} with "
        f"{per_member[small.pk]}"
    )


PHASES: list[Phase] = [
    phase_municipalities,
    phase_population,
    phase_collaborations,
    phase_memberships,
    phase_legal_forms,
    phase_bodies,
    phase_people,
    phase_body_memberships,
    phase_role_assignments,
    phase_benchmark_users,
    phase_workflows,
    phase_goals,
    phase_workflow_users,
    phase_needs,
    phase_need_activity,
    phase_projects,
    phase_meetings,
    phase_benefits,
]


def generate(
    scale: float = 1.0, seed: int = 42, progress: Callable[..., Any] = print, phases: list[Phase] | None = None
) -> Context:
    """Fill an empty, migrated database with synthetic data; returns the context the phases built."""
    from django.db import transaction
    from django.utils import timezone

    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = random.Random(seed)
    ctx = Context(scale=scale, seed=seed, today=timezone.localdate())
    started = time.perf_counter()
    for phase in PHASES if phases is None else phases:
        name = phase.__name__.removeprefix("phase_").replace("_", " ")
        progress(f"[generate] {name} ...")
        phase_started = time.perf_counter()
        with transaction.atomic():
            phase(ctx, scale, rng, progress)
        seconds = time.perf_counter() - phase_started
        ctx.extra.setdefault("phase_seconds", {})[name] = round(seconds, 2)
        progress(f"[generate] {name}: {seconds:.2f} s")
    progress(f"[generate] done in {time.perf_counter() - started:.1f} s")
    return ctx


def row_counts() -> dict[str, int]:
    """Rows per model of the installed ikt_* apps and auth users, for the results table."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    counts = {"auth.User": get_user_model().objects.count()}
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label.startswith("ikt_") and not meta.proxy and not meta.model_name.startswith("historical"):
            counts[f"{meta.app_label}.{model.__name__}"] = model._base_manager.count()
    return counts
