"""The annual benefits report for the owners' meeting (eierskapsmøte / representantskap), as PDF (WeasyPrint, A4)
and XLSX, in bokmål, nynorsk or English.

Contents, all from `reports.portfolio_report(collaboration, year)` (its docstring defines every number): a summary
(the members' total cost share for the projects, total benefits, net benefit, of which measured and planned), the
members (what each pays, what it has gained, net), the projects, the service areas, the benefit types and kinds of
gain, the size segments (sums and per member), the benefits not measurable yet (with the members concerned and
why), and a short note on the method (the realisation formula in words).

The PDF is rendered from one standalone HTML document (`ikt_benefits/annual_report_document.html`, the same
approach as the council's minutes: `translation.override(language)`, no URL fetched). The XLSX has a front sheet
(the collaboration, the year, when generated, the summary and the method) and one sheet per roll-up.
"""

import io

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ikt_portfolio.core.money import to_money
from ikt_portfolio.needs import exports

from . import reports

LANGUAGES = ("nb", "nn", "en")
FORMATS = ("pdf", "xlsx")


def language_choices() -> list[tuple[str, str]]:
    return [("nb", _("Bokmål")), ("nn", _("Nynorsk")), ("en", _("English"))]


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")


def method_note() -> list[str]:
    """The method in words (paragraphs), in the active language."""
    return [
        _(
            "Each benefit is planned per project and realised in each member taking part in the project. A member "
            "that opted out of a project neither pays for it nor counts its benefits."
        ),
        _(
            "Realisation is how far a member has come from its baseline to its target: (latest value − baseline) "
            "÷ (target − baseline), 0 % at the baseline and 100 % at the target, shown between 0 and 100 %. With "
            "several indicators, a benefit's realisation is their mean."
        ),
        _(
            "A monetary benefit that is measured counts its yearly value times its realisation (realised). One not "
            "measured yet counts its full yearly value as planned. A benefit without an indicator, or without a "
            "target for the member, is not measurable yet: it counts as planned and is listed in this report."
        ),
        _(
            "Cost share is what each member pays in the year for the projects it takes part in, split by the "
            "projects' cost-sharing keys exact to the øre. Net benefit is benefits minus cost share. Size segments "
            "use the members' population on 1 January of the year."
        ),
    ]


def document_context(report: reports.PortfolioReport, language: str) -> dict:
    """What the template shows (call inside translation.override(language))."""
    return {
        "report": report,
        "language": language,
        "collaboration": report.collaboration,
        "year": report.year,
        "generated": formats.date_format(timezone.localtime(report.generated_at), "DATETIME_FORMAT"),
        "method": method_note(),
    }


def render_html(report: reports.PortfolioReport, language: str = "nb") -> str:
    """The annual report as one standalone HTML document in `language` (nb, nn or en)."""
    _check(language)
    with translation.override(language):
        return render_to_string("ikt_benefits/annual_report_document.html", document_context(report, language))


def render_pdf(report: reports.PortfolioReport, language: str = "nb") -> bytes:
    """The annual report as PDF (WeasyPrint, A4), from the same HTML."""
    from weasyprint import HTML

    return HTML(string=render_html(report, language), url_fetcher=_fetch_nothing).write_pdf()


def _fetch_nothing(url, *args, **kwargs):
    """The report is self-contained: WeasyPrint fetches no URL."""
    raise ValueError(f"The annual report loads no resources ({url[:60]}).")


SUMMARY = [
    (gettext_lazy("Cost share for the projects (NOK)"), lambda r: r.cost),
    (gettext_lazy("Benefits (NOK)"), lambda r: r.benefits),
    (gettext_lazy("Net benefit (NOK)"), lambda r: r.net),
    (gettext_lazy("Planned benefits, fully realised (NOK)"), lambda r: r.total.planned_value),
    (gettext_lazy("Realised, measured (NOK)"), lambda r: r.total.realised),
]


def render_xlsx(report: reports.PortfolioReport, language: str = "nb") -> bytes:
    """A front sheet (collaboration, year, generated time, summary, method) and one sheet per roll-up."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    _check(language)
    with translation.override(language):
        workbook = Workbook()
        bold = Font(bold=True)
        front = workbook.active
        front.title = _("Report")[:31]
        front.column_dimensions["A"].width = 42
        front.column_dimensions["B"].width = 60
        front.append([_("Benefits in the portfolio: annual report")])
        front["A1"].font = Font(bold=True, size=14)
        front.append([])
        facts = [
            (_("Collaboration"), report.collaboration.name),
            (_("Year"), report.year),
            (_("Generated"), timezone.localtime(report.generated_at).replace(tzinfo=None, microsecond=0)),
        ]
        for label, value in facts:
            front.append([label, value])
        front.cell(row=front.max_row, column=2).number_format = "yyyy-mm-dd hh:mm"
        front.append([])
        front.append([_("Summary")])
        front.cell(row=front.max_row, column=1).font = bold
        for label, value in SUMMARY:
            front.append([str(label), to_money(value(report))])
            front.cell(row=front.max_row, column=2).number_format = exports.NUMBER_FORMATS["money"]
        front.append([])
        front.append([_("Method")])
        front.cell(row=front.max_row, column=1).font = bold
        for paragraph in method_note():
            front.append([paragraph])
            front.merge_cells(start_row=front.max_row, start_column=1, end_row=front.max_row, end_column=2)
            front.cell(row=front.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
            front.row_dimensions[front.max_row].height = 64
        for title, columns, rows in reports.tables(report).values():
            name = str(title)
            sheet = workbook.create_sheet(title=(name[:1].upper() + name[1:])[:31])
            sheet.freeze_panes = "A2"
            sheet.append(exports.headers(columns))
            for cell in sheet[1]:
                cell.font = bold
            for index, column in enumerate(columns, start=1):
                sheet.column_dimensions[get_column_letter(index)].width = column.width or 16
            for row in rows:
                sheet.append([_cell(column.value(row), column.kind) for column in columns])
                for index, column in enumerate(columns, start=1):
                    if column.kind in exports.NUMBER_FORMATS:
                        sheet.cell(row=sheet.max_row, column=index).number_format = exports.NUMBER_FORMATS[column.kind]
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


def _cell(value, kind: str):
    if value is None:
        return None
    if kind == "money":
        return to_money(value)
    if kind in ("int", "decimal"):
        return value
    return str(value)


def render(report: reports.PortfolioReport, language: str, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return render_pdf(report, language) if fmt == "pdf" else render_xlsx(report, language)


def filename(report: reports.PortfolioReport, language: str, extension: str) -> str:
    with translation.override(language):
        name = slugify(_("benefits-annual-report"))
    return f"{name}-{slugify(report.collaboration.short_name)}-{report.year}-{language}.{extension}"
