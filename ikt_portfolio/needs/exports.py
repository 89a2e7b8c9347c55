"""Need lists as spreadsheets: the rows of any filtered list (see selectors.needs_for) as CSV or XLSX.

The API's export endpoints and the Desk share these. Headers are in the active language (the model's own
verbose names); money stays a number with two decimals (a Decimal, never a float): in XLSX a numeric cell
formatted `#,##0.00`, in CSV the amount with two decimals and the decimal mark of the language (comma in
bokmål and nynorsk: the file is semicolon separated with a BOM, which is what Norwegian Excel opens
directly).
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.money import to_money
from ikt_portfolio.members.models import SizeSegment
from ikt_portfolio.workflow.selectors import state_name

from .models import Goal, Need

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
CHUNK = 500


def _field(name: str):
    return Need._meta.get_field(name).verbose_name


@dataclass(frozen=True)
class Column:
    header: object  # a lazy translation, resolved in the active language
    value: Callable[[Need], object]  # any row object: a need here, a report's row elsewhere (needs.reports)
    kind: str = "text"  # text, int, money, decimal, datetime
    width: int | None = None  # the XLSX column width; None: 40 for the title and problem, else 16


def _segment(need) -> str:
    segment = getattr(need, "size_segment", None)
    return str(SizeSegment(segment).label) if segment else ""


def _person(need) -> str:
    user = need.submitted_by.user
    return user.get_full_name() or user.get_username()


COLUMNS: list[Column] = [
    Column(_field("number"), lambda n: n.reference),
    Column(_field("title"), lambda n: n.title),
    Column(_("status"), state_name),
    Column(_field("service_area"), lambda n: n.service_area.localized_name),
    Column(_("municipality number"), lambda n: n.municipality.number),
    Column(_field("municipality"), lambda n: n.municipality.name),
    Column(_("size segment"), _segment),
    Column(_field("submitted_by"), _person),
    Column(_field("urgency"), lambda n: n.get_urgency_display()),
    Column(_field("purchase_needed"), lambda n: n.get_purchase_needed_display()),
    Column(_field("affected_group"), lambda n: n.get_affected_group_display()),
    Column(_field("affected_count"), lambda n: n.affected_count, "int"),
    Column(_field("benefit_type"), lambda n: n.get_benefit_type_display()),
    Column(_field("expected_benefit_nok"), lambda n: n.expected_benefit_nok, "money"),
    Column(_field("estimated_cost"), lambda n: n.estimated_cost, "money"),
    Column(_field("estimated_effort"), lambda n: n.estimated_effort, "decimal"),
    Column(Need.co_signs.rel.related_model._meta.verbose_name_plural, lambda n: n.co_sign_count, "int"),
    Column(_field("goals"), lambda n: ", ".join(goal.code for goal in n.goals.all())),
    Column(_field("problem"), lambda n: n.problem),
    Column(_field("created_at"), lambda n: n.created_at, "datetime"),
]


def export_queryset(queryset):
    """What the rows read besides the list's own joins: the goals, in one query per chunk."""
    return queryset.prefetch_related(Prefetch("goals", queryset=Goal.objects.only("id", "code")))


def headers(columns: list[Column] = COLUMNS) -> list[str]:
    return [str(column.header)[:1].upper() + str(column.header)[1:] for column in columns]


def rows(queryset, columns: list[Column] = COLUMNS) -> Iterator[list]:
    """Typed values (str, int, Decimal, aware datetime or None) per need, in chunks (constant memory)."""
    for need in export_queryset(queryset).iterator(chunk_size=CHUNK):
        yield [column.value(need) for column in columns]


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


# ------------------------------------------------------------------------------------------------ CSV


class _Echo:
    def write(self, value):
        return value


def csv_text(value, kind: str, decimal_mark: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return f"{to_money(value):f}".replace(".", decimal_mark)
    if kind == "decimal":
        return f"{Decimal(value):f}".replace(".", decimal_mark)
    if kind == "datetime":
        return _local(value).isoformat(sep=" ", timespec="minutes")
    return str(value)


def csv_stream(queryset, language: str | None = None, columns: list[Column] = COLUMNS) -> Iterator[str]:
    """The list as CSV text, line by line: BOM, header row, one row per need (semicolon separated).

    Runs in the given language (the request's), also when the response is consumed after the view returns.
    """
    return csv_lines(rows(queryset, columns), columns, language)


def csv_lines(values: Iterable[list], columns: list[Column], language: str | None = None) -> Iterator[str]:
    """Any rows of typed values (one list per row, in the order of `columns`) as CSV text, line by line: BOM,
    header row, then the rows (semicolon separated; the decimal mark of the language)."""
    language = language or translation.get_language() or "nb"
    decimal_mark = "," if language[:2] in ("nb", "nn", "no") else "."
    writer = csv.writer(_Echo(), delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    with translation.override(language):
        yield BOM + writer.writerow(headers(columns))
        for row in values:
            yield writer.writerow(
                [csv_text(value, column.kind, decimal_mark) for value, column in zip(row, columns, strict=True)]
            )


# ----------------------------------------------------------------------------------------------- XLSX

NUMBER_FORMATS = {"money": "#,##0.00", "decimal": "0.0", "int": "0", "datetime": "yyyy-mm-dd hh:mm"}


def xlsx_bytes(
    queryset, language: str | None = None, columns: list[Column] = COLUMNS, title: str | None = None
) -> bytes:
    """The list as an Excel workbook: a bold, frozen header row, numbers as numbers (money with 2 decimals)."""
    return xlsx_workbook([(title or Need._meta.verbose_name_plural, columns, rows(queryset, columns))], language)


def xlsx_workbook(sheets: list[tuple[object, list[Column], Iterable[list]]], language: str | None = None) -> bytes:
    """A workbook of one sheet per (title, columns, rows of typed values): each with a bold, frozen header row
    and numbers as numbers (money with 2 decimals). Titles may be lazy translations."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    language = language or translation.get_language() or "nb"
    with translation.override(language):
        workbook = Workbook(write_only=True)
        bold = Font(bold=True)
        for title, columns, values in sheets:
            name = str(title)
            sheet = workbook.create_sheet(title=(name[:1].upper() + name[1:])[:31])
            sheet.freeze_panes = "A2"
            for index, column in enumerate(columns, start=1):
                width = column.width or (40 if column.header in (_field("title"), _field("problem")) else 16)
                sheet.column_dimensions[get_column_letter(index)].width = width
            header_cells = []
            for text in headers(columns):
                cell = WriteOnlyCell(sheet, value=text)
                cell.font = bold
                header_cells.append(cell)
            sheet.append(header_cells)
            for row in values:
                sheet.append(
                    [
                        _xlsx_cell(sheet, value, column.kind, WriteOnlyCell)
                        for value, column in zip(row, columns, strict=True)
                    ]
                )
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, value, kind: str, cell_class):
    if value is None:
        return None
    if kind == "money":
        value = to_money(value)
    elif kind == "datetime":
        value = _local(value)
    elif kind not in ("int", "decimal"):
        return str(value)
    cell = cell_class(sheet, value=value)
    cell.number_format = NUMBER_FORMATS[kind]
    return cell


def filename(extension: str, day: datetime.date | None = None) -> str:
    day = day or timezone.localdate()
    return f"{str(Need._meta.verbose_name_plural).replace(' ', '-')}-{day.isoformat()}.{extension}"


def report_download(reports, report, extension: str, table: str):
    """A report as a file to download: XLSX with every table, or CSV of one (streamed). `reports` is the module
    that knows the report (needs.reports, benefits.reports: `xlsx_bytes`, `csv_lines` and `filename`)."""
    from django.http import HttpResponse, StreamingHttpResponse

    language = translation.get_language()
    if extension == "xlsx":
        response = HttpResponse(reports.xlsx_bytes(report, language), content_type=XLSX_CONTENT_TYPE)
        name = reports.filename(report, "xlsx")
    else:
        response = StreamingHttpResponse(reports.csv_lines(report, table, language), content_type=CSV_CONTENT_TYPE)
        name = reports.filename(report, "csv", table)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
