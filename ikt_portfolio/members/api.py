"""REST resources of the members domain; scoped exactly like the Desk (see permissions.py)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from ikt_portfolio.core.api import ModelCleanSerializer, ScopedModelViewSet

from . import selectors, services
from .forms import MAX_IMPORT_BYTES
from .models import (
    Body,
    BodyMembership,
    Collaboration,
    LegalFormPeriod,
    Membership,
    Municipality,
    Person,
    PopulationFigure,
    RoleAssignment,
    ServiceArea,
)


def collaboration_of(request) -> Collaboration:
    """The collaboration named by `?collaboration=` among those the user sees, else the user's first; 404 for
    any other (like one that does not exist) and for a user in none."""
    wanted = request.query_params.get("collaboration")
    if wanted:
        try:
            return Collaboration.objects.visible_to(request.user).get(pk=int(wanted))
        except (ValueError, Collaboration.DoesNotExist) as error:
            raise NotFound() from error
    found = selectors.primary_collaboration(request.user)
    if found is None:
        raise NotFound()
    return found


class MunicipalitySerializer(ModelCleanSerializer):
    class Meta:
        model = Municipality
        fields = ["id", "number", "name", "county", "kind", "dissolved_on"]


class PopulationFigureSerializer(ModelCleanSerializer):
    class Meta:
        model = PopulationFigure
        fields = ["id", "municipality", "year", "population", "source"]


class LegalFormPeriodSerializer(ModelCleanSerializer):
    class Meta:
        model = LegalFormPeriod
        fields = ["id", "collaboration", "legal_form", "valid_from", "valid_to", "decision_reference"]


class CollaborationSerializer(ModelCleanSerializer):
    legal_forms = LegalFormPeriodSerializer(many=True, read_only=True)

    class Meta:
        model = Collaboration
        fields = [
            "id",
            "name",
            "short_name",
            "governance_model",
            "host_municipality",
            "small_max_population",
            "medium_max_population",
            "note",
            "legal_forms",
        ]


class MembershipSerializer(ModelCleanSerializer):
    municipality_number = serializers.CharField(source="municipality.number", read_only=True)
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)
    population = serializers.IntegerField(read_only=True, allow_null=True)
    size_segment = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "collaboration",
            "municipality",
            "municipality_number",
            "municipality_name",
            "role",
            "valid_from",
            "valid_to",
            "population",
            "size_segment",
        ]

    def get_size_segment(self, obj) -> str | None:
        return obj.collaboration.size_segment(getattr(obj, "population", None))


class ServiceAreaSerializer(ModelCleanSerializer):
    class Meta:
        model = ServiceArea
        fields = ["id", "collaboration", "code", "name", "name_nn", "name_en", "order"]


class BodySerializer(ModelCleanSerializer):
    class Meta:
        model = Body
        fields = ["id", "collaboration", "kind", "name", "name_nn", "name_en", "service_area", "description"]


class BodyMembershipSerializer(ModelCleanSerializer):
    capacity = serializers.CharField(read_only=True)

    class Meta:
        model = BodyMembership
        fields = ["id", "body", "person", "role", "represents", "valid_from", "valid_to", "capacity"]


class PersonSerializer(ModelCleanSerializer):
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "user", "username", "name", "municipality", "staff_of", "job_title", "language"]


class RoleAssignmentSerializer(ModelCleanSerializer):
    class Meta:
        model = RoleAssignment
        fields = ["id", "person", "collaboration", "capacity", "municipality", "valid_from", "valid_to"]


class PopulationImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    source = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MunicipalityViewSet(ScopedModelViewSet):
    queryset = Municipality.objects.all()
    serializer_class = MunicipalitySerializer
    filterset_fields = ["kind", "county"]
    search_fields = ["number", "name"]
    ordering_fields = ["number", "name"]


class PopulationFigureViewSet(ScopedModelViewSet):
    queryset = PopulationFigure.objects.select_related("municipality")
    serializer_class = PopulationFigureSerializer
    filterset_fields = ["municipality", "year"]
    ordering_fields = ["year", "population"]

    @extend_schema(request=PopulationImportSerializer, responses={200: None, 400: None})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[parsers.MultiPartParser])
    def import_csv(self, request):
        """Import an SSB-style CSV (all or nothing); the answer lists every bad line."""
        if not services.can_import_population(request.user):
            raise PermissionDenied()
        payload = PopulationImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError({"file": [_("The file is larger than 5 MB.")]})
        try:
            text = services.decode_upload(upload.read())
        except ValueError as error:
            raise serializers.ValidationError({"file": [str(error)]}) from error
        report = services.import_population(text, user=request.user, source=payload.validated_data["source"])
        body = {
            "rows_read": report.rows_read,
            "created": report.created,
            "updated": report.updated,
            "errors": [{"line": line, "message": message} for line, message in report.errors],
        }
        return Response(body, status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST)


class CollaborationViewSet(ScopedModelViewSet):
    queryset = Collaboration.objects.prefetch_related("legal_forms")
    serializer_class = CollaborationSerializer
    search_fields = ["name", "short_name"]


class LegalFormPeriodViewSet(ScopedModelViewSet):
    queryset = LegalFormPeriod.objects.all()
    serializer_class = LegalFormPeriodSerializer
    filterset_fields = ["collaboration", "legal_form"]


class MembershipViewSet(ScopedModelViewSet):
    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    filterset_fields = ["collaboration", "municipality", "role"]
    search_fields = ["municipality__name", "municipality__number"]

    def get_queryset(self):
        return selectors.memberships_with_population(super().get_queryset(), timezone.localdate())


class ServiceAreaViewSet(ScopedModelViewSet):
    queryset = ServiceArea.objects.all()
    serializer_class = ServiceAreaSerializer
    filterset_fields = ["collaboration"]


class BodyViewSet(ScopedModelViewSet):
    queryset = Body.objects.all()
    serializer_class = BodySerializer
    filterset_fields = ["collaboration", "kind", "service_area"]
    search_fields = ["name"]


class BodyMembershipViewSet(ScopedModelViewSet):
    queryset = BodyMembership.objects.select_related("body")
    serializer_class = BodyMembershipSerializer
    filterset_fields = ["body", "person", "role"]


class PersonViewSet(ScopedModelViewSet):
    queryset = Person.objects.select_related("user")
    serializer_class = PersonSerializer
    filterset_fields = ["municipality", "staff_of"]
    search_fields = ["user__first_name", "user__last_name", "job_title"]


class RoleAssignmentViewSet(ScopedModelViewSet):
    queryset = RoleAssignment.objects.all()
    serializer_class = RoleAssignmentSerializer
    filterset_fields = ["collaboration", "person", "capacity"]


def register(router) -> None:
    router.register("municipalities", MunicipalityViewSet)
    router.register("population-figures", PopulationFigureViewSet)
    router.register("collaborations", CollaborationViewSet)
    router.register("legal-form-periods", LegalFormPeriodViewSet)
    router.register("memberships", MembershipViewSet)
    router.register("service-areas", ServiceAreaViewSet)
    router.register("bodies", BodyViewSet)
    router.register("body-memberships", BodyMembershipViewSet)
    router.register("people", PersonViewSet)
    router.register("role-assignments", RoleAssignmentViewSet)
