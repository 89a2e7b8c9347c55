"""Measurements by file: a CSV (semicolon or comma, UTF-8 with or without BOM) or an XLSX sheet with the columns

    project (P-n) · indicator (name or id) · municipality (kommunenummer) · period (date) · value
    · confirm_implausible (optional: yes/no) · note (optional)

Row 1 is the header; blank rows are skipped. Every row goes through `services.record_measurement` (the same
rules and the same permission as one value entered on the form), all rows in one transaction: if any row is
refused, nothing is written and the result lists every refused row by its number. A dry run checks the same way
and writes nothing. `template_rows` gives the rows of a template prefilled with the user's targets.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import services
from .models import MemberTarget

COLUMNS = ("project", "indicator", "municipality", "period", "value", "confirm_implausible", "note")
REQUIRED = COLUMNS[:5]
ALIASES = {
    "project": {"project", "prosjekt"},
    "indicator": {"indicator", "indikator"},
    "municipality": {"municipality", "kommune", "kommunenummer", "kommunenr", "member", "medlem"},
    "period": {"period", "periode"},
    "value": {"value", "verdi"},
    "confirm_implausible": {"confirmimplausible", "confirm", "bekreft", "bekreftet"},
    "note": {"note", "merknad", "kommentar"},
}
YES = {"yes", "y", "ja", "j", "true", "1", "x"}
NO = {"no", "n", "nei", "false", "0", ""}
MAX_ROWS = 10_000


@dataclass
class ImportResult:
    """What an import did: the data rows read, the values written, and every refused row as (row number, reason);
    the row number is None for a problem with the whole file."""

    rows_read: int = 0
    written: int = 0
    dry_run: bool = False
    errors: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class FileError(Exception):
    pass


# ------------------------------------------------------------------------------------------- reading


def _read_bytes(file) -> tuple[str, bytes]:
    if isinstance(file, (str, Path)):
        path = Path(file)
        return path.name, path.read_bytes()
    if isinstance(file, bytes):
        return "", file
    data = file.read()
    return getattr(file, "name", "") or "", data if isinstance(data, bytes) else data.encode("utf-8")


def _sheet_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign zip
        raise FileError(_("The file is not a CSV or XLSX file.")) from error
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _text_rows(data: bytes) -> list[list]:
    if b"\x00" in data[:4096]:
        raise FileError(_("The file is not a CSV or XLSX file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(_("The file is not a CSV or XLSX file (CSV must be UTF-8 text).")) from error
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise FileError(_("The file is not a CSV or XLSX file.")) from error


def read_table(file) -> list[list]:
    """The rows of the file's first sheet (XLSX) or of the CSV, header first; FileError when it is neither."""
    _name, data = _read_bytes(file)
    if not data.strip():
        raise FileError(_("The file is empty."))
    if data[:4] == b"PK\x03\x04" and zipfile.is_zipfile(io.BytesIO(data)):
        return _sheet_rows(data)
    return _text_rows(data)


def _key(title) -> str:
    return re.sub(r"[^a-zæøå]", "", str(title or "").strip().lower())


def _columns(header: list) -> dict[str, int]:
    found = {}
    for index, title in enumerate(header):
        cleaned = _key(title)
        for column, names in ALIASES.items():
            if column not in found and cleaned in names:
                found[column] = index
    return found


# ------------------------------------------------------------------------------------------- cells


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _project_number(cell) -> int | None:
    match = re.fullmatch(r"(?:P\s*-?\s*)?(\d{1,9})", _text(cell), flags=re.IGNORECASE)
    return int(match.group(1)) if match else None


def _municipality_number(cell) -> str | None:
    match = re.fullmatch(r"K?-?(\d{3,4})\b.*", _text(cell))
    return match.group(1).zfill(4) if match else None


def _period(cell) -> datetime.date | None:
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    text = _text(cell)
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _value(cell):
    """A Decimal or the text as given (record_measurement refuses what is not a number). Spaces as thousands
    separators and the Norwegian decimal comma are accepted."""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, (int, Decimal)):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(repr(cell))
    return re.sub(r"[\s\u00a0\u202f]", "", _text(cell))


def _confirm(cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    text = _text(cell).lower()
    return True if text in YES else False if text in NO else None


def _reason(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# ------------------------------------------------------------------------------------------- the import


def _targets(user, collaboration, numbers: set[int]) -> dict:
    """(project number, municipality number) → the targets of the projects named, visible to the user."""
    queryset = MemberTarget.objects.visible_to(user).filter(indicator__benefit__project__number__in=numbers)
    if collaboration is not None:
        queryset = queryset.filter(indicator__benefit__project__collaboration=collaboration)
    found: dict[tuple[int, str], list[MemberTarget]] = {}
    for target in queryset.select_related("indicator__benefit__project", "municipality", "owner"):
        key = (target.indicator.benefit.project.number, target.municipality.number)
        found.setdefault(key, []).append(target)
    return found


def _find_target(candidates: list[MemberTarget], wanted: str) -> list[MemberTarget]:
    if wanted.isdigit():
        return [t for t in candidates if t.indicator_id == int(wanted)]
    return [t for t in candidates if t.indicator.name.strip().lower() == wanted.lower()]


def import_measurements(file, user, *, dry_run: bool = False, collaboration=None) -> ImportResult:
    """Record every row of the file (see the module's docstring), or none. `collaboration` limits the projects
    to one collaboration (the portal's current one); without it a project number must be unambiguous among the
    collaborations the user sees."""
    result = ImportResult(dry_run=dry_run)
    try:
        rows = read_table(file)
    except FileError as error:
        result.errors.append((None, str(error)))
        return result
    except OSError as error:
        result.errors.append((None, str(error)))
        return result
    header = rows[0] if rows else []
    columns = _columns(header)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        result.errors.append(
            (
                None,
                _("The file lacks the columns %(missing)s. The header must name: %(columns)s.")
                % {"missing": ", ".join(missing), "columns": "; ".join(COLUMNS)},
            )
        )
        return result
    data = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(_text(c) for c in row)]
    if not data:
        result.errors.append((None, _("The file has no data rows.")))
        return result
    if len(data) > MAX_ROWS:
        result.errors.append((None, _("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS}))
        return result

    def cell(row, name):
        index = columns.get(name)
        return row[index] if index is not None and index < len(row) else None

    numbers = {n for n in (_project_number(cell(row, "project")) for _line, row in data) if n is not None}
    targets = _targets(user, collaboration, numbers)
    seen: dict[tuple[int, datetime.date], int] = {}
    with transaction.atomic():
        for line, row in data:
            result.rows_read += 1
            error = _record_row(row, cell, targets, seen, line, user)
            if error:
                result.errors.append((line, error))
            else:
                result.written += 1
        if result.errors or dry_run:
            transaction.set_rollback(True)
    if result.errors:
        result.written = 0
    return result


def _record_row(row, cell, targets, seen, line, user) -> str | None:
    """The reason the row is refused, or None when it was recorded."""
    raw_project = _text(cell(row, "project"))
    project = _project_number(raw_project)
    if project is None:
        return _("“%(value)s” is not a project (P-1, P-2 …).") % {"value": raw_project}
    raw_member = _text(cell(row, "municipality"))
    member = _municipality_number(raw_member)
    if member is None:
        return _("“%(value)s” is not a municipality number.") % {"value": raw_member}
    raw_indicator = _text(cell(row, "indicator"))
    if not raw_indicator:
        return _("The indicator is missing.")
    candidates = targets.get((project, member))
    if not candidates:
        return _("P-%(project)s has no target for municipality %(member)s that you can see.") % {
            "project": project,
            "member": member,
        }
    matches = _find_target(candidates, raw_indicator)
    if not matches:
        return _("P-%(project)s has no indicator “%(indicator)s” with a target for municipality %(member)s.") % {
            "project": project,
            "indicator": raw_indicator,
            "member": member,
        }
    if len(matches) > 1:
        return _("“%(indicator)s” names more than one indicator or project; give the indicator's id.") % {
            "indicator": raw_indicator
        }
    target = matches[0]
    period = _period(cell(row, "period"))
    if period is None:
        return _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": _text(cell(row, "period"))}
    confirm = _confirm(cell(row, "confirm_implausible"))
    if confirm is None:
        return _("confirm_implausible must be yes or no.")
    start = services.period_start(period, target.indicator.schedule)
    if (target.pk, start) in seen:
        return _("Row %(row)s gives a value for the same target and period already.") % {
            "row": seen[(target.pk, start)]
        }
    try:
        services.record_measurement(target, user, period, _value(cell(row, "value")), confirm, _text(cell(row, "note")))
    except PermissionDenied:
        return _("You may not record measurements for %(indicator)s in %(member)s.") % {
            "indicator": target.indicator.name,
            "member": target.municipality.name,
        }
    except ValidationError as error:
        return _reason(error)
    seen[(target.pk, start)] = line
    return None


# ------------------------------------------------------------------------------------------- the template


def template_rows(user, collaboration) -> list[list[str]]:
    """A header and one row per target the user records, with the next period due and an empty value."""
    from django.db.models import Max

    rows = [list(COLUMNS)]
    targets = (
        services.targets_of(user, collaboration)
        .annotate(latest_period=Max("measurements__period"))
        .order_by("indicator__benefit__project__number", "indicator__name", "municipality__number", "pk")
    )
    for target in targets:
        due = services.due(target, target.latest_period)
        rows.append(
            [
                target.indicator.benefit.project.reference,
                target.indicator.name,
                target.municipality.number,
                due.next_period.isoformat(),
                "",
                "",
                "",
            ]
        )
    return rows


def template_csv(user, collaboration) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows(template_rows(user, collaboration))
    return out.getvalue()
