"""REST resources of benefits realisation: benefits, indicators, member targets (with their realisation),
measurements (recorded through `services.record_measurement`: the same refusals as the portal, 400 with the
reason and nothing written; 403 for someone who may not record for that member) and a member's report.

Everyone in a collaboration reads its benefits plans; rows of other collaborations answer 404. A member's report
is for that municipality's people and the collaboration's administrators.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ikt_portfolio.core.api import ModelCleanSerializer, ScopedModelViewSet
from ikt_portfolio.core.rest import ScopedModelPermissions
from ikt_portfolio.costs.api import member_and_year
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from . import lifecycle, services
from .models import Benefit, Indicator, Measurement, MemberTarget


def _text(value) -> str | None:
    return None if value is None else str(value)


class BenefitSerializer(ModelCleanSerializer):
    state_name = serializers.SerializerMethodField(help_text="The lifecycle state's name in the reader's language.")

    class Meta:
        model = Benefit
        fields = ["id", "project", "name", "type", "description", "service_area", "gain", "monetary", "yearly_value",
                  "state", "state_name"]  # fmt: skip
        read_only_fields = ["state"]

    def get_state_name(self, benefit) -> str | None:
        return state_name(benefit) if benefit.state else None


class IndicatorSerializer(ModelCleanSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "benefit", "name", "unit", "direction", "method", "schedule", "plausible_min", "plausible_max"]


class MemberTargetSerializer(ModelCleanSerializer):
    realisation = serializers.SerializerMethodField()

    class Meta:
        model = MemberTarget
        fields = ["id", "indicator", "municipality", "baseline_date", "baseline_value", "target_value",
                  "target_date", "owner", "realisation"]  # fmt: skip

    def get_realisation(self, target) -> dict | None:
        progress = services.realisation(
            target.baseline_value,
            target.target_value,
            getattr(target, "latest_value", None),
            target.indicator.direction,
        )
        if progress is None:
            return None
        return {"raw": _text(progress.raw), "shown": _text(progress.shown), "percent": progress.percent}


class MeasurementSerializer(serializers.ModelSerializer):
    confirm_implausible = serializers.BooleanField(write_only=True, required=False, default=False)
    value = serializers.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        model = Measurement
        fields = ["id", "target", "period", "value", "note", "confirmed_implausible", "confirm_implausible",
                  "entered_by", "entered_at"]  # fmt: skip
        read_only_fields = ["confirmed_implausible", "entered_by", "entered_at"]


class BenefitViewSet(ScopedModelViewSet):
    """Benefits of the projects. `member-report` sets a member's benefits against its cost share in a year."""

    queryset = Benefit.objects.select_related("project", "service_area")
    serializer_class = BenefitSerializer
    permission_classes = [ScopedModelPermissions]
    filterset_fields = ["project", "type", "gain", "monetary", "service_area", "state"]

    def get_queryset(self):
        return with_state_names(super().get_queryset())

    def perform_create(self, serializer):
        """Through `lifecycle.create_benefit`: the new benefit starts in the collaboration's benefit routing."""
        fields = dict(serializer.validated_data)
        project = fields.pop("project")
        try:
            benefit = lifecycle.create_benefit(project, self.request.user, **fields)  # audited in its capacity
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except ValidationError as error:
            raise exceptions.ValidationError(serializers.as_serializer_error(error)) from error
        serializer.instance = with_state_names(Benefit.objects.filter(pk=benefit.pk)).select_related("project").get()

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int),
            OpenApiParameter("municipality", int, description="Default: your own municipality."),
            OpenApiParameter("collaboration", int, description="Default: your first collaboration."),
        ],
        summary="A member's report: per project its cost share, benefits (measured or planned) and net benefit",
    )
    @action(detail=False, methods=["get"], url_path="member-report", filter_backends=[])
    def member_report(self, request):
        collaboration, municipality, year = member_and_year(request)
        return Response(report_data(services.member_report(municipality, collaboration, year)))


def report_data(report) -> dict:
    return {
        "collaboration": report.collaboration.pk,
        "municipality": report.municipality.pk,
        "year": report.year,
        "cost": _text(report.cost),
        "benefits": _text(report.benefit_total),
        "net": _text(report.net),
        "projects": [
            {
                "project": line.project.pk,
                "reference": line.project.reference,
                "title": line.project.title,
                "status": line.status,
                "cost": _text(line.cost),
                "benefits": _text(line.benefit_total),
                "net": _text(line.net),
                "cost_errors": line.cost_errors,
                "benefit_lines": [
                    {
                        "benefit": b.benefit.pk,
                        "name": b.benefit.name,
                        "type": b.benefit.type,
                        "monetary": b.benefit.monetary,
                        "basis": b.basis,
                        "realisation": _text(b.realisation),
                        "value": _text(b.value),
                        "indicators": [
                            {
                                "indicator": i.indicator.pk,
                                "target": i.target.pk if i.target else None,
                                "latest_period": i.latest.period if i.latest else None,
                                "latest_value": _text(i.latest.value) if i.latest else None,
                                "progress": _text(i.progress.raw) if i.progress else None,
                            }
                            for i in b.indicators
                        ],
                    }
                    for b in line.benefits
                ],
            }
            for line in report.projects
        ],
    }


class IndicatorViewSet(ScopedModelViewSet):
    queryset = Indicator.objects.select_related("benefit")
    serializer_class = IndicatorSerializer
    permission_classes = [ScopedModelPermissions]
    filterset_fields = ["benefit", "direction", "schedule"]


class MemberTargetViewSet(ScopedModelViewSet):
    """Each participating member's baseline, target and benefit owner, with its realisation (latest value)."""

    queryset = MemberTarget.objects.select_related("indicator", "municipality").annotate(
        latest_value=Subquery(Measurement.objects.filter(target=OuterRef("pk")).order_by("-period").values("value")[:1])
    )
    serializer_class = MemberTargetSerializer
    permission_classes = [ScopedModelPermissions]
    filterset_fields = ["indicator", "municipality", "owner"]


class MeasurementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Measurements: read by the collaboration; created by the member's benefit owner, the project's owner or
    manager or an administrator, with the portal's refusals (400, nothing written)."""

    queryset = Measurement.objects.select_related("target")
    serializer_class = MeasurementSerializer
    permission_classes = [ScopedModelPermissions]
    filterset_fields = ["target", "period", "target__municipality"]

    def get_queryset(self):
        return self.queryset.all().visible_to(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        target = MemberTarget.objects.visible_to(self.request.user).filter(pk=data["target"].pk).first()
        if target is None:
            raise exceptions.ValidationError({"target": ["Unknown member target."]})
        try:
            serializer.instance = services.record_measurement(
                target,
                self.request.user,
                data["period"],
                Decimal(data["value"]),
                data.get("confirm_implausible", False),
                data.get("note", ""),
            )
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except ValidationError as error:
            raise exceptions.ValidationError(serializers.as_serializer_error(error)) from error


def register(router) -> None:
    router.register("benefits/benefits", BenefitViewSet, basename="benefits-benefit")
    router.register("benefits/indicators", IndicatorViewSet, basename="benefits-indicator")
    router.register("benefits/targets", MemberTargetViewSet, basename="benefits-target")
    router.register("benefits/measurements", MeasurementViewSet, basename="benefits-measurement")
    from . import api_reports  # the portfolio-wide report (read-only)

    api_reports.register(router)
    from . import api_timeline  # benefits over time (read-only)

    api_timeline.register(router)
