import json

from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from ikt_portfolio.core.admin import ReadOnlyAdminMixin, ScopedModelAdmin, ScopedTabularInline
from ikt_portfolio.members.permissions import person_of

from . import services
from .diagram import render_svg
from .models import Delegation, Notification, State, Transition, TransitionLog, Workflow, WorkflowVersion
from .registry import document_types


class VersionPartInline(ScopedTabularInline):
    """States and transitions are edited only while their version is a draft."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class StateInline(VersionPartInline):
    model = State
    fields = ["key", "name", "name_nn", "name_en", "category", "is_initial", "order", "edit_capacities",
              "deadline_days", "escalate_after_days", "escalate_to"]  # fmt: skip
    per_page = 40


class TransitionInline(VersionPartInline):
    model = Transition
    fields = ["action", "label", "from_state", "to_state", "allowed_capacities", "condition", "comment_required",
              "allow_self_approval", "committee", "vote_rule", "votes_required", "quorum", "veto_allowed"]  # fmt: skip
    select_related = ("from_state", "to_state", "version")
    per_page = 60

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("from_state", "to_state"):
            version_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = State.objects.filter(version_id=version_id) if version_id else State.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class VersionInline(ScopedTabularInline):
    model = WorkflowVersion
    fields = ["number", "status", "published_at", "note"]
    readonly_fields = ["number", "status", "published_at", "note"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Workflow)
class WorkflowAdmin(ScopedModelAdmin):
    list_display = ["name", "document_type", "collaboration", "is_active"]
    list_filter = ["is_active", "collaboration"]
    list_select_related = ["collaboration"]
    search_fields = ["name", "key"]
    inlines = [VersionInline]
    actions_detail = ["make_draft", "make_active"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "document_type":
            from django import forms

            choices = [(label, str(r.subject.label or label)) for label, r in document_types().items()]
            return forms.ChoiceField(choices=choices, label=db_field.verbose_name, help_text=db_field.help_text)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @action(description=_("New draft version"), url_path="new-draft", permissions=["change"])
    def make_draft(self, request, object_id):
        workflow = get_object_or_404(self.get_queryset(request), pk=object_id)
        draft = services.new_draft(workflow, request.user)
        messages.success(
            request, _("Draft version %(number)s created from the latest version.") % {"number": draft.number}
        )
        return redirect("admin:ikt_workflow_workflowversion_change", draft.pk)

    @action(description=_("Make active"), url_path="activate", permissions=["change"])
    def make_active(self, request, object_id):
        workflow = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            services.set_active(workflow)
        except services.DefinitionError as error:
            for message in error.errors:
                messages.error(request, message)
        else:
            messages.success(request, _("New documents now follow “%(name)s”.") % {"name": workflow})
        return redirect("admin:ikt_workflow_workflow_change", workflow.pk)

    def get_urls(self):
        return [
            path("inbox/", self.admin_site.admin_view(self.inbox_view), name="ikt_workflow_inbox"),
        ] + super().get_urls()

    def inbox_view(self, request):
        items = services.inbox(request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Waiting for you"),
            "items": items,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "ikt_workflow/inbox.html", context)


@admin.register(WorkflowVersion)
class WorkflowVersionAdmin(ScopedModelAdmin):
    list_display = ["workflow", "number", "status", "published_at"]
    list_filter = ["status", "workflow__collaboration"]
    list_select_related = ["workflow"]
    readonly_fields = ["workflow", "number", "status", "published_at", "published_by", "diagram"]
    fields = ["workflow", "number", "status", "note", "published_at", "published_by", "diagram"]
    inlines = [StateInline, TransitionInline]
    actions_detail = ["publish_version", "export_version"]

    def has_add_permission(self, request):
        return False  # versions are made from a workflow ("New draft version")

    @display(description=_("diagram"))
    def diagram(self, obj):
        states = obj.states.all()
        transitions = obj.transitions.select_related("from_state", "to_state")
        return mark_safe(f'<div class="overflow-x-auto">{render_svg(states, transitions, str(obj))}</div>')

    @action(description=_("Publish"), url_path="publish", permissions=["change"])
    def publish_version(self, request, object_id):
        version = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            services.publish(version, request.user)
        except services.DefinitionError as error:
            for message in error.errors:
                messages.error(request, message)
        else:
            messages.success(request, _("Version %(number)s is published.") % {"number": version.number})
        return redirect("admin:ikt_workflow_workflowversion_change", version.pk)

    @action(description=_("Export as file"), url_path="export", permissions=["view"])
    def export_version(self, request, object_id):
        version = get_object_or_404(self.get_queryset(request), pk=object_id)
        response = HttpResponse(
            json.dumps(services.export_version(version), ensure_ascii=False, indent=1), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{version.workflow.key}-v{version.number}.json"'
        return response


@admin.register(Delegation)
class DelegationAdmin(ScopedModelAdmin):
    list_display = ["delegator", "delegate", "valid_from", "valid_to", "capacities", "revoked_at"]
    list_filter = ["collaboration"]
    list_select_related = ["delegator__user", "delegator__municipality", "delegator__staff_of", "delegate__user",
                           "delegate__municipality", "delegate__staff_of"]  # fmt: skip
    autocomplete_fields = ["delegator", "delegate"]
    fields = ["collaboration", "delegator", "delegate", "valid_from", "valid_to", "capacities", "reason"]
    actions_detail = ["revoke_delegation"]

    @action(description=_("Revoke"), url_path="revoke", permissions=["change"])
    def revoke_delegation(self, request, object_id):
        from django.core.exceptions import ValidationError

        delegation = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            services.revoke(delegation, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The delegation is revoked."))
        return redirect("admin:ikt_workflow_delegation_change", delegation.pk)


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["at", "content_type", "object_id", "action", "from_state", "to_state", "actor", "capacity",
                    "on_behalf_of"]  # fmt: skip
    list_filter = ["action", "capacity", "collaboration"]
    list_select_related = ["actor", "content_type", "on_behalf_of__user", "on_behalf_of__municipality",
                           "on_behalf_of__staff_of"]  # fmt: skip
    date_hierarchy = "at"


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    """Each user's own notifications (in-app), newest first."""

    list_display = ["created_at", "subject", "read_at", "email_status"]
    list_filter = ["email_status"]
    readonly_fields = ["subject", "body", "link", "created_at", "email_status", "attempts", "last_error"]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recipient=request.user)

    def has_module_permission(self, request):
        return person_of(request.user) is not None or request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or obj.recipient_id == request.user.pk)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        Notification.objects.filter(pk=object_id, recipient=request.user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return super().change_view(request, object_id, form_url, extra_context)
