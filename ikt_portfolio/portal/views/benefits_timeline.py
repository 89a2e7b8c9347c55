"""Benefits over time in the portal: a project's "Benefits over time" (for each indicator one small chart per
participating member, planned path against measured values; the project's mean realisation and, for monetary
benefits, planned against realised NOK per quarter) and the portfolio's planned against realised NOK and mean
realisation per quarter. The numbers are `benefits.timeline`'s; the charts are `portal.charts`' inline SVG, each
followed by its numbers in a table.

The project's page is for whoever may see the project's page (`Project.objects.readable_by`); the portfolio's for
the collaboration the user works in now.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ikt_portfolio.benefits import timeline
from ikt_portfolio.benefits.models import Indicator
from ikt_portfolio.core.money import format_nok

from .. import charts
from ..forms import PortalForm
from .common import current_collaboration, no_collaboration, portal_login_required, render_portal
from .projects import _project_or_404


def period_label(period: datetime.date, schedule: str) -> str:
    if schedule == Indicator.Schedule.MONTHLY:
        return date_format(period, "M Y")
    if schedule == Indicator.Schedule.QUARTERLY:
        return timeline.quarter_label(period)
    return str(period.year)


def _period_heading(schedule: str) -> str:
    return {
        Indicator.Schedule.MONTHLY: _("Month"),
        Indicator.Schedule.QUARTERLY: _("Quarter"),
        Indicator.Schedule.YEARLY: _("Year"),
    }[schedule]


def shared_values(line: timeline.IndicatorTimeline) -> list:
    """Every member's planned and measured values of the indicator: its small multiples share one y axis."""
    return [v for s in line.members for p in s.points for v in (p.planned, p.actual) if v is not None]


def member_chart(line: timeline.IndicatorTimeline, series: timeline.MemberSeries, scale=None) -> charts.Chart:
    """One member's planned path and measured values of one indicator (on the shared `scale` when given)."""
    indicator, target = line.indicator, series.target
    labels = [period_label(p.period, indicator.schedule) for p in series.points]
    measured = [p for p in series.points if p.actual is not None]
    description = _(
        "Baseline %(baseline)s on %(baseline_date)s, target %(target)s by %(target_date)s (%(unit)s, %(direction)s). "
        "The dashed line with squares is the planned path, the solid line with dots the measured values."
    ) % {
        "baseline": charts.fmt_number(target.baseline_value, 2),
        "baseline_date": date_format(target.baseline_date, "SHORT_DATE_FORMAT"),
        "target": charts.fmt_number(target.target_value, 2),
        "target_date": date_format(target.target_date, "SHORT_DATE_FORMAT"),
        "unit": indicator.unit,
        "direction": indicator.get_direction_display(),
    }
    if measured:
        last = measured[-1]
        description += " " + _("Latest value %(value)s (%(period)s), %(percent)s %% realised.") % {
            "value": charts.fmt_number(last.actual, 2),
            "period": period_label(last.period, indicator.schedule),
            "percent": last.progress.percent,
        }
    else:
        description += " " + _("Nothing measured yet.")
    return charts.line_chart(
        f"chart-i{indicator.pk}-m{target.municipality_id}",
        labels,
        [
            charts.Series("planned", _("Planned"), [p.planned for p in series.points], "planned"),
            charts.Series("actual", _("Measured"), [p.actual for p in series.points], "actual"),
        ],
        title=_("%(indicator)s in %(member)s: planned and measured")
        % {"indicator": indicator.name, "member": target.municipality.name},
        description=description,
        x_heading=_period_heading(indicator.schedule),
        unit=indicator.unit,
        decimals=2,
        include_zero=False,
        width=380,
        height=240,
        max_x_labels=4,
        caption=target.municipality.name,
        range_values=scale,
    )


def quarter_charts(prefix: str, quarters: list, *, monetary: bool, subject: str) -> list[charts.Chart]:
    """The mean realisation chart, and the NOK chart when there are monetary benefits."""
    labels = [q.label for q in quarters]
    found = [
        charts.line_chart(
            f"{prefix}-realisation",
            labels,
            [
                charts.Series("planned", _("Planned"), [q.planned_percent for q in quarters], "planned"),
                charts.Series("actual", _("Actual"), [q.actual_percent for q in quarters], "actual"),
            ],
            title=_("Mean realisation per quarter, planned and actual: %(subject)s") % {"subject": subject},
            description=_(
                "The mean of the members' progress from baseline to target at each quarter's end, in per cent: "
                "the dashed line with squares is the plan, the solid line with dots what was measured (the latest "
                "value carried forward)."
            ),
            x_heading=_("Quarter"),
            unit="%",
            decimals=1,
        )
    ]
    if monetary:
        found.append(
            charts.line_chart(
                f"{prefix}-nok",
                labels,
                [
                    charts.Series("planned", _("Planned"), [q.planned_nok for q in quarters], "planned"),
                    charts.Series("actual", _("Realised"), [q.realised_nok for q in quarters], "actual"),
                ],
                title=_("Monetary benefits per quarter, planned and realised: %(subject)s") % {"subject": subject},
                description=_(
                    "Per quarter, a quarter of each member's yearly value times its planned progress (dashed line "
                    "with squares) and times its measured realisation (solid line with dots), summed over the "
                    "members, in NOK."
                ),
                x_heading=_("Quarter"),
                unit="NOK",
                decimals=2,
            )
        )
    return found


@portal_login_required
def project_benefits(request, pk):
    project = _project_or_404(request, pk)
    found = timeline.project_timeline(project)
    benefits = []
    for benefit in found.benefits:
        indicators = []
        for line in found.indicators_of(benefit):
            scale = shared_values(line)
            indicators.append({"timeline": line, "charts": [member_chart(line, s, scale) for s in line.members]})
        benefits.append({"benefit": benefit, "indicators": indicators})
    context = {
        "project": project,
        "timeline": found,
        "benefits": benefits,
        "quarter_charts": quarter_charts(
            "chart-project", found.quarters, monetary=found.monetary, subject=project.reference
        )
        if found.quarters
        else [],
        "planned_total": format_nok(found.planned_total),
        "realised_total": format_nok(found.realised_total),
    }
    return render_portal(request, "ikt_portal/benefits_timeline_project.html", context, nav="projects")


class YearsForm(PortalForm):
    start = forms.IntegerField(label=gettext_lazy("From year"), min_value=1900, max_value=2100)
    end = forms.IntegerField(label=gettext_lazy("To year"), min_value=1900, max_value=2100)

    def clean(self):
        data = super().clean()
        if "start" in data and "end" in data:
            try:
                timeline.check_years(data["start"], data["end"])
            except ValidationError as error:
                self.add_error("end", error)
        return data


@portal_login_required
def portfolio_benefits(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    year = timezone.localdate().year
    form = YearsForm(request.GET if request.GET else None, initial={"start": year - 2, "end": year + 2})
    if form.is_bound and not form.is_valid():
        return render_portal(
            request, "ikt_portal/benefits_timeline_portfolio.html", {"form": form}, status=400, nav="benefits"
        )
    start, end = (form.cleaned_data["start"], form.cleaned_data["end"]) if form.is_bound else (year - 2, year + 2)
    found = timeline.portfolio_timeline(collaboration, start, end)
    context = {
        "form": form,
        "timeline": found,
        "quarter_charts": quarter_charts(
            "chart-portfolio", found.quarters, monetary=True, subject=collaboration.short_name or collaboration.name
        ),
        "planned_total": format_nok(found.planned_total),
        "realised_total": format_nok(found.realised_total),
    }
    return render_portal(request, "ikt_portal/benefits_timeline_portfolio.html", context, nav="benefits")
