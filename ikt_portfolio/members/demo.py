"""Demo data of the members domain: one collaboration (IKT ORKidé, with its 2015 members), its service areas,
bodies and one demo user per capacity. The data lives in `<fixtures_dir>/members.yaml`; this module only
turns it into rows, through the models and their validation.

Puts into the demo context for later steps: `collaboration`, `municipalities` (kommunenummer →
Municipality), `service_areas` (code → ServiceArea), `bodies` (key → Body; sector groups are
"sector:<service area code>"), `people` (username → Person) and `users` (username → User, incl. the operator).

Everything printed is translatable (English msgids, bokmål under `manage.py`) and reuses the labels of the
models where they exist: `Capacity`, `SizeSegment`, `BodyMembership.Role`, the legal form and the governance
model. An error names the fixture entry by its path in the YAML file (e.g. `people[admin].seats[board]`).
"""

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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

# A seat's role shown after the capacity, e.g. "board member (chair)"; a member's role goes without saying and
# a sector group's lead is the capacity "sector lead" already.
SHOWN_SEAT_ROLES = frozenset(
    role.value for role in (BodyMembership.Role.CHAIR, BodyMembership.Role.DEPUTY, BodyMembership.Role.SECRETARY,
                            BodyMembership.Role.OBSERVER)
)  # fmt: skip


# ------------------------------------------------------------------------------------------------ reading


def read_fixture(context: dict) -> dict:
    if "_members_fixture" not in context:
        path = context["fixtures_dir"] / FIXTURE_FILE
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise DemoDataError(_("The demo fixture %(path)s is missing.") % {"path": path}) from error
        except yaml.YAMLError as error:
            raise DemoDataError(
                _("The demo fixture %(path)s is not valid YAML: %(error)s") % {"path": path, "error": error}
            ) from error
        missing = {"collaboration", "municipalities", "people"} - set(data or {})
        if missing:
            raise DemoDataError(
                _("The demo fixture %(path)s lacks: %(keys)s.") % {"path": path, "keys": ", ".join(sorted(missing))}
            )
        context["_members_fixture"] = data
    return context["_members_fixture"]


def _usernames(data: dict) -> list[str]:
    return [str(entry["username"]) for entry in data["people"]]


def _numbers(data: dict) -> list[str]:
    return [str(entry["number"]) for entry in data["municipalities"]]


def _fixture_error(label: str, problem: str) -> DemoDataError:
    # Translators: where in the demo fixture file something is wrong, e.g. "members.yaml, people[admin]: ...".
    return DemoDataError(
        _("%(file)s, %(entry)s: %(problem)s") % {"file": FIXTURE_FILE, "entry": label, "problem": problem}
    )


def _save(instance, label: str):
    """Validate like a form would (`full_clean`), then save; a failure names the fixture entry (`label`)."""
    try:
        instance.full_clean()
    except ValidationError as error:
        raise _fixture_error(label, "; ".join(error.messages)) from error
    instance.save()
    return instance


UNKNOWN_MUNICIPALITY = gettext_lazy("unknown municipality “%(key)s”.")
UNKNOWN_BODY = gettext_lazy("unknown body “%(key)s”.")


def _lookup(mapping: dict, key, unknown, label: str):
    """`mapping[key]`, or a DemoDataError for the fixture entry `label`; `unknown` says what was not found."""
    try:
        return mapping[str(key)]
    except KeyError:
        raise _fixture_error(label, unknown % {"key": key}) from None


# ------------------------------------------------------------------------------------------------ loading


@demo_loaded
def members_loaded(context: dict) -> bool:
    return Collaboration.objects.filter(short_name=read_fixture(context)["collaboration"]["short_name"]).exists()


@demo_step(
    order=10,
    label=gettext_lazy(
        "Members: the collaboration, the member municipalities, the service areas, the bodies and the demo users."
    ),
)
def load_members(context: dict, out) -> None:
    """The collaboration, its member municipalities, service areas, bodies and demo users."""
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
                Municipality(number=number, name=entry["name"], county=entry.get("county", "")),
                f"municipalities[{number}]",
            )
            created += 1
        municipalities[number] = municipality
        for year, population in (entry.get("population") or {}).items():
            if PopulationFigure.objects.filter(municipality=municipality, year=int(year)).exists():
                kept += 1  # never overwrite a figure someone imported, e.g. from SSB
                continue
            _save(
                PopulationFigure(municipality=municipality, year=int(year), population=int(population), source=source),
                f"municipalities[{number}].population[{year}]",
            )
            figures += 1
    # Translators: e.g. "13 municipalities (13 new in the municipality register), 13 population figures
    # (source: “...”)"; each part is translated on its own with its plural.
    line = _("%(municipalities)s (%(new)s), %(figures)s (source: “%(source)s”)") % {
        "municipalities": ngettext("%(count)d municipality", "%(count)d municipalities", len(municipalities))
        % {"count": len(municipalities)},
        "new": ngettext(
            "%(count)d new in the municipality register", "%(count)d new in the municipality register", created
        )
        % {"count": created},
        "figures": ngettext("%(count)d population figure", "%(count)d population figures", figures)
        % {"count": figures},
        "source": source,
    }
    if kept:
        line += ngettext(
            ", %(count)d existing population figure kept", ", %(count)d existing population figures kept", kept
        ) % {"count": kept}
    out.write(f"  {line}\n")
    return municipalities


def _load_collaboration(data: dict, municipalities: dict[str, Municipality], out) -> Collaboration:
    spec = data["collaboration"]
    host = spec.get("host_municipality")
    collaboration = _save(
        Collaboration(
            name=spec["name"],
            short_name=spec["short_name"],
            governance_model=spec.get("governance_model", "recommended"),
            host_municipality=_lookup(municipalities, host, UNKNOWN_MUNICIPALITY, "collaboration") if host else None,
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
            f"legal_forms[{index}]",
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
            f"membership[{number}]",
        )
    forms = ", ".join(
        _("%(legal_form)s from %(year)s") % {"legal_form": p.get_legal_form_display(), "year": f"{p.valid_from:%Y}"}
        for p in collaboration.legal_forms.order_by("valid_from")
    )
    line = _("The collaboration %(name)s (%(governance_model)s); %(legal_forms)s") % {
        "name": collaboration.name,
        "governance_model": collaboration.get_governance_model_display(),
        "legal_forms": forms,
    }
    out.write(f"  {line}\n")
    line = _("%(memberships)s from %(year)s (the membership as it was in 2015)") % {
        "memberships": ngettext("%(count)d membership", "%(count)d memberships", len(municipalities))
        % {"count": len(municipalities)},
        "year": f"{membership['valid_from']:%Y}",
    }
    out.write(f"  {line}\n")
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
            f"service_areas[{code}]",
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
                f"service_areas[{code}].sector_group",
            )
    for spec in data.get("bodies") or []:
        bodies[spec["key"]] = _save(
            Body(
                collaboration=collaboration,
                kind=spec["kind"],
                description=spec.get("description", ""),
                **_names(spec),
            ),
            f"bodies[{spec['key']}]",
        )
    sector_groups = sum(body.kind == Body.Kind.SECTOR_GROUP for body in bodies.values())
    details = [ngettext("%(count)d sector group", "%(count)d sector groups", sector_groups) % {"count": sector_groups}]
    details += [str(body) for body in bodies.values() if body.kind != Body.Kind.SECTOR_GROUP]
    # Translators: e.g. "6 service areas, 9 bodies (6 sector groups, Portfolio council, Board, Owners' meeting)".
    line = _("%(service_areas)s, %(bodies)s (%(details)s)") % {
        "service_areas": ngettext("%(count)d service area", "%(count)d service areas", len(service_areas))
        % {"count": len(service_areas)},
        "bodies": ngettext("%(count)d body", "%(count)d bodies", len(bodies)) % {"count": len(bodies)},
        "details": ", ".join(details),
    }
    out.write(f"  {line}\n")
    return service_areas, bodies


def _load_people(data, collaboration, municipalities, bodies, out) -> tuple[dict, dict]:
    User = get_user_model()
    taken = set(User.objects.filter(username__in=_usernames(data)).values_list("username", flat=True))
    if taken:
        raise DemoDataError(
            _(
                "These demo users already exist without the demo collaboration: %(usernames)s. "
                "Run load_demo --reset to replace them."
            )
            % {"usernames": ", ".join(sorted(taken))}
        )
    # One hash for all: hashing costs ~0.3 s a user, and the demo password is public anyway.
    password = make_password(DEMO_PASSWORD)
    default_from = data.get("seats_valid_from")
    domain = data.get("email_domain", "demo.example")
    users, people, seats, assignments = {}, {}, 0, 0
    for entry in data["people"]:
        username = str(entry["username"])
        label = f"people[{username}]"
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
                    _lookup(municipalities, entry["municipality"], UNKNOWN_MUNICIPALITY, label)
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
                    body=_lookup(bodies, seat["body"], UNKNOWN_BODY, label),
                    person=person,
                    role=seat.get("role", BodyMembership.Role.MEMBER),
                    represents=(
                        _lookup(municipalities, seat["represents"], UNKNOWN_MUNICIPALITY, label)
                        if seat.get("represents")
                        else None
                    ),
                    valid_from=seat.get("valid_from", default_from),
                    valid_to=seat.get("valid_to"),
                ),
                f"{label}.seats[{seat['body']}]",
            )
            seats += 1
        for role in entry.get("roles") or []:
            _save(
                RoleAssignment(
                    person=person,
                    collaboration=collaboration,
                    capacity=role["capacity"],
                    municipality=(
                        _lookup(municipalities, role["municipality"], UNKNOWN_MUNICIPALITY, label)
                        if role.get("municipality")
                        else None
                    ),
                    valid_from=role.get("valid_from", default_from),
                    valid_to=role.get("valid_to"),
                ),
                f"{label}.roles[{role['capacity']}]",
            )
            assignments += 1
    # Translators: e.g. "14 demo users (14 with a person record), 9 seats in bodies, 3 role assignments, valid
    # from 2024-01-01".
    line = _("%(users)s (%(people)s), %(seats)s, %(assignments)s, valid from %(date)s") % {
        "users": ngettext("%(count)d demo user", "%(count)d demo users", len(users)) % {"count": len(users)},
        "people": ngettext("%(count)d with a person record", "%(count)d with a person record", len(people))
        % {"count": len(people)},
        "seats": ngettext("%(count)d seat in a body", "%(count)d seats in bodies", seats) % {"count": seats},
        "assignments": ngettext("%(count)d role assignment", "%(count)d role assignments", assignments)
        % {"count": assignments},
        "date": default_from,
    }
    out.write(f"  {line}\n")
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


@demo_reset(order=10, label=gettext_lazy("Members: the demo users, the collaboration and the demo population figures."))
def reset_members(context: dict, out) -> None:
    """The demo users, the collaboration and the demo population figures."""
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
    figures, _by_model = PopulationFigure.objects.filter(
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
    # Translators: e.g. "14 demo users, 1 collaboration and 13 rows of demo population figures deleted;
    # 13 municipalities removed from the register, 0 kept (in use elsewhere)".
    line = _("%(users)s, %(collaborations)s and %(figures)s deleted; %(removed)s, %(kept)s") % {
        "users": ngettext("%(count)d demo user", "%(count)d demo users", user_count) % {"count": user_count},
        "collaborations": ngettext("%(count)d collaboration", "%(count)d collaborations", collaborations)
        % {"count": collaborations},
        "figures": ngettext(
            "%(count)d row of demo population figures", "%(count)d rows of demo population figures", figures
        )
        % {"count": figures},
        "removed": ngettext(
            "%(count)d municipality removed from the register",
            "%(count)d municipalities removed from the register",
            removed,
        )
        % {"count": removed},
        "kept": ngettext("%(count)d kept (in use elsewhere)", "%(count)d kept (in use elsewhere)", kept)
        % {"count": kept},
    }
    out.write(f"  {line}\n")


# ------------------------------------------------------------------------------------------------ summary


def roles_text(user) -> str:
    """The capacities a user holds today, in the active language: each capacity's label, with a seat's role
    (chair, deputy, ...) and a sector group's service areas in brackets."""
    qualifiers: dict[Capacity, list[str]] = {}
    grants = grants_of(user)
    area_ids = {grant.service_area_id for grant in grants if grant.service_area_id}
    area_names = {area.pk: area.localized_name for area in ServiceArea.objects.filter(pk__in=area_ids)}
    for grant in grants:
        words = qualifiers.setdefault(Capacity(grant.capacity), [])
        if grant.role in SHOWN_SEAT_ROLES:
            words.append(str(BodyMembership.Role(grant.role).label))
        if area_names.get(grant.service_area_id):
            words.append(area_names[grant.service_area_id].lower())
    if len(qualifiers) > 1:
        qualifiers.pop(Capacity.SUBMITTER, None)  # everyone employed by a member submits
    parts = [
        f"{capacity.label} ({', '.join(words)})" if words else str(capacity.label)
        for capacity, words in qualifiers.items()
    ]
    if user.is_superuser:
        parts.insert(0, _("IT operations (superuser)"))
    return ", ".join(parts) or "–"


def _workplace(user, segments: dict[int, str | None]) -> str:
    """Where a user works: the municipality with its size segment in the collaboration, or the collaboration."""
    person = person_of(user)
    if person is None:
        return "–"
    if person.staff_of_id:
        return _("%(collaboration)s (staff of the collaboration)") % {"collaboration": person.staff_of.name}
    if person.municipality_id not in segments:
        size = _("not a member")
    elif segments[person.municipality_id] is None:
        size = _("population unknown")
    else:
        size = SizeSegment(segments[person.municipality_id]).label
    return f"{person.municipality.name} ({size})"


def _desk_url() -> str:
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return "/desk/"


@demo_summary(order=10)
def print_demo_users(context: dict, out) -> None:
    data = read_fixture(context)
    collaboration = (
        context.get("collaboration")
        or Collaboration.objects.filter(short_name=data["collaboration"]["short_name"]).first()
    )
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
    rows = [(_("Username"), _("Name"), _("Role"), _("Municipality (size) / workplace"))]
    for username in usernames:
        if username in users:
            user = users[username]
            rows.append((username, user.get_full_name(), roles_text(user), _workplace(user, segments)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    out.write("\n" + _("Demo users in %(collaboration)s:") % {"collaboration": collaboration.name} + "\n")
    for index, row in enumerate(rows):
        out.write("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
        if index == 0:
            out.write("  " + "  ".join("-" * width for width in widths) + "\n")
    operators = [name for name, user in users.items() if user.is_superuser]
    notes = [
        _("All the demo users have the password “%(password)s”. Log in at %(url)s.")
        % {"password": DEMO_PASSWORD, "url": _desk_url()},
        _("Everyone employed by a member municipality can also submit needs (%(submitter)s).")
        % {"submitter": Capacity.SUBMITTER.label},
        _(
            "Size by population in 2015 (demo values): %(small)s ≤ %(small_max)s, %(medium)s ≤ %(medium_max)s, "
            "%(large)s above that."
        )
        % {
            "small": SizeSegment.SMALL.label,
            "small_max": collaboration.small_max_population,
            "medium": SizeSegment.MEDIUM.label,
            "medium_max": collaboration.medium_max_population,
            "large": SizeSegment.LARGE.label,
        },
    ]
    if operators:
        quoted = ", ".join(_("“%(username)s”") % {"username": name} for name in operators)
        notes.append(
            ngettext(
                "Demo only: the users have a known password, and %(usernames)s is a superuser. "
                "Do not load demo data in production.",
                "Demo only: the users have a known password, and %(usernames)s are superusers. "
                "Do not load demo data in production.",
                len(operators),
            )
            % {"usernames": quoted}
        )
    else:
        notes.append(_("Demo only: the users have a known password. Do not load demo data in production."))
    out.write("\n" + "".join(f"{note}\n" for note in notes))
