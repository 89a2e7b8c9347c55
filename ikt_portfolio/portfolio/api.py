"""REST resources of the portfolio plan: periods, budget frames, scenarios (create, lock, solve, compare), the
proposal of a period, the roadmap and the dashboard.

Everyone in a collaboration reads its plan; what one may change is decided by `services` (and refused there
with the reason: 403 not allowed, 400 not possible, nothing written). Rows of other collaborations answer 404,
as if they did not exist. `?collaboration=<id>` names the collaboration for the proposal, the roadmap and the
dashboard (default: the user's first).
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ikt_portfolio.core.api import ModelCleanSerializer, ScopedModelViewSet
from ikt_portfolio.core.rest import ScopedModelPermissions
from ikt_portfolio.members.api import collaboration_of
from ikt_portfolio.needs.assessment import breakdowns
from ikt_portfolio.workflow.api import PersonRefSerializer, RefusalSerializer

from . import selectors, services
from .models import BudgetFrame, Lock, Period, Scenario, ScenarioItem

REFUSED = {
    400: OpenApiResponse(RefusalSerializer, description="Not possible; says why. Nothing is written."),
    403: OpenApiResponse(RefusalSerializer, description="The user may not do this; says why."),
    404: OpenApiResponse(RefusalSerializer, description="Nothing such visible to the user."),
}


def person_ref(person) -> dict | None:
    if person is None:
        return None
    return {"id": person.pk, "name": person.user.get_full_name() or person.user.get_username()}


class NeedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()


def need_ref(need) -> dict:
    return {"id": need.pk, "reference": need.reference, "title": need.title}


# ------------------------------------------------------------------------------------------- periods


class PeriodSerializer(ModelCleanSerializer):
    label = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True, help_text="2026 for the year, 2026-t1 … 2026-t3 for a tertial.")

    class Meta:
        model = Period
        fields = ["id", "collaboration", "kind", "year", "number", "starts_on", "ends_on", "label", "slug"]
        read_only_fields = ["starts_on", "ends_on"]


class CandidateBreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    descriptor = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    contribution = serializers.DecimalField(max_digits=6, decimal_places=2)
    computed = serializers.BooleanField()


class CandidateSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    need = serializers.SerializerMethodField()
    service_area = serializers.CharField(source="need.service_area.localized_name")
    municipality = serializers.CharField(source="need.municipality.number")
    state = serializers.CharField(source="need.state")
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    assessed = serializers.BooleanField()
    cost = serializers.DecimalField(max_digits=15, decimal_places=2, allow_null=True, help_text="NOK.")
    effort = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True, help_text="Person-months.")
    has_estimate = serializers.BooleanField(help_text="Without one the item is never chosen automatically.")
    estimate_from = serializers.CharField(help_text="assessment, need, or empty.")
    breakdown = serializers.SerializerMethodField(help_text="How the score is made up, criterion by criterion.")

    @extend_schema_field(NeedRefSerializer)
    def get_need(self, candidate) -> dict:
        return need_ref(candidate.need)

    @extend_schema_field(CandidateBreakdownRowSerializer(many=True))
    def get_breakdown(self, candidate) -> list:
        found = self.context.get("breakdowns", {}).get(candidate.assessment.pk) if candidate.assessed else None
        return CandidateBreakdownRowSerializer(found["rows"], many=True).data if found else []


class ProposalTotalsSerializer(serializers.Serializer):
    candidates = serializers.IntegerField()
    without_estimate = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=17, decimal_places=2)
    effort = serializers.DecimalField(max_digits=10, decimal_places=1)
    budget = serializers.DecimalField(max_digits=15, decimal_places=2, allow_null=True)
    capacity = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    frame_decided = serializers.BooleanField()


def proposal_response(view, period: Period) -> Response:
    found = selectors.proposal(period)
    page = view.paginate_queryset(found.candidates)
    context = {"breakdowns": breakdowns([c.assessment for c in page if c.assessed])}
    response = view.get_paginated_response(CandidateSerializer(page, many=True, context=context).data)
    response.data["period"] = {
        "id": period.pk,
        "label": period.label,
        "slug": period.slug,
        "starts_on": period.starts_on,
        "ends_on": period.ends_on,
    }
    response.data["totals"] = ProposalTotalsSerializer(
        {
            "candidates": len(found.candidates),
            "without_estimate": found.unestimated,
            "cost": found.total_cost,
            "effort": found.total_effort,
            "budget": found.budget,
            "capacity": found.capacity,
            "frame_decided": bool(found.frame and found.frame.decided),
        }
    ).data
    response.data["scenarios"] = [{"id": s.pk, "name": s.name, "status": s.status} for s in found.scenarios]
    return response


class PeriodViewSet(ScopedModelViewSet):
    """Planning periods: a year, or one of its tertials. Members read them; administrators create them."""

    queryset = Period.objects.select_related("collaboration")
    serializer_class = PeriodSerializer
    permission_classes = [ScopedModelPermissions]
    filterset_fields = ["collaboration", "kind", "year"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    @extend_schema(summary="The period's proposal: its candidates ranked by score, beside the budget frame")
    @action(detail=True, methods=["get"], filter_backends=[])
    def proposal(self, request, pk=None):
        return proposal_response(self, self.get_object())


# ------------------------------------------------------------------------------------- budget frames


class ServicePermissions(ScopedModelPermissions):
    """Reading needs the model's view permission (from the capacities); whether the user may change this
    collaboration's plan is decided by `services`, which say why when they refuse."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", None) is None:
            return super().has_permission(request, view)
        model = view.queryset.model
        return user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")

    def has_object_permission(self, request, view, obj):
        return True


class BudgetFrameSerializer(serializers.ModelSerializer):
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = BudgetFrame
        fields = ["id", "period", "budget", "capacity", "note", "decided", "decided_by", "decided_at", "updated_at"]
        read_only_fields = ["decided", "decided_by", "decided_at", "updated_at"]

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_decided_by(self, frame) -> dict | None:
        return person_ref(frame.decided_by)


class BudgetFrameWriteSerializer(serializers.Serializer):
    period = serializers.IntegerField()
    budget = serializers.DecimalField(max_digits=15, decimal_places=2)
    capacity = serializers.DecimalField(max_digits=8, decimal_places=1)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BudgetFrameViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The budget (NOK) and delivery capacity (person-months) of a period. Set by the collaboration's
    administrators; POSTing for a period that has a frame changes it (refused once it is decided, or below
    the items a scenario following the frame has locked in)."""

    queryset = BudgetFrame.objects.select_related("period", "decided_by__user")
    permission_classes = [ServicePermissions]
    filterset_fields = ["period", "decided"]

    def get_queryset(self):
        return self.queryset.all().visible_to(self.request.user)

    def get_serializer_class(self):
        return BudgetFrameWriteSerializer if self.action == "create" else BudgetFrameSerializer

    @extend_schema(request=BudgetFrameWriteSerializer, responses={201: BudgetFrameSerializer, **REFUSED})
    def create(self, request, *args, **kwargs):
        payload = BudgetFrameWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        period = get_object_or_404(Period.objects.visible_to(request.user), pk=data.pop("period"))
        frame = services.set_budget_frame(period, request.user, **data)
        return Response(BudgetFrameSerializer(frame).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: BudgetFrameSerializer, **REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[])
    def decide(self, request, pk=None):
        """Record that the frame is decided (by whom, when); it can no longer change."""
        frame = services.decide_budget_frame(self.get_object(), request.user)
        return Response(BudgetFrameSerializer(frame).data)


# -------------------------------------------------------------------------------------------- scenarios


class ScenarioSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="not_solved, optimal or feasible (not proven best).")
    created_by = serializers.SerializerMethodField()
    solved_by = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Scenario
        fields = ["id", "period", "name", "budget", "capacity", "status", "stale", "budget_used", "capacity_used",
                  "objective", "total_cost", "total_effort", "solved_at", "solved_by", "solve_ms", "created_by",
                  "created_at", "links"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_created_by(self, scenario) -> dict | None:
        return person_ref(scenario.created_by)

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_solved_by(self, scenario) -> dict | None:
        return person_ref(scenario.solved_by)

    def get_links(self, scenario) -> dict:
        return {
            "items": reverse("portfolio-scenario-items", args=[scenario.pk]),
            "lock": reverse("portfolio-scenario-lock", args=[scenario.pk]),
            "solve": reverse("portfolio-scenario-solve", args=[scenario.pk]),
            "compare": reverse("portfolio-scenario-compare", args=[scenario.pk]) + "?with=<id>",
        }


class ScenarioWriteSerializer(serializers.Serializer):
    period = serializers.IntegerField(required=False, help_text="Only when creating.")
    name = serializers.CharField(max_length=120, required=False)
    budget = serializers.DecimalField(
        max_digits=15, decimal_places=2, required=False, allow_null=True, help_text="Empty: the frame's."
    )
    capacity = serializers.DecimalField(
        max_digits=8, decimal_places=1, required=False, allow_null=True, help_text="Empty: the frame's."
    )


class ScenarioItemSerializer(serializers.ModelSerializer):
    need = serializers.SerializerMethodField()
    reason_text = serializers.SerializerMethodField(help_text="Why it is in or out, in the user's language.")
    locked_by = serializers.SerializerMethodField()

    class Meta:
        model = ScenarioItem
        fields = ["need", "rank", "lock", "lock_note", "locked_by", "locked_at", "chosen", "reason", "reason_text",
                  "reason_values", "score", "cost", "effort"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(NeedRefSerializer)
    def get_need(self, item) -> dict:
        return need_ref(item.need)

    def get_reason_text(self, item) -> str:
        return services.reason_text(item) if item.reason else ""

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_locked_by(self, item) -> dict | None:
        return person_ref(item.locked_by)


class LockSerializer(serializers.Serializer):
    need = serializers.IntegerField(help_text="The need's id.")
    lock = serializers.ChoiceField(choices=Lock.values, allow_blank=True, help_text="in, out, or empty to release.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CompareSideSerializer(serializers.Serializer):
    scenario = serializers.IntegerField(source="scenario.pk")
    name = serializers.CharField(source="scenario.name")
    chosen = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=12, decimal_places=2)
    cost = serializers.DecimalField(max_digits=17, decimal_places=2)
    effort = serializers.DecimalField(max_digits=10, decimal_places=1)
    budget = serializers.DecimalField(max_digits=15, decimal_places=2, allow_null=True)
    capacity = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)


class ScenarioViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Scenarios of a period: the council's locks and the solver's answer. Created, changed, locked and solved
    by the portfolio council's chair and secretary and the collaboration's administrators."""

    queryset = Scenario.objects.select_related("period", "created_by__user", "solved_by__user")
    serializer_class = ScenarioSerializer
    permission_classes = [ServicePermissions]
    filterset_fields = ["period", "status"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return self.queryset.all().visible_to(self.request.user)

    @extend_schema(request=ScenarioWriteSerializer, responses={201: ScenarioSerializer, **REFUSED})
    def create(self, request, *args, **kwargs):
        payload = ScenarioWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if "period" not in data:
            raise serializers.ValidationError({"period": [_("Name the period.")]})
        period = get_object_or_404(Period.objects.visible_to(request.user), pk=data.pop("period"))
        scenario = services.create_scenario(period, request.user, name=data.get("name", ""), budget=data.get("budget"),
                                            capacity=data.get("capacity"))  # fmt: skip
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScenarioWriteSerializer, responses={200: ScenarioSerializer, **REFUSED})
    def partial_update(self, request, *args, **kwargs):
        scenario = self.get_object()
        payload = ScenarioWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if "name" in data:
            scenario = services.rename_scenario(scenario, request.user, data["name"])
        if "budget" in data or "capacity" in data:
            scenario = services.set_scenario_limits(
                scenario,
                request.user,
                budget=data.get("budget", scenario.budget),
                capacity=data.get("capacity", scenario.capacity),
            )
        return Response(ScenarioSerializer(self.get_queryset().get(pk=scenario.pk)).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.delete_scenario(instance, self.request.user)

    @extend_schema(
        summary="The scenario's items: chosen or left out, and why",
        parameters=[OpenApiParameter("chosen", bool, description="Only the chosen (true) or left out (false).")],
        responses={200: ScenarioItemSerializer(many=True), 404: REFUSED[404]},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def items(self, request, pk=None):
        scenario = self.get_object()
        items = ScenarioItem.objects.filter(scenario=scenario).select_related("need", "locked_by__user")
        chosen = request.query_params.get("chosen")
        if chosen in ("true", "false"):
            items = items.filter(chosen=chosen == "true")
        page = self.paginate_queryset(items.order_by("-chosen", "rank", "pk"))
        return self.get_paginated_response(ScenarioItemSerializer(page, many=True).data)

    @extend_schema(
        summary="Lock an item in or out, or release it",
        request=LockSerializer,
        responses={200: ScenarioItemSerializer, **REFUSED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def lock(self, request, pk=None):
        """The scenario is out of date afterwards: solve it again."""
        scenario = self.get_object()
        payload = LockSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        item = services.lock(scenario, request.user, data["need"], data["lock"], note=data["note"])
        item = ScenarioItem.objects.select_related("need", "locked_by__user").get(pk=item.pk)
        return Response(ScenarioItemSerializer(item).data)

    @extend_schema(summary="Solve: the best set under the budget and capacity", request=None,
                   responses={200: ScenarioSerializer, **REFUSED})  # fmt: skip
    @action(detail=True, methods=["post"], filter_backends=[])
    def solve(self, request, pk=None):
        scenario = services.solve(self.get_object(), request.user)
        return Response(ScenarioSerializer(self.get_queryset().get(pk=scenario.pk)).data)

    @extend_schema(
        summary="Compare with another scenario",
        parameters=[OpenApiParameter("with", int, required=True, description="The other scenario's id.")],
        responses={200: OpenApiResponse(description="a, b (totals), both, only_a, only_b (chosen items)"), **REFUSED},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def compare(self, request, pk=None):
        a = self.get_object()
        try:
            other = int(request.query_params.get("with", ""))
        except ValueError as error:
            raise NotFound() from error
        b = get_object_or_404(self.get_queryset(), pk=other)
        result = services.compare(a, b)

        def items(found):
            return ScenarioItemSerializer(found, many=True).data

        return Response(
            {
                "a": CompareSideSerializer(result["a"]).data,
                "b": CompareSideSerializer(result["b"]).data,
                "both": items([pair[0] for pair in result["both"]]),
                "only_a": items(result["only_a"]),
                "only_b": items(result["only_b"]),
            }
        )


# -------------------------------------------------------------------------- proposal, roadmap, dashboard


COLLABORATION = OpenApiParameter("collaboration", int, description="Default: the user's first collaboration.")


class ProposalViewSet(viewsets.GenericViewSet):
    """The proposal of a period named by `?period=2026` or `?period=2026-t1` (default: this year)."""

    queryset = Period.objects.none()  # for the schema; the candidates come from `selectors.proposal`
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[COLLABORATION, OpenApiParameter("period", str, description="2026, or 2026-t1 … 2026-t3.")],
        responses={200: CandidateSerializer(many=True), 404: REFUSED[404]},
    )
    def list(self, request):
        collaboration = collaboration_of(request)
        slug = request.query_params.get("period")
        if slug:
            parsed = services.parse_period(slug)
            if parsed is None:
                raise NotFound()
            period = services.period_of(collaboration, *parsed)
        else:
            period = services.current_period(collaboration)
        return proposal_response(self, period)


class RoadmapViewSet(viewsets.ViewSet):
    """The decided items of a year (`?year=`, default this year) by tertial and service area."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    @extend_schema(
        parameters=[COLLABORATION, OpenApiParameter("year", int)],
        responses={200: OpenApiResponse(description="periods, and per service area the items of each period")},
    )
    def list(self, request):
        collaboration = collaboration_of(request)
        try:
            year = int(request.query_params.get("year") or timezone.localdate().year)
        except ValueError as error:
            raise NotFound() from error
        found = selectors.roadmap(collaboration, min(max(year, 2000), 2100))
        return Response(
            {
                "year": found.year,
                "periods": [
                    {"label": p.label, "slug": p.slug, "starts_on": p.starts_on, "ends_on": p.ends_on}
                    for p in found.periods
                ],  # fmt: skip
                "service_areas": [
                    {
                        "id": row["service_area"].pk,
                        "name": row["service_area"].localized_name,
                        "periods": [[need_ref(need) for need in cell] for cell in row["cells"]],
                    }
                    for row in found.rows
                ],
                "count": found.count,
            }
        )


class DashboardViewSet(viewsets.ViewSet):
    """Counts of the collaboration's needs: by status, the funnel, by service area, municipality and size
    segment (each split by stage), and the median days from submission to decision."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    @extend_schema(parameters=[COLLABORATION], responses={200: OpenApiResponse(description="the dashboard")})
    def list(self, request):
        found = selectors.dashboard(collaboration_of(request))

        def bars(found_bars):
            return [{"key": b.key, "label": b.label, "count": b.count, **({"stages": b.counts} if b.counts else {})}
                    for b in found_bars]  # fmt: skip

        return Response(
            {
                "total": found.total,
                "stages": [{"key": key, "label": label} for key, label in found.stages],
                "by_status": bars(found.by_status),
                "funnel": bars(found.funnel),
                "by_service_area": bars(found.by_service_area),
                "by_municipality": bars(found.by_municipality),
                "by_size_segment": bars(found.by_segment),
                "decided": found.decided,
                "median_days_to_decision": found.median_days,
                "median_days_by_service_area": [
                    {"service_area": area.pk, "name": area.localized_name, "decided": decided, "median_days": days}
                    for area, decided, days in found.median_by_service_area
                ],
            }
        )


def register(router) -> None:
    router.register("portfolio/periods", PeriodViewSet, basename="portfolio-period")
    router.register("portfolio/budget-frames", BudgetFrameViewSet, basename="portfolio-budget-frame")
    router.register("portfolio/scenarios", ScenarioViewSet, basename="portfolio-scenario")
    router.register("portfolio/proposal", ProposalViewSet, basename="portfolio-proposal")
    router.register("portfolio/roadmap", RoadmapViewSet, basename="portfolio-roadmap")
    router.register("portfolio/dashboard", DashboardViewSet, basename="portfolio-dashboard")
