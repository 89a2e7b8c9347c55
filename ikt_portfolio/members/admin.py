from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from ikt_portfolio.core.admin import ScopedModelAdmin, ScopedTabularInline

from . import selectors, services
from .forms import PersonCreationForm, PopulationImportForm
from .models import (
    Body,
    BodyMembership,
    Collaboration,
    LegalFormPeriod,
    Membership,
    Municipality,
    Person,
    PopulationFigure,
    RoleAssignment,
    SectorGroup,
    ServiceArea,
    SizeSegment,
)


def grouped(number: int | None) -> str:
    """24000 → "24 000" (Norwegian grouping; years stay ungrouped, which is why this is not global)."""
    return "–" if number is None else number_format(number, force_grouping=True)


class LegalFormInline(ScopedTabularInline):
    model = LegalFormPeriod
    fields = ["legal_form", "valid_from", "valid_to", "decision_reference"]


class MembershipInline(ScopedTabularInline):
    model = Membership
    fields = ["municipality", "role", "valid_from", "valid_to"]
    select_related = ("municipality", "collaboration")
    autocomplete_fields = ["municipality"]


@admin.register(Collaboration)
class CollaborationAdmin(ScopedModelAdmin):
    list_display = ["short_name", "name", "governance_model", "host_municipality"]
    list_select_related = ["host_municipality"]
    search_fields = ["name", "short_name"]
    list_filter = ["governance_model"]
    autocomplete_fields = ["host_municipality"]
    inlines = [LegalFormInline, MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "governance_model", "host_municipality", "note"]}),
        (_("Size segments"), {"fields": ["small_max_population", "medium_max_population"]}),
    ]


class PopulationInline(ScopedTabularInline):
    model = PopulationFigure
    fields = ["year", "population", "source"]
    ordering = ["-year"]


@admin.register(Municipality)
class MunicipalityAdmin(ScopedModelAdmin):
    list_display = ["number", "name", "county", "kind", "dissolved_on"]
    search_fields = ["number", "name"]
    list_filter = ["kind", "county"]
    inlines = [PopulationInline]


@admin.register(PopulationFigure)
class PopulationFigureAdmin(ScopedModelAdmin):
    list_display = ["municipality", "year", "population_display", "source"]
    list_select_related = ["municipality"]
    list_filter = ["year"]
    search_fields = ["municipality__number", "municipality__name"]

    actions_list = ["import_population"]

    @display(description=_("population"), ordering="population")
    def population_display(self, obj):
        return grouped(obj.population)

    def has_import_population_permission(self, request):
        return services.can_import_population(request.user)

    @action(description=_("Import from CSV"), url_path="import", permissions=["import_population"], icon="upload")
    def import_population(self, request):
        report = None
        form = PopulationImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = services.import_population(
                form.cleaned_data["text"], user=request.user, source=form.cleaned_data["source"]
            )
            if report.ok:
                messages.success(
                    request,
                    _("Imported %(rows)s rows: %(created)s new and %(updated)s changed figures.")
                    % {"rows": report.rows_read, "created": report.created, "updated": report.updated},
                )
                return redirect("admin:ikt_members_populationfigure_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import population figures"),
            "form": form,
            "report": report,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/ikt_members/population_import.html", context)


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    list_display = ["municipality", "collaboration", "role", "valid_from", "valid_to", "population", "segment"]
    list_filter = ["collaboration", "role"]
    search_fields = ["municipality__name", "municipality__number"]
    autocomplete_fields = ["municipality"]

    def get_queryset(self, request):
        return selectors.memberships_with_population(super().get_queryset(request))

    @display(description=_("population"), ordering="population")
    def population(self, obj):
        return grouped(obj.population)

    @display(description=_("size segment"))
    def segment(self, obj):
        segment = obj.collaboration.size_segment(obj.population)
        return dict(SizeSegment.choices).get(segment, "–")


@admin.register(ServiceArea)
class ServiceAreaAdmin(ScopedModelAdmin):
    list_display = ["name", "code", "collaboration", "order"]
    list_select_related = ["collaboration"]
    list_filter = ["collaboration"]
    search_fields = ["name", "code"]


class BodyMembershipInline(ScopedTabularInline):
    model = BodyMembership
    fields = ["person", "role", "represents", "valid_from", "valid_to"]
    select_related = ("body", "person__user", "person__municipality", "person__staff_of", "represents")
    autocomplete_fields = ["person", "represents"]


@admin.register(Body)
class BodyAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "collaboration", "service_area"]
    list_select_related = ["collaboration", "service_area"]
    list_filter = ["kind", "collaboration"]
    search_fields = ["name"]
    inlines = [BodyMembershipInline]


@admin.register(SectorGroup)
class SectorGroupAdmin(BodyAdmin):
    list_display = ["name", "service_area", "collaboration"]
    list_filter = ["collaboration"]
    exclude = ["kind"]


@admin.register(BodyMembership)
class BodyMembershipAdmin(ScopedModelAdmin):
    list_display = ["person", "body", "role", "represents", "valid_from", "valid_to"]
    list_select_related = ["person__user", "person__municipality", "person__staff_of", "body", "represents"]
    list_filter = ["role", "body__kind", "body"]
    search_fields = ["person__user__first_name", "person__user__last_name", "body__name"]
    autocomplete_fields = ["person", "represents"]


class RoleAssignmentInline(ScopedTabularInline):
    model = RoleAssignment
    fk_name = "person"
    select_related = ("person", "collaboration", "municipality")
    fields = ["collaboration", "capacity", "municipality", "valid_from", "valid_to"]


@admin.register(Person)
class PersonAdmin(ScopedModelAdmin):
    list_display = ["__str__", "job_title", "municipality", "staff_of", "language"]
    list_select_related = ["user", "municipality", "staff_of"]
    list_filter = ["staff_of", "language"]
    search_fields = ["user__first_name", "user__last_name", "user__username", "user__email", "job_title"]
    autocomplete_fields = ["user"]
    inlines = [RoleAssignmentInline]
    add_form = PersonCreationForm

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return list(self.add_form.Meta.fields) if obj is None else ["user", *self.add_form.Meta.fields[4:]]

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None and not request.user.is_superuser else []


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedModelAdmin):
    list_display = ["person", "capacity", "collaboration", "municipality", "valid_from", "valid_to"]
    list_select_related = ["person__user", "person__municipality", "person__staff_of", "collaboration", "municipality"]
    list_filter = ["capacity", "collaboration"]
    search_fields = ["person__user__first_name", "person__user__last_name"]
    autocomplete_fields = ["person", "municipality"]
