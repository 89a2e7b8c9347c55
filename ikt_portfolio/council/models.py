"""Meetings of the collaboration's bodies (portfolio council, board, owners' meeting, sector groups): when and
where, who was invited and who came, and the agenda.

Who may see and change a meeting (`MeetingQuerySet`, the same rule everywhere: Desk, portal, API):
- the body's chair or secretary (a sector group's lead too) holding the seat today, the collaboration's
  administrators and IT operators schedule and change meetings;
- everyone holding a seat on the body today and everyone invited sees the body's meetings in full;
- everyone else in the collaboration sees the meetings of the portfolio council, the board and the owners'
  meeting that are not cancelled (transparency: when, where, the agenda, who attended), but not their video
  link or internal notes; a sector group's meetings are its own business.
"""

import os
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.money import MoneyField
from ikt_portfolio.members.models import Body, BodyMembership, CollaborationScoped
from ikt_portfolio.members.permissions import (
    ScopedQuerySet,
    admin_collaboration_ids,
    collaboration_ids,
    grants_of,
    is_operator,
    person_of,
)

# Bodies whose meetings every member of the collaboration may see (sector groups keep theirs to themselves).
PUBLIC_KINDS = (Body.Kind.PORTFOLIO_COUNCIL, Body.Kind.BOARD, Body.Kind.OWNERS_MEETING)
# Seats whose holders run the body's meetings.
MANAGING_ROLES = (BodyMembership.Role.CHAIR, BodyMembership.Role.SECRETARY, BodyMembership.Role.LEAD)


def seat_body_ids(user) -> set[int]:
    """Bodies the user holds a seat on today (any role)."""
    return {grant.body_id for grant in grants_of(user) if grant.body_id}


def managed_body_ids(user) -> set[int]:
    """Bodies whose meetings the user runs through a seat held today (chair, secretary, sector lead)."""
    return {grant.body_id for grant in grants_of(user) if grant.body_id and grant.role in MANAGING_ROLES}


class QuorumRule(models.TextChoices):
    MAJORITY = "majority", _("more than half of the voting seats")
    TWO_THIRDS = "two_thirds", _("at least two thirds of the voting seats")
    FIXED = "fixed", _("a fixed number of voting members")


class MeetingSettings(CollaborationScoped, models.Model):
    """How a body meets: its quorum rule. A body without settings uses the default (more than half)."""

    scope_path = "body__collaboration"
    scope_fields = ("body",)

    body = models.OneToOneField(Body, on_delete=models.CASCADE, related_name="meeting_settings", verbose_name=_("body"))
    quorum_rule = models.CharField(
        _("quorum rule"), max_length=20, choices=QuorumRule.choices, default=QuorumRule.MAJORITY
    )
    quorum_count = models.PositiveSmallIntegerField(
        _("voting members required"),
        null=True,
        blank=True,
        help_text=_("For a fixed quorum: how many voting members must be present."),
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting settings")
        verbose_name_plural = _("meeting settings")
        ordering = ["body"]

    def __str__(self) -> str:
        return str(self.body)

    def clean(self) -> None:
        if self.quorum_rule == QuorumRule.FIXED and not self.quorum_count:
            raise ValidationError({"quorum_count": _("Say how many voting members must be present.")})


class MeetingQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        if is_operator(user):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        shown = models.Q(body__collaboration_id__in=admin_collaboration_ids(user)) | models.Q(
            body_id__in=seat_body_ids(user)
        )
        shown |= models.Q(body__collaboration_id__in=collaboration_ids(user), body__kind__in=PUBLIC_KINDS) & ~models.Q(
            status=Meeting.Status.CANCELLED
        )
        person = person_of(user)
        if person is not None:
            shown |= models.Q(pk__in=Participant.objects.filter(person_id=person.pk).values("meeting_id"))
        return self.filter(shown)

    def editable_by(self, user):
        if is_operator(user):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            models.Q(body__collaboration_id__in=admin_collaboration_ids(user))
            | models.Q(body_id__in=managed_body_ids(user))
        )


class Meeting(CollaborationScoped, models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")
        CANCELLED = "cancelled", pgettext_lazy("meeting", "cancelled")

    scope_path = "body__collaboration"
    scope_fields = ("body",)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("body"))
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True, help_text=_("E.g. the room and the address."))
    video_link = models.URLField(
        _("video link"), max_length=500, blank=True, help_text=_("For those who take part from afar.")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True)
    notes = models.TextField(_("notes"), blank=True, help_text=_("Seen by the body's members and the participants."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    created_at = models.DateTimeField(_("scheduled"), auto_now_add=True)
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="Raised when the time or place changes (the .ics SEQUENCE)."
    )
    history = audited()

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["body", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="ikt_meeting_ends_after")
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The meeting must end after it starts.")})


class ScopedThroughMeeting(ScopedQuerySet):
    """Rows of a meeting: seen and changed where the meeting is."""

    def visible_to(self, user):
        return self.filter(meeting__in=Meeting.objects.visible_to(user).values("pk"))

    def editable_by(self, user):
        return self.filter(meeting__in=Meeting.objects.editable_by(user).values("pk"))


class Participant(CollaborationScoped, models.Model):
    """A person invited to a meeting, in the role of their seat on the invitation day, and their attendance."""

    class Attendance(models.TextChoices):
        INVITED = "invited", _("invited")
        PRESENT = "present", _("present")
        ABSENT = "absent", _("absent")
        EXCUSED = "excused", _("excused")

    scope_path = "meeting__body__collaboration"
    scope_fields = ("meeting",)

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name=_("meeting")
    )
    person = models.ForeignKey(
        "ikt_members.Person", on_delete=models.PROTECT, related_name="meeting_participations", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=20, choices=BodyMembership.Role.choices)
    represents = models.ForeignKey(
        "ikt_members.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("represents"),
    )
    voting = models.BooleanField(_("voting"), default=False, help_text=_("The seat carries a vote."))
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.INVITED
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True, editable=False)
    history = audited()

    objects = ScopedThroughMeeting.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["meeting", "role", "person__user__last_name", "person__user__first_name", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="ikt_participant_once")]
        indexes = [models.Index(fields=["person", "meeting"]), models.Index(fields=["meeting", "attendance"])]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class AgendaItem(CollaborationScoped, models.Model):
    """One item of a meeting's agenda: a document waiting for the body (a need, ...) or a manual item."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("item waiting for the body")
        MANUAL = "manual", _("manual item")

    scope_path = "meeting__body__collaboration"
    scope_fields = ("meeting",)

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("meeting")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    document = GenericForeignKey("content_type", "object_id")
    title = models.CharField(
        _("title"), max_length=250, help_text=_("A document's title as it was when it was put on the agenda.")
    )
    description = models.TextField(_("description"), blank=True)
    presenter = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("presented by"),
    )
    outcome = models.TextField(_("outcome"), blank=True, help_text=_("What the body concluded on the item."))
    history = audited()

    objects = ScopedThroughMeeting.as_manager()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["meeting", "order", "pk"]
        constraints = [
            # Manual items have no document (NULLs never clash), so this only says "each document once".
            models.UniqueConstraint(fields=["meeting", "content_type", "object_id"], name="ikt_agenda_document_once"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="document", content_type__isnull=False, object_id__isnull=False)
                    | models.Q(kind="manual", content_type__isnull=True, object_id__isnull=True)
                ),
                name="ikt_agenda_kind_matches_link",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.title


def paper_upload_to(instance, filename: str) -> str:
    """meetings/<meeting id>/<random>.<extension>: the uploader's file name is never used on disk."""
    extension = os.path.splitext(filename)[1].lower()
    return f"meetings/{instance.meeting_id}/{uuid.uuid4().hex}{extension}"


def paper_storage():
    from ikt_portfolio.needs.storage import attachment_storage

    return attachment_storage()


class Paper(CollaborationScoped, models.Model):
    """A meeting paper (saksdokument): a file for the meeting or for one agenda item. It lives in the same
    private storage as attachments on needs and is downloaded only through the permission-checked views;
    it is seen by those who see the meeting's details (members of the body, the invited, administrators)."""

    scope_path = "meeting__body__collaboration"
    scope_fields = ("meeting",)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="papers", verbose_name=_("meeting"))
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="papers",
        verbose_name=_("agenda item"),
        help_text=_("Empty: a paper for the whole meeting."),
    )
    file = models.FileField(_("file"), upload_to=paper_upload_to, storage=paper_storage, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, help_text=_("As detected from the content."))
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        "ikt_members.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    history = audited()

    objects = ScopedThroughMeeting.as_manager()

    class Meta:
        verbose_name = _("meeting paper")
        verbose_name_plural = _("meeting papers")
        ordering = ["meeting", "uploaded_at", "pk"]
        indexes = [models.Index(fields=["meeting", "uploaded_at"])]

    def __str__(self) -> str:
        return self.original_name


# ------------------------------------------------------------------------------------------ decisions

DEFAULT_BOARD_THRESHOLD = Decimal("500000.00")


class DecisionSettings(CollaborationScoped, models.Model):
    """How the collaboration's portfolio council decides: above which estimated cost an item goes to the
    board. The recommended routing's condition reads it as `board_threshold` (“not (estimated_cost >
    board_threshold or strategic)”); without settings the threshold is 500 000 kroner."""

    collaboration = models.OneToOneField(
        "ikt_members.Collaboration",
        on_delete=models.CASCADE,
        related_name="decision_settings",
        verbose_name=_("collaboration"),
    )
    board_threshold = MoneyField(
        _("board threshold"),
        default=DEFAULT_BOARD_THRESHOLD,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Items whose estimated cost is above this (NOK) are decided by the board; strategic items always are. "
            "Conditions of the routing name it board_threshold."
        ),
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision settings")
        verbose_name_plural = _("decision settings")
        ordering = ["collaboration"]

    def __str__(self) -> str:
        return str(self.collaboration)


class Decision(CollaborationScoped, models.Model):
    """A decision the body takes on a document item of the agenda, put to the vote by the chair or secretary:
    one of the committee actions of the document's state (include with a priority, defer to a later period,
    reject with a reason, send to the board; the board approves or rejects). The members vote through the
    workflow engine's ballot; when it passes, the document moves and `log` is that step. A motion that does
    not pass stays as a record (failed), and the body may put another."""

    class Status(models.TextChoices):
        OPEN = "open", _("open for votes")
        PASSED = "passed", _("decided")
        FAILED = "failed", _("not passed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    scope_path = "agenda_item__meeting__body__collaboration"
    scope_fields = ("agenda_item",)

    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("agenda item")
    )
    transition = models.ForeignKey(
        "ikt_workflow.Transition", on_delete=models.PROTECT, related_name="+", verbose_name=_("action")
    )
    action = models.SlugField(_("action"), max_length=50)
    priority = models.PositiveSmallIntegerField(
        _("priority"), null=True, blank=True, help_text=_("1 is the most important (included items).")
    )
    period = models.ForeignKey(
        "ikt_plan.Period",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("period"),
        help_text=_("Deferred to this period, or planned for it (included items)."),
    )
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    ballot = models.ForeignKey(
        "ikt_workflow.Ballot", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    log = models.OneToOneField(
        "ikt_workflow.TransitionLog",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="council_decision",
        editable=False,
        verbose_name=_("workflow step"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("put to the vote by"),
    )
    opened_at = models.DateTimeField(_("put to the vote"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["agenda_item__meeting", "agenda_item__order", "opened_at", "pk"]
        indexes = [models.Index(fields=["agenda_item", "status"])]

    def __str__(self) -> str:
        return f"{self.agenda_item}: {self.transition.localized_label}"


# --------------------------------------------------------------------------------------------- minutes


class Minutes(CollaborationScoped, models.Model):
    """The meeting's minutes (protokoll): generated from its attendance, quorum and decisions (votes per
    member with their capacity, abstentions, reasons) into `record`, with the secretary's own text around
    it. Editable by the chair and secretary until approved; approval locks them for good (the services, the
    Desk and the API refuse changes, and `save` refuses them too) and stores a hash of the content; once
    published they are seen by everyone who sees the meeting."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")

    scope_path = "meeting__body__collaboration"
    scope_fields = ("meeting",)
    CONTENT_FIELDS = ("record", "introduction", "closing", "status", "approved_at", "approved_by", "content_hash")

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="minutes", verbose_name=_("meeting"))
    record = models.JSONField(_("record"), default=dict, editable=False)
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("E.g. who opened the meeting and approved the notice.")
    )
    closing = models.TextField(_("closing remarks"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("approved by"),
    )
    content_hash = models.CharField(
        _("content hash (SHA-256)"), max_length=64, blank=True, editable=False, help_text=_("Set at approval.")
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    history = audited()

    objects = ScopedThroughMeeting.as_manager()

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        ordering = ["-meeting__starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(approved_at__isnull=False, content_hash__gt=""),
                name="ikt_minutes_approved_has_hash",
            )
        ]

    def __str__(self) -> str:
        return gettext("Minutes: %(meeting)s") % {"meeting": self.meeting}

    def save(self, *args, **kwargs):
        if self.pk and Minutes.objects.filter(pk=self.pk, status=self.Status.APPROVED).exists():
            allowed = {"published_at"}
            if not set(kwargs.get("update_fields") or ()) or not set(kwargs["update_fields"]) <= allowed:
                raise ImmutableMinutes(gettext("The minutes are approved: they can no longer be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Minutes.objects.filter(pk=self.pk, status=self.Status.APPROVED).exists():
            raise ImmutableMinutes(gettext("The minutes are approved: they can no longer be changed."))
        return super().delete(*args, **kwargs)

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class ImmutableMinutes(Exception):
    """Raised by the model itself when approved minutes would change (the services refuse earlier)."""


class MinutesEntry(CollaborationScoped, models.Model):
    """The secretary's notes on one agenda item of the minutes (what was said; the decision and the votes
    come from the record)."""

    scope_path = "minutes__meeting__body__collaboration"
    scope_fields = ("minutes",)

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="entries", verbose_name=_("minutes"))
    position = models.PositiveSmallIntegerField(_("item number"))
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("agenda item")
    )
    title = models.CharField(_("title"), max_length=250, editable=False)
    notes = models.TextField(_("notes"), blank=True, help_text=_("What was said on the item (the decision is added)."))
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("minutes item")
        verbose_name_plural = _("minutes items")
        ordering = ["minutes", "position"]
        constraints = [models.UniqueConstraint(fields=["minutes", "position"], name="ikt_minutes_entry_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def save(self, *args, **kwargs):
        if Minutes.objects.filter(pk=self.minutes_id, status=Minutes.Status.APPROVED).exists():
            raise ImmutableMinutes(gettext("The minutes are approved: they can no longer be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Minutes.objects.filter(pk=self.minutes_id, status=Minutes.Status.APPROVED).exists():
            raise ImmutableMinutes(gettext("The minutes are approved: they can no longer be changed."))
        return super().delete(*args, **kwargs)
