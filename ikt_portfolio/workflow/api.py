"""REST resources of the workflow: what a user may do with a document now (and why not), doing it, voting,
the document's history, the inbox, delegations, and the workflow definitions (read only).

Views only parse the request, call one service and render the answer: every rule lives in `services`. A
refusal from the engine comes back with its (already translated) reason: 403 for an action the user may not
take now, 409 when someone else changed the document first, 400 for anything else the engine refuses.

Documents are addressed by their registry label and primary key, e.g.
`/api/v1/workflow/documents/ikt_needs.need/42/`, and must be visible to the user (404 otherwise, so the API
does not tell which documents exist elsewhere).
"""

from django.db.models import Prefetch, Q
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ikt_portfolio.core.audit import capacity_label
from ikt_portfolio.core.rest import Pagination, ScopedModelPermissions
from ikt_portfolio.members.models import Body, Collaboration, Person
from ikt_portfolio.members.permissions import (
    admin_collaboration_ids,
    collaboration_ids,
    is_operator,
    person_of,
)

from . import services
from .models import Delegation, State, Transition, TransitionLog, Vote, Workflow, WorkflowVersion
from .registry import registration_for

# ------------------------------------------------------------------------------------ finding documents


def get_document(user, document_type: str, pk: int):
    """The registered document `document_type`/`pk` if `user` may see it; NotFound otherwise (an unknown
    type, a missing row and a row of another collaboration all look the same)."""
    try:
        registration = registration_for(document_type)
    except LookupError:
        raise NotFound() from None
    queryset = registration.model._default_manager.select_related("workflow_version")
    scoped = hasattr(queryset, "visible_to")
    if scoped:
        queryset = queryset.visible_to(user)
    document = queryset.filter(pk=pk).first()
    if document is None:
        raise NotFound()
    if not scoped and not is_operator(user):
        if registration.subject.collaboration_id(document) not in collaboration_ids(user):
            raise NotFound()
    return document


def refusal(error: services.WorkflowError) -> Response:
    """The engine's refusal as an answer: its status (403 refused, 409 conflict, 400 other) and reason."""
    return Response({"detail": error.message}, status=getattr(error, "status_code", status.HTTP_400_BAD_REQUEST))


def person_names(person_ids) -> dict[int, dict]:
    """{id: {"id", "name"}} for the given people, in one query (none when there are no ids)."""
    ids = {pk for pk in person_ids if pk}
    if not ids:
        return {}
    people = Person.objects.filter(pk__in=ids).select_related("user")
    return {p.pk: {"id": p.pk, "name": p.user.get_full_name() or p.user.get_username()} for p in people}


def state_of(document) -> dict | None:
    if not document.workflow_version_id:
        return None
    state = services.graph_of(document.workflow_version).state(document.state)
    if state is None:
        return {"key": document.state, "label": document.state, "category": ""}
    return {"key": state.key, "label": state.localized_name, "category": state.category}


def state_labels(entries) -> dict[tuple[int, str], str]:
    """{(version id, state key): label} for log entries, from their versions' (cached) graphs."""
    versions = WorkflowVersion.objects.in_bulk({entry.version_id for entry in entries})
    labels = {}
    for version in versions.values():
        for key, state in services.graph_of(version).states.items():
            labels[version.pk, key] = state.localized_name
    return labels


# -------------------------------------------------------------------------------------------- serializers


class RefusalSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the request was refused, in the user's language.")


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DocumentStateSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    category = serializers.CharField(help_text="open, waiting, done, rejected or cancelled.")


class ActionCommitteeSerializer(serializers.Serializer):
    body_kind = serializers.CharField(help_text="The kind of body whose members vote, e.g. portfolio_council.")
    body_label = serializers.CharField()
    rule = serializers.CharField(help_text="n_of_m, majority or unanimity.")
    votes_required = serializers.IntegerField(allow_null=True)
    quorum = serializers.IntegerField()
    veto_allowed = serializers.BooleanField()
    ballot = serializers.IntegerField(allow_null=True, help_text="The open ballot, if anyone has voted yet.")
    votes = serializers.DictField(
        child=serializers.IntegerField(), help_text="Votes so far per choice, and the number eligible."
    )


class ActionInputSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    help_text = serializers.CharField()


class DocumentActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why the action is not available to the user now.")
    capacity = serializers.CharField(allow_null=True, help_text="The capacity the user would act in.")
    capacity_label = serializers.CharField(allow_null=True)
    on_behalf_of = PersonRefSerializer(allow_null=True, help_text="Whose delegated capacity the user would use.")
    warning = serializers.CharField(help_text="E.g. that the user already acted on the item in another capacity.")
    comment_required = serializers.BooleanField()
    inputs = ActionInputSerializer(many=True, help_text="Values to send in `inputs` when taking the action.")
    committee = ActionCommitteeSerializer(allow_null=True, help_text="Set when the action is decided by a vote.")


class WorkflowDocumentSerializer(serializers.Serializer):
    document_type = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    state = DocumentStateSerializer(allow_null=True)
    revision = serializers.IntegerField(help_text="Send it back with an action to detect concurrent changes.")
    deadline_at = serializers.DateTimeField(allow_null=True)
    actions = DocumentActionSerializer(many=True)
    may_edit = serializers.BooleanField()


class TransitionLogEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    action_label = serializers.SerializerMethodField()
    from_state = serializers.CharField()
    from_label = serializers.SerializerMethodField()
    to_state = serializers.CharField()
    to_label = serializers.SerializerMethodField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    actor_name = serializers.SerializerMethodField()
    capacity = serializers.CharField()
    capacity_label = serializers.SerializerMethodField()
    on_behalf_of = serializers.SerializerMethodField()
    comment = serializers.CharField()
    ballot = serializers.IntegerField(source="ballot_id", allow_null=True)
    at = serializers.DateTimeField()

    def get_action_label(self, entry) -> str:
        return entry.transition.localized_label if entry.transition_id else ""

    def _label(self, entry, key: str) -> str:
        return self.context.get("state_labels", {}).get((entry.version_id, key), key) if key else ""

    def get_from_label(self, entry) -> str:
        return self._label(entry, entry.from_state)

    def get_to_label(self, entry) -> str:
        return self._label(entry, entry.to_state)

    def get_actor_name(self, entry) -> str:
        return (entry.actor.get_full_name() or entry.actor.get_username()) if entry.actor_id else ""

    def get_capacity_label(self, entry) -> str:
        return capacity_label(entry.capacity) if entry.capacity else ""

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_on_behalf_of(self, entry):
        if not entry.on_behalf_of_id:
            return None
        user = entry.on_behalf_of.user
        return {"id": entry.on_behalf_of_id, "name": user.get_full_name() or user.get_username()}


class PerformActionSerializer(serializers.Serializer):
    action = serializers.SlugField(max_length=50)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    inputs = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        default=dict,
        help_text="Values the action asks for besides the comment (see `inputs` of the action), e.g. "
        '{"into": "B-12"} for merging a need.',
    )
    revision = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="The revision the user saw; a different current revision is refused with 409.",
    )


class PerformResultSerializer(serializers.Serializer):
    log = TransitionLogEntrySerializer()
    state = DocumentStateSerializer()
    revision = serializers.IntegerField()


class CastVoteSerializer(serializers.Serializer):
    action = serializers.SlugField(max_length=50)
    choice = serializers.ChoiceField(choices=Vote.Choice.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class BallotSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    body = serializers.IntegerField()
    outcome = serializers.CharField(help_text="open, passed, failed or cancelled.")
    eligible = serializers.IntegerField(help_text="How many members may vote.")
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Votes cast per choice.")


class CastVoteResultSerializer(serializers.Serializer):
    ballot = BallotSummarySerializer()
    vote = serializers.DictField(help_text="The vote recorded: choice, capacity and whose seat (voter).")
    moved = serializers.BooleanField(help_text="Did this vote decide the matter and move the document?")
    log = TransitionLogEntrySerializer(allow_null=True)
    state = DocumentStateSerializer()
    revision = serializers.IntegerField()


class InboxActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    vote = serializers.BooleanField(help_text="The user takes part by voting.")
    capacity = serializers.CharField()
    capacity_label = serializers.CharField()
    on_behalf_of = PersonRefSerializer(allow_null=True)


class InboxItemSerializer(serializers.Serializer):
    document_type = serializers.CharField()
    document_label = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    link = serializers.CharField()
    state = DocumentStateSerializer()
    waiting_since = serializers.DateTimeField(allow_null=True)
    deadline_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    actions = InboxActionSerializer(many=True)


# -------------------------------------------------------------------------------------- rendering


def render_document(document, user) -> dict:
    subject = registration_for(document).subject
    options = services.available_actions(document, user)
    names = person_names(o.standing.on_behalf_of_id for o in options if o.standing)
    try:
        may_edit = bool(document.workflow_version_id) and services.may_edit(document, user)
    except services.WorkflowError:
        may_edit = False
    return {
        "document_type": document._meta.label_lower,
        "id": document.pk,
        "title": subject.title(document),
        "state": state_of(document),
        "revision": document.workflow_revision,
        "deadline_at": document.deadline_at,
        "actions": [render_option(option, names) for option in options],
        "may_edit": may_edit,
    }


def render_option(option: services.ActionOption, names: dict) -> dict:
    transition, standing = option.transition, option.standing
    committee = None
    if transition.is_committee:
        committee = {
            "body_kind": transition.committee,
            "body_label": str(Body.Kind(transition.committee).label),
            "rule": transition.vote_rule,
            "votes_required": transition.votes_required,
            "quorum": transition.quorum,
            "veto_allowed": transition.veto_allowed,
            "ballot": option.ballot.pk if option.ballot is not None else None,
            "votes": option.votes,
        }
    return {
        "action": transition.action,
        "label": transition.localized_label,
        "allowed": option.allowed,
        "reason": option.reason,
        "capacity": standing.capacity if standing else None,
        "capacity_label": capacity_label(standing.capacity) if standing else None,
        "on_behalf_of": names.get(standing.on_behalf_of_id) if standing else None,
        "warning": option.warning,
        "comment_required": transition.comment_required,
        "inputs": [{"name": i.name, "label": str(i.label), "help_text": str(i.help_text)} for i in option.inputs],
        "committee": committee,
    }


def log_labels(entry: TransitionLog | None, document) -> dict:
    """The state labels a log entry of `document` needs (see TransitionLogEntrySerializer)."""
    if entry is None:
        return {}
    if entry.version_id == document.workflow_version_id:
        graph = services.graph_of(document.workflow_version)
        return {(entry.version_id, key): state.localized_name for key, state in graph.states.items()}
    return state_labels([entry])


# ---------------------------------------------------------------------------------------- documents

REFUSALS = {
    400: OpenApiResponse(RefusalSerializer, description="Refused by the engine for another reason."),
    403: OpenApiResponse(RefusalSerializer, description="The user may not take this action now; says why."),
    404: OpenApiResponse(RefusalSerializer, description="No such document type or document visible to the user."),
    409: OpenApiResponse(RefusalSerializer, description="Someone else changed the document first."),
}


class DocumentView(APIView):
    """Base of the per-document endpoints: signed in; the engine decides the rest."""

    permission_classes = [permissions.IsAuthenticated]

    def document(self):
        return get_document(self.request.user, self.kwargs["document_type"], self.kwargs["pk"])


class DocumentDetailView(DocumentView):
    @extend_schema(
        summary="A document's status and the actions the user may take now",
        responses={200: WorkflowDocumentSerializer, 400: REFUSALS[400], 404: REFUSALS[404]},
    )
    def get(self, request, document_type, pk):
        """Every action out of the current state: allowed or not, with the reason, the capacity the user would
        act in (and on whose behalf, if delegated) and, for committee decisions, the votes so far."""
        document = self.document()
        try:
            payload = render_document(document, request.user)
        except services.WorkflowError as error:
            return refusal(error)
        return Response(WorkflowDocumentSerializer(payload).data)


class DocumentPerformView(DocumentView):
    @extend_schema(
        summary="Take an action on a document",
        request=PerformActionSerializer,
        responses={200: PerformResultSerializer, **REFUSALS},
    )
    def post(self, request, document_type, pk):
        document = self.document()
        payload = PerformActionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            log = services.act(
                document,
                data["action"],
                request.user,
                comment=data["comment"],
                revision=data["revision"],
                inputs=data["inputs"],
            )
        except services.WorkflowError as error:
            return refusal(error)
        result = {"log": log, "state": state_of(document), "revision": document.workflow_revision}
        context = {"state_labels": log_labels(log, document)}
        return Response(PerformResultSerializer(result, context=context).data)


class DocumentVoteView(DocumentView):
    @extend_schema(
        summary="Vote on a committee decision about a document",
        request=CastVoteSerializer,
        responses={200: CastVoteResultSerializer, **REFUSALS},
    )
    def post(self, request, document_type, pk):
        """The vote is cast for the user's own seat, or for the seat of a member who delegated to them. When it
        decides the matter the document moves (`moved`, `log`)."""
        document = self.document()
        payload = CastVoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            result = services.vote(document, data["action"], request.user, data["choice"], comment=data["comment"])
        except services.WorkflowError as error:
            return refusal(error)
        ballot = result.ballot
        choices = list(ballot.votes.values_list("choice", flat=True))
        body = {
            "ballot": {
                "id": ballot.pk,
                "action": data["action"],
                "body": ballot.body_id,
                "outcome": ballot.outcome,
                "eligible": len(ballot.eligible),
                "counts": {choice: choices.count(choice) for choice in Vote.Choice.values},
            },
            "vote": {"choice": result.vote.choice, "capacity": result.vote.capacity, "voter": result.vote.voter_id},
            "moved": result.log is not None,
            "log": result.log,
            "state": state_of(document),
            "revision": document.workflow_revision,
        }
        context = {"state_labels": log_labels(result.log, document)}
        return Response(CastVoteResultSerializer(body, context=context).data)


class DocumentHistoryView(generics.ListAPIView):
    """The document's route: every state change, newest first, with who did it, in which capacity, on whose
    behalf and why."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TransitionLogEntrySerializer
    pagination_class = Pagination
    filter_backends: list = []
    queryset = TransitionLog.objects.none()  # the model, for the schema; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TransitionLog.objects.none()
        document = get_document(self.request.user, self.kwargs["document_type"], self.kwargs["pk"])
        return services.history(document)

    @extend_schema(summary="A document's history")
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        context = {**self.get_serializer_context(), "state_labels": state_labels(page)}
        return self.get_paginated_response(TransitionLogEntrySerializer(page, many=True, context=context).data)


# -------------------------------------------------------------------------------------------- the inbox


class InboxPagination(Pagination):
    """The project's pagination, plus how many of all the waiting items are past their deadline."""

    def paginate_queryset(self, queryset, request, view=None):
        self.overdue = sum(1 for item in queryset if item.overdue)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data = {"count": response.data["count"], "overdue": self.overdue, **response.data}
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "count": paginated["properties"]["count"],
            "overdue": {"type": "integer", "example": 1, "description": "Items past their deadline."},
            **paginated["properties"],
        }
        paginated["required"] = [*paginated.get("required", []), "overdue"]
        return paginated


class InboxView(generics.ListAPIView):
    """Everything waiting for the user's action or vote (their own capacities and those delegated to them),
    oldest first, with the actions they can take."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = InboxItemSerializer
    pagination_class = InboxPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        return services.inbox(self.request.user)

    @extend_schema(summary="What waits for the user")
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        names = person_names(
            option.standing.on_behalf_of_id for item in page for option in item.actions if option.standing
        )
        rows = [self.render_item(item, names) for item in page]
        return self.get_paginated_response(InboxItemSerializer(rows, many=True).data)

    @staticmethod
    def render_item(item, names: dict) -> dict:
        return {
            "document_type": item.label,
            "document_label": str(registration_for(item.label).subject.label or item.label),
            "id": item.document.pk,
            "title": item.title,
            "link": item.link,
            "state": state_of(item.document),
            "waiting_since": item.waiting_since,
            "deadline_at": item.deadline_at,
            "overdue": item.overdue,
            "actions": [
                {
                    "action": option.action,
                    "label": option.transition.localized_label,
                    "vote": option.transition.is_committee,
                    "capacity": option.standing.capacity,
                    "capacity_label": capacity_label(option.standing.capacity),
                    "on_behalf_of": names.get(option.standing.on_behalf_of_id),
                }
                for option in item.actions
            ],
        }


# ------------------------------------------------------------------------------------------ delegations


class DelegationSerializer(serializers.ModelSerializer):
    delegator_name = serializers.SerializerMethodField()
    delegate_name = serializers.SerializerMethodField()
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = [
            "id",
            "collaboration",
            "delegator",
            "delegator_name",
            "delegate",
            "delegate_name",
            "capacities",
            "valid_from",
            "valid_to",
            "reason",
            "revoked_at",
            "revoked_by",
            "in_force",
        ]
        read_only_fields = fields

    def get_delegator_name(self, obj) -> str:
        return obj.delegator.user.get_full_name() or obj.delegator.user.get_username()

    def get_delegate_name(self, obj) -> str:
        return obj.delegate.user.get_full_name() or obj.delegate.user.get_username()

    def get_in_force(self, obj) -> bool:
        return obj.revoked_at is None and obj.is_active_on(timezone.localdate())


class DelegationCreateSerializer(serializers.Serializer):
    collaboration = serializers.PrimaryKeyRelatedField(queryset=Collaboration.objects.all())
    delegator = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, help_text="Whose capacities; yourself when left out."
    )
    delegate = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), help_text="The substitute.")
    valid_from = serializers.DateField(required=False, help_text="Today when left out.")
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)
    capacities = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        help_text="Capacities delegated (e.g. council_member); empty for all of them. Checked by the model.",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:  # choose only among what the user can see
            fields["collaboration"].queryset = Collaboration.objects.visible_to(request.user)
            fields["delegator"].queryset = Person.objects.visible_to(request.user)
            fields["delegate"].queryset = Person.objects.visible_to(request.user)
        return fields

    def validate(self, attrs):
        if "delegator" not in attrs:
            own = person_of(self.context["request"].user)
            if own is None:
                raise serializers.ValidationError({"delegator": [_("This field is required.")]})
            attrs["delegator"] = own
        attrs.setdefault("valid_from", timezone.localdate())
        return attrs


class DelegationPermissions(ScopedModelPermissions):
    """Model permissions as everywhere; who may create or revoke one delegation is the services' decision
    (the delegator themselves or an administrator of the collaboration), so rows are not checked here."""

    def has_permission(self, request, view):
        if getattr(view, "action", None) == "revoke":
            return bool(
                request.user
                and request.user.is_authenticated
                and request.user.has_perm(f"{Delegation._meta.app_label}.change_delegation")
            )
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        return True


class DelegationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Delegations that concern the user: given or received by them, and all in collaborations they
    administer. Created and revoked through the delegation services; never edited or deleted."""

    queryset = Delegation.objects.select_related("delegator__user", "delegate__user")
    serializer_class = DelegationSerializer
    permission_classes = [DelegationPermissions]
    filterset_fields = ["collaboration", "delegator", "delegate"]
    ordering_fields = ["valid_from", "valid_to"]

    def get_queryset(self):
        user = self.request.user
        queryset = self.queryset.all()
        if is_operator(user):
            return queryset
        concerns = Q(collaboration_id__in=admin_collaboration_ids(user))
        person = person_of(user)
        if person is not None:
            concerns |= Q(delegator_id=person.pk) | Q(delegate_id=person.pk)
        return queryset.filter(concerns)

    @extend_schema(request=DelegationCreateSerializer, responses={201: DelegationSerializer})
    def create(self, request):
        """Delegate your own capacities (or, as the collaboration's administrator, someone else's)."""
        payload = DelegationCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        delegation = services.delegate(**payload.validated_data, by=request.user)
        delegation = self.queryset.get(pk=delegation.pk)
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DelegationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """End a delegation now (the delegator or an administrator)."""
        delegation = self.get_object()
        services.revoke(delegation, by=request.user)
        return Response(DelegationSerializer(delegation).data)


# ------------------------------------------------------------------------------------ definitions (read)


class StateSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="localized_name", read_only=True)

    class Meta:
        model = State
        fields = ["id", "key", "label", "name", "name_nn", "name_en", "category", "is_initial", "order",
                  "edit_capacities", "editable_fields", "deadline_days", "escalate_after_days",
                  "escalate_to"]  # fmt: skip
        read_only_fields = fields


class TransitionSerializer(serializers.ModelSerializer):
    localized_label = serializers.CharField(read_only=True)
    from_state = serializers.SlugRelatedField(slug_field="key", read_only=True)
    to_state = serializers.SlugRelatedField(slug_field="key", read_only=True)
    committee = serializers.CharField(read_only=True, help_text="The kind of body that votes; empty: no vote.")

    class Meta:
        model = Transition
        fields = ["id", "action", "localized_label", "label", "label_nn", "label_en", "from_state", "to_state",
                  "allowed_capacities", "condition", "comment_required", "allow_self_approval", "committee",
                  "vote_rule", "votes_required", "quorum", "veto_allowed", "order"]  # fmt: skip
        read_only_fields = fields


class WorkflowVersionSerializer(serializers.ModelSerializer):
    states = StateSerializer(many=True, read_only=True)
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta:
        model = WorkflowVersion
        fields = ["id", "workflow", "number", "status", "published_at", "note", "states", "transitions"]
        read_only_fields = fields


class VersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowVersion
        fields = ["id", "number", "status", "published_at", "note"]
        read_only_fields = fields


class WorkflowSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="localized_name", read_only=True)
    versions = VersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Workflow
        fields = ["id", "collaboration", "document_type", "key", "label", "name", "name_nn", "name_en",
                  "description", "is_active", "versions"]  # fmt: skip
        read_only_fields = fields


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        return self.queryset.all().visible_to(self.request.user)


class WorkflowViewSet(ScopedReadOnlyViewSet):
    """The collaborations' workflows (changed in the Desk, read here)."""

    queryset = Workflow.objects.prefetch_related("versions")
    serializer_class = WorkflowSerializer
    filterset_fields = ["collaboration", "document_type", "is_active"]
    search_fields = ["key", "name"]


class WorkflowVersionViewSet(ScopedReadOnlyViewSet):
    """Workflow versions with their states and transitions."""

    queryset = WorkflowVersion.objects.prefetch_related(
        "states", Prefetch("transitions", queryset=Transition.objects.select_related("from_state", "to_state"))
    )
    serializer_class = WorkflowVersionSerializer
    filterset_fields = ["workflow", "status"]


# ----------------------------------------------------------------------------------------------- routes


def register(router) -> None:
    router.register("workflow/workflows", WorkflowViewSet)
    router.register("workflow/versions", WorkflowVersionViewSet)
    router.register("workflow/delegations", DelegationViewSet)


DOCUMENT = "documents/<str:document_type>/<int:pk>/"

urlpatterns = [
    path("inbox/", InboxView.as_view(), name="workflow-inbox"),
    path(DOCUMENT, DocumentDetailView.as_view(), name="workflow-document"),
    path(f"{DOCUMENT}perform/", DocumentPerformView.as_view(), name="workflow-document-perform"),
    path(f"{DOCUMENT}vote/", DocumentVoteView.as_view(), name="workflow-document-vote"),
    path(f"{DOCUMENT}history/", DocumentHistoryView.as_view(), name="workflow-document-history"),
]
