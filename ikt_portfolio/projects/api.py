"""The projects API: the list (everyone in the collaboration), a project with its record (those who may see
its page, see `permissions`), making a project from approved needs, and the record's changes through
`services` (refusals: 400 with the reason, 403 for those who may not; nothing written). Gate actions and
board votes go through the workflow API (/api/v1/workflow/documents/ikt_projects.project/<id>/perform/ and
/vote/), where the gate's checklist is enforced as everywhere else."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ikt_portfolio.core.rest import Pagination
from ikt_portfolio.members.models import Municipality, Person
from ikt_portfolio.needs.models import Need
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from . import services
from .costs import project_shares
from .models import (
    ActualCost,
    BudgetLine,
    GateChecklistItem,
    Participation,
    Project,
    Rag,
    ReceivingProject,
    Risk,
    StatusReport,
)


def choice(choices, **kwargs) -> serializers.CharField:
    """A choice as a plain string in the schema (one value set, e.g. red/amber/green, is used by several
    fields; enums would collide in the OpenAPI names); the services check the value against the choices."""
    kwargs.setdefault("help_text", " / ".join(choices.values))
    return serializers.CharField(max_length=20, **kwargs)


class ParticipationSerializer(serializers.ModelSerializer):
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)
    status = choice(Participation.Status, read_only=True)

    class Meta:
        model = Participation
        fields = ["municipality", "municipality_name", "status", "postponed_until", "reason", "decided_at"]


class ReceivingProjectSerializer(serializers.ModelSerializer):
    status = choice(ReceivingProject.Status, read_only=True)

    class Meta:
        model = ReceivingProject
        fields = ["municipality", "owner", "status", "notes"]


class BudgetLineSerializer(serializers.ModelSerializer):
    kind = choice(BudgetLine.Kind, read_only=True)

    class Meta:
        model = BudgetLine
        fields = ["id", "year", "kind", "amount", "note", "key"]


class ActualCostSerializer(serializers.ModelSerializer):
    kind = choice(BudgetLine.Kind, read_only=True)

    class Meta:
        model = ActualCost
        fields = ["id", "date", "kind", "amount", "description"]


class StatusReportSerializer(serializers.ModelSerializer):
    scope = choice(Rag, read_only=True)
    time = choice(Rag, read_only=True)
    cost = choice(Rag, read_only=True)
    benefits = choice(Rag, read_only=True)

    class Meta:
        model = StatusReport
        fields = ["id", "period_end", "scope", "time", "cost", "benefits", "comment", "reported_at"]


class RiskSerializer(serializers.ModelSerializer):
    score = serializers.IntegerField(read_only=True)
    status = choice(Risk.Status, read_only=True)

    class Meta:
        model = Risk
        fields = ["id", "description", "probability", "consequence", "score", "owner", "mitigation", "status"]


class ProjectListSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    phase = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "reference", "title", "state", "phase", "owner", "manager", "service_areas", "created_at"]

    def get_phase(self, project) -> str:
        return state_name(project)


class ProjectSerializer(ProjectListSerializer):
    participations = ParticipationSerializer(many=True, read_only=True)
    receiving_projects = ReceivingProjectSerializer(many=True, read_only=True)
    budget_lines = BudgetLineSerializer(many=True, read_only=True)
    actual_costs = ActualCostSerializer(many=True, read_only=True)
    status_reports = StatusReportSerializer(many=True, read_only=True)
    risks = RiskSerializer(many=True, read_only=True)

    class Meta(ProjectListSerializer.Meta):
        fields = [
            *ProjectListSerializer.Meta.fields,
            "description",
            "needs",
            "expected_benefits",
            "expected_benefit_nok",
            "estimated_cost",
            "estimated_effort",
            "participations",
            "receiving_projects",
            "budget_lines",
            "actual_costs",
            "status_reports",
            "risks",
        ]


class FromNeedsSerializer(serializers.Serializer):
    needs = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=50)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ParticipationInput(serializers.Serializer):
    municipality = serializers.IntegerField()
    status = choice(Participation.Status)
    postponed_until = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class BudgetLineInput(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    kind = choice(BudgetLine.Kind)
    amount = serializers.CharField(max_length=30)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    key = serializers.IntegerField(required=False, allow_null=True)


class StatusReportInput(serializers.Serializer):
    scope = choice(Rag)
    time = choice(Rag)
    cost = choice(Rag)
    benefits = choice(Rag)
    comment = serializers.CharField(max_length=5000)
    period_end = serializers.DateField(required=False, allow_null=True)


class RiskInput(serializers.Serializer):
    description = serializers.CharField(max_length=5000)
    probability = serializers.IntegerField()
    consequence = serializers.IntegerField()
    owner = serializers.IntegerField(required=False, allow_null=True)
    mitigation = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    status = choice(Risk.Status, default=Risk.Status.OPEN)


class ChecklistInput(serializers.Serializer):
    item = serializers.IntegerField()
    done = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = Pagination
    queryset = Project.objects.all()

    def get_queryset(self):
        projects = Project.objects.all()
        if self.action == "list":
            projects = projects.visible_to(self.request.user)
            if self.request.query_params.get("state"):
                projects = projects.filter(state=self.request.query_params["state"])
        else:
            projects = projects.readable_by(self.request.user)
        return with_state_names(projects.prefetch_related("service_areas")).order_by("-created_at", "-pk")

    def get_serializer_class(self):
        if self.action == "list":
            return ProjectListSerializer
        return ProjectSerializer

    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        project = (
            with_state_names(Project.objects.filter(pk=project.pk))
            .prefetch_related(
                "service_areas",
                "needs",
                "participations__municipality",
                "receiving_projects",
                "budget_lines",
                "actual_costs",
                "status_reports",
                "risks",
            )
            .get()
        )
        return Response(ProjectSerializer(project).data)

    @extend_schema(request=FromNeedsSerializer, responses={201: ProjectSerializer})
    @action(detail=False, methods=["post"], url_path="from-needs")
    def from_needs(self, request):
        data = FromNeedsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        needs = list(Need.objects.visible_to(request.user).filter(pk__in=data.validated_data["needs"]))
        if len(needs) != len(set(data.validated_data["needs"])):
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        project = services.create_project_from_needs(
            needs,
            request.user,
            title=data.validated_data.get("title", ""),
            comment=data.validated_data.get("comment", ""),
        )
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ParticipationInput, responses=ParticipationSerializer)
    @action(detail=True, methods=["post"])
    def participation(self, request, pk=None):
        project = self.get_object()
        data = ParticipationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        municipality = get_object_or_404(Municipality, pk=values["municipality"])
        participation = services.set_participation(
            project,
            municipality,
            request.user,
            status=values["status"],
            postponed_until=values.get("postponed_until"),
            reason=values.get("reason", ""),
        )
        return Response(ParticipationSerializer(participation).data)

    @extend_schema(request=BudgetLineInput, responses=BudgetLineSerializer)
    @action(detail=True, methods=["post"], url_path="budget-lines")
    def budget_lines(self, request, pk=None):
        from ikt_portfolio.costs.models import CostKey

        project = self.get_object()
        data = BudgetLineInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        key = None
        if values.get("key"):
            key = get_object_or_404(CostKey.objects.visible_to(request.user), pk=values["key"])
        line = services.set_budget_line(
            project,
            request.user,
            year=values["year"],
            kind=values["kind"],
            amount=values["amount"],
            note=values.get("note", ""),
            key=key,
        )
        return Response(BudgetLineSerializer(line).data)

    @extend_schema(request=StatusReportInput, responses={201: StatusReportSerializer})
    @action(detail=True, methods=["post"], url_path="status-reports")
    def status_reports(self, request, pk=None):
        project = self.get_object()
        data = StatusReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.add_status_report(project, request.user, **data.validated_data)
        return Response(StatusReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RiskInput, responses={201: RiskSerializer})
    @action(detail=True, methods=["post"])
    def risks(self, request, pk=None):
        project = self.get_object()
        data = RiskInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        owner_id = values.pop("owner", None)
        owner = get_object_or_404(Person.objects.visible_to(request.user), pk=owner_id) if owner_id else None
        risk = services.add_risk(project, request.user, owner=owner, **values)
        return Response(RiskSerializer(risk).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChecklistInput)
    @action(detail=True, methods=["get", "post"])
    def checklist(self, request, pk=None):
        project = self.get_object()
        if request.method == "POST":
            data = ChecklistInput(data=request.data)
            data.is_valid(raise_exception=True)
            item = get_object_or_404(
                GateChecklistItem, pk=data.validated_data["item"], workflow__collaboration=project.collaboration_id
            )
            services.answer_checklist(
                project,
                item,
                request.user,
                done=data.validated_data["done"],
                note=data.validated_data.get("note", ""),
            )
        return Response(
            [
                {
                    "item": item.pk,
                    "gate": item.action,
                    "text": item.localized_name,
                    "done": bool(answer and answer.done),
                    "note": answer.note if answer else "",
                }
                for item, answer in services.checklist(project)
            ]
        )

    @action(detail=True, methods=["get"])
    def shares(self, request, pk=None):
        """Each participating member's share of the project's keyed budget lines, per year and in all."""
        result = project_shares(self.get_object())
        return Response(
            {
                "years": result.years,
                "total": str(result.total),
                "errors": result.errors,
                "members": [
                    {
                        "municipality": member.municipality.pk,
                        "name": member.municipality.name,
                        "status": member.status,
                        "by_year": {str(year): str(amount) for year, amount in member.by_year.items()},
                        "total": str(member.total),
                    }
                    for member in result.members
                ],
            }
        )


def register(router) -> None:
    router.register("projects", ProjectViewSet, basename="project")
