"""Benefits realisation in the portal: "Our benefits" (a member's report: per project what it pays, what it has
gained and the net benefit, with realisation bars) and the benefit owner's measurements page (their targets with
what is due and late, a form per target; refusals shown on the form). Rules and numbers are
`ikt_portfolio.benefits.services`'; who may record is `benefits.permissions`'.

The report is for the member's own people; the collaboration's administrators choose any member. Only the
collaboration the user works in now: a target of another collaboration answers 404.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ikt_portfolio.benefits import imports, lifecycle, services
from ikt_portfolio.benefits.models import Measurement

from ..forms import PortalForm, add_errors
from .common import (
    chosen_member,
    current_collaboration,
    no_collaboration,
    paginate,
    portal_login_required,
    render_portal,
    year_param,
)


class MeasurementForm(PortalForm):
    period = forms.DateField(
        label=gettext_lazy("Period"),
        help_text=gettext_lazy("Any day in the month, quarter or year measured (YYYY-MM-DD)."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    value = forms.CharField(label=gettext_lazy("Value"), max_length=40)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)
    confirm_implausible = forms.BooleanField(
        label=gettext_lazy("The value is right although it is outside the plausible range"), required=False
    )


class ImportForm(PortalForm):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        help_text=gettext_lazy(
            "Columns: project; indicator; municipality; period; value; confirm_implausible; note. "
            "If any row is refused, nothing is recorded."
        ),
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Only check the file, record nothing"), required=False)


@portal_login_required
def our_benefits(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    year = year_param(request)
    municipality, choices = chosen_member(request, collaboration, datetime.date(year, 1, 1))
    report = services.member_report(municipality, collaboration, year) if municipality else None
    if report is not None:  # each benefit's lifecycle state in the reader's language, one query for all
        lifecycle.lifecycle_state_names(line.benefit for project in report.projects for line in project.benefits)
    # the totals are over every project; the projects' tables a page at a time (a large member takes part in
    # hundreds at national scale)
    page, page_range = paginate(request, report.projects if report else [])
    return render_portal(
        request,
        "ikt_portal/benefits_report.html",
        {"report": report, "municipality": municipality, "choices": choices, "year": year, "page": page,
         "page_range": page_range},
        nav="benefits",
    )  # fmt: skip


def _targets(request, collaboration):
    latest = Measurement.objects.filter(target=OuterRef("pk")).order_by("-period").values("period")[:1]
    # a subquery per target, not Max() over a join: grouping by every column of the target row took 24 s at scale
    return services.targets_of(request.user, collaboration).annotate(latest_period=Subquery(latest))


def _measurements_page(request, collaboration, failed=None, status=200, import_form=None, import_result=None):
    # failed: (target, bound form); import_form, import_result: a file import that was refused
    """The user's targets, a page at a time, each with its due/late flag and a form (the failed one bound)."""
    targets = _targets(request, collaboration).order_by("municipality__name", "indicator__benefit__project__number",
                                                        "indicator__name", "pk")  # fmt: skip
    page, page_range = paginate(request, targets)
    today = timezone.localdate()
    rows = []
    shown = list(page)
    if failed and all(target.pk != failed[0].pk for target in shown):
        shown.insert(0, failed[0])  # the refused form is always on the page, with its reason
    for target in shown:
        form = failed[1] if failed and failed[0].pk == target.pk else MeasurementForm(prefix=f"t{target.pk}")
        rows.append({"target": target, "due": services.due(target, target.latest_period, today), "form": form})
    return render_portal(
        request,
        "ikt_portal/benefits_measurements.html",
        {
            "rows": rows,
            "page": page,
            "page_range": page_range,
            "import_form": import_form or ImportForm(prefix="import"),
            "import_result": import_result,
        },
        status=status,
        nav="benefits",
    )


@portal_login_required
def measurements(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    return _measurements_page(request, collaboration)


@require_POST
@portal_login_required
def record(request, pk):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    target = _targets(request, collaboration).filter(pk=pk).first()
    if target is None:
        raise Http404
    form = MeasurementForm(request.POST, prefix=f"t{target.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_measurement(
                target, request.user, data["period"], data["value"], data["confirm_implausible"], data["note"]
            )
        except PermissionDenied:
            raise
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("The value for %(indicator)s in %(member)s is recorded.")
                % {"indicator": target.indicator.name, "member": target.municipality.name},
            )
            return redirect("ikt_portal:benefits_measurements")
    return _measurements_page(request, collaboration, failed=(target, form), status=400)


@require_POST
@portal_login_required
def import_file(request):
    """Measurements from a CSV or XLSX file (`benefits.imports`): all rows or none, refused rows listed."""
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    form = ImportForm(request.POST, request.FILES, prefix="import")
    if not form.is_valid():
        return _measurements_page(request, collaboration, status=400, import_form=form)
    dry_run = form.cleaned_data["dry_run"]
    result = imports.import_measurements(
        form.cleaned_data["file"], request.user, dry_run=dry_run, collaboration=collaboration
    )
    if not result.ok:
        return _measurements_page(request, collaboration, status=400, import_form=form, import_result=result)
    if dry_run:
        messages.success(
            request,
            _("The file is fine: %(count)s values can be recorded. Nothing was recorded.") % {"count": result.written},
        )
    else:
        messages.success(request, _("%(count)s values are recorded from the file.") % {"count": result.written})
    return redirect("ikt_portal:benefits_measurements")


@portal_login_required
def import_template(request):
    """A CSV to fill in: one row per target the user records, with the next period due."""
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    response = HttpResponse(imports.template_csv(request.user, collaboration), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="measurements.csv"'
    return response
