"""The Desk's meeting pages: schedule, edit, build the agenda, record attendance, download the invitation.

Every change goes through `services` (who may, validation, audit); the pages only parse and show."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from unfold.decorators import action, display

from ikt_portfolio.core.admin import ReadOnlyAdminMixin, ScopedModelAdmin, ScopedTabularInline

from . import decisions, minutes, selectors, services
from .models import (
    AgendaItem,
    Decision,
    DecisionSettings,
    Meeting,
    MeetingSettings,
    Minutes,
    MinutesEntry,
    Paper,
    Participant,
)


def _refusal_text(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return error.message


@admin.register(MeetingSettings)
class MeetingSettingsAdmin(ScopedModelAdmin):
    list_display = ["body", "quorum_rule", "quorum_count"]
    list_select_related = ["body", "body__collaboration"]
    list_filter = ["quorum_rule"]
    fields = ["body", "quorum_rule", "quorum_count"]


class ParticipantInline(ScopedTabularInline):
    """Who is invited (from the seats on the meeting's date); only the attendance is recorded here."""

    model = Participant
    fields = ["person", "role", "represents", "voting", "attendance", "recorded_by", "recorded_at"]
    readonly_fields = ["person", "role", "represents", "voting", "recorded_by", "recorded_at"]
    select_related = ("person__user", "person__municipality", "person__staff_of", "represents", "recorded_by")
    per_page = 50

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgendaItemInline(ScopedTabularInline):
    """The agenda: documents waiting for the body (added by “Build agenda”) and manual items."""

    model = AgendaItem
    fields = ["order", "title", "kind", "document_link", "description", "presenter", "outcome"]
    readonly_fields = ["kind", "document_link"]
    select_related = ("content_type", "presenter__user", "presenter__municipality", "presenter__staff_of")
    autocomplete_fields = ["presenter"]
    per_page = 50

    _documents: dict | None = None  # the meeting's agenda documents, looked up once (inlines live per request)

    @display(description=_("document"))
    def document_link(self, item):
        if item.pk is None or item.kind != AgendaItem.Kind.DOCUMENT:
            return "–"
        if self._documents is None:
            self._documents = selectors.agenda_documents(AgendaItem.objects.filter(meeting_id=item.meeting_id))
        found = self._documents.get(item.pk)
        if found is None:
            return "–"
        return (
            format_html('<a href="{}">{}</a> ({})', found.link, item.title, found.state) if found.link else found.state
        )


class PaperInline(ScopedTabularInline):
    """The meeting's papers, read-only here: added and removed on the meeting's portal page or in the API
    (files are checked there), downloaded through the permission-checked portal view."""

    model = Paper
    fields = ["download", "agenda_item", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    select_related = ("agenda_item", "uploaded_by__user", "uploaded_by__municipality", "uploaded_by__staff_of")
    verbose_name_plural = _("papers")

    @display(description=_("file"))
    def download(self, paper):
        return format_html(
            '<a href="{}" download>{}</a>',
            reverse("ikt_portal:meeting_paper", args=[paper.meeting_id, paper.pk]),
            paper.original_name,
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Papers are for those who see the meeting's details (see `services.sees_details`).
        return obj is None or services.sees_details(request.user, obj)


@admin.register(Meeting)
class MeetingAdmin(ScopedModelAdmin):
    list_display = ["title", "body", "starts_at", "status", "invited", "present", "items"]
    list_filter = ["status", "body__kind", "body"]
    search_fields = ["title", "place"]
    inlines = [ParticipantInline, AgendaItemInline, PaperInline]
    actions_detail = [
        "build_agenda_action",
        "download_ics",
        "mark_held_action",
        "cancel_action",
        "record_decided_action",
        "minutes_action",
    ]

    def get_queryset(self, request):
        return selectors.annotate_meetings(super().get_queryset(request))

    def get_fields(self, request, obj=None):
        fields = ["body", "title", "starts_at", "ends_at", "place", "video_link", "notes"]
        return fields if obj is None else [*fields, "status", "quorum_display", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["body", "status", "quorum_display", "created_by", "created_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "video_link":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["queryset"] = services.managed_bodies(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and services.managed_bodies(request.user).exists()

    def has_manage_permission(self, request, object_id=None):
        return object_id is not None and self.has_change_permission(request, object_id)

    def check_save(self, request, obj) -> None:
        if not (obj.body_id and services.may_manage(request.user, obj.body)):
            raise PermissionDenied

    # ---- list columns (counted in the list's one query)

    @display(description=_("invited"))
    def invited(self, obj):
        return obj.participant_count

    @display(description=_("present"))
    def present(self, obj):
        return obj.present_count

    @display(description=_("agenda items"))
    def items(self, obj):
        return obj.item_count

    @display(description=pgettext_lazy("meeting", "quorum"))
    def quorum_display(self, obj):
        found = services.quorum(obj)
        text = _("%(present)s of %(seats)s voting members present, %(required)s required") % {
            "present": found.present,
            "seats": found.seats,
            "required": found.required,
        }
        state = _("quorum met") if found.met else _("no quorum")
        return format_html('<span data-quorum="{}">{}: {}</span>', "met" if found.met else "not-met", state, text)

    # ---- saving through the services

    def save_model(self, request, obj, form, change):
        self.check_save(request, obj)
        fields = {name: form.cleaned_data.get(name, getattr(obj, name)) for name in services.MEETING_FIELDS}
        try:
            if not change:
                created = services.schedule_meeting(obj.body, request.user, **fields)
                obj.__dict__.update({k: v for k, v in created.__dict__.items() if k != "_state"})
                obj._state.adding, obj._state.db = False, created._state.db
            else:
                changed = {name: fields[name] for name in form.changed_data if name in services.MEETING_FIELDS}
                if changed:
                    services.update_meeting(obj, request.user, **changed)
        except services.MeetingRefused as error:
            raise PermissionDenied(error.message) from error
        except (services.MeetingError, ValidationError) as error:
            messages.error(request, _refusal_text(error))

    def save_formset(self, request, form, formset, change):
        meeting = form.instance
        # The services save the rows; the admin's change message reads these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is Participant:
            wanted = {
                f.instance.person_id: f.cleaned_data["attendance"]
                for f in formset.forms
                if f.has_changed() and "attendance" in f.changed_data
            }
            if wanted:
                self._call(request, services.record_attendance, meeting, request.user, wanted)
            return
        if formset.model is AgendaItem:
            self._save_agenda(request, meeting, formset)
            return
        super().save_formset(request, form, formset, change)

    def _save_agenda(self, request, meeting, formset):
        deleted = {f.instance.pk for f in formset.deleted_forms if f.instance.pk}
        orders = {}
        for item_form in formset.forms:
            item = item_form.instance
            if item.pk in deleted or (item.pk is None and not item_form.has_changed()):
                continue
            data = item_form.cleaned_data
            if item.pk is None:
                created = self._call(
                    request,
                    services.add_manual_item,
                    meeting,
                    request.user,
                    title=data.get("title", ""),
                    description=data.get("description", ""),
                    presenter=data.get("presenter"),
                )
                if created is not None:
                    orders[created.pk] = (data.get("order") or created.order, created.pk)
                continue
            changes = {name: data[name] for name in services.ITEM_FIELDS if name in item_form.changed_data}
            if changes:
                self._call(request, services.update_item, AgendaItem.objects.get(pk=item.pk), request.user, **changes)
            orders[item.pk] = (data.get("order") or 0, item.pk)
        for pk in deleted:
            self._call(request, services.remove_item, AgendaItem.objects.get(pk=pk), request.user)
        current = list(meeting.agenda_items.order_by("order", "pk").values_list("pk", "order"))
        positions = {pk: orders.get(pk, (order, pk)) for pk, order in current}
        wanted = sorted(positions, key=lambda pk: positions[pk])
        if wanted != [pk for pk, _order in current]:
            self._call(request, services.reorder, meeting, request.user, wanted)

    def _call(self, request, service, *args, **kwargs):
        try:
            return service(*args, **kwargs)
        except services.MeetingRefused as error:
            raise PermissionDenied(error.message) from error
        except (services.MeetingError, ValidationError) as error:
            messages.error(request, _refusal_text(error))
            return None

    # ---- buttons on a meeting's page

    def _meeting(self, request, object_id) -> Meeting:
        return get_object_or_404(self.get_queryset(request).select_related("body"), pk=object_id)

    def _back(self, meeting):
        return redirect(reverse("admin:ikt_council_meeting_change", args=[meeting.pk]))

    @action(description=_("Build agenda"), url_path="build-agenda", permissions=["manage"])
    def build_agenda_action(self, request, object_id):
        meeting = self._meeting(request, object_id)
        added = self._call(request, services.build_agenda, meeting, request.user)
        if added is not None:
            messages.success(
                request,
                ngettext(
                    "%(count)d item waiting for the body was added to the agenda.",
                    "%(count)d items waiting for the body were added to the agenda.",
                    len(added),
                )
                % {"count": len(added)},
            )
        return self._back(meeting)

    @action(description=_("Download .ics"), url_path="ics", permissions=["view"])
    def download_ics(self, request, object_id):
        meeting = self._meeting(request, object_id)
        full = services.sees_details(request.user, meeting)
        response = HttpResponse(services.ics(meeting, full=full), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{services.ics_filename(meeting)}"'
        return response

    @action(description=_("Mark as held"), url_path="held", permissions=["manage"])
    def mark_held_action(self, request, object_id):
        meeting = self._meeting(request, object_id)
        if self._call(request, services.mark_held, meeting, request.user) is not None:
            messages.success(request, _("The meeting is marked as held."))
        return self._back(meeting)

    @action(description=_("Cancel meeting"), url_path="cancel", permissions=["manage"])
    def cancel_action(self, request, object_id):
        meeting = self._meeting(request, object_id)
        if self._call(request, services.cancel_meeting, meeting, request.user) is not None:
            messages.success(request, _("The meeting is cancelled."))
        return self._back(meeting)

    @action(
        description=_("Record decisions voted on the items' pages"), url_path="record-decided", permissions=["manage"]
    )
    def record_decided_action(self, request, object_id):
        meeting = self._meeting(request, object_id)
        recorded = self._call(request, decisions.record_decided, meeting, request.user)
        if recorded is not None:
            messages.success(request, _("%(count)d decisions recorded.") % {"count": len(recorded)})
        return self._back(meeting)

    @action(description=_("Minutes"), url_path="minutes", permissions=["manage"])
    def minutes_action(self, request, object_id):
        """Generate the minutes (or bring the draft up to date) and open them."""
        meeting = self._meeting(request, object_id)
        found = minutes.minutes_of(meeting)
        if found is None or not found.is_approved:
            found = self._call(request, minutes.generate, meeting, request.user) or found
        if found is None:
            return self._back(meeting)
        return redirect(reverse("admin:ikt_council_minutes_change", args=[found.pk]))


# ------------------------------------------------------------------------------------ decisions, minutes


@admin.register(DecisionSettings)
class DecisionSettingsAdmin(ScopedModelAdmin):
    """The collaboration's board threshold (the routing's board_threshold); changed by administrators."""

    list_display = ["collaboration", "board_threshold"]
    list_select_related = ["collaboration"]
    fields = ["collaboration", "board_threshold"]

    def get_readonly_fields(self, request, obj=None):
        return ["collaboration"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        self.check_save(request, obj)
        try:
            saved = decisions.set_board_threshold(obj.collaboration, request.user, obj.board_threshold)
        except services.MeetingRefused as error:
            raise PermissionDenied(error.message) from error
        obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Decisions are taken in the meeting (portal or API) and recorded by the votes; here they are read."""

    list_display = ["agenda_item", "meeting", "transition", "priority", "period", "status", "closed_at"]
    list_filter = ["status", "action"]
    list_select_related = ["agenda_item__meeting__body", "transition__from_state", "transition__to_state", "period"]
    search_fields = ["agenda_item__title", "reason"]
    fields = ["agenda_item", "transition", "priority", "period", "reason", "status", "log", "proposed_by",
              "opened_at", "closed_at"]  # fmt: skip
    readonly_fields = fields

    @display(description=_("meeting"))
    def meeting(self, obj):
        return obj.agenda_item.meeting


class MinutesEntryInline(ScopedTabularInline):
    model = MinutesEntry
    fields = ["position", "title", "notes"]
    readonly_fields = ["position", "title"]
    per_page = 100

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None or _minutes_editable(request, obj)


def _minutes_editable(request, found) -> bool:
    return not found.is_approved and services.may_manage(request.user, found.meeting.body)


@admin.register(Minutes)
class MinutesAdmin(ScopedModelAdmin):
    """The minutes (protokoll): the secretary's texts are edited here until the chair approves them; after
    that the page is read-only and any change is refused (403)."""

    list_display = ["meeting", "status", "approved_at", "published_at"]
    list_filter = ["status"]
    list_select_related = ["meeting__body"]
    inlines = [MinutesEntryInline]
    fields = ["meeting", "status", "introduction", "closing", "generated_at", "approved_at", "approved_by",
              "content_hash", "published_at"]  # fmt: skip
    actions_detail = ["approve_action", "publish_action", "pdf_nb", "pdf_nn", "html_nb", "html_nn"]

    def get_queryset(self, request):
        return minutes.readable(request.user).select_related("meeting__body", "approved_by")

    def get_readonly_fields(self, request, obj=None):
        locked = ["introduction", "closing"] if obj is not None and obj.is_approved else []
        return ["meeting", "status", "generated_at", "approved_at", "approved_by", "content_hash", "published_at",
                *locked]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def may_change_row(self, request, obj) -> bool:
        found = obj if isinstance(obj, Minutes) else Minutes.objects.select_related("meeting__body").get(pk=obj)
        return _minutes_editable(request, found)

    def has_manage_permission(self, request, object_id=None):
        if object_id is None:
            return False
        found = self.get_queryset(request).filter(pk=object_id).first()
        return found is not None and services.may_manage(request.user, found.meeting.body)

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in ("introduction", "closing") if name in form.changed_data}
        if changes:
            self._call(request, minutes.update, obj, request.user, **changes)

    def save_formset(self, request, form, formset, change):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        notes = {
            f.instance.position: f.cleaned_data["notes"]
            for f in formset.forms
            if f.instance.pk and "notes" in f.changed_data
        }
        if notes:
            self._call(request, minutes.update, form.instance, request.user, notes=notes)

    def _call(self, request, service, *args, **kwargs):
        try:
            return service(*args, **kwargs)
        except services.MeetingRefused as error:
            raise PermissionDenied(error.message) from error
        except (services.MeetingError, ValidationError) as error:
            messages.error(request, _refusal_text(error))
            return None

    def _found(self, request, object_id) -> Minutes:
        return get_object_or_404(self.get_queryset(request), pk=object_id)

    def _back(self, found):
        return redirect(reverse("admin:ikt_council_minutes_change", args=[found.pk]))

    @action(description=_("Approve and lock"), url_path="approve", permissions=["manage"])
    def approve_action(self, request, object_id):
        found = self._found(request, object_id)
        if self._call(request, minutes.approve, found, request.user) is not None:
            messages.success(request, _("The minutes are approved and locked."))
        return self._back(found)

    @action(description=_("Publish"), url_path="publish", permissions=["manage"])
    def publish_action(self, request, object_id):
        found = self._found(request, object_id)
        if self._call(request, minutes.publish, found, request.user) is not None:
            messages.success(request, _("The minutes are published."))
        return self._back(found)

    def _download(self, request, object_id, language, extension):
        found = self._found(request, object_id)
        if extension == "pdf":
            response = HttpResponse(minutes.render_pdf(found, language), content_type="application/pdf")
        else:
            response = HttpResponse(minutes.render_html(found, language), content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{minutes.filename(found, language, extension)}"'
        return response

    @action(description=_("PDF (bokmål)"), url_path="pdf-nb", permissions=["view"])
    def pdf_nb(self, request, object_id):
        return self._download(request, object_id, "nb", "pdf")

    @action(description=_("PDF (nynorsk)"), url_path="pdf-nn", permissions=["view"])
    def pdf_nn(self, request, object_id):
        return self._download(request, object_id, "nn", "pdf")

    @action(description=_("HTML (bokmål)"), url_path="html-nb", permissions=["view"])
    def html_nb(self, request, object_id):
        return self._download(request, object_id, "nb", "html")

    @action(description=_("HTML (nynorsk)"), url_path="html-nn", permissions=["view"])
    def html_nn(self, request, object_id):
        return self._download(request, object_id, "nn", "html")
