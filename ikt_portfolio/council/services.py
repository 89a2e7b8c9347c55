"""Business rules of meetings: scheduling, invitations from the body's seats, the agenda, attendance, the
quorum and the calendar invitation. Each change is one transaction, audited in the capacity it was made in;
a refusal raises `MeetingRefused` (not allowed, 403), `MeetingError` (not possible now, 400) or Django's
ValidationError (bad input, per field), and writes nothing.

Who may (see `models` for who sees): a body's meetings are scheduled and run by its chair or secretary (a
sector group's lead too), by the collaboration's administrators and by IT operators.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.core.errors import DomainError
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Body, BodyMembership, Person
from ikt_portfolio.members.permissions import admin_collaboration_ids, grants_of, is_operator, person_of
from ikt_portfolio.workflow.registry import registration_for

from .models import (
    MANAGING_ROLES,
    AgendaItem,
    Meeting,
    MeetingSettings,
    Paper,
    Participant,
    QuorumRule,
    managed_body_ids,
    seat_body_ids,
)
from .selectors import waiting_for

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
MEETING_FIELDS = ("title", "starts_at", "ends_at", "place", "video_link", "notes")
CALENDAR_FIELDS = ("title", "starts_at", "ends_at", "place", "video_link")  # a change raises the .ics SEQUENCE


class MeetingError(DomainError):
    """Not possible now (e.g. the meeting is cancelled): the message says why."""


class MeetingRefused(MeetingError):
    status_code = 403


# ------------------------------------------------------------------------------------------------ who


def may_manage(user, body: Body) -> bool:
    """May `user` schedule and run `body`'s meetings?"""
    if is_operator(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return body.collaboration_id in admin_collaboration_ids(user) or body.pk in managed_body_ids(user)


def may_see(user, meeting: Meeting) -> bool:
    return Meeting.objects.visible_to(user).filter(pk=meeting.pk).exists()


def sees_details(user, meeting: Meeting, participants=None) -> bool:
    """Does `user` see the meeting's video link and notes (members of the body, the invited, administrators)?"""
    if may_manage(user, meeting.body):
        return True
    if meeting.body_id in seat_body_ids(user):
        return True
    person = person_of(user)
    if person is None:
        return False
    if participants is not None:
        return any(participant.person_id == person.pk for participant in participants)
    return meeting.participants.filter(person_id=person.pk).exists()


def managed_bodies(user):
    """The bodies whose meetings `user` may schedule."""
    bodies = Body.objects.select_related("collaboration")
    if is_operator(user):
        return bodies
    if not getattr(user, "is_authenticated", False):
        return bodies.none()
    from django.db.models import Q

    return bodies.filter(Q(collaboration_id__in=admin_collaboration_ids(user)) | Q(pk__in=managed_body_ids(user)))


def _capacity(user, body: Body) -> str:
    """The capacity a change is recorded in: the managing seat, else administrator, else operator."""
    for grant in grants_of(user):
        if grant.body_id == body.pk and grant.role in MANAGING_ROLES:
            return grant.capacity
    if body.collaboration_id in admin_collaboration_ids(user):
        return Capacity.COLLABORATION_ADMIN
    return "operator" if is_operator(user) else ""


def _require_manage(user, body: Body) -> str:
    if not may_manage(user, body):
        raise MeetingRefused(
            _("Only the chair or secretary of %(body)s and the collaboration's administrators can do this.")
            % {"body": body}
        )
    return _capacity(user, body)


def _require_open(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise MeetingError(_("The meeting is cancelled: it can no longer change."))


def _require_planned(meeting: Meeting) -> None:
    _require_open(meeting)
    if meeting.status == Meeting.Status.HELD:
        raise MeetingError(_("The meeting has been held: its agenda no longer changes."))


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("body").get(pk=meeting.pk)


# ---------------------------------------------------------------------------------------- scheduling


def _aware(value):
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, OSLO)
    return value


def meeting_day(meeting: Meeting) -> datetime.date:
    """The meeting's date in Norway: the day whose seats are invited."""
    return timezone.localtime(meeting.starts_at, OSLO).date()


def schedule_meeting(
    body: Body, user, *, title: str, starts_at, ends_at, place: str = "", video_link: str = "", notes: str = ""
) -> Meeting:
    """Schedule a meeting of `body` and invite everyone holding a seat on it on the meeting's date, each in
    their seat's role (voting if the seat votes). Naive times are read as Norwegian time."""
    capacity = _require_manage(user, body)
    meeting = Meeting(
        body=body,
        title=(title or "").strip(),
        starts_at=_aware(starts_at),
        ends_at=_aware(ends_at),
        place=(place or "").strip(),
        video_link=(video_link or "").strip(),
        notes=notes or "",
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    meeting.full_clean()
    with transaction.atomic(), acting_as(capacity):
        meeting.save()
        _invite_seats(meeting)
    return meeting


def _invite_seats(meeting: Meeting) -> list[Participant]:
    """Invite the holders of the body's seats on the meeting's date who are not invited yet."""
    invited = set(meeting.participants.values_list("person_id", flat=True))
    seats = (
        BodyMembership.objects.active_on(meeting_day(meeting))
        .filter(body_id=meeting.body_id)
        .exclude(person_id__in=invited)
        .order_by("pk")
    )
    created = []
    for seat in seats:
        if seat.person_id in invited:
            continue
        invited.add(seat.person_id)
        created.append(
            Participant.objects.create(
                meeting=meeting,
                person_id=seat.person_id,
                role=seat.role,
                represents_id=seat.represents_id,
                voting=seat.role in BodyMembership.VOTING_ROLES,
            )
        )
    return created


def update_meeting(meeting: Meeting, user, **changes) -> Meeting:
    """Change the title, times, place, video link or notes. A new date invites that day's seat holders and
    drops those invited who no longer hold a seat then (unless their attendance is recorded)."""
    unknown = set(changes) - set(MEETING_FIELDS)
    if unknown:
        raise ValidationError(_("These cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        fresh = _locked(meeting)
        _require_open(fresh)
        old_day = meeting_day(fresh)
        changed = set()
        for name, value in changes.items():
            value = _aware(value)
            if isinstance(value, str) and name != "notes":
                value = value.strip()
            if getattr(fresh, name) != value:
                setattr(fresh, name, value)
                changed.add(name)
        if not changed:
            return fresh
        if fresh.status == Meeting.Status.HELD and changed & {"starts_at", "ends_at"}:
            raise MeetingError(_("The meeting has been held: its time no longer changes."))
        fresh.full_clean()
        if changed & set(CALENDAR_FIELDS):
            fresh.sequence += 1
        with acting_as(capacity):
            fresh.save()
            if meeting_day(fresh) != old_day:
                _resync_invitations(fresh)
    return fresh


def _resync_invitations(meeting: Meeting) -> None:
    holders = set(
        BodyMembership.objects.active_on(meeting_day(meeting))
        .filter(body_id=meeting.body_id)
        .values_list("person_id", flat=True)
    )
    for participant in meeting.participants.filter(attendance=Participant.Attendance.INVITED).exclude(
        person_id__in=holders
    ):
        participant.delete()
    _invite_seats(meeting)


def cancel_meeting(meeting: Meeting, user) -> Meeting:
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        fresh = _locked(meeting)
        if fresh.status == Meeting.Status.HELD:
            raise MeetingError(_("The meeting has been held: it cannot be cancelled."))
        if fresh.status == Meeting.Status.CANCELLED:
            return fresh
        fresh.status = Meeting.Status.CANCELLED
        fresh.sequence += 1
        with acting_as(capacity):
            fresh.save()
    return fresh


def mark_held(meeting: Meeting, user) -> Meeting:
    """The meeting took place (only once it has started)."""
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        fresh = _locked(meeting)
        _require_open(fresh)
        if fresh.status == Meeting.Status.HELD:
            return fresh
        if fresh.starts_at > timezone.now():
            raise MeetingError(_("The meeting has not started yet."))
        fresh.status = Meeting.Status.HELD
        with acting_as(capacity):
            fresh.save()
    return fresh


# -------------------------------------------------------------------------------------------- agenda


def _next_order(meeting: Meeting) -> int:
    return (meeting.agenda_items.aggregate(n=Max("order"))["n"] or 0) + 1


def build_agenda(meeting: Meeting, user) -> list[AgendaItem]:
    """Put every document waiting for the body's decision on the agenda, after the items already there
    (oldest waiting first). Manual items and the order stay as they are; documents already on the agenda are
    not added again, so building twice adds nothing the second time. Returns the items added."""
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        fresh = _locked(meeting)
        _require_planned(fresh)
        on_agenda = set(
            fresh.agenda_items.filter(kind=AgendaItem.Kind.DOCUMENT).values_list("content_type_id", "object_id")
        )
        order = _next_order(fresh)
        added = []
        with acting_as(capacity):
            for waiting in waiting_for(fresh.body):
                content_type = waiting.content_type
                if (content_type.pk, waiting.document.pk) in on_agenda:
                    continue
                added.append(
                    AgendaItem.objects.create(
                        meeting=fresh,
                        order=order,
                        kind=AgendaItem.Kind.DOCUMENT,
                        content_type=content_type,
                        object_id=waiting.document.pk,
                        title=waiting.title[:250],
                    )
                )
                on_agenda.add((content_type.pk, waiting.document.pk))
                order += 1
    return added


def add_document_item(meeting: Meeting, user, document, *, description: str = "") -> AgendaItem:
    """Put one document (of a type registered with the workflow, in the body's collaboration) on the
    agenda, e.g. one the body handled that was not waiting when the agenda was built."""
    capacity = _require_manage(user, meeting.body)
    try:
        subject = registration_for(document).subject
    except LookupError:
        raise ValidationError(_("Only documents handled by a workflow can be put on the agenda.")) from None
    if subject.collaboration_id(document) != meeting.body.collaboration_id:
        raise ValidationError(_("The item belongs to another collaboration."))
    content_type = ContentType.objects.get_for_model(document)
    with transaction.atomic():
        fresh = _locked(meeting)
        _require_planned(fresh)
        if fresh.agenda_items.filter(content_type=content_type, object_id=document.pk).exists():
            raise ValidationError(_("The item is already on the agenda."))
        with acting_as(capacity):
            return AgendaItem.objects.create(
                meeting=fresh,
                order=_next_order(fresh),
                kind=AgendaItem.Kind.DOCUMENT,
                content_type=content_type,
                object_id=document.pk,
                title=subject.title(document)[:250],
                description=description,
            )


def _check_presenter(meeting: Meeting, presenter: Person | None) -> None:
    if presenter is not None and meeting.body.collaboration_id not in presenter.scope_collaboration_ids():
        raise ValidationError({"presenter": _("The presenter must work in the collaboration.")})


def add_manual_item(
    meeting: Meeting, user, *, title: str, description: str = "", presenter: Person | None = None
) -> AgendaItem:
    """An item of the body's own (orientation, the budget, any other business), added last."""
    capacity = _require_manage(user, meeting.body)
    item = AgendaItem(
        meeting=meeting,
        kind=AgendaItem.Kind.MANUAL,
        title=(title or "").strip(),
        description=description or "",
        presenter=presenter,
    )
    _check_presenter(meeting, presenter)
    item.full_clean(exclude=["order", "meeting"])
    with transaction.atomic():
        fresh = _locked(meeting)
        _require_planned(fresh)
        item.meeting, item.order = fresh, _next_order(fresh)
        with acting_as(capacity):
            item.save()
    return item


ITEM_FIELDS = ("title", "description", "presenter", "outcome")


def update_item(item: AgendaItem, user, **changes) -> AgendaItem:
    """Change an item's title, description, presenter or outcome. A document's title is its own."""
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError(_("These cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    meeting = item.meeting
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        fresh_meeting = _locked(meeting)
        _require_open(fresh_meeting)
        fresh = AgendaItem.objects.select_for_update().get(pk=item.pk)
        if fresh.kind == AgendaItem.Kind.DOCUMENT and "title" in changes and changes["title"] != fresh.title:
            raise ValidationError({"title": _("An item waiting for the body keeps its document's title.")})
        if "presenter" in changes:
            _check_presenter(fresh_meeting, changes["presenter"])
        changed = False
        for name, value in changes.items():
            if getattr(fresh, name) != value:
                setattr(fresh, name, value)
                changed = True
        if changed:
            fresh.full_clean()
            with acting_as(capacity):
                fresh.save()
    return fresh


def remove_item(item: AgendaItem, user) -> None:
    """Take a manual item off the agenda. Items waiting for the body stay until the body has handled them."""
    capacity = _require_manage(user, item.meeting.body)
    with transaction.atomic():
        fresh_meeting = _locked(item.meeting)
        _require_planned(fresh_meeting)
        if item.kind != AgendaItem.Kind.MANUAL:
            raise MeetingError(_("Items waiting for the body's decision stay on the agenda."))
        with acting_as(capacity):
            AgendaItem.objects.get(pk=item.pk).delete()
            _renumber(fresh_meeting)


def _renumber(meeting: Meeting, ids: list[int] | None = None) -> None:
    items = {item.pk: item for item in meeting.agenda_items.order_by("order", "pk")}
    for position, pk in enumerate(ids or list(items), start=1):
        item = items[pk]
        if item.order != position:
            item.order = position
            item.save(update_fields=["order"])


def reorder(meeting: Meeting, user, item_ids: list[int]) -> None:
    """Put the agenda in the order given: every item of the meeting exactly once."""
    capacity = _require_manage(user, meeting.body)
    try:
        ids = [int(pk) for pk in item_ids]
    except (TypeError, ValueError):
        raise ValidationError(_("Give every item of the agenda once, in the new order.")) from None
    with transaction.atomic():
        fresh = _locked(meeting)
        _require_planned(fresh)
        existing = set(fresh.agenda_items.values_list("pk", flat=True))
        if len(ids) != len(set(ids)) or set(ids) != existing:
            raise ValidationError(_("Give every item of the agenda once, in the new order."))
        with acting_as(capacity):
            _renumber(fresh, ids)


# ------------------------------------------------------------------------------------- attendance


def record_attendance(meeting: Meeting, user, attendance: dict) -> list[Participant]:
    """Record who came: {person id: "present" | "absent" | "excused" | "invited"}. Everyone named must be
    invited; present and absent only once the meeting has started. Returns the participants changed."""
    capacity = _require_manage(user, meeting.body)
    choices = set(Participant.Attendance.values)
    wanted: dict[int, str] = {}
    for person_id, value in attendance.items():
        if value not in choices:
            raise ValidationError(
                _("“%(value)s” is not an attendance: use present, absent, excused or invited.") % {"value": value}
            )
        try:
            wanted[int(person_id)] = value
        except (TypeError, ValueError):
            raise ValidationError(_("“%(value)s” is not a person.") % {"value": person_id}) from None
    with transaction.atomic():
        fresh = _locked(meeting)
        _require_open(fresh)
        participants = {p.person_id: p for p in fresh.participants.select_for_update().filter(person_id__in=wanted)}
        strangers = set(wanted) - set(participants)
        if strangers:
            raise ValidationError(
                _("Only people invited to the meeting have an attendance (not: %(people)s).")
                % {"people": ", ".join(str(pk) for pk in sorted(strangers))}
            )
        started = fresh.starts_at <= timezone.now()
        if not started and any(
            value in (Participant.Attendance.PRESENT, Participant.Attendance.ABSENT) for value in wanted.values()
        ):
            raise MeetingError(_("The meeting has not started yet: only excused absences can be recorded."))
        now = timezone.now()
        changed = []
        with acting_as(capacity):
            for person_id, value in wanted.items():
                participant = participants[person_id]
                if participant.attendance == value:
                    continue
                participant.attendance = value
                participant.recorded_by = user
                participant.recorded_at = now
                participant.save()
                changed.append(participant)
    return changed


@dataclass(frozen=True)
class Quorum:
    present: int  # voting members present
    required: int  # voting members needed
    seats: int  # voting seats invited
    met: bool
    rule: str


def meeting_settings(body: Body) -> MeetingSettings:
    """The body's meeting settings, or the defaults (not saved) when it has none."""
    try:
        found = body.meeting_settings
    except MeetingSettings.DoesNotExist:
        found = None
    return found if found is not None else MeetingSettings(body=body)


def required_for(rule: str, seats: int, count: int | None) -> int:
    if rule == QuorumRule.FIXED:
        return max(count or 0, 1)
    if rule == QuorumRule.TWO_THIRDS:
        return max((2 * seats + 2) // 3, 1)
    return seats // 2 + 1


def quorum(meeting: Meeting, participants=None) -> Quorum:
    """Whether enough voting members are present: by the body's rule (default: more than half of the voting
    seats invited). Uses `participants` (or the prefetched ones) without further queries."""
    rows = list(participants if participants is not None else meeting.participants.all())
    seats = sum(1 for p in rows if p.voting)
    present = sum(1 for p in rows if p.voting and p.attendance == Participant.Attendance.PRESENT)
    rules = meeting_settings(meeting.body)
    required = required_for(rules.quorum_rule, seats, rules.quorum_count)
    return Quorum(present, required, seats, seats > 0 and present >= required, rules.quorum_rule)


# -------------------------------------------------------------------------------------------- papers

MAX_PAPERS = 50  # per meeting


def add_paper(meeting: Meeting, user, uploaded_file, *, item: AgendaItem | None = None) -> Paper:
    """Attach a paper to the meeting (or to one of its agenda items). The file is checked as attachments on
    needs are (type by content, size, no macros, no web pages or programs: `needs.attachments.check_file`);
    the file and its row are written together, and a refusal leaves neither."""
    import uuid

    from ikt_portfolio.needs.attachments import check_file

    capacity = _require_manage(user, meeting.body)
    person = person_of(user)
    if person is None:
        raise MeetingRefused(_("Papers are added by a person in the collaboration."))
    if item is not None and item.meeting_id != meeting.pk:
        raise ValidationError({"agenda_item": _("The item is on another meeting's agenda.")})
    extension, content_type, name = check_file(uploaded_file)
    stored = None
    try:
        with transaction.atomic():
            fresh = _locked(meeting)
            _require_open(fresh)
            if fresh.papers.count() >= MAX_PAPERS:
                raise ValidationError(
                    {"file": _("A meeting can have at most %(count)d papers.") % {"count": MAX_PAPERS}}
                )
            paper = Paper(
                meeting=fresh,
                agenda_item=item,
                original_name=name,
                content_type=content_type,
                size=uploaded_file.size,
                uploaded_by=person,
            )
            uploaded_file.seek(0)
            paper.file.save(f"{uuid.uuid4().hex}.{extension}", uploaded_file, save=False)
            stored = paper.file.name
            with acting_as(capacity):
                paper.save()
    except BaseException:
        if stored:
            Paper.file.field.storage.delete(stored)
        raise
    return paper


def remove_paper(paper: Paper, user) -> None:
    """Remove a paper; the file goes from storage once the removal is committed (the history keeps who)."""
    capacity = _require_manage(user, paper.meeting.body)
    storage, name = paper.file.storage, paper.file.name
    with transaction.atomic(), acting_as(capacity):
        paper.delete()
        transaction.on_commit(lambda: storage.delete(name))


def papers_of(meeting: Meeting):
    return Paper.objects.filter(meeting=meeting).select_related("uploaded_by__user", "agenda_item")


def paper_download(paper: Paper):
    """The paper as a download, never shown inline (the same safe response as attachments on needs)."""
    from ikt_portfolio.needs.attachments import download_response

    return download_response(paper)


# ------------------------------------------------------------------------------------------ calendar

ICS_ROLES = {
    BodyMembership.Role.CHAIR: "CHAIR",
    BodyMembership.Role.OBSERVER: "OPT-PARTICIPANT",
    BodyMembership.Role.SECRETARY: "NON-PARTICIPANT",
}
ICS_PARTSTAT = {
    Participant.Attendance.PRESENT: "ACCEPTED",
    Participant.Attendance.EXCUSED: "DECLINED",
    Participant.Attendance.ABSENT: "DECLINED",
}


def ics_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.uid}@ikt-portfolio"


def ics(meeting: Meeting, participants=None, items=None, *, full: bool = True) -> bytes:
    """The meeting as an RFC 5545 calendar (METHOD:REQUEST): organiser, every participant with an e-mail
    address as attendee, place and video link, times in Europe/Oslo with the zone's definition, a UID that
    stays the same for the meeting and a SEQUENCE raised by every change of time or place.

    `full=False` (for readers who do not see the meeting's details, see `sees_details`) leaves out the video
    link and the attendees: the time, the place and the agenda only."""
    from icalendar import Calendar, Event, vCalAddress, vText

    participants = list(
        participants if participants is not None else meeting.participants.select_related("person__user")
    )
    items = list(items if items is not None else meeting.agenda_items.order_by("order", "pk"))
    calendar = Calendar()
    calendar.add("prodid", "-//ikt_portfolio//meetings//NO")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if meeting.status == Meeting.Status.CANCELLED else "REQUEST")
    event = Event()
    event.add("uid", ics_uid(meeting))
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", timezone.localtime(meeting.starts_at, OSLO))
    event.add("dtend", timezone.localtime(meeting.ends_at, OSLO))
    event.add("summary", meeting.title)
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if meeting.status == Meeting.Status.CANCELLED else "CONFIRMED")
    video_link = meeting.video_link if full else ""
    location = meeting.place or video_link
    if location:
        event.add("location", location)
    if video_link:
        event.add("url", video_link)
    lines = [str(meeting.body)]
    if video_link:
        lines.append(_("Video link: %(link)s") % {"link": meeting.video_link})
    if items:
        lines.append(_("Agenda:"))
        lines += [f"{position}. {item.title}" for position, item in enumerate(items, start=1)]
    event.add("description", "\n".join(lines))
    organiser = meeting.created_by
    email = organiser.email if organiser is not None and organiser.email else settings.DEFAULT_FROM_EMAIL
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(_person_name(organiser) if organiser is not None else str(meeting.body))
    event.add("organizer", address)
    for participant in participants if full else ():
        user = participant.person.user
        if not user.email:
            continue
        attendee = vCalAddress(f"mailto:{user.email}")
        attendee.params["cn"] = vText(_person_name(user))
        attendee.params["role"] = vText(ICS_ROLES.get(participant.role, "REQ-PARTICIPANT"))
        attendee.params["partstat"] = vText(ICS_PARTSTAT.get(participant.attendance, "NEEDS-ACTION"))
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def ics_filename(meeting: Meeting) -> str:
    day = timezone.localtime(meeting.starts_at, OSLO).date().isoformat()
    return f"meeting-{day}-{meeting.pk}.ics"
