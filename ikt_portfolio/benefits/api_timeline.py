"""Benefits over time in the API (read-only; the numbers and their definitions are `timeline`'s):

- `GET benefits/timeline/<project id>/` (or `benefits/timeline/?project=<id>`): the project's quarterly planned
  against actual series and, per indicator, every participating member's planned path and measured values. For
  whoever may see the project's page (`Project.objects.readable_by`); any other project answers 404.
- `GET benefits/portfolio-timeline/?collaboration=&from=&to=`: the collaboration's planned against realised NOK
  and mean realisation per quarter (years; default two before to two after this year). For the collaboration's
  people; another collaboration answers 404.

Decimals are strings (money to the øre, values and progress to four decimals); dates ISO.
"""

import datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, viewsets
from rest_framework.response import Response

from ikt_portfolio.members.api import collaboration_of
from ikt_portfolio.projects.models import Project

from . import timeline


def _text(value) -> str | None:
    return None if value is None else str(value)


def _progress(progress) -> dict | None:
    if progress is None:
        return None
    return {"raw": _text(progress.raw), "shown": _text(progress.shown), "percent": progress.percent}


def quarters_data(quarters: list[timeline.QuarterPoint]) -> list[dict]:
    return [
        {
            "quarter": q.quarter,
            "end": q.end,
            "year": q.year,
            "number": q.number,
            "planned_percent": _text(q.planned_percent),
            "actual_percent": _text(q.actual_percent),
            "planned_nok": _text(q.planned_nok),
            "realised_nok": _text(q.realised_nok),
        }
        for q in quarters
    ]


def project_data(found: timeline.ProjectTimeline) -> dict:
    project = found.project
    return {
        "project": project.pk,
        "reference": project.reference,
        "title": project.title,
        "start": found.start,
        "end": found.end,
        "planned_nok": _text(found.planned_total),
        "realised_nok": _text(found.realised_total),
        "quarters": quarters_data(found.quarters),
        "not_on_timeline": [b.pk for b in found.not_on_timeline],
        "indicators": [
            {
                "indicator": line.indicator.pk,
                "benefit": line.indicator.benefit_id,
                "name": line.indicator.name,
                "unit": line.indicator.unit,
                "direction": line.indicator.direction,
                "schedule": line.indicator.schedule,
                "members": [
                    {
                        "target": series.target.pk,
                        "municipality": series.target.municipality_id,
                        "name": series.target.municipality.name,
                        "baseline_date": series.target.baseline_date,
                        "baseline_value": _text(series.target.baseline_value),
                        "target_date": series.target.target_date,
                        "target_value": _text(series.target.target_value),
                        "points": [
                            {
                                "period": p.period,
                                "end": p.end,
                                "planned": _text(p.planned),
                                "planned_progress": _text(p.planned_progress),
                                "actual": _text(p.actual),
                                "latest": _text(p.latest),
                                "realisation": _progress(p.progress),
                                "carried_realisation": _progress(p.carried),
                            }
                            for p in series.points
                        ],
                    }
                    for series in line.members
                ],
            }
            for line in found.indicators
        ],
    }


class ProjectTimelineViewSet(viewsets.ViewSet):
    """A project's benefits over time: planned path against measured values per member and indicator, and the
    project's quarterly planned against actual realisation and NOK."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    def _response(self, request, pk):
        try:
            pk = int(pk)
        except (TypeError, ValueError) as error:
            raise exceptions.NotFound() from error
        project = get_object_or_404(Project.objects.readable_by(request.user), pk=pk)
        return Response(project_data(timeline.project_timeline(project)))

    @extend_schema(
        parameters=[OpenApiParameter("project", int, required=True)],
        responses={200: OpenApiResponse(description="the project's benefits over time"), 404: None},
    )
    def list(self, request):
        return self._response(request, request.query_params.get("project"))

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The project's id.")],
        responses={200: OpenApiResponse(description="the project's benefits over time"), 404: None},
    )
    def retrieve(self, request, pk=None):
        return self._response(request, pk)


class PortfolioTimelineViewSet(viewsets.ViewSet):
    """The collaboration's planned against realised NOK and mean realisation per quarter over all projects."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("collaboration", int, description="Default: your first collaboration."),
            OpenApiParameter("from", int, description="First year (default: two years ago)."),
            OpenApiParameter("to", int, description="Last year (default: in two years)."),
        ],
        responses={200: OpenApiResponse(description="the portfolio's benefits per quarter"), 400: None, 404: None},
    )
    def list(self, request):
        collaboration = collaboration_of(request)
        year = timezone.localdate().year
        try:
            start = int(request.query_params.get("from") or year - 2)
            end = int(request.query_params.get("to") or year + 2)
        except ValueError as error:
            raise exceptions.ValidationError({"from": [_("Years are whole numbers.")]}) from error
        try:
            found = timeline.portfolio_timeline(collaboration, start, end)
        except ValidationError as error:
            raise exceptions.ValidationError({"to": error.messages}) from error
        return Response(
            {
                "collaboration": collaboration.pk,
                "from": found.start_year,
                "to": found.end_year,
                "start": datetime.date(found.start_year, 1, 1),
                "end": datetime.date(found.end_year, 12, 31),
                "projects": found.projects,
                "targets": found.targets,
                "planned_nok": _text(found.planned_total),
                "realised_nok": _text(found.realised_total),
                "quarters": quarters_data(found.quarters),
            }
        )


def register(router) -> None:
    router.register("benefits/timeline", ProjectTimelineViewSet, basename="benefits-timeline")
    router.register("benefits/portfolio-timeline", PortfolioTimelineViewSet, basename="benefits-portfolio-timeline")
