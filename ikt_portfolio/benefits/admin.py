"""The Desk's benefits pages: each project's benefits with their indicators and their lifecycle (status column and
filter; on the change page the workflow panel: the steps the user may take now, the reasons for the others, the
history), each member's targets with a read-only realisation column, and measurements (recorded through
`services.record_measurement`, so the Desk refuses what the portal and the API refuse). A benefit added here is
made by `lifecycle.create_benefit`, so it starts in the collaboration's benefit routing."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from ikt_portfolio.core.admin import ScopedModelAdmin, ScopedTabularInline
from ikt_portfolio.core.money import format_nok
from ikt_portfolio.workflow.admin_mixins import WorkflowDocumentAdminMixin
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from . import lifecycle, services
from .models import Benefit, Indicator, Measurement, MemberTarget


class IndicatorInline(ScopedTabularInline):
    model = Indicator
    fields = ["name", "unit", "direction", "schedule", "plausible_min", "plausible_max"]


class StatusFilter(admin.SimpleListFilter):
    """The lifecycle's states by name (of the benefit routings the user can see), and "not in a workflow"."""

    title = _("status")
    parameter_name = "status"
    NONE = "-"

    def lookups(self, request, model_admin):
        from django.utils.translation import get_language

        from ikt_portfolio.workflow.models import State

        language = (get_language() or "nb")[:2]
        choices: dict[str, str] = {}
        states = (
            State.objects.visible_to(request.user)
            .filter(version__workflow__document_type=lifecycle.DOCUMENT_TYPE, version__status="published")
            .order_by("order", "key")
            .values_list("key", "name", "name_nn", "name_en")
        )
        for key, name, name_nn, name_en in states:
            choices.setdefault(key, {"nn": name_nn, "en": name_en}.get(language) or name)
        return [*choices.items(), (self.NONE, _("not in a workflow"))]

    def queryset(self, request, queryset):
        if self.value() == self.NONE:
            return queryset.filter(state="")
        if self.value():
            return queryset.filter(state=self.value())
        return queryset


@admin.register(Benefit)
class BenefitAdmin(WorkflowDocumentAdminMixin, ScopedModelAdmin):
    inlines = [IndicatorInline]
    list_display = ["name", "project", "status", "type", "gain", "service_area", "value"]
    list_filter = [StatusFilter, "type", "gain", "monetary", "project__collaboration"]
    list_select_related = ["project", "service_area"]
    search_fields = ["name", "description", "project__title"]
    raw_id_fields = ["project"]

    def get_queryset(self, request):
        return with_state_names(super().get_queryset(request))

    @display(description=_("status"), ordering="state")
    def status(self, benefit):
        return state_name(benefit) if benefit.state else "–"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        self.check_save(request, obj)
        fields = {name: value for name, value in form.cleaned_data.items() if name != "project"}
        saved = lifecycle.create_benefit(obj.project, request.user, **fields)
        obj.pk = saved.pk
        obj._state.adding = False
        for name in saved.ENGINE_FIELDS:
            attname = saved._meta.get_field(name).attname
            setattr(obj, attname, getattr(saved, attname))

    @display(description=_("yearly value per member"))
    def value(self, benefit):
        return format_nok(benefit.yearly_value) if benefit.monetary and benefit.yearly_value is not None else "–"


@admin.register(Indicator)
class IndicatorAdmin(ScopedModelAdmin):
    list_display = ["name", "benefit", "unit", "direction", "schedule", "plausible_min", "plausible_max"]
    list_filter = ["direction", "schedule"]
    list_select_related = ["benefit"]
    search_fields = ["name", "benefit__name"]
    raw_id_fields = ["benefit"]


@admin.register(MemberTarget)
class MemberTargetAdmin(ScopedModelAdmin):
    list_display = [
        "indicator", "municipality", "owner", "baseline_date", "baseline_value", "target_value", "target_date",
        "realisation", "next_due",
    ]  # fmt: skip
    list_filter = ["indicator__benefit__project__collaboration", "municipality"]
    list_select_related = ["indicator", "municipality", "owner__user"]
    search_fields = ["indicator__name", "municipality__name", "municipality__number"]
    raw_id_fields = ["indicator", "owner"]
    readonly_fields = ["realisation", "next_due"]

    def get_queryset(self, request):
        latest = Measurement.objects.filter(target=OuterRef("pk")).order_by("-period")
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_value=Subquery(latest.values("value")[:1]), latest_period=Subquery(latest.values("period")[:1])
            )
        )

    @display(description=_("next value due"))
    def next_due(self, target):
        """When the next value is due, and "late" in words when a past period has none (not colour alone)."""
        if target.pk is None:
            return "–"
        due = services.due(target, getattr(target, "latest_period", None))
        when = date_format(due.due_on, "SHORT_DATE_FORMAT")
        return _("late: %(date)s") % {"date": when} if due.late else when

    @display(description=_("realisation (latest measurement)"))
    def realisation(self, target):
        if target.pk is None:
            return "–"
        value = getattr(target, "latest_value", None)
        progress = services.realisation(target.baseline_value, target.target_value, value, target.indicator.direction)
        if progress is None:
            return _("not measurable yet")
        return f"{progress.percent} % ({progress.raw})"


class MeasurementForm(forms.ModelForm):
    confirm_implausible = forms.BooleanField(
        label=_("The value is right although outside the plausible range"), required=False
    )

    class Meta:
        model = Measurement
        fields = ["target", "period", "value", "note"]

    def clean(self):
        data = super().clean()
        target, period, value = data.get("target"), data.get("period"), data.get("value")
        if self.instance.pk is None and target is not None and period is not None and value is not None:
            try:
                services.check_measurement(target, period, value, data.get("confirm_implausible", False))
            except ValidationError as error:
                self.add_error(None, error)
        return data


@admin.register(Measurement)
class MeasurementAdmin(ScopedModelAdmin):
    form = MeasurementForm
    list_display = ["target", "period", "value", "confirmed_implausible", "entered_by", "entered_at"]
    list_filter = ["confirmed_implausible", "period"]
    list_select_related = ["target__indicator", "target__municipality", "entered_by"]
    raw_id_fields = ["target"]
    readonly_fields = ["confirmed_implausible", "entered_by", "entered_at"]
    date_hierarchy = "period"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["target", "period", "value", "note", "confirm_implausible"]
        return ["target", "period", "value", "note", "confirmed_implausible", "entered_by", "entered_at"]

    def has_change_permission(self, request, obj=None):
        return (
            False if obj is not None and not request.user.is_superuser else super().has_change_permission(request, obj)
        )

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        saved = services.record_measurement(
            data["target"], request.user, data["period"], data["value"], data.get("confirm_implausible", False),
            data.get("note", ""),
        )  # fmt: skip
        obj.pk = saved.pk
        obj.period = saved.period
