"""REST resources of meetings: list, read, schedule and change meetings; build the agenda, add manual items
and reorder them; record attendance; cancel or mark held; download the calendar invitation (.ics).

Lists and pages read `selectors` (what the user may see, see `models`); changes call `services`, which decide
who may (the body's chair or secretary, the collaboration's administrators) and refuse with a reason. A
meeting the user may not see answers 404, like one that does not exist.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, parsers, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ikt_portfolio.core.rest import ScopedModelPermissions
from ikt_portfolio.members.models import Body, Person
from ikt_portfolio.workflow.api import PersonRefSerializer, RefusalSerializer

from . import decisions, minutes, selectors, services
from .models import AgendaItem, Decision, Meeting, Minutes, Paper, Participant


def person_ref(person) -> dict:
    user = person.user
    return {"id": person.pk, "name": user.get_full_name() or user.get_username()}


class BodyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="localized_name")
    kind = serializers.CharField()


class MeetingLinksSerializer(serializers.Serializer):
    self = serializers.CharField()
    ics = serializers.CharField(help_text="The calendar invitation (RFC 5545).")
    build_agenda = serializers.CharField()
    attendance = serializers.CharField()


class MeetingListSerializer(serializers.ModelSerializer):
    body = BodyRefSerializer(read_only=True)
    participant_count = serializers.IntegerField(read_only=True)
    present_count = serializers.IntegerField(read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="planned, held or cancelled.")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = ["id", "title", "body", "starts_at", "ends_at", "place", "status", "status_label",
                  "participant_count", "present_count", "item_count", "links"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(MeetingLinksSerializer)
    def get_links(self, meeting) -> dict:
        return {
            "self": reverse("meeting-detail", args=[meeting.pk]),
            "ics": reverse("meeting-ics", args=[meeting.pk]),
            "build_agenda": reverse("meeting-build-agenda", args=[meeting.pk]),
            "attendance": reverse("meeting-attendance", args=[meeting.pk]),
        }


class ParticipantSerializer(serializers.ModelSerializer):
    person = serializers.SerializerMethodField()
    role = serializers.CharField(
        read_only=True, help_text="The seat's role: chair, member, deputy, secretary, lead, observer."
    )
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    attendance = serializers.CharField(read_only=True, help_text="invited, present, absent or excused.")
    attendance_label = serializers.CharField(source="get_attendance_display", read_only=True)
    represents = serializers.CharField(source="represents.number", default=None, read_only=True)

    class Meta:
        model = Participant
        fields = ["person", "role", "role_label", "represents", "voting", "attendance", "attendance_label",
                  "recorded_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer)
    def get_person(self, participant) -> dict:
        return person_ref(participant.person)


class AgendaDocumentSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The document type, e.g. ikt_needs.need.")
    id = serializers.IntegerField()
    state = serializers.CharField(help_text="The document's status now.")
    workflow = serializers.CharField(help_text="The document's status and actions in the workflow API.")


class AgendaItemSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="document (waiting for the body) or manual.")
    document = serializers.SerializerMethodField()
    presenter = serializers.SerializerMethodField()

    class Meta:
        model = AgendaItem
        fields = ["id", "order", "kind", "title", "description", "document", "presenter", "outcome"]
        read_only_fields = fields

    @extend_schema_field(AgendaDocumentSerializer(allow_null=True))
    def get_document(self, item) -> dict | None:
        found = self.context.get("documents", {}).get(item.pk)
        if found is None:
            return None
        return {
            "type": found.label,
            "id": item.object_id,
            "state": found.state,
            "workflow": reverse("workflow-document", kwargs={"document_type": found.label, "pk": item.object_id}),
        }

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_presenter(self, item) -> dict | None:
        return person_ref(item.presenter) if item.presenter_id else None


class PaperSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = Paper
        fields = ["id", "name", "content_type", "size", "agenda_item", "uploaded_by", "uploaded_at", "download"]
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer)
    def get_uploaded_by(self, paper) -> dict:
        return person_ref(paper.uploaded_by)

    def get_download(self, paper) -> str:
        return reverse("meeting-paper", args=[paper.meeting_id, paper.pk])


class PaperUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    agenda_item = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="An item id.")


class QuorumSerializer(serializers.Serializer):
    present = serializers.IntegerField(help_text="Voting members present.")
    required = serializers.IntegerField(help_text="Voting members needed.")
    seats = serializers.IntegerField(help_text="Voting seats invited.")
    met = serializers.BooleanField()
    rule = serializers.CharField(help_text="majority, two_thirds or fixed.")


class MeetingDetailSerializer(MeetingListSerializer):
    video_link = serializers.SerializerMethodField(help_text="Only for the body's members and the invited.")
    notes = serializers.SerializerMethodField(help_text="Only for the body's members and the invited.")
    participants = serializers.SerializerMethodField()
    agenda = serializers.SerializerMethodField()
    quorum = serializers.SerializerMethodField()
    papers = serializers.SerializerMethodField(help_text="Only for the body's members and the invited.")
    may_manage = serializers.SerializerMethodField(help_text="May the user change the meeting?")

    class Meta(MeetingListSerializer.Meta):
        fields = [*MeetingListSerializer.Meta.fields, "video_link", "notes", "sequence", "participants", "agenda",
                  "quorum", "papers", "may_manage"]  # fmt: skip
        read_only_fields = fields

    def _user(self):
        return self.context["request"].user

    def _details(self, meeting) -> bool:
        return services.sees_details(self._user(), meeting, meeting.participants.all())

    def get_video_link(self, meeting) -> str:
        return meeting.video_link if self._details(meeting) else ""

    def get_notes(self, meeting) -> str:
        return meeting.notes if self._details(meeting) else ""

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_participants(self, meeting) -> list:
        return ParticipantSerializer(meeting.participants.all(), many=True).data

    @extend_schema_field(AgendaItemSerializer(many=True))
    def get_agenda(self, meeting) -> list:
        items = list(meeting.agenda_items.all())
        context = {**self.context, "documents": selectors.agenda_documents(items)}
        return AgendaItemSerializer(items, many=True, context=context).data

    @extend_schema_field(QuorumSerializer)
    def get_quorum(self, meeting) -> dict:
        found = services.quorum(meeting)
        return {"present": found.present, "required": found.required, "seats": found.seats, "met": found.met,
                "rule": found.rule}  # fmt: skip

    @extend_schema_field(PaperSerializer(many=True))
    def get_papers(self, meeting) -> list:
        return PaperSerializer(meeting.papers.all(), many=True).data if self._details(meeting) else []

    def get_may_manage(self, meeting) -> bool:
        return services.may_manage(self._user(), meeting.body)


@extend_schema_field(OpenApiTypes.INT)
class BodyField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        return Body.objects.visible_to(request.user) if request is not None else Body.objects.none()


class MeetingWriteSerializer(serializers.Serializer):
    """What scheduling asks; a change gives only what changes (the body stays)."""

    body = BodyField(help_text="The body that meets (its chair or secretary, or an administrator, schedules).")
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    video_link = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingChangeSerializer(MeetingWriteSerializer):
    body = None
    title = serializers.CharField(max_length=200, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    video_link = serializers.URLField(max_length=500, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class AttendanceRowSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text="The participant's person id.")
    attendance = serializers.ChoiceField(choices=Participant.Attendance.choices)


class AttendanceSerializer(serializers.Serializer):
    attendance = AttendanceRowSerializer(many=True, allow_empty=False)


class ManualItemSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=250)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    presenter = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="A person id.")


class ReorderSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.IntegerField(), help_text="Every agenda item's id, in order.")


class ICSRenderer(renderers.BaseRenderer):
    """For content negotiation only (`Accept: text/calendar`); the view answers with its own response."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else str(data or "").encode()


class BinaryRenderer(renderers.BaseRenderer):
    """For content negotiation only (`Accept: */*` downloads); the view answers with its own response."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


class MeetingPermissions(ScopedModelPermissions):
    """Reading needs the view permission (from the user's capacities); whether the user may change one
    meeting is decided by `services` (the body's chair or secretary, administrators), not here."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("ikt_council.view_meeting"))

    def has_object_permission(self, request, view, obj):
        return True


REFUSED = {
    400: OpenApiResponse(description="Invalid input; the answer names each field with its messages."),
    403: OpenApiResponse(RefusalSerializer, description="The user may not do this; says why."),
    404: OpenApiResponse(RefusalSerializer, description="No such meeting visible to the user."),
}


# ------------------------------------------------------------------------------------ decisions, minutes


class DecisionSerializer(serializers.ModelSerializer):
    agenda_item = serializers.IntegerField(source="agenda_item_id", read_only=True)
    action_label = serializers.CharField(source="transition.localized_label", read_only=True)
    status = serializers.CharField(read_only=True, help_text="open, passed, failed or withdrawn.")
    period = serializers.SerializerMethodField()
    step = serializers.IntegerField(source="log_id", read_only=True, allow_null=True, help_text="The workflow step.")

    class Meta:
        model = Decision
        fields = ["id", "agenda_item", "action", "action_label", "priority", "period", "reason", "status", "step",
                  "opened_at", "closed_at"]  # fmt: skip
        read_only_fields = fields

    def get_period(self, decision) -> dict | None:
        period = decision.period
        return {"id": period.pk, "label": period.label} if period is not None else None


class DecisionWriteSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text="The agenda item (a document waiting for the body).")
    action = serializers.CharField(help_text="A committee action of the item's state, e.g. include, defer, reject.")
    priority = serializers.IntegerField(required=False, allow_null=True, default=None)
    period = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="A period id.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingVoteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=["yes", "no", "abstain"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingVoteResultSerializer(serializers.Serializer):
    decision = DecisionSerializer()
    decided = serializers.BooleanField(help_text="Did this vote decide the item?")
    warning = serializers.CharField(help_text="Set when the voter has acted on the item in another capacity.")


class MinutesSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="draft or approved.")
    entries = serializers.SerializerMethodField()
    verified = serializers.SerializerMethodField(help_text="For approved minutes: does the content match its hash?")
    links = serializers.SerializerMethodField()

    class Meta:
        model = Minutes
        fields = ["id", "meeting", "status", "introduction", "closing", "record", "entries", "generated_at",
                  "approved_at", "content_hash", "verified", "published_at", "links"]  # fmt: skip
        read_only_fields = fields

    def get_entries(self, found) -> list:
        return [{"position": e.position, "title": e.title, "notes": e.notes} for e in found.entries.all()]

    def get_verified(self, found) -> bool | None:
        return minutes.verify(found) if found.is_approved else None

    def get_links(self, found) -> dict:
        base = reverse("meeting-minutes-export", args=[found.meeting_id])
        return {f"{format_}_{language}": f"{base}?language={language}&format={format_}"
                for language in ("nb", "nn") for format_ in ("pdf", "html")}  # fmt: skip


class MinutesChangeSerializer(serializers.Serializer):
    introduction = serializers.CharField(required=False, allow_blank=True)
    closing = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, help_text="{item number: notes}"
    )


class PDFRenderer(BinaryRenderer):
    media_type = "application/pdf"
    format = "pdf"


class DecisionsMixin:
    """Decisions and minutes of a meeting (see `council.decisions` and `council.minutes`)."""

    def _decision(self, meeting, decision_pk):
        return get_object_or_404(
            Decision.objects.filter(agenda_item__meeting=meeting).select_related(
                "agenda_item__meeting__body", "transition", "period"
            ),
            pk=decision_pk,
        )

    @extend_schema(methods=["get"], summary="Decisions of the meeting", responses={200: DecisionSerializer(many=True)})
    @extend_schema(
        methods=["post"],
        summary="Put a decision on an item to the vote",
        request=DecisionWriteSerializer,
        responses={201: DecisionSerializer, **REFUSED},
    )
    @action(detail=True, methods=["get", "post"])
    def decisions(self, request, pk=None):
        """Only while the meeting has its quorum; reject and defer need a reason, defer a later period,
        include a priority. Items above the board threshold or strategic cannot be included."""
        meeting = self.get_object()
        if request.method == "GET":
            rows = Decision.objects.filter(agenda_item__meeting=meeting).select_related("transition", "period")
            return Response(DecisionSerializer(rows.order_by("opened_at", "pk"), many=True).data)
        payload = DecisionWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        item = meeting.agenda_items.filter(pk=data["item"]).first()
        if item is None:
            raise serializers.ValidationError({"item": [_("The item is not on this meeting's agenda.")]})
        period = None
        if data["period"] is not None:
            from ikt_portfolio.portfolio.models import Period

            period = Period.objects.filter(pk=data["period"], collaboration_id=meeting.body.collaboration_id).first()
            if period is None:
                raise serializers.ValidationError({"period": [_("No such period in the collaboration.")]})
        item.meeting = meeting
        decision = decisions.open_decision(
            item, request.user, action=data["action"], priority=data["priority"], period=period, reason=data["reason"]
        )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Vote on an open decision (your own vote)",
        request=MeetingVoteSerializer,
        responses={200: MeetingVoteResultSerializer, **REFUSED},
    )
    @action(detail=True, methods=["post"], url_path=r"decisions/(?P<decision_pk>[0-9]+)/vote", url_name="vote")
    def vote(self, request, pk=None, decision_pk=None):
        meeting = self.get_object()
        decision = self._decision(meeting, decision_pk)
        payload = MeetingVoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome = decisions.cast_vote(
            decision, request.user, payload.validated_data["choice"], comment=payload.validated_data["comment"]
        )
        return Response(
            {
                "decision": DecisionSerializer(outcome.decision).data,
                "decided": outcome.result.log is not None,
                "warning": outcome.warning,
            }
        )

    @extend_schema(summary="Withdraw an open decision", request=None, responses={200: DecisionSerializer, **REFUSED})
    @action(detail=True, methods=["post"], url_path=r"decisions/(?P<decision_pk>[0-9]+)/withdraw", url_name="withdraw")
    def withdraw(self, request, pk=None, decision_pk=None):
        meeting = self.get_object()
        decision = decisions.withdraw_decision(self._decision(meeting, decision_pk), request.user)
        return Response(DecisionSerializer(decision).data)

    @extend_schema(
        summary="Record decisions voted on the items' own pages",
        request=None,
        responses={200: DecisionSerializer(many=True), **REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="record-decided", url_name="record-decided")
    def record_decided(self, request, pk=None):
        recorded = decisions.record_decided(self.get_object(), request.user)
        return Response(DecisionSerializer(recorded, many=True).data)

    def _minutes(self, meeting, *, readable=True):
        found = minutes.minutes_of(meeting)
        if found is None or (readable and not minutes.may_read(self.request.user, found, meeting)):
            raise Http404
        found.meeting = meeting
        return found

    @extend_schema(
        methods=["get"], summary="The meeting's minutes", responses={200: MinutesSerializer, 404: REFUSED[404]}
    )
    @extend_schema(
        methods=["post"],
        summary="Generate the minutes (again, while a draft)",
        request=None,
        responses={200: MinutesSerializer, **REFUSED},
    )
    @extend_schema(
        methods=["patch"],
        summary="Change the draft's texts",
        request=MinutesChangeSerializer,
        responses={200: MinutesSerializer, 409: REFUSED[403]},
    )
    @action(detail=True, methods=["get", "post", "patch"], url_path="minutes", url_name="minutes")
    def minutes_(self, request, pk=None):
        """Drafts are read by the body; published minutes by everyone who sees the meeting. Approved minutes
        are locked: a change answers 409."""
        meeting = self.get_object()
        if request.method == "POST":
            found = minutes.generate(meeting, request.user)
        elif request.method == "PATCH":
            found = self._minutes(meeting)
            payload = MinutesChangeSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
            try:
                notes = {int(k): v for k, v in data.get("notes", {}).items()}
            except ValueError:
                raise serializers.ValidationError({"notes": [_("Number the notes by item.")]}) from None
            found = minutes.update(
                found, request.user, introduction=data.get("introduction"), closing=data.get("closing"), notes=notes
            )
        else:
            found = self._minutes(meeting)
        return Response(MinutesSerializer(Minutes.objects.prefetch_related("entries").get(pk=found.pk)).data)

    @extend_schema(summary="Approve and lock the minutes", request=None, responses={200: MinutesSerializer, **REFUSED})
    @action(detail=True, methods=["post"], url_path="minutes/approve", url_name="minutes-approve")
    def minutes_approve(self, request, pk=None):
        found = minutes.approve(self._minutes(self.get_object()), request.user)
        return Response(MinutesSerializer(Minutes.objects.prefetch_related("entries").get(pk=found.pk)).data)

    @extend_schema(summary="Publish approved minutes", request=None, responses={200: MinutesSerializer, **REFUSED})
    @action(detail=True, methods=["post"], url_path="minutes/publish", url_name="minutes-publish")
    def minutes_publish(self, request, pk=None):
        found = minutes.publish(self._minutes(self.get_object()), request.user)
        return Response(MinutesSerializer(Minutes.objects.prefetch_related("entries").get(pk=found.pk)).data)

    @extend_schema(
        summary="The minutes as PDF or HTML",
        parameters=[
            OpenApiParameter("language", str, enum=["nb", "nn"]),
            OpenApiParameter("format", str, enum=["pdf", "html"]),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: REFUSED[404]},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="minutes/export",
        url_name="minutes-export",
        renderer_classes=[renderers.JSONRenderer, PDFRenderer, renderers.StaticHTMLRenderer],
    )
    def minutes_export(self, request, pk=None):
        found = self._minutes(self.get_object())
        language = request.query_params.get("language", "nb")
        format_ = request.query_params.get("format", "pdf")
        if language not in ("nb", "nn") or format_ not in ("pdf", "html"):
            raise serializers.ValidationError({"language": [_("Choose nb or nn, and pdf or html.")]})
        if format_ == "pdf":
            response = HttpResponse(minutes.render_pdf(found, language), content_type="application/pdf")
        else:
            response = HttpResponse(minutes.render_html(found, language), content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{minutes.filename(found, language, format_)}"'
        return response


class MeetingViewSet(
    DecisionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Meetings of the collaboration's bodies (portfolio council, board, owners' meeting, sector groups)."""

    queryset = Meeting.objects.all()  # the model, for the router and the schema; see get_queryset
    permission_classes = [MeetingPermissions]
    serializer_class = MeetingListSerializer
    filter_backends = []
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        params = self.request.query_params
        when = params.get("when", "")
        body = params.get("body", "")
        queryset = selectors.meetings_for(
            self.request.user,
            when=when if when in ("upcoming", "past") else "",
            body_id=int(body) if body.isdigit() else None,
        )
        if self.action != "list":
            queryset = selectors.with_rows(queryset)
        return queryset

    def get_serializer_class(self):
        return MeetingListSerializer if self.action == "list" else MeetingDetailSerializer

    def detail_response(self, meeting, status_code=status.HTTP_200_OK) -> Response:
        meeting = selectors.with_rows(selectors.annotate_meetings(Meeting.objects.all())).get(pk=meeting.pk)
        return Response(
            MeetingDetailSerializer(meeting, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(
        summary="Meetings the user may see",
        parameters=[
            OpenApiParameter("when", str, enum=["upcoming", "past"], description="Not over yet, or over."),
            OpenApiParameter("body", int, description="Only this body's meetings."),
        ],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A meeting with its participants, quorum and agenda",
        responses={200: MeetingDetailSerializer, 404: REFUSED[404]},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Schedule a meeting",
        request=MeetingWriteSerializer,
        responses={201: MeetingDetailSerializer, **REFUSED},
    )
    def create(self, request, *args, **kwargs):
        """Everyone holding a seat on the body on the meeting's date is invited, in their seat's role."""
        payload = MeetingWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        body = fields.pop("body")
        meeting = services.schedule_meeting(body, request.user, **fields)
        return self.detail_response(meeting, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a meeting", request=MeetingChangeSerializer, responses={200: MeetingDetailSerializer, **REFUSED}
    )
    def partial_update(self, request, *args, **kwargs):
        meeting = self.get_object()
        payload = MeetingChangeSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        meeting = services.update_meeting(meeting, request.user, **payload.validated_data)
        return self.detail_response(meeting)

    @extend_schema(
        summary="Change a meeting (all fields)",
        request=MeetingChangeSerializer,
        responses={200: MeetingDetailSerializer, **REFUSED},
    )
    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    # ---- the agenda

    @extend_schema(summary="Build the agenda", request=None, responses={200: MeetingDetailSerializer, **REFUSED})
    @action(detail=True, methods=["post"], url_path="build-agenda", url_name="build-agenda")
    def build_agenda(self, request, pk=None):
        """Adds every document waiting for the body's decision that is not on the agenda yet; manual items and
        the order stay. Building again adds nothing new."""
        meeting = self.get_object()
        services.build_agenda(meeting, request.user)
        return self.detail_response(meeting)

    @extend_schema(
        summary="Add a manual agenda item",
        request=ManualItemSerializer,
        responses={201: AgendaItemSerializer, **REFUSED},
    )
    @action(detail=True, methods=["post"])
    def agenda(self, request, pk=None):
        meeting = self.get_object()
        payload = ManualItemSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        presenter_id = fields.pop("presenter")
        presenter = None
        if presenter_id is not None:
            presenter = Person.objects.visible_to(request.user).filter(pk=presenter_id).first()
            if presenter is None:
                raise serializers.ValidationError({"presenter": [_("No such person.")]})
        item = services.add_manual_item(meeting, request.user, presenter=presenter, **fields)
        return Response(AgendaItemSerializer(item, context={"documents": {}}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reorder the agenda", request=ReorderSerializer, responses={200: MeetingDetailSerializer, **REFUSED}
    )
    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None):
        meeting = self.get_object()
        payload = ReorderSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.reorder(meeting, request.user, payload.validated_data["items"])
        return self.detail_response(meeting)

    # ---- the meeting itself

    @extend_schema(
        summary="Record attendance", request=AttendanceSerializer, responses={200: MeetingDetailSerializer, **REFUSED}
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        """Present or absent once the meeting has started; excused at any time. Everyone named must be
        invited; otherwise nothing is recorded."""
        meeting = self.get_object()
        payload = AttendanceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        wanted = {row["person"]: row["attendance"] for row in payload.validated_data["attendance"]}
        services.record_attendance(meeting, request.user, wanted)
        return self.detail_response(meeting)

    @extend_schema(summary="Cancel the meeting", request=None, responses={200: MeetingDetailSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        meeting = self.get_object()
        services.cancel_meeting(meeting, request.user)
        return self.detail_response(meeting)

    @extend_schema(
        summary="Mark the meeting as held", request=None, responses={200: MeetingDetailSerializer, **REFUSED}
    )
    @action(detail=True, methods=["post"])
    def held(self, request, pk=None):
        meeting = self.get_object()
        services.mark_held(meeting, request.user)
        return self.detail_response(meeting)

    # ---- papers

    @extend_schema(
        summary="Add a paper (multipart)", request=PaperUploadSerializer, responses={201: PaperSerializer, **REFUSED}
    )
    @action(detail=True, methods=["post"], parser_classes=[parsers.MultiPartParser, parsers.FormParser])
    def papers(self, request, pk=None):
        """The file is checked as attachments on needs are (type by content, size, no macros)."""
        meeting = self.get_object()
        payload = PaperUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        item_id = payload.validated_data["agenda_item"]
        item = None
        if item_id is not None:
            item = meeting.agenda_items.filter(pk=item_id).first()
            if item is None:
                raise serializers.ValidationError({"agenda_item": [_("The item is not on this meeting's agenda.")]})
        paper = services.add_paper(meeting, request.user, payload.validated_data["file"], item=item)
        return Response(PaperSerializer(paper).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["get"],
        summary="Download a paper",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: REFUSED[404]},
    )
    @extend_schema(methods=["delete"], summary="Remove a paper", responses={204: None, **REFUSED})
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"papers/(?P<paper_pk>[0-9]+)",
        url_name="paper",
        renderer_classes=[renderers.JSONRenderer, BinaryRenderer],
    )
    def paper(self, request, pk=None, paper_pk=None):
        """Papers are for those who see the meeting's details (the body's members, the invited,
        administrators); for anyone else they do not exist (404)."""
        meeting = self.get_object()
        if not services.sees_details(request.user, meeting, meeting.participants.all()):
            raise Http404
        paper = get_object_or_404(meeting.papers.all(), pk=paper_pk)
        if request.method == "DELETE":
            services.remove_paper(paper, request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return services.paper_download(paper)

    @extend_schema(
        summary="The calendar invitation (.ics)",
        responses={(200, "text/calendar"): OpenApiTypes.BINARY, 404: REFUSED[404]},
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, ICSRenderer])
    def ics(self, request, pk=None):
        meeting = self.get_object()
        participants = meeting.participants.all()
        full = services.sees_details(request.user, meeting, participants)
        response = HttpResponse(
            services.ics(meeting, participants, meeting.agenda_items.all(), full=full),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{services.ics_filename(meeting)}"'
        return response


def register(router) -> None:
    router.register("meetings", MeetingViewSet)
