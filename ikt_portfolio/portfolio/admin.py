"""The Desk's portfolio pages: planning periods, budget frames (set and decide) and scenarios (solve, and the
result with a reason for every item). Every change goes through `services`; refusals are shown beside the
fields and nothing is written."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from ikt_portfolio.core.admin import ScopedModelAdmin, ScopedTabularInline
from ikt_portfolio.core.money import format_nok
from ikt_portfolio.members.permissions import is_operator

from . import services
from .models import BudgetFrame, Period, Scenario, ScenarioItem
from .permissions import may_plan, planner_collaboration_ids


def _money(value) -> str:
    return format_nok(value) if value is not None else "–"


def _effort(value) -> str:
    return services.format_effort(value) if value is not None else "–"


@admin.register(Period)
class PeriodAdmin(ScopedModelAdmin):
    list_display = ["label_display", "kind", "year", "number", "starts_on", "ends_on", "collaboration"]
    list_filter = ["collaboration", "kind", "year"]
    list_select_related = ["collaboration"]
    fields = ["collaboration", "kind", "year", "number", "starts_on", "ends_on"]
    readonly_fields = ["starts_on", "ends_on"]
    ordering = ["collaboration", "-year", "kind", "number"]

    @display(description=_("period"))
    def label_display(self, obj):
        return obj.label


class BudgetFrameForm(forms.ModelForm):
    class Meta:
        model = BudgetFrame
        fields = ["period", "budget", "capacity", "note"]

    def clean(self):
        data = super().clean()
        period = data.get("period") or getattr(self.instance, "period", None)
        if period is not None and data.get("budget") is not None and data.get("capacity") is not None:
            try:
                services.check_frame(period, data["budget"], data["capacity"])
            except services.PortfolioError as error:
                raise forms.ValidationError(error.message) from error
        return data


@admin.register(BudgetFrame)
class BudgetFrameAdmin(ScopedModelAdmin):
    form = BudgetFrameForm
    list_display = ["period", "budget_display", "capacity_display", "decided", "decided_by", "decided_at"]
    list_filter = ["decided", "period__collaboration", "period__year"]
    list_select_related = ["period__collaboration", "decided_by__user"]
    actions_detail = ["decide_action"]

    def get_fields(self, request, obj=None):
        fields = ["period", "budget", "capacity", "note"]
        return fields if obj is None else [*fields, "decided", "decided_by", "decided_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.decided:
            return ["period", "budget", "capacity", "note", "decided", "decided_by", "decided_at"]
        return ["period", "decided", "decided_by", "decided_at"]

    @display(description=_("budget"), ordering="budget")
    def budget_display(self, obj):
        return _money(obj.budget)

    @display(description=_("capacity (person-months)"), ordering="capacity")
    def capacity_display(self, obj):
        return _effort(obj.capacity)

    def save_model(self, request, obj, form, change):
        self.check_save(request, obj)
        data = form.cleaned_data
        try:
            saved = services.set_budget_frame(
                data.get("period") or obj.period,
                request.user,
                budget=data["budget"],
                capacity=data["capacity"],
                note=data.get("note", ""),
            )
        except services.PortfolioRefused as error:
            raise PermissionDenied(error.message) from error
        obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db

    def has_decide_permission(self, request, object_id=None):
        return object_id is not None and self.has_change_permission(request, object_id)

    @action(description=_("Record as decided"), url_path="decide", permissions=["decide"])
    def decide_action(self, request, object_id):
        frame = get_object_or_404(self.get_queryset(request).select_related("period"), pk=object_id)
        try:
            services.decide_budget_frame(frame, request.user)
        except services.PortfolioError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The budget frame is recorded as decided; it can no longer change."))
        return redirect(reverse("admin:ikt_plan_budgetframe_change", args=[frame.pk]))


class ScenarioItemInline(ScopedTabularInline):
    """The result: every candidate with its lock, whether it was chosen, and why (locks are set on the portal
    or through the API, where the council works)."""

    model = ScenarioItem
    fields = ["rank", "need_link", "lock", "chosen", "reason_display", "score", "cost_display", "effort_display"]
    readonly_fields = fields
    select_related = ("need", "need__assessment")
    ordering = ["-chosen", "rank", "pk"]
    per_page = 50
    verbose_name_plural = _("result")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("need"))
    def need_link(self, item):
        need = item.need
        assessment = getattr(need, "assessment", None)
        link = format_html(
            '<a href="{}">{}: {}</a>',
            reverse("admin:ikt_needs_need_change", args=[need.pk]),
            need.reference,
            need.title,
        )
        if assessment is None:
            return link
        return format_html(
            '{} (<a href="{}">{}</a>)',
            link,
            reverse("admin:ikt_needs_assessment_change", args=[assessment.pk]),
            _("score breakdown"),
        )

    @display(description=_("why"))
    def reason_display(self, item):
        return services.reason_text(item)

    @display(description=_("cost"))
    def cost_display(self, item):
        return _money(item.cost)

    @display(description=_("effort"))
    def effort_display(self, item):
        return _effort(item.effort)


class ScenarioForm(forms.ModelForm):
    class Meta:
        model = Scenario
        fields = ["period", "name", "budget", "capacity"]

    def clean(self):
        data = super().clean()
        period = data.get("period") or getattr(self.instance, "period", None)
        try:
            if period is not None and "name" in data:
                services._checked_name(period, data["name"], exclude=self.instance.pk)
            if self.instance.pk:
                services.check_scenario_limits(self.instance, data.get("budget"), data.get("capacity"))
        except services.PortfolioError as error:
            raise forms.ValidationError(error.message) from error
        return data


@admin.register(Scenario)
class ScenarioAdmin(ScopedModelAdmin):
    form = ScenarioForm
    list_display = ["name", "period", "status", "stale", "chosen_summary", "solved_at"]
    list_filter = ["status", "period__collaboration", "period__year"]
    list_select_related = ["period__collaboration"]
    search_fields = ["name"]
    inlines = [ScenarioItemInline]
    actions_detail = ["solve_action"]

    def get_fields(self, request, obj=None):
        fields = ["period", "name", "budget", "capacity"]
        if obj is None:
            return fields
        return [*fields, "created_by", "status", "stale", "limits_used", "chosen_summary", "solved_at", "solved_by",
                "solve_ms", "portal_link"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["period", "created_by", "status", "stale", "limits_used", "chosen_summary", "solved_at",
                    "solved_by", "solve_ms", "portal_link"]  # fmt: skip
        return readonly if self.has_change_permission(request, obj) else [*readonly, "name", "budget", "capacity"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "period":
            periods = Period.objects.select_related("collaboration")
            if not is_operator(request.user):
                periods = periods.filter(collaboration_id__in=planner_collaboration_ids(request.user))
            kwargs["queryset"] = periods
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and bool(
            is_operator(request.user) or planner_collaboration_ids(request.user)
        )

    def check_save(self, request, obj) -> None:
        if not (obj.period_id and may_plan(request.user, obj.period.collaboration_id)):
            raise PermissionDenied

    @display(description=_("budget and capacity used"))
    def limits_used(self, obj):
        if obj.budget_used is None:
            return "–"
        return _("%(budget)s and %(capacity)s person-months") % {
            "budget": _money(obj.budget_used),
            "capacity": _effort(obj.capacity_used),
        }

    @display(description=_("chosen"))
    def chosen_summary(self, obj):
        if not obj.is_solved:
            return "–"
        return _("score %(score)s, cost %(cost)s, effort %(effort)s person-months") % {
            "score": obj.objective,
            "cost": _money(obj.total_cost),
            "effort": _effort(obj.total_effort),
        }

    @display(description=_("on the collaboration platform"))
    def portal_link(self, obj):
        url = reverse("ikt_portal:portfolio_scenario", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open the scenario (locks and comparison)"))

    def save_model(self, request, obj, form, change):
        self.check_save(request, obj)
        data = form.cleaned_data
        try:
            if not change:
                created = services.create_scenario(
                    data["period"], request.user, name=data["name"], budget=data.get("budget"),
                    capacity=data.get("capacity"),
                )  # fmt: skip
                obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db
                return
            if "name" in form.changed_data:
                services.rename_scenario(obj, request.user, data["name"])
            if {"budget", "capacity"} & set(form.changed_data):
                services.set_scenario_limits(
                    obj, request.user, budget=data.get("budget"), capacity=data.get("capacity")
                )
        except services.PortfolioRefused as error:
            raise PermissionDenied(error.message) from error
        except services.PortfolioError as error:
            messages.error(request, error.message)

    def has_solve_permission(self, request, object_id=None):
        return object_id is not None and self.has_change_permission(request, object_id)

    @action(description=_("Solve"), url_path="solve", permissions=["solve"])
    def solve_action(self, request, object_id):
        scenario = get_object_or_404(self.get_queryset(request).select_related("period"), pk=object_id)
        try:
            solved = services.solve(scenario, request.user)
        except services.PortfolioError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Solved: %(chosen)s chosen, total score %(score)s, cost %(cost)s.")
                % {
                    "chosen": solved.items.filter(chosen=True).count(),
                    "score": solved.objective,
                    "cost": _money(solved.total_cost),
                },
            )
        return redirect(reverse("admin:ikt_plan_scenario_change", args=[scenario.pk]))
