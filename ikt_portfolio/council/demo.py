"""Demo: a portfolio council meeting held three weeks ago (attendance recorded, the items it decided on its
agenda with their decisions, its minutes approved and published), the next council meeting with its agenda
built from what waits for the council's votes, and the next board meeting. Everything goes through the
services, as the chairs would do it."""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import DemoDataError, demo_reset, demo_step
from ikt_portfolio.members.models import Body
from ikt_portfolio.needs.models import Need
from ikt_portfolio.workflow.models import TransitionLog

from . import decisions, minutes, services
from .models import Decision, Meeting, Minutes, Participant

COUNCIL_CHAIR = "rad.kristiansund"
BOARD_CHAIR = "styre.kristiansund"
PLACE = "Kristiansund rådhus, møterom Nordmøre"


def _at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=services.OSLO)


def _body(context: dict, kind: str) -> Body:
    found = [body for body in context["bodies"].values() if body.kind == kind]
    if not found:
        raise DemoDataError(_("The demo collaboration has no body of the kind %(kind)s.") % {"kind": kind})
    return min(found, key=lambda body: body.pk)


@demo_step(
    order=40,
    label=gettext_lazy("Meetings: a held and an upcoming portfolio council meeting, and an upcoming board meeting."),
)
def load_meetings(context: dict, out) -> None:
    users = context["users"]
    council, board = _body(context, Body.Kind.PORTFOLIO_COUNCIL), _body(context, Body.Kind.BOARD)
    chair, board_chair = users[COUNCIL_CHAIR], users[BOARD_CHAIR]

    held = services.schedule_meeting(
        council,
        chair,
        title="Porteføljerådet, møte 1",
        starts_at=_at(-21, 10),
        ends_at=_at(-21, 13),
        place=PLACE,
        video_link="https://video.example/orkide/portefoljeradet-1",
    )
    decided = Need.objects.filter(
        pk__in=TransitionLog.objects.filter(
            collaboration=council.collaboration,
            content_type=ContentType.objects.get_for_model(Need),
            capacity=f"committee:{council.kind}",
        ).values("object_id")
    ).order_by("number")
    services.add_manual_item(held, chair, title="Orientering om økonomien i samarbeidet")
    for need in decided:
        services.add_document_item(held, chair, need)
    voted = Participant.objects.filter(meeting=held, voting=True).values_list("person_id", flat=True)
    services.record_attendance(held, chair, {person_id: Participant.Attendance.PRESENT for person_id in voted})
    services.mark_held(held, chair)
    # The council's members voted on the items' own pages before the meeting; the meeting records those
    # decisions, and its minutes are approved and published.
    decisions.record_decided(held, chair)
    protokoll = minutes.generate(held, chair)
    minutes.update(
        protokoll,
        chair,
        introduction="Leder åpnet møtet. Innkalling og saksliste ble godkjent uten merknader.",
        closing="Neste møte holdes om to uker.",
    )
    minutes.approve(protokoll, chair)
    minutes.publish(protokoll, chair)

    upcoming = services.schedule_meeting(
        council,
        chair,
        title="Porteføljerådet, møte 2",
        starts_at=_at(14, 10),
        ends_at=_at(14, 13),
        place=PLACE,
        video_link="https://video.example/orkide/portefoljeradet-2",
    )
    services.build_agenda(upcoming, chair)
    services.add_manual_item(upcoming, chair, title="Eventuelt")

    board_meeting = services.schedule_meeting(
        board,
        board_chair,
        title="Styremøte",
        starts_at=_at(28, 12),
        ends_at=_at(28, 15),
        place=PLACE,
        video_link="https://video.example/orkide/styret",
    )
    services.build_agenda(board_meeting, board_chair)

    count = Meeting.objects.filter(body__collaboration=council.collaboration).count()
    out.write("  " + ngettext("%(count)d meeting", "%(count)d meetings", count) % {"count": count} + "\n")


@demo_reset(order=40, label=gettext_lazy("Meetings: the demo collaboration's meetings."))
def reset_meetings(context: dict, out) -> None:
    from ikt_portfolio.members.demo import read_fixture

    short_name = read_fixture(context)["collaboration"]["short_name"]
    # Decisions and minutes protect what they record; the demo's go first (approved minutes included).
    Decision.objects.filter(agenda_item__meeting__body__collaboration__short_name=short_name).delete()
    Minutes.objects.filter(meeting__body__collaboration__short_name=short_name).delete()
    _total, counts = Meeting.objects.filter(body__collaboration__short_name=short_name).delete()
    meetings = counts.get(Meeting._meta.label, 0)
    out.write(
        "  "
        + ngettext("%(count)d meeting deleted", "%(count)d meetings deleted", meetings) % {"count": meetings}
        + "\n"
    )
