from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from ikt_portfolio.core.admin import ScopedModelAdmin
from ikt_portfolio.workflow.admin_mixins import WorkflowDocumentAdminMixin
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from .models import Goal, Need


@admin.register(Goal)
class GoalAdmin(ScopedModelAdmin):
    list_display = ["code", "title", "first_year", "last_year", "collaboration"]
    list_filter = ["collaboration"]
    list_select_related = ["collaboration"]
    search_fields = ["code", "title"]


@admin.register(Need)
class NeedAdmin(WorkflowDocumentAdminMixin, ScopedModelAdmin):
    list_display = ["reference", "title", "municipality", "service_area", "status", "urgency", "created_at"]
    list_select_related = ["municipality", "service_area", "workflow_version"]
    list_filter = ["state", "service_area", "urgency", "municipality"]
    search_fields = ["title", "problem"]
    readonly_fields = ["reference", "submitted_by", "municipality", "collaboration", "merged_into"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "problem", "desired_outcome", "purchase_needed", "service_area"]}),
        (_("Who is affected"), {"fields": ["affected_group", "affected_count"]}),
        (_("Benefit"), {"fields": ["benefit_type", "expected_benefit", "expected_benefit_nok", "urgency", "goals"]}),
        (_("Sector group's estimate"), {"fields": ["estimated_cost", "estimated_effort", "strategic"]}),
        (_("Origin"), {"fields": ["collaboration", "submitted_by", "municipality", "merged_into"]}),
    ]
    filter_horizontal = ["goals"]

    def has_add_permission(self, request):
        return False  # needs are reported on the collaboration platform (services.create_need)

    def get_queryset(self, request):
        return with_state_names(super().get_queryset(request))

    @display(description=_("number"), ordering="number")
    def reference(self, obj):
        return obj.reference

    @display(description=_("status"), ordering="state")
    def status(self, obj):
        return state_name(obj)
