"""Benefits in the portfolio (portal): every member's and project's benefits and costs of the collaboration in a
year, rolled up per member, project, service area, benefit type, kind of gain and size segment, with bar charts
(the numbers are the text), the roll-ups as CSV/XLSX and the annual report for the owners' meeting as PDF/XLSX in
bokmål, nynorsk or English. The numbers are `ikt_portfolio.benefits.reports`' and `benefits.annual`'.

Who sees it: everyone signed in to the collaboration, and only the collaboration they work in now (there is no
way to name another). Like the equity report, it is transparency between the members: what each member pays and
gains is what the owners' meeting is shown, and a member's own report (Our benefits) stays the place for its
indicator by indicator detail. Signed-out users go to the login page; users in no collaboration get 403.
"""

from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from ikt_portfolio.benefits import annual, reports
from ikt_portfolio.needs import exports

from .common import current_collaboration, no_collaboration, portal_login_required, render_portal, year_param

EXTENSIONS = ("csv", "xlsx")
LANGUAGES = ("nb", "nn", "en")
ANNUAL_EXTENSIONS = ("pdf", "xlsx")


def _width(value, largest) -> str:
    """A bar's width in percent of the largest value, as CSS wants it (a dot, whatever the language)."""
    if not value or not largest:
        return "0"
    return f"{min(Decimal(100), 100 * abs(Decimal(value)) / Decimal(largest)):.1f}"


def _pay_and_gain_bars(items) -> list[dict]:
    """Bars of what each (label, key, pays, gains) pays and gains, on one scale."""
    items = list(items)
    largest = max((max(pays or 0, gains or 0) for _label, _key, pays, gains in items), default=Decimal(0))
    return [
        {"label": label, "key": key, "pays": pays, "gains": gains,
         "pays_width": _width(pays, largest), "gains_width": _width(gains, largest)}
        for label, key, pays, gains in items
    ]  # fmt: skip


@portal_login_required
def portfolio(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    year = year_param(request)
    report = reports.portfolio_report(collaboration, year)
    return render_portal(
        request,
        "ikt_portal/benefits_portfolio.html",
        {
            "report": report,
            "year": year,
            "member_bars": _pay_and_gain_bars(
                (row.municipality.name, row.municipality.number, row.cost, row.benefits) for row in report.members
            ),
            "segment_bars": _pay_and_gain_bars(
                (row.label, row.key, row.mean_cost, row.mean_benefits) for row in report.segments
            ),
            "project_bars": [{"row": row, "realisation": _width(row.tally.percent, 100)} for row in report.projects],
            "groups": [
                (
                    "service-areas",
                    _("Per service area"),
                    _("Benefits per service area where they are realised"),
                    report.service_areas,
                ),
                ("types", _("Per benefit type"), _("Benefits per type"), report.types),
                ("gains", _("Productivity gains and cost cuts"), _("Benefits per kind of gain"), report.gains),
            ],  # fmt: skip
            "languages": annual.language_choices(),
        },
        nav="benefits",
    )


@portal_login_required
def portfolio_download(request, extension):
    """The roll-ups: CSV, one table (?table=, members by default), or XLSX with every table."""
    if extension not in EXTENSIONS:
        raise Http404
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    year = year_param(request)
    table = request.GET.get("table") or reports.TABLES[0]
    if table not in reports.TABLES:
        raise Http404
    return exports.report_download(reports, reports.portfolio_report(collaboration, year), extension, table)


@portal_login_required
def annual_report(request, language, extension):
    """The annual report for the owners' meeting as PDF or XLSX, in bokmål, nynorsk or English."""
    if language not in LANGUAGES or extension not in ANNUAL_EXTENSIONS:
        raise Http404
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    year = year_param(request)
    report = reports.portfolio_report(collaboration, year)
    if extension == "pdf":
        response = HttpResponse(annual.render_pdf(report, language), content_type="application/pdf")
    else:
        response = HttpResponse(annual.render_xlsx(report, language), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{annual.filename(report, language, extension)}"'
    return response
