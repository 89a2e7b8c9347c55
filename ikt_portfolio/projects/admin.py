"""The Desk's project pages: the project with its workflow panel (phase, gate actions and votes, history) and
its record as inlines; gate checklist items per phase workflow. Projects are made from approved needs
(`services.create_project_from_needs`: the portal's need page, the API), not added here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from ikt_portfolio.core.admin import ScopedModelAdmin, ScopedTabularInline
from ikt_portfolio.core.money import format_nok
from ikt_portfolio.workflow.admin_mixins import WorkflowDocumentAdminMixin
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from .models import (
    ActualCost,
    BudgetLine,
    ChecklistAnswer,
    GateChecklistItem,
    Participation,
    Project,
    ReceivingProject,
    Risk,
    StatusReport,
)


class ParticipationInline(ScopedTabularInline):
    model = Participation
    fields = ["municipality", "status", "postponed_until", "reason", "decided_at"]
    readonly_fields = ["decided_at"]
    select_related = ("municipality",)


class ReceivingProjectInline(ScopedTabularInline):
    model = ReceivingProject
    fields = ["municipality", "owner", "status", "notes"]
    select_related = ("municipality", "owner__user")
    raw_id_fields = ["owner"]


class BudgetLineInline(ScopedTabularInline):
    model = BudgetLine
    fields = ["year", "kind", "amount", "note"]


class ActualCostInline(ScopedTabularInline):
    model = ActualCost
    fields = ["date", "kind", "amount", "description"]


class StatusReportInline(ScopedTabularInline):
    model = StatusReport
    fields = ["period_end", "scope", "time", "cost", "benefits", "comment"]


class RiskInline(ScopedTabularInline):
    model = Risk
    fields = ["description", "probability", "consequence", "owner", "mitigation", "status"]
    select_related = ("owner__user",)
    raw_id_fields = ["owner"]


class ChecklistAnswerInline(ScopedTabularInline):
    model = ChecklistAnswer
    fields = ["item", "done", "note", "answered_by", "answered_at"]
    readonly_fields = ["item", "answered_by", "answered_at"]
    select_related = ("item", "answered_by")

    def has_add_permission(self, request, obj=None):
        return False  # answered on the project's portal page, for the checklist of the current phase


@admin.register(Project)
class ProjectAdmin(WorkflowDocumentAdminMixin, ScopedModelAdmin):
    list_display = ["reference", "title", "status", "owner", "manager", "estimated_cost_display", "created_at"]
    list_select_related = ["owner__user", "manager__user", "workflow_version", "collaboration"]
    list_filter = ["state", "collaboration", "service_areas"]
    search_fields = ["title", "description"]
    readonly_fields = ["reference", "collaboration", "needs", "created_at"]
    raw_id_fields = ["owner", "manager"]
    filter_horizontal = ["service_areas"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "description", "service_areas", "owner", "manager"]}),
        (
            _("Benefits and estimates"),
            {"fields": ["expected_benefits", "expected_benefit_nok", "estimated_cost", "estimated_effort"]},
        ),
        (_("Origin"), {"fields": ["collaboration", "needs", "created_at"]}),
    ]
    inlines = [
        ParticipationInline,
        ReceivingProjectInline,
        BudgetLineInline,
        ActualCostInline,
        StatusReportInline,
        RiskInline,
        ChecklistAnswerInline,
    ]

    def has_add_permission(self, request):
        return False  # projects are made from approved needs (services.create_project_from_needs)

    def get_queryset(self, request):
        return with_state_names(super().get_queryset(request).readable_by(request.user))

    @display(description=_("number"), ordering="number")
    def reference(self, obj):
        return obj.reference

    @display(description=_("phase"), ordering="state")
    def status(self, obj):
        return state_name(obj)

    @display(description=_("estimated cost"), ordering="estimated_cost")
    def estimated_cost_display(self, obj):
        return format_nok(obj.estimated_cost) if obj.estimated_cost is not None else "–"


@admin.register(GateChecklistItem)
class GateChecklistItemAdmin(ScopedModelAdmin):
    list_display = ["name", "workflow", "from_state", "action", "key", "order"]
    list_filter = ["workflow", "from_state"]
    list_select_related = ["workflow"]
    fields = ["workflow", "from_state", "action", "key", "name", "name_nn", "name_en", "order"]
