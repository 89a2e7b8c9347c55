"""Read-only REST resource of the portfolio-wide benefits report (`reports.portfolio_report`):
`GET /api/v1/benefits/portfolio-report/?year=2026[&collaboration=<id>]`, the roll-ups as JSON, money as strings
with two decimals (realisation as a fraction with four decimals, as a string).

Scoping is that of the transparency reports (`needs.api_reports.report_collaboration`): a report of one
collaboration the user belongs to today (operators: any); a user of several says which with `?collaboration=`
(400 without it); any other collaboration answers 404, like one that does not exist. Everyone in the
collaboration reads it, as on the portal page. The view parses the query and renders; the rules are in `reports`.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response

from ikt_portfolio.needs.api_reports import report_collaboration

from . import reports


def _text(value) -> str | None:
    return None if value is None else str(value)


class PortfolioQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2100, help_text="Default: this year.")
    collaboration = serializers.IntegerField(
        required=False, min_value=1, help_text="The collaboration's id; needed when the user belongs to several."
    )


def _municipality(municipality) -> dict:
    return {"id": municipality.pk, "number": municipality.number, "name": municipality.name}


def _tally(tally: reports.Tally) -> dict:
    return {
        "lines": tally.lines,
        "measured": tally.measured,
        "planned": tally.planned,
        "not_measurable": tally.not_measurable,
        "planned_value": _text(tally.planned_value),
        "benefits": _text(tally.benefits),
        "realised": _text(tally.realised),
        "mean_realisation": _text(tally.mean_realisation),
    }


def _group(row: reports.GroupRow) -> dict:
    return {"key": row.key, "label": row.label, "benefits_count": row.benefit_count, **_tally(row.tally)}


def report_data(report: reports.PortfolioReport) -> dict:
    return {
        "collaboration": {
            "id": report.collaboration.pk,
            "name": report.collaboration.name,
            "short_name": report.collaboration.short_name,
        },
        "year": report.year,
        "day": report.day,
        "generated_at": report.generated_at,
        "total": {"cost": _text(report.cost), "net": _text(report.net), **_tally(report.total)},
        "members": [
            {
                "municipality": _municipality(row.municipality),
                "segment": row.segment,
                "projects": row.projects,
                "cost": _text(row.cost),
                "net": _text(row.net),
                **_tally(row.tally),
            }
            for row in report.members
        ],
        "projects": [
            {
                "project": row.project.pk,
                "reference": row.project.reference,
                "title": row.project.title,
                "members": [_municipality(m) for m in row.members],
                "postponed": [m.pk for m in row.postponed],
                "cost": _text(row.cost),
                "net": _text(row.net),
                "cost_errors": row.cost_errors,
                **_tally(row.tally),
            }
            for row in report.projects
        ],
        "service_areas": [_group(row) for row in report.service_areas],
        "types": [_group(row) for row in report.types],
        "gains": [_group(row) for row in report.gains],
        "segments": [
            {
                "key": row.key,
                "label": row.label,
                "members": [_municipality(m) for m in row.members],
                "cost": _text(row.cost),
                "net": _text(row.net),
                "cost_per_member": _text(row.mean_cost),
                "benefits_per_member": _text(row.mean_benefits),
                "net_per_member": _text(row.mean_net),
                **_tally(row.tally),
            }
            for row in report.segments
        ],
        "unmeasurable": [
            {
                "benefit": row.benefit.pk,
                "name": row.benefit.name,
                "project": row.project.pk,
                "reason": row.reason,
                "members": [_municipality(m) for m in row.members],
                "value": _text(row.value),
            }
            for row in report.unmeasurable
        ],
    }


class PortfolioReportViewSet(viewsets.ViewSet):
    """The collaboration's benefits in a year, rolled up per member, project, service area, benefit type, kind of
    gain and size segment (definitions: `ikt_portfolio.benefits.reports`)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Benefits in the portfolio: roll-ups per member, project, service area, type and size segment",
        parameters=[
            OpenApiParameter("year", int, description="Default: this year."),
            OpenApiParameter("collaboration", int, description="Needed when you belong to several."),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The roll-ups; money as strings."),
            400: OpenApiResponse(description="A year that makes no sense, or which collaboration is not said."),
            403: OpenApiResponse(description="Not signed in, or in no collaboration."),
            404: OpenApiResponse(description="Not one of your collaborations."),
        },
    )
    def list(self, request):
        query = PortfolioQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        collaboration = report_collaboration(request.user, query.validated_data.get("collaboration"))
        year = query.validated_data.get("year") or timezone.localdate().year
        return Response(report_data(reports.portfolio_report(collaboration, year)))


def register(router) -> None:
    router.register("benefits/portfolio-report", PortfolioReportViewSet, basename="benefits-portfolio-report")
