"""Read-only REST resources of the transparency reports (`needs.reports`): the equity view and the time to
first response, as JSON or, with `?format=csv` / `?format=xlsx`, as the same files the portal offers.

A report is of one collaboration the user belongs to today (operators: any). A user of several says which with
`?collaboration=<id>` (400 without it); any other collaboration answers 404, like one that does not exist, so
nobody outside a collaboration learns its numbers. Views parse the query and render; the rules are in
`needs.reports`.
"""

from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ikt_portfolio.core.rest import Pagination
from ikt_portfolio.members.models import Collaboration
from ikt_portfolio.members.permissions import collaboration_ids, is_operator
from ikt_portfolio.workflow.api import DocumentStateSerializer, RefusalSerializer

from . import exports, reports
from .api import CSVRenderer, MunicipalityRefSerializer, ServiceAreaRefSerializer, XLSXRenderer

# ---------------------------------------------------------------------------------------------- the query


class ReportQuerySerializer(serializers.Serializer):
    collaboration = serializers.IntegerField(
        required=False, min_value=1, help_text="The collaboration's id; needed when the user belongs to several."
    )
    submitted_from = serializers.DateField(
        required=False, help_text="Needs first submitted on or after this day (YYYY-MM-DD, local time)."
    )
    submitted_to = serializers.DateField(required=False, help_text="… and on or before this day.")
    service_area = serializers.IntegerField(
        required=False, min_value=1, help_text="Only needs of this service area (its id) of the collaboration."
    )


class EquityQuerySerializer(ReportQuerySerializer):
    table = serializers.ChoiceField(
        choices=reports.EQUITY_TABLES,
        required=False,
        help_text="With format=csv: which table (municipalities, the default, or segments). XLSX has both.",
    )


class ResponseQuerySerializer(ReportQuerySerializer):
    table = serializers.ChoiceField(
        choices=reports.RESPONSE_TABLES,
        required=False,
        help_text="With format=csv: which table (needs, the default, or service_areas). XLSX has both.",
    )


def report_collaboration(user, requested: int | None) -> Collaboration:
    """The collaboration whose report `user` asks for: one of theirs, else 404 (see the module's docstring)."""
    allowed = Collaboration.objects.all()
    if not is_operator(user):
        allowed = allowed.filter(pk__in=collaboration_ids(user))
    if requested is not None:
        collaboration = allowed.filter(pk=requested).first()
        if collaboration is None:
            raise exceptions.NotFound(_("No such collaboration among yours."))
        return collaboration
    choices = list(allowed.order_by("pk")[:2])
    if not choices:
        raise exceptions.PermissionDenied(_("You do not belong to a collaboration."))
    if len(choices) > 1:
        raise exceptions.ValidationError(
            {"collaboration": [_("You belong to several collaborations: say which with ?collaboration=<id>.")]}
        )
    return choices[0]


# ------------------------------------------------------------------------------------------ the answers


class ReportCollaborationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()


class ReportFiltersSerializer(serializers.Serializer):
    submitted_from = serializers.DateField(allow_null=True)
    submitted_to = serializers.DateField(allow_null=True)
    service_area = ServiceAreaRefSerializer(allow_null=True)


class NeedOutcomeCountsSerializer(serializers.Serializer):
    """Needs per outcome (where each is now); see `needs.reports` for the mapping from states."""

    in_progress = serializers.IntegerField()
    recommended = serializers.IntegerField(help_text="Recommended or later.")
    approved = serializers.IntegerField(help_text="Approved or converted to a project.")
    resolved = serializers.IntegerField(help_text="Resolved without a project.")
    rejected = serializers.IntegerField()
    merged = serializers.IntegerField()
    withdrawn = serializers.IntegerField()


class NeedOutcomeLabelSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


def _days(help_text: str, **kwargs):
    return serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True, help_text=help_text, **kwargs)


def _percent(help_text: str):
    return serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True, help_text=help_text)


class EquityRowSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="municipality, segment or total.")
    key = serializers.CharField(help_text="Kommunenummer, the segment's key, or “total”.")
    label = serializers.CharField()
    municipality = MunicipalityRefSerializer(allow_null=True)
    segment = serializers.CharField(
        help_text="small, medium, large, unknown (no population figure) or former (not a member today); "
        "empty in the total."
    )
    is_member = serializers.BooleanField(help_text="A member today.")
    members = serializers.IntegerField(help_text="Members counted in the row (1 for a member municipality).")
    population = serializers.IntegerField(allow_null=True, help_text="Latest figure; of members only in sums.")
    population_share = _percent("Percent of today's members' population.")
    needs = serializers.IntegerField(help_text="Needs submitted (never drafts).")
    need_share = _percent("Percent of the needs counted.")
    representation = serializers.DecimalField(
        max_digits=9, decimal_places=2, allow_null=True, help_text="need_share ÷ population_share."
    )
    co_signs_given = serializers.IntegerField()
    co_signs_received = serializers.IntegerField()
    outcomes = NeedOutcomeCountsSerializer()
    answered = serializers.IntegerField(help_text="Needs that got a first response.")
    waiting = serializers.IntegerField(help_text="Open needs still waiting for a first response.")
    median_days = _days("Median days to first response, over answered needs.")


class SizeThresholdsSerializer(serializers.Serializer):
    small_max_population = serializers.IntegerField()
    medium_max_population = serializers.IntegerField()


class EquityReportSerializer(serializers.Serializer):
    collaboration = ReportCollaborationSerializer()
    filters = ReportFiltersSerializer()
    day = serializers.DateField(help_text="Members and population as of this day.")
    thresholds = SizeThresholdsSerializer(help_text="The collaboration's size segment limits.")
    outcomes = serializers.SerializerMethodField(help_text="The outcomes counted, in order, with their labels.")
    segments = EquityRowSerializer(many=True)
    municipalities = EquityRowSerializer(many=True)
    total = EquityRowSerializer()

    @extend_schema_field(NeedOutcomeLabelSerializer(many=True))
    def get_outcomes(self, report) -> list:
        return [{"key": key, "label": label} for key, label in report.outcome_labels]


class ResponseNeedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="need.pk")
    reference = serializers.CharField(source="need.reference")
    title = serializers.CharField(source="need.title")
    municipality = MunicipalityRefSerializer(source="need.municipality")
    service_area = ServiceAreaRefSerializer(source="need.service_area")
    state = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(help_text="When the need was first submitted.")
    first_response_at = serializers.DateTimeField(allow_null=True)
    response_days = _days("Days to the first response; null while waiting.")
    waiting = serializers.BooleanField(help_text="Open and not answered yet.")
    waiting_days = _days("While waiting: the days so far.")
    deadline_days = serializers.IntegerField(allow_null=True, help_text="The first step's deadline, in days.")
    overdue = serializers.BooleanField(help_text="Waiting beyond the first-step deadline.")
    closed_without_response = serializers.BooleanField(help_text="Withdrawn by its submitter before any answer.")
    link = serializers.SerializerMethodField()

    @extend_schema_field(DocumentStateSerializer)
    def get_state(self, row) -> dict:
        return {"key": row.need.state, "label": row.state_label, "category": row.need.state_category or ""}

    def get_link(self, row) -> str:
        return reverse("need-detail", args=[row.need.pk])


class ResponseAreaSerializer(serializers.Serializer):
    service_area = ServiceAreaRefSerializer(allow_null=True, help_text="null in the total.")
    label = serializers.CharField()
    needs = serializers.IntegerField()
    answered = serializers.IntegerField()
    median_days = _days("Median days to first response, over answered needs.")
    p90_days = _days("90th percentile (interpolated, as PERCENTILE.INC), over answered needs.")
    waiting = serializers.IntegerField()
    waiting_overdue = serializers.IntegerField(help_text="Still waiting beyond the first-step deadline.")
    closed_without_response = serializers.IntegerField()


class ResponseReportSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Submitted needs in the report (every page).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ResponseNeedSerializer(many=True, help_text="One page of needs, newest submission first.")
    collaboration = ReportCollaborationSerializer()
    filters = ReportFiltersSerializer()
    generated_at = serializers.DateTimeField()
    service_areas = ResponseAreaSerializer(many=True)
    total = ResponseAreaSerializer()


# --------------------------------------------------------------------------------------------- the views

REFUSED = {
    (400, "application/json"): OpenApiResponse(description="A filter that makes no sense, named per field."),
    (403, "application/json"): OpenApiResponse(RefusalSerializer, description="Not signed in, or in no collaboration."),
    (404, "application/json"): OpenApiResponse(RefusalSerializer, description="Not one of the user's collaborations."),
}
FORMAT = OpenApiParameter(
    "format", str, enum=["json", "csv", "xlsx"], description="json (the default), csv (one table) or xlsx (all)."
)
FILES = {(200, "text/csv"): OpenApiTypes.BINARY, (200, exports.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY}


class ReportView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]
    query_serializer = ReportQuerySerializer
    tables: tuple[str, ...] = ()

    def build(self, collaboration, filters):
        raise NotImplementedError

    def answer(self, report) -> Response:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        collaboration = report_collaboration(request.user, data.get("collaboration"))
        filters = reports.make_filters(
            collaboration,
            submitted_from=data.get("submitted_from"),
            submitted_to=data.get("submitted_to"),
            service_area=data.get("service_area"),
        )
        report = self.build(collaboration, filters)
        extension = request.accepted_renderer.format
        if extension in ("csv", "xlsx"):
            return self.download(report, extension, data.get("table") or self.tables[0])
        return self.answer(report)

    @staticmethod
    def download(report, extension: str, table: str):
        return exports.report_download(reports, report, extension, table)

    def finalize_response(self, request, response, *args, **kwargs):
        """Refusals are answered in JSON, also when a spreadsheet was asked for."""
        if isinstance(response, Response) and response.status_code >= 400:
            if getattr(request, "accepted_renderer", None) is not None and request.accepted_renderer.format in (
                "csv",
                "xlsx",
            ):
                request.accepted_renderer = renderers.JSONRenderer()
                request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class EquityReportView(ReportView):
    """Needs submitted, co-signs given and received, outcomes and time to first response per member size
    segment and per member municipality (every member today, also those with no needs), with shares of
    needs and of population."""

    query_serializer = EquityQuerySerializer
    tables = reports.EQUITY_TABLES

    def build(self, collaboration, filters):
        return reports.equity(collaboration, filters)

    def answer(self, report) -> Response:
        return Response(EquityReportSerializer(report).data)

    @extend_schema(
        summary="Equity view: needs, co-signs and outcomes by size segment and by municipality",
        parameters=[EquityQuerySerializer, FORMAT],
        responses={(200, "application/json"): EquityReportSerializer, **FILES, **REFUSED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ResponseTimesReportView(ReportView):
    """Time to first response of every submitted need (paginated, newest submission first) and, per service
    area, the median, the 90th percentile and how many wait beyond the first-step deadline."""

    query_serializer = ResponseQuerySerializer
    tables = reports.RESPONSE_TABLES
    pagination_class = Pagination

    def build(self, collaboration, filters):
        return reports.response_report(collaboration, filters)

    def answer(self, report) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(report.rows, self.request, view=self)
        data = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": page,
            "collaboration": report.collaboration,
            "filters": report.filters,
            "generated_at": report.now,
            "service_areas": report.service_areas,
            "total": report.total,
        }
        return Response(ResponseReportSerializer(data).data)

    @extend_schema(
        summary="Time to first response per need, with a summary per service area",
        parameters=[
            ResponseQuerySerializer,
            FORMAT,
            OpenApiParameter("page", int, description="The page of needs (JSON)."),
            OpenApiParameter("page_size", int, description="Needs per page (JSON), at most 500."),
        ],
        responses={(200, "application/json"): ResponseReportSerializer, **FILES, **REFUSED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("equity/", EquityReportView.as_view(), name="report-equity"),
    path("response-times/", ResponseTimesReportView.as_view(), name="report-response-times"),
]
