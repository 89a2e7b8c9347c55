"""Transparency reports in the portal: the equity view and the time to first response (`needs.reports`).

Everyone signed in to a collaboration sees its reports (they count submitted needs, which the need list shows
them anyway), and only those of the collaboration they work in now: there is no way to name another one.
Filters are a GET form; each report downloads as CSV or XLSX with the same filters.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.members.models import ServiceArea
from ikt_portfolio.needs import exports, reports

from ..forms import PortalForm, add_errors
from .common import current_collaboration, no_collaboration, paginate, portal_login_required, render_portal

EXTENSIONS = ("csv", "xlsx")


class ReportFilterForm(PortalForm):
    """The reports' filters: the period the needs were submitted in, and a service area."""

    hide_optional = True

    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    submitted_to = forms.DateField(
        label=_("Submitted to"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    service_area = forms.ModelChoiceField(
        label=_("Service area"), queryset=ServiceArea.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args, collaboration, **kwargs):
        super().__init__(*args, **kwargs)
        self.collaboration = collaboration
        self.fields["service_area"].queryset = ServiceArea.objects.filter(collaboration=collaboration)
        self.report_filters = reports.ReportFilters()

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                self.report_filters = reports.make_filters(
                    self.collaboration,
                    submitted_from=data.get("submitted_from"),
                    submitted_to=data.get("submitted_to"),
                    service_area=data.get("service_area"),
                )
            except ValidationError as error:
                add_errors(self, error)
        return data


def _filters(request, collaboration):
    """(form, filters); filters is None when the form has errors (the page shows them, and no numbers)."""
    form = ReportFilterForm(request.GET or None, collaboration=collaboration)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, form.report_filters


def _download(report, extension: str, table: str):
    return exports.report_download(reports, report, extension, table)


def _page(request, template: str, context: dict, *, status: int = 200):
    return render_portal(request, template, context, status=status, nav="reports")


# -------------------------------------------------------------------------------------------- equity


@portal_login_required
def equity(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    form, filters = _filters(request, collaboration)
    if filters is None:
        return _page(request, "ikt_portal/report_equity.html", {"form": form, "report": None}, status=400)
    report = reports.equity(collaboration, filters)
    return _page(
        request,
        "ikt_portal/report_equity.html",
        {"form": form, "report": report, "filtered": filters.is_filtered, "tables": reports.EQUITY_TABLES},
    )


@portal_login_required
def equity_download(request, extension):
    if extension not in EXTENSIONS:
        raise Http404
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    form, filters = _filters(request, collaboration)
    table = request.GET.get("table") or reports.EQUITY_TABLES[0]
    if filters is None or table not in reports.EQUITY_TABLES:
        return _page(request, "ikt_portal/report_equity.html", {"form": form, "report": None}, status=400)
    return _download(reports.equity(collaboration, filters), extension, table)


# ------------------------------------------------------------------------------------ response times


@portal_login_required
def response_times(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    form, filters = _filters(request, collaboration)
    if filters is None:
        return _page(request, "ikt_portal/report_response_times.html", {"form": form, "report": None}, status=400)
    report = reports.response_report(collaboration, filters)
    page, page_range = paginate(request, report.rows)
    slowest = max((area.p90_days or 0 for area in report.service_areas), default=0)
    return _page(
        request,
        "ikt_portal/report_response_times.html",
        {
            "form": form,
            "report": report,
            "filtered": filters.is_filtered,
            "page": page,
            "page_range": page_range,
            "areas": [
                {"area": area, "median_bar": _bar(area.median_days, slowest), "p90_bar": _bar(area.p90_days, slowest)}
                for area in report.service_areas
            ],
        },
    )


def _bar(value, largest) -> str:
    """A bar's width in percent of the largest value, as CSS wants it (a dot, whatever the language)."""
    if not value or not largest:
        return "0"
    return f"{min(100, 100 * float(value) / float(largest)):.1f}"


@portal_login_required
def response_times_download(request, extension):
    if extension not in EXTENSIONS:
        raise Http404
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    form, filters = _filters(request, collaboration)
    table = request.GET.get("table") or reports.RESPONSE_TABLES[0]
    if filters is None or table not in reports.RESPONSE_TABLES:
        return _page(request, "ikt_portal/report_response_times.html", {"form": form, "report": None}, status=400)
    return _download(reports.response_report(collaboration, filters), extension, table)
