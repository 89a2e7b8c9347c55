"""Business rules of the members domain: capacity groups and the population import."""

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as

from .capacities import Capacity
from .models import Municipality, PopulationFigure
from .permissions import admin_collaboration_ids, is_operator

MEMBERS_MODELS = [
    "collaboration",
    "legalformperiod",
    "municipality",
    "populationfigure",
    "membership",
    "servicearea",
    "body",
    "sectorgroup",
    "bodymembership",
    "person",
    "roleassignment",
]


def default_capacity_permissions() -> dict[str, list[str]]:
    """Model permissions each capacity's group starts with. Editable in the Desk afterwards."""
    view = [f"view_{model}" for model in MEMBERS_MODELS]
    admin = view + [
        f"{action}_{model}"
        for model in MEMBERS_MODELS
        for action in ("add", "change", "delete")
        if model not in ("collaboration", "municipality") or action == "change"
    ]
    return {capacity.value: (admin if capacity == Capacity.COLLABORATION_ADMIN else view) for capacity in Capacity}


def ensure_capacity_groups(app_label: str = "ikt_members", defaults: dict[str, list[str]] | None = None) -> list[str]:
    """Give every capacity its group, and each group the default permissions of `app_label`'s models if
    it has none of that app yet (a new app, or a new installation).

    Groups the administrators edited keep their edits: an app's defaults are applied once per group.
    Returns the names of the groups that received defaults.
    """
    defaults = defaults if defaults is not None else default_capacity_permissions()
    touched = []
    for capacity in Capacity.values:
        group, _created = Group.objects.get_or_create(name=capacity)
        if group.permissions.filter(content_type__app_label=app_label).exists():
            continue
        wanted = defaults.get(capacity, [])
        if wanted:
            group.permissions.add(*Permission.objects.filter(codename__in=wanted, content_type__app_label=app_label))
            touched.append(capacity)
    return touched


# ---------------------------------------------------------------------------------------------- population


@dataclass
class ImportReport:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


CODE_HEADERS = {"kommunenummer", "kommunenr", "kode", "code", "region", "municipality", "kommune"}
YEAR_HEADERS = {"år", "aar", "year", "tid", "time"}
POPULATION_HEADERS = {"folkemengde", "befolkning", "innbyggere", "innbyggertall", "population", "value", "verdi"}
MAX_POPULATION = 2_000_000


def _find_column(header: list[str], names: set[str]) -> int | None:
    for index, title in enumerate(header):
        cleaned = re.sub(r"[^a-zæøå]", "", title.strip().lower())
        if cleaned in names or any(cleaned.startswith(name) for name in names):
            return index
    return None


def _read_rows(text: str) -> tuple[list[str], Iterable[list[str]]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    return header, reader


def decode_upload(data: bytes) -> str:
    """SSB exports come as UTF-8 (with or without BOM) or Windows-1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("The file is neither UTF-8 nor Windows-1252 text."))


def import_population(
    text: str,
    *,
    user,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import population figures from an SSB-style CSV: municipality code; year; population.

    The code column may hold "1505" or SSB's "1505 Kristiansund". Delimiter ; or , is detected. All rows
    are checked first; if any row is wrong nothing is written and the report lists every error by line
    number (line 1 is the header). Existing figures for the same municipality and year are replaced.
    """
    report = ImportReport()
    header, rows = _read_rows(text)
    columns = (
        _find_column(header, CODE_HEADERS),
        _find_column(header, YEAR_HEADERS),
        _find_column(header, POPULATION_HEADERS),
    )
    if None in columns:
        report.errors.append(
            (
                1,
                _(
                    "The header must name the columns municipality number, year and population (e.g. "
                    "“kommunenummer;år;folkemengde”)."
                ),
            )
        )
        return report
    code_col, year_col, population_col = columns
    rows = list(rows)
    numbers = {m.number: m for m in Municipality.objects.all().only("id", "number", "name")}
    allowed_ids = (
        None if is_operator(user) else set(Municipality.objects.editable_by(user).values_list("id", flat=True))
    )
    parsed: dict[tuple[int, int], tuple[int, int]] = {}
    total = len(rows)
    for index, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        report.rows_read += 1
        if progress and report.rows_read % 500 == 0:
            progress(report.rows_read, total)
        try:
            raw_code = row[code_col].strip()
            raw_year = row[year_col].strip()
            raw_population = row[population_col].strip()
        except IndexError:
            report.errors.append((index, _("The row has too few columns.")))
            continue
        match = re.match(r"^K?-?(\d{4})\b", raw_code)
        if not match:
            report.errors.append((index, _("“%(code)s” is not a municipality number.") % {"code": raw_code}))
            continue
        municipality = numbers.get(match.group(1))
        if municipality is None:
            report.errors.append((index, _("Unknown municipality number %(code)s.") % {"code": match.group(1)}))
            continue
        if allowed_ids is not None and municipality.id not in allowed_ids:
            report.errors.append(
                (
                    index,
                    _("%(municipality)s is not a member of a collaboration you administer.")
                    % {"municipality": municipality},
                )
            )
            continue
        if not re.fullmatch(r"\d{4}", raw_year) or not 1800 <= int(raw_year) <= 2200:
            report.errors.append((index, _("“%(year)s” is not a year.") % {"year": raw_year}))
            continue
        digits = re.sub(r"[\s\u00a0\u202f.]", "", raw_population)
        if not digits.isdigit() or int(digits) > MAX_POPULATION:
            report.errors.append(
                (index, _("“%(value)s” is not a population (a whole number, 0 or more).") % {"value": raw_population})
            )
            continue
        key = (municipality.id, int(raw_year))
        if key in parsed:
            report.errors.append(
                (
                    index,
                    _("%(municipality)s %(year)s is already given on line %(line)s.")
                    % {"municipality": municipality, "year": raw_year, "line": parsed[key][1]},
                )
            )
            continue
        parsed[key] = (int(digits), index)
    if progress:
        progress(report.rows_read, total)
    if report.errors or not parsed:
        if not parsed and not report.errors:
            report.errors.append((1, _("The file has no data rows.")))
        return report
    with transaction.atomic(), acting_as("operator" if is_operator(user) else Capacity.COLLABORATION_ADMIN):
        existing = {
            (figure.municipality_id, figure.year): figure
            for figure in PopulationFigure.objects.filter(
                municipality_id__in={key[0] for key in parsed}, year__in={key[1] for key in parsed}
            )
        }
        for (municipality_id, year), (population, _line) in parsed.items():
            figure = existing.get((municipality_id, year))
            if figure is None:
                PopulationFigure.objects.create(
                    municipality_id=municipality_id, year=year, population=population, source=source
                )
                report.created += 1
            elif figure.population != population or figure.source != source:
                figure.population, figure.source = population, source
                figure.save()
                report.updated += 1
    return report


def can_import_population(user) -> bool:
    return is_operator(user) or bool(admin_collaboration_ids(user))


# ------------------------------------------------------------------------------------------------- people


def create_login(*, username: str, first_name: str, last_name: str, email: str):
    """A Desk login for a new person. It has no password: the person sets one through "forgot password"."""
    from django.contrib.auth import get_user_model

    user = get_user_model()(username=username, first_name=first_name, last_name=last_name, email=email, is_staff=True)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user
