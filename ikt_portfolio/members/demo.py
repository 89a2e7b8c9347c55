"""Demo data of the members domain: one collaboration (IKT ORKidé, with its 2015 members), its service areas,
bodies and one demo user per capacity. The data lives in `<fixtures_dir>/members.yaml`; this module only
turns it into rows, through the models and their validation.

Puts into the demo context for later steps: `collaboration`, `municipalities` (kommunenummer →
Municipality), `service_areas` (code → ServiceArea), `bodies` (key → Body; sector groups are
"sector:<service area code>"), `people` (username → Person) and `users` (username → User, incl. the operator).
"""

from collections import defaultdict

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError

from ikt_portfolio.core.demo import DemoDataError, demo_loaded, demo_reset, demo_step, demo_summary

from .capacities import Capacity
from .models import (
    Body,
    BodyMembership,
    Collaboration,
    LegalFormPeriod,
    Membership,
    Municipality,
    Person,
    PopulationFigure,
    RoleAssignment,
    ServiceArea,
    SizeSegment,
)
from .permissions import grants_of, person_of
from .selectors import size_segments

FIXTURE_FILE = "members.yaml"
DEMO_PASSWORD = "demo"  # demo only: printed on screen and the same for every demo user

CAPACITY_WORDS_NB = {
    Capacity.SUBMITTER: "innmelder",
    Capacity.SECTOR_REPRESENTATIVE: "faggruppemedlem",
    Capacity.SECTOR_LEAD: "sektoransvarlig",
    Capacity.COUNCIL_MEMBER: "medlem av porteføljerådet",
    Capacity.BOARD_MEMBER: "styremedlem",
    Capacity.OWNER_REPRESENTATIVE: "eierrepresentant",
    Capacity.PROJECT_OWNER: "prosjekteier",
    Capacity.BENEFIT_OWNER: "gevinstansvarlig",
    Capacity.COLLABORATION_ADMIN: "administrator for samarbeidet",
}
CHAIR_WORDS_NB = {
    Capacity.COUNCIL_MEMBER: "leder av porteføljerådet",
    Capacity.BOARD_MEMBER: "styreleder",
    Capacity.OWNER_REPRESENTATIVE: "leder av representantskapet",
}
SEGMENT_WORDS_NB = {SizeSegment.SMALL: "liten", SizeSegment.MEDIUM: "mellomstor", SizeSegment.LARGE: "stor"}


# ------------------------------------------------------------------------------------------------ reading


def read_fixture(context: dict) -> dict:
    if "_members_fixture" not in context:
        path = context["fixtures_dir"] / FIXTURE_FILE
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise DemoDataError(f"The demo fixture {path} is missing.") from error
        except yaml.YAMLError as error:
            raise DemoDataError(f"The demo fixture {path} is not valid YAML: {error}") from error
        missing = {"collaboration", "municipalities", "people"} - set(data or {})
        if missing:
            raise DemoDataError(f"The demo fixture {path} lacks: {', '.join(sorted(missing))}.")
        context["_members_fixture"] = data
    return context["_members_fixture"]


def _usernames(data: dict) -> list[str]:
    return [str(entry["username"]) for entry in data["people"]]


def _numbers(data: dict) -> list[str]:
    return [str(entry["number"]) for entry in data["municipalities"]]


def _save(instance, label: str):
    """Validate like a form would (`full_clean`), then save; a failure names the fixture entry."""
    try:
        instance.full_clean()
    except ValidationError as error:
        raise DemoDataError(f"{FIXTURE_FILE}, {label}: {'; '.join(error.messages)}") from error
    instance.save()
    return instance


def _lookup(mapping: dict, key, what: str, label: str):
    try:
        return mapping[str(key)]
    except KeyError:
        raise DemoDataError(f"{FIXTURE_FILE}, {label}: unknown {what} “{key}”.") from None


# ------------------------------------------------------------------------------------------------ loading


@demo_loaded
def members_loaded(context: dict) -> bool:
    return Collaboration.objects.filter(short_name=read_fixture(context)["collaboration"]["short_name"]).exists()


@demo_step(order=10)
def load_members(context: dict, out) -> None:
    """Medlemmer: samarbeidet, medlemskommunene, tjenesteområdene, organene og demobrukerne."""
    data = read_fixture(context)
    municipalities = _load_municipalities(data, out)
    collaboration = _load_collaboration(data, municipalities, out)
    service_areas, bodies = _load_bodies(data, collaboration, out)
    users, people = _load_people(data, collaboration, municipalities, bodies, out)
    context.update(
        collaboration=collaboration,
        municipalities=municipalities,
        service_areas=service_areas,
        bodies=bodies,
        people=people,
        users=users,
    )


def _load_municipalities(data: dict, out) -> dict[str, Municipality]:
    source = str(data.get("population_source") or "")
    municipalities, created, figures, kept = {}, 0, 0, 0
    for entry in data["municipalities"]:
        number = str(entry["number"])
        municipality = Municipality.objects.filter(number=number).first()
        if municipality is None:
            municipality = _save(
                Municipality(number=number, name=entry["name"], county=entry.get("county", "")), f"kommune {number}"
            )
            created += 1
        municipalities[number] = municipality
        for year, population in (entry.get("population") or {}).items():
            if PopulationFigure.objects.filter(municipality=municipality, year=int(year)).exists():
                kept += 1  # never overwrite a figure someone imported, e.g. from SSB
                continue
            _save(
                PopulationFigure(municipality=municipality, year=int(year), population=int(population), source=source),
                f"innbyggertall {number} {year}",
            )
            figures += 1
    out.write(
        f"  {len(municipalities)} kommuner ({created} nye i kommuneregisteret), {figures} innbyggertall "
        f"(kilde: «{source}»)" + (f", {kept} eksisterende innbyggertall beholdt" if kept else "") + "\n"
    )
    return municipalities


def _load_collaboration(data: dict, municipalities: dict[str, Municipality], out) -> Collaboration:
    spec = data["collaboration"]
    host = spec.get("host_municipality")
    collaboration = _save(
        Collaboration(
            name=spec["name"],
            short_name=spec["short_name"],
            governance_model=spec.get("governance_model", "recommended"),
            host_municipality=_lookup(municipalities, host, "municipality", "collaboration") if host else None,
            small_max_population=spec.get("small_max_population", 5000),
            medium_max_population=spec.get("medium_max_population", 20000),
            note=" ".join(str(spec.get("note", "")).split()),
        ),
        "collaboration",
    )
    for index, period in enumerate(data.get("legal_forms") or [], start=1):
        _save(
            LegalFormPeriod(
                collaboration=collaboration,
                legal_form=period["legal_form"],
                valid_from=period["valid_from"],
                valid_to=period.get("valid_to"),
                decision_reference=" ".join(str(period.get("decision_reference", "")).split()),
            ),
            f"legal_forms #{index}",
        )
    membership = data.get("membership") or {}
    for number, municipality in municipalities.items():
        _save(
            Membership(
                collaboration=collaboration,
                municipality=municipality,
                role=membership.get("role", Membership.Role.OWNER),
                valid_from=membership["valid_from"],
                valid_to=membership.get("valid_to"),
            ),
            f"membership {number}",
        )
    forms = ", ".join(
        f"{p.get_legal_form_display()} fra {p.valid_from:%Y}" for p in collaboration.legal_forms.order_by("valid_from")
    )
    out.write(f"  Samarbeidet {collaboration.name} ({collaboration.get_governance_model_display()}); {forms}\n")
    since = membership["valid_from"]
    out.write(f"  {len(municipalities)} medlemskap fra {since:%Y} (medlemskapet slik det var i 2015)\n")
    return collaboration


def _names(spec: dict) -> dict:
    return {"name": spec["name"], "name_nn": spec.get("name_nn", ""), "name_en": spec.get("name_en", "")}


def _load_bodies(data: dict, collaboration: Collaboration, out) -> tuple[dict, dict]:
    service_areas: dict[str, ServiceArea] = {}
    bodies: dict[str, Body] = {}
    for index, spec in enumerate(data.get("service_areas") or [], start=1):
        code = spec["code"]
        area = _save(
            ServiceArea(collaboration=collaboration, code=code, order=index * 10, **_names(spec)),
            f"service area {code}",
        )
        service_areas[code] = area
        if spec.get("sector_group"):
            bodies[f"sector:{code}"] = _save(
                Body(
                    collaboration=collaboration,
                    kind=Body.Kind.SECTOR_GROUP,
                    service_area=area,
                    description=spec["sector_group"].get("description", ""),
                    **_names(spec["sector_group"]),
                ),
                f"sector group {code}",
            )
    for spec in data.get("bodies") or []:
        bodies[spec["key"]] = _save(
            Body(
                collaboration=collaboration,
                kind=spec["kind"],
                description=spec.get("description", ""),
                **_names(spec),
            ),
            f"body {spec['key']}",
        )
    sector_groups = sum(body.kind == Body.Kind.SECTOR_GROUP for body in bodies.values())
    out.write(
        f"  {len(service_areas)} tjenesteområder, {len(bodies)} organer ({sector_groups} faggrupper, "
        + ", ".join(body.name for body in bodies.values() if body.kind != Body.Kind.SECTOR_GROUP)
        + ")\n"
    )
    return service_areas, bodies


def _load_people(data, collaboration, municipalities, bodies, out) -> tuple[dict, dict]:
    User = get_user_model()
    taken = set(User.objects.filter(username__in=_usernames(data)).values_list("username", flat=True))
    if taken:
        raise DemoDataError(
            f"These demo users already exist without the demo collaboration: {', '.join(sorted(taken))}. "
            "Run load_demo --reset to replace them."
        )
    # One hash for all: hashing costs ~0.3 s a user, and the demo password is public anyway.
    password = make_password(DEMO_PASSWORD)
    default_from = data.get("seats_valid_from")
    domain = data.get("email_domain", "demo.example")
    users, people, seats, assignments = {}, {}, 0, 0
    for entry in data["people"]:
        username = str(entry["username"])
        label = f"people {username}"
        user = User(
            username=username,
            first_name=entry.get("first_name", ""),
            last_name=entry.get("last_name", ""),
            email=f"{username}@{domain}",
            is_staff=True,
            is_superuser=bool(entry.get("superuser", False)),
            password=password,
        )
        users[username] = _save(user, label)
        if not (entry.get("staff") or entry.get("municipality")):
            continue  # e.g. an operator without a place in the domain
        person = _save(
            Person(
                user=user,
                municipality=(
                    _lookup(municipalities, entry["municipality"], "municipality", label)
                    if entry.get("municipality")
                    else None
                ),
                staff_of=collaboration if entry.get("staff") else None,
                job_title=entry.get("job_title", ""),
                language=entry.get("language", Person.Language.BOKMAL),
            ),
            label,
        )
        people[username] = person
        for seat in entry.get("seats") or []:
            _save(
                BodyMembership(
                    body=_lookup(bodies, seat["body"], "body", label),
                    person=person,
                    role=seat.get("role", BodyMembership.Role.MEMBER),
                    represents=(
                        _lookup(municipalities, seat["represents"], "municipality", label)
                        if seat.get("represents")
                        else None
                    ),
                    valid_from=seat.get("valid_from", default_from),
                    valid_to=seat.get("valid_to"),
                ),
                f"{label}, seat in {seat['body']}",
            )
            seats += 1
        for role in entry.get("roles") or []:
            _save(
                RoleAssignment(
                    person=person,
                    collaboration=collaboration,
                    capacity=role["capacity"],
                    municipality=(
                        _lookup(municipalities, role["municipality"], "municipality", label)
                        if role.get("municipality")
                        else None
                    ),
                    valid_from=role.get("valid_from", default_from),
                    valid_to=role.get("valid_to"),
                ),
                f"{label}, role {role['capacity']}",
            )
            assignments += 1
    out.write(
        f"  {len(users)} demobrukere ({len(people)} med person), {seats} verv i organer, "
        f"{assignments} rolletildelinger, gyldige fra {default_from}\n"
    )
    return users, people


# ------------------------------------------------------------------------------------------------ reset


def _delete_quietly(instance) -> bool:
    """Delete unless other data still points at it (then keep it and say so)."""
    try:
        with transaction.atomic():
            instance.delete()
        return True
    except (ProtectedError, RestrictedError):
        return False


@demo_reset(order=10)
def reset_members(context: dict, out) -> None:
    """Medlemmer: demobrukerne, samarbeidet og demo-innbyggertallene."""
    data = read_fixture(context)
    domain = data.get("email_domain", "demo.example")
    users = get_user_model().objects.filter(Q(username__in=_usernames(data)) | Q(email__iendswith=f"@{domain}"))
    user_count = users.count()
    users.delete()  # their Person rows, seats and role assignments go with them
    collaborations = 0
    for collaboration in Collaboration.objects.filter(short_name=data["collaboration"]["short_name"]):
        # Body.service_area is PROTECT, so a collaboration with sector groups cannot be deleted in one go.
        Body.objects.filter(collaboration=collaboration).delete()
        ServiceArea.objects.filter(collaboration=collaboration).delete()
        collaboration.delete()
        collaborations += 1
    numbers = _numbers(data)
    figures, _ = PopulationFigure.objects.filter(
        municipality__number__in=numbers, source=str(data.get("population_source") or "")
    ).delete()
    removed = kept = 0
    for municipality in Municipality.objects.filter(number__in=numbers):
        in_use = (
            municipality.memberships.exists()
            or municipality.people.exists()
            or municipality.population_figures.exists()
            or municipality.hosted_collaborations.exists()
        )
        if not in_use and _delete_quietly(municipality):
            removed += 1
        else:
            kept += 1
    out.write(
        f"  {user_count} demobrukere, {collaborations} samarbeid og {figures} rader med demo-innbyggertall slettet; "
        f"{removed} kommuner fjernet fra registeret, {kept} beholdt (i bruk andre steder)\n"
    )


# ------------------------------------------------------------------------------------------------ summary


def roles_nb(user) -> str:
    """The capacities a user holds today, in bokmål words (a sector lead's service areas in brackets)."""
    words: dict[str, list[str]] = defaultdict(list)
    area_names = dict(ServiceArea.objects.values_list("id", "name"))
    for grant in grants_of(user):
        capacity = Capacity(grant.capacity)
        word = CHAIR_WORDS_NB.get(capacity, CAPACITY_WORDS_NB[capacity]) if grant.role == "chair" else None
        word = word or CAPACITY_WORDS_NB.get(capacity, capacity.value)
        qualifiers = words[word]
        if grant.service_area_id and area_names.get(grant.service_area_id):
            qualifiers.append(area_names[grant.service_area_id].lower())
    if len(words) > 1:
        words.pop(CAPACITY_WORDS_NB[Capacity.SUBMITTER], None)  # everyone employed by a member submits
    parts = [f"{word} ({', '.join(qualifiers)})" if qualifiers else word for word, qualifiers in words.items()]
    if user.is_superuser:
        parts.insert(0, "IT-drift (superbruker)")
    return ", ".join(parts) or "–"


def _workplace_nb(user, collaboration: Collaboration, segments: dict[int, str | None]) -> str:
    person = person_of(user)
    if person is None:
        return "–"
    if person.staff_of_id:
        return f"{person.staff_of.name} (ansatt i samarbeidet)"
    segment = segments.get(person.municipality_id)
    return f"{person.municipality.name} ({SEGMENT_WORDS_NB.get(segment, 'ikke medlem')})"


@demo_summary(order=10)
def print_demo_users(context: dict, out) -> None:
    data = read_fixture(context)
    collaboration = context.get("collaboration") or Collaboration.objects.filter(
        short_name=data["collaboration"]["short_name"]
    ).first()
    if collaboration is None:
        return
    usernames = _usernames(data)
    users = {
        user.username: user
        for user in get_user_model()
        .objects.filter(username__in=usernames)
        .select_related("person__municipality", "person__staff_of")
    }
    segments = size_segments(collaboration)
    rows = [("Brukernavn", "Navn", "Rolle", "Kommune (størrelse) / arbeidssted")]
    for username in usernames:
        if username in users:
            user = users[username]
            rows.append((username, user.get_full_name(), roles_nb(user), _workplace_nb(user, collaboration, segments)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    out.write(f"\nDemobrukere i {collaboration.name}:\n")
    for index, row in enumerate(rows):
        out.write("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n")
        if index == 0:
            out.write("  " + "  ".join("-" * width for width in widths) + "\n")
    out.write(
        f"\nAlle demobrukerne har passordet «{DEMO_PASSWORD}». Logg inn på /desk/.\n"
        "Alle som er ansatt i en medlemskommune, kan også melde inn behov (innmelder).\n"
        "Størrelse etter innbyggertall 2015 (demoverdier): "
        f"liten ≤ {collaboration.small_max_population}, mellomstor ≤ {collaboration.medium_max_population}, "
        "stor over det.\n"
        "Bare for demo: brukerne har et kjent passord, og «drift» er superbruker. Ikke last demodata i produksjon.\n"
    )
