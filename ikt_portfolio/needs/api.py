"""REST resources of needs: reporting, reading and editing needs, co-signing, comments, following, goals and
CSV/XLSX exports of any filtered list.

Views parse the request, call one service and render the answer; the rules live in `services` (reporting,
co-signing, comments, following) and in the workflow (`may_edit`: who may change which field in which state;
the actions themselves are at /api/v1/workflow/documents/ikt_needs.need/<id>/). Lists and exports read
`selectors.needs_for`, so they show exactly what the user may see: the submitted needs of their
collaborations, and drafts only to their submitter and the collaboration's administrators. A need the user
may not see answers 404, like one that does not exist.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ikt_portfolio.core.api import ModelCleanSerializer, ScopedModelViewSet
from ikt_portfolio.core.audit import capacity_label
from ikt_portfolio.core.rest import ScopedModelPermissions
from ikt_portfolio.members.models import ServiceArea
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.api import DocumentStateSerializer, PersonRefSerializer, RefusalSerializer
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from . import assessment as assessment_rules
from . import attachments as attachment_rules
from . import exports, selectors, services
from .models import Assessment, Attachment, Comment, CoSign, Follow, Goal, Need

DOCUMENT_TYPE = Need._meta.label_lower  # "ikt_needs.need", as the workflow API addresses it

# -------------------------------------------------------------------------------------------- serializers


class ServiceAreaRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="localized_name")


class MunicipalityRefSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="Kommunenummer.")
    name = serializers.CharField()


class NeedLinksSerializer(serializers.Serializer):
    self = serializers.CharField()
    workflow = serializers.CharField(help_text="The need's status and the actions the user may take now.")
    history = serializers.CharField()
    co_sign = serializers.CharField()
    comments = serializers.CharField()
    follow = serializers.CharField()


def person_ref(person) -> dict:
    user = person.user
    return {"id": person.pk, "name": user.get_full_name() or user.get_username()}


class NeedListSerializer(serializers.ModelSerializer):
    """A row of a need list (rows come from `selectors.needs_for`, with the annotations it adds)."""

    reference = serializers.CharField(read_only=True, help_text="B-<number>, numbered per collaboration.")
    state = serializers.SerializerMethodField()
    service_area = ServiceAreaRefSerializer(read_only=True)
    municipality = MunicipalityRefSerializer(read_only=True)
    submitted_by = serializers.SerializerMethodField()
    urgency_label = serializers.CharField(source="get_urgency_display", read_only=True)
    co_sign_count = serializers.IntegerField(read_only=True)
    size_segment = serializers.CharField(
        read_only=True, allow_null=True, help_text="small, medium or large: the municipality's size segment."
    )
    links = serializers.SerializerMethodField()

    class Meta:
        model = Need
        fields = [
            "id",
            "reference",
            "number",
            "title",
            "state",
            "service_area",
            "municipality",
            "size_segment",
            "submitted_by",
            "urgency",
            "urgency_label",
            "co_sign_count",
            "created_at",
            "links",
        ]
        read_only_fields = fields

    @extend_schema_field(DocumentStateSerializer)
    def get_state(self, need) -> dict:
        category = getattr(need, "state_category", None)
        if category is None and need.workflow_version_id:
            state = workflow.graph_of(need.workflow_version).state(need.state)
            category = state.category if state is not None else ""
        return {"key": need.state, "label": state_name(need), "category": category or ""}

    @extend_schema_field(PersonRefSerializer)
    def get_submitted_by(self, need) -> dict:
        return person_ref(need.submitted_by)

    @extend_schema_field(NeedLinksSerializer)
    def get_links(self, need) -> dict:
        document = reverse("workflow-document", kwargs={"document_type": DOCUMENT_TYPE, "pk": need.pk})
        return {
            "self": reverse("need-detail", args=[need.pk]),
            "workflow": document,
            "history": f"{document}history/",
            "co_sign": reverse("need-co-sign", args=[need.pk]),
            "comments": reverse("need-comments", args=[need.pk]),
            "follow": reverse("need-follow", args=[need.pk]),
        }


class CoSignSerializer(serializers.ModelSerializer):
    municipality = MunicipalityRefSerializer(read_only=True)
    person = serializers.SerializerMethodField()

    class Meta:
        model = CoSign
        fields = ["id", "municipality", "person", "expected_benefit", "affected_count", "created_at"]
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer)
    def get_person(self, signature) -> dict:
        return person_ref(signature.person)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField(help_text="As detected from the file's content.")
    uploaded_by = serializers.SerializerMethodField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="Download (always as an attachment).")

    @extend_schema_field(PersonRefSerializer)
    def get_uploaded_by(self, attachment) -> dict:
        return person_ref(attachment.uploaded_by)

    def get_url(self, attachment) -> str:
        return reverse("need-attachment", args=[attachment.need_id, attachment.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The file (multipart/form-data); its type is checked by its content.")


class NeedDetailSerializer(NeedListSerializer):
    co_signs = CoSignSerializer(many=True, read_only=True)
    goals = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    following = serializers.SerializerMethodField()
    may_edit = serializers.SerializerMethodField(help_text="May the user change the need in its current state?")
    attachments = serializers.SerializerMethodField()

    class Meta(NeedListSerializer.Meta):
        fields = [
            *NeedListSerializer.Meta.fields,
            "problem",
            "desired_outcome",
            "purchase_needed",
            "affected_group",
            "affected_count",
            "benefit_type",
            "expected_benefit",
            "expected_benefit_nok",
            "goals",
            "estimated_cost",
            "estimated_effort",
            "strategic",
            "merged_into",
            "updated_at",
            "co_signs",
            "following",
            "may_edit",
            "attachments",
        ]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    def get_following(self, need) -> bool:
        user = self._user()
        return bool(user and user.is_authenticated and Follow.objects.filter(need=need, user=user).exists())

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, need) -> list:
        return AttachmentSerializer(attachment_rules.attachments_of(need), many=True).data

    def get_may_edit(self, need) -> bool:
        user = self._user()
        if user is None or not need.workflow_version_id:
            return False
        try:
            return workflow.may_edit(need, user)
        except workflow.WorkflowError:
            return False


class GoalsField(serializers.PrimaryKeyRelatedField):
    """Goals the user can see (the serializer checks they are the need's collaboration's)."""

    def get_queryset(self):
        request = self.context.get("request")
        return Goal.objects.visible_to(request.user) if request is not None else Goal.objects.none()


class ServiceAreaField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        return ServiceArea.objects.visible_to(request.user) if request is not None else ServiceArea.objects.none()


NEED_FIELDS = list(Need.REPORTED_FIELDS)


class NeedCreateSerializer(serializers.ModelSerializer):
    """What the submitter reports. The need belongs to the service area's collaboration and to the
    submitter's municipality; it starts as a draft in the collaboration's active workflow."""

    service_area = ServiceAreaField()
    goals = GoalsField(many=True, required=False)

    class Meta:
        model = Need
        fields = NEED_FIELDS

    def validate(self, attrs):
        attrs = super().validate(attrs)
        service_area = attrs.get("service_area") or getattr(self.instance, "service_area", None)
        collaboration_id = service_area.collaboration_id if service_area else None
        goals = attrs.get("goals") or []
        if any(goal.collaboration_id != collaboration_id for goal in goals):
            raise serializers.ValidationError({"goals": [_("A goal belongs to another collaboration.")]})
        return attrs


class NeedUpdateSerializer(NeedCreateSerializer):
    """A change to a need; each changed field must be editable by the user in the need's current state
    (per the workflow), else the whole change is refused with 403 and nothing is written."""

    class Meta(NeedCreateSerializer.Meta):
        fields = [*NEED_FIELDS, "estimated_cost", "estimated_effort", "strategic"]


class CoSignRequestSerializer(serializers.Serializer):
    expected_benefit = serializers.CharField(
        max_length=3000, required=False, allow_blank=True, default="", help_text="The benefit for us."
    )
    affected_count = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None, help_text="How many are affected here."
    )


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    capacity_label = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "author", "capacity", "capacity_label", "body", "is_question", "created_at"]
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer)
    def get_author(self, comment) -> dict:
        return person_ref(comment.author)

    def get_capacity_label(self, comment) -> str:
        return capacity_label(comment.capacity) if comment.capacity else ""


class CommentRequestSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    is_question = serializers.BooleanField(
        required=False, default=False, help_text="A question to the submitter (from the sector group)."
    )


class FollowSerializer(serializers.Serializer):
    following = serializers.BooleanField()


class GoalSerializer(ModelCleanSerializer):
    class Meta:
        model = Goal
        fields = ["id", "collaboration", "code", "title", "description", "first_year", "last_year"]


# ------------------------------------------------------------------------------ assessment (sector group)


class CriterionRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(source="localized_name")
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    inverse = serializers.BooleanField(help_text="A higher level is worse (counts as 6 − level).")
    computed = serializers.SerializerMethodField(help_text="Breadth: computed from the co-signatures, not scored.")
    descriptors = serializers.SerializerMethodField(help_text="What each level 1–5 means, in the reader's language.")

    def get_computed(self, criterion) -> bool:
        return criterion.key == assessment_rules.BREADTH_KEY

    def get_descriptors(self, criterion) -> dict[str, str]:
        return {str(level): criterion.descriptor(level) for level in range(1, 6)}


class BreakdownRowSerializer(serializers.Serializer):
    criterion = serializers.CharField(source="criterion.key")
    name = serializers.CharField()
    level = serializers.IntegerField()
    descriptor = serializers.CharField(help_text="What the level means, in the reader's language.")
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    inverse = serializers.BooleanField()
    computed = serializers.BooleanField()
    note = serializers.CharField()
    contribution = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Points of the 0–100 score.")


class AssessmentSerializer(serializers.Serializer):
    """A need's assessment by its sector group, with the score's breakdown (null fields until assessed), the
    criteria to score and whether the user may assess now."""

    need = serializers.IntegerField(source="need.pk")
    reference = serializers.CharField(source="need.reference")
    assessed = serializers.SerializerMethodField()
    total = serializers.DecimalField(source="assessment.total", max_digits=5, decimal_places=2, allow_null=True)
    scores = serializers.SerializerMethodField(help_text="{criterion key: level 1–5}, breadth included.")
    notes = serializers.SerializerMethodField()
    breakdown = serializers.SerializerMethodField()
    estimated_cost = serializers.DecimalField(
        source="assessment.estimated_cost", max_digits=15, decimal_places=2, allow_null=True, help_text="NOK."
    )
    estimated_effort = serializers.DecimalField(
        source="assessment.estimated_effort",
        max_digits=7,
        decimal_places=1,
        allow_null=True,
        help_text="Person-months.",
    )
    recommendation = serializers.CharField(source="assessment.recommendation", allow_null=True)
    assessed_by = serializers.SerializerMethodField()
    capacity = serializers.CharField(source="assessment.capacity", allow_null=True)
    assessed_at = serializers.DateTimeField(source="assessment.assessed_at", allow_null=True)
    may_assess = serializers.SerializerMethodField()
    refusal = serializers.CharField(help_text="Why the user may not assess now (empty when they may).")
    criteria = CriterionRefSerializer(many=True, help_text="The active criteria; breadth is computed.")

    def get_assessed(self, data) -> bool:
        return data["assessment"] is not None

    def get_scores(self, data) -> dict[str, int]:
        return {row["criterion"].key: row["level"] for row in (data["breakdown"] or {}).get("rows", [])}

    def get_notes(self, data) -> dict[str, str]:
        return {row["criterion"].key: row["note"] for row in (data["breakdown"] or {}).get("rows", [])}

    @extend_schema_field(BreakdownRowSerializer(many=True))
    def get_breakdown(self, data) -> list:
        return BreakdownRowSerializer((data["breakdown"] or {}).get("rows", []), many=True).data

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_assessed_by(self, data) -> dict | None:
        return person_ref(data["assessment"].assessed_by) if data["assessment"] else None

    def get_may_assess(self, data) -> bool:
        return not data["refusal"]


class AssessmentRequestSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5),
        help_text="{criterion key: level 1–5} for every active criterion but breadth (computed).",
    )
    notes = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000), required=False, default=dict
    )
    estimated_cost = serializers.DecimalField(
        max_digits=15, decimal_places=2, min_value=0, allow_null=True, required=False, default=None, help_text="NOK."
    )
    estimated_effort = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, allow_null=True, required=False, default=None,
        help_text="Person-months.",
    )  # fmt: skip
    recommendation = serializers.CharField(allow_blank=True, max_length=5000, required=False, default="")


class RankedNeedSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    need = serializers.IntegerField(source="need.pk")
    reference = serializers.CharField(source="need.reference")
    title = serializers.CharField(source="need.title")
    municipality = MunicipalityRefSerializer(source="need.municipality")
    state = serializers.CharField(source="need.state")
    state_label = serializers.CharField()
    total = serializers.DecimalField(source="need.assessment.total", max_digits=5, decimal_places=2)
    breakdown = BreakdownRowSerializer(many=True)
    estimated_cost = serializers.DecimalField(
        source="need.assessment.estimated_cost", max_digits=15, decimal_places=2, allow_null=True
    )
    estimated_effort = serializers.DecimalField(
        source="need.assessment.estimated_effort", max_digits=7, decimal_places=1, allow_null=True
    )
    recommendation = serializers.CharField(source="need.assessment.recommendation")
    assessed_at = serializers.DateTimeField(source="need.assessment.assessed_at")


class QueueItemSerializer(serializers.Serializer):
    service_area = ServiceAreaRefSerializer(source="need.service_area")
    need = serializers.IntegerField(source="need.pk")
    reference = serializers.CharField(source="need.reference")
    title = serializers.CharField(source="need.title")
    municipality = MunicipalityRefSerializer(source="need.municipality")
    state = serializers.CharField(source="need.state")
    state_label = serializers.CharField(source="state_name")
    submitted_at = serializers.DateTimeField(allow_null=True)
    days_waiting = serializers.IntegerField(allow_null=True)
    deadline_at = serializers.DateTimeField(allow_null=True, help_text="From the workflow state's deadline.")
    overdue = serializers.BooleanField()
    first_response_at = serializers.DateTimeField(allow_null=True)


def assessment_payload(need, user) -> dict:
    """What AssessmentSerializer shows of `need` to `user`."""
    assessment = Assessment.objects.filter(need=need).select_related("assessed_by__user").first()
    return {
        "need": need,
        "assessment": assessment,
        "breakdown": assessment_rules.breakdown(assessment) if assessment else None,
        "refusal": assessment_rules.assess_refusal(need, user),
        "criteria": assessment_rules.active_criteria(need.collaboration_id),
    }


# ------------------------------------------------------------------------------------------- renderers


class CSVRenderer(renderers.BaseRenderer):
    """Only for content negotiation (`?format=csv`, `.csv`, `Accept: text/csv`): the export view answers with
    its own streaming response."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else str(data or "").encode()


class XLSXRenderer(renderers.BaseRenderer):
    media_type = exports.XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


# --------------------------------------------------------------------------------------------- viewsets


class NeedPermissions(ScopedModelPermissions):
    """Model permissions from the user's capacities (view to read, add to report, change to edit); whether
    the user may act on one need is decided by the services and the workflow, not by collaboration
    administration, so rows are not checked here. Co-signing, comments, following and exports are part of
    reading a need: they need the view permission only."""

    READ_ACTIONS = {"co_sign", "comments", "follow", "export", "attachments", "attachment"}
    READ_ACTIONS |= {"assessment", "ranking", "sector_queue"}  # who may assess: `needs.assessment`

    def has_permission(self, request, view):
        if getattr(view, "action", "") is None:  # a method the endpoint does not offer: answer 405
            return bool(request.user and request.user.is_authenticated)
        if getattr(view, "action", None) in self.READ_ACTIONS:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perm(f"{Need._meta.app_label}.view_need"))
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        return True


REFUSED = {
    400: OpenApiResponse(description="Invalid input; the answer names each field with its messages."),
    403: OpenApiResponse(RefusalSerializer, description="The user may not do this; says why."),
    404: OpenApiResponse(RefusalSerializer, description="No such need visible to the user."),
}


@extend_schema_view(
    list=extend_schema(summary="Needs the user may see", description="Filter, search and order; paginated."),
    retrieve=extend_schema(summary="A need", responses={200: NeedDetailSerializer, 404: REFUSED[404]}),
)
class NeedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Needs reported on the collaboration platform."""

    queryset = Need.objects.all()  # the model, for the router and the schema; see get_queryset
    permission_classes = [NeedPermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = selectors.NeedFilter
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]  # put: the assessment

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Need.objects.none()
        queryset = selectors.needs_for(self.request.user)
        if self.action == "retrieve":
            queryset = selectors.with_co_signs(queryset)
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return NeedListSerializer
        if self.action == "create":
            return NeedCreateSerializer
        if self.action == "partial_update":
            return NeedUpdateSerializer
        return NeedDetailSerializer

    def detail_response(self, need, status_code=status.HTTP_200_OK) -> Response:
        need = selectors.with_co_signs(selectors.needs_for(self.request.user)).get(pk=need.pk)
        return Response(NeedDetailSerializer(need, context=self.get_serializer_context()).data, status=status_code)

    # ---- reporting and changing

    @extend_schema(
        summary="Report a need (a draft)",
        request=NeedCreateSerializer,
        responses={201: NeedDetailSerializer, **REFUSED},
    )
    def create(self, request, *args, **kwargs):
        """The need is reported by the user for their municipality in the service area's collaboration,
        numbered, and starts as a draft; submit it with the workflow action `submit`."""
        payload = NeedCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        goals = fields.pop("goals", [])
        need = services.create_need(
            user=request.user, collaboration=fields["service_area"].collaboration, goals=goals, **fields
        )
        return self.detail_response(need, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a need",
        request=NeedUpdateSerializer,
        responses={200: NeedDetailSerializer, **REFUSED},
    )
    def partial_update(self, request, *args, **kwargs):
        """Only the fields the workflow lets the user edit in the need's current state (e.g. the submitter
        in a draft, the sector lead while the sector group has it); any other change is refused with 403 and
        the reason, and nothing is written."""
        need = self.get_object()
        payload = NeedUpdateSerializer(need, data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        need = services.update_need(need, user=request.user, **payload.validated_data)
        return self.detail_response(need)

    # ---- taking part

    @extend_schema(
        summary="Co-sign a need (“we have this need too”)",
        request=CoSignRequestSerializer,
        responses={201: CoSignSerializer, **REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="co-sign", url_name="co-sign", filter_backends=[])
    def co_sign(self, request, pk=None):
        """One co-signature per member municipality, with its own expected benefit; not by the municipality
        that reported the need, and only while the need is open."""
        need = self.get_object()
        payload = CoSignRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        signature = services.co_sign(need, user=request.user, **payload.validated_data)
        signature = CoSign.objects.select_related("municipality", "person__user").get(pk=signature.pk)
        return Response(CoSignSerializer(signature).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["get"],
        summary="Comments and questions on a need",
        request=None,
        responses={200: CommentSerializer(many=True), 404: REFUSED[404]},
    )
    @extend_schema(
        methods=["post"],
        summary="Comment on a need, or ask the submitter a question",
        request=CommentRequestSerializer,
        responses={201: CommentSerializer, **REFUSED},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request, pk=None):
        """Oldest first. Anyone in the collaboration may comment; questions to the submitter come from the
        need's sector group."""
        need = self.get_object()
        if request.method == "POST":
            payload = CommentRequestSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            comment = services.add_comment(need, user=request.user, **payload.validated_data)
            comment = Comment.objects.select_related("author__user").get(pk=comment.pk)
            return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(need.comments.select_related("author__user").order_by("created_at", "pk"))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        methods=["post"],
        summary="Follow a need (hear of every step)",
        request=None,
        responses={200: FollowSerializer, **REFUSED},
    )
    @extend_schema(
        methods=["delete"], summary="Stop following a need", request=None, responses={204: None, 404: REFUSED[404]}
    )
    @action(detail=True, methods=["post", "delete"], filter_backends=[])
    def follow(self, request, pk=None):
        need = self.get_object()
        if request.method == "DELETE":
            services.unfollow(need, user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        services.follow(need, user=request.user)
        return Response({"following": True})

    # ---- attachments

    @extend_schema(
        methods=["get"],
        summary="A need's attachments",
        request=None,
        responses={200: AttachmentSerializer(many=True), 404: REFUSED[404]},
    )
    @extend_schema(
        methods=["post"],
        summary="Attach a file to a need",
        description=(
            "multipart/form-data with `file`. Who may attach and which files are accepted (type by extension "
            "and content, size, number per need) is decided by `needs.attachments`; a refused file is not stored."
        ),
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **REFUSED},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def attachments(self, request, pk=None):
        need = self.get_object()
        if request.method == "POST":
            payload = AttachmentUploadSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            attachment = attachment_rules.add_attachment(need, request.user, payload.validated_data["file"])
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        return Response(AttachmentSerializer(attachment_rules.attachments_of(need), many=True).data)

    @extend_schema(
        methods=["get"],
        summary="Download an attachment",
        description="Always as an attachment (Content-Disposition), with the detected type and a sandboxing CSP.",
        request=None,
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: REFUSED[404]},
    )
    @extend_schema(methods=["delete"], summary="Remove an attachment", request=None, responses={204: None, **REFUSED})
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"attachments/(?P<attachment_pk>[0-9]+)",
        url_name="attachment",
        filter_backends=[],
    )
    def attachment(self, request, pk=None, attachment_pk=None):
        need = self.get_object()
        attachment = get_object_or_404(Attachment.objects.filter(need=need), pk=attachment_pk)
        attachment.need = need
        if request.method == "DELETE":
            attachment_rules.remove_attachment(attachment, request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return attachment_rules.download_response(attachment)

    # ---- the sector group's assessment

    @extend_schema(methods=["get"], summary="A need's assessment, with the score's breakdown", request=None,
                   responses={200: AssessmentSerializer, 404: REFUSED[404]})  # fmt: skip
    @extend_schema(
        methods=["put"],
        summary="Assess a need (the need's sector lead or a sector representative)",
        description=(
            "Scores every active criterion 1–5 (breadth is computed from the co-signatures), with optional notes, "
            "the estimated cost (NOK) and effort (person-months) and the recommendation to the portfolio council. "
            "Only the need's sector group, while it works on the need (403 otherwise); nothing is written unless "
            "all is valid (400). Assessing again replaces the scores."
        ),
        request=AssessmentRequestSerializer,
        responses={200: AssessmentSerializer, **REFUSED},
    )
    @action(detail=True, methods=["get", "put"], filter_backends=[])
    def assessment(self, request, pk=None):
        need = self.get_object()
        if request.method == "PUT":
            refusal = assessment_rules.assess_refusal(need, request.user)
            if refusal:
                raise workflow.ActionRefused(refusal)
            payload = AssessmentRequestSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            try:
                assessment_rules.assess(need, user=request.user, **payload.validated_data)
            except DjangoValidationError as error:
                if hasattr(error, "error_dict"):
                    raise
                raise serializers.ValidationError({"scores": error.messages}) from error
        context = self.get_serializer_context()
        return Response(AssessmentSerializer(assessment_payload(need, request.user), context=context).data)

    @extend_schema(
        summary="The sector group's ranking of assessed needs in a service area",
        description="Open assessed needs, highest score first, each with its breakdown. Anyone in the collaboration.",
        parameters=[OpenApiParameter("service_area", int, required=True, description="The service area's id.")],
        responses={200: RankedNeedSerializer(many=True), **REFUSED},
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def ranking(self, request):
        wanted = request.query_params.get("service_area", "")
        if not wanted.isdigit():
            raise serializers.ValidationError(
                {"service_area": [_("Give the service area's id, e.g. ?service_area=3.")]}
            )
        area = get_object_or_404(ServiceArea.objects.visible_to(request.user), pk=int(wanted))
        needs = with_state_names(assessment_rules.ranking(area)).select_related("municipality", "service_area")
        page = self.paginate_queryset(needs)
        breakdowns = assessment_rules.breakdowns([need.assessment for need in page])
        offset = self.paginator.page.start_index() if page else 1
        rows = [
            {"rank": offset + index, "need": need, "state_label": state_name(need),
             "breakdown": breakdowns[need.assessment.pk]["rows"]}
            for index, need in enumerate(page)
        ]  # fmt: skip
        return self.get_paginated_response(RankedNeedSerializer(rows, many=True).data)

    @extend_schema(
        summary="Needs waiting for the user's sector groups",
        description="Every sector group the user leads or sits in today, oldest submission first; empty for others.",
        responses={200: QueueItemSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], url_path="sector-queue", url_name="sector-queue", filter_backends=[])
    def sector_queue(self, request):
        items = [item for _area, queue in assessment_rules.sector_queues_for(request.user) for item in queue]
        page = self.paginate_queryset(items)
        return self.get_paginated_response(QueueItemSerializer(page, many=True).data)

    # ---- exports

    @extend_schema(
        summary="Export the filtered need list (CSV or XLSX)",
        description=(
            "The same needs, filters, search and order as the list, not paginated. `format=csv` (or "
            "`export.csv`): UTF-8 with BOM, semicolon separated, decimal comma in Norwegian; `format=xlsx` (or "
            "`export.xlsx`): an Excel workbook. Headers are in the user's language."
        ),
        parameters=[
            OpenApiParameter("format", str, enum=["csv", "xlsx"], description="csv (the default) or xlsx."),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, exports.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (400, "application/json"): REFUSED[400],
            (403, "application/json"): REFUSED[403],
        },
    )
    @action(detail=False, methods=["get"], renderer_classes=[CSVRenderer, XLSXRenderer], pagination_class=None)
    def export(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        language = get_language()
        if request.accepted_renderer.format == "xlsx":
            response = HttpResponse(exports.xlsx_bytes(queryset, language), content_type=exports.XLSX_CONTENT_TYPE)
            name = exports.filename("xlsx")
        else:
            response = StreamingHttpResponse(
                exports.csv_stream(queryset, language), content_type=exports.CSV_CONTENT_TYPE
            )
            name = exports.filename("csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        """Refusals of an export are answered in JSON, not in the spreadsheet format asked for."""
        if isinstance(response, Response) and response.status_code >= 400 and self.action == "export":
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class GoalViewSet(ScopedModelViewSet):
    """The collaboration's goals for a period; needs link to the goals they serve. Members read them, the
    collaboration's administrators change them."""

    queryset = Goal.objects.all()
    serializer_class = GoalSerializer
    filterset_fields = ["collaboration", "first_year", "last_year"]
    search_fields = ["code", "title"]
    ordering_fields = ["code", "first_year"]


def register(router) -> None:
    router.register("needs", NeedViewSet)
    router.register("goals", GoalViewSet)
