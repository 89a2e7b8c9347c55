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


# ------------------------------------------------------------------------------------------- assessment

from django.contrib import messages  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils.html import format_html, format_html_join  # noqa: E402
from django.utils.translation import gettext, ngettext  # noqa: E402
from unfold.admin import StackedInline  # noqa: E402
from unfold.decorators import action as unfold_action  # noqa: E402

from ikt_portfolio.core.admin import ScopedFormMixin  # noqa: E402
from ikt_portfolio.members.models import Collaboration  # noqa: E402

from . import assessment as assessment_rules  # noqa: E402
from .models import Assessment, Criterion  # noqa: E402


def breakdown_table(assessment) -> str:
    """The score and what it is made of, as an accessible table (shown wherever the score is)."""
    if assessment is None or assessment.pk is None:
        return "–"
    # The Desk renders a read-only field more than once per page: compute the breakdown once per object.
    data = getattr(assessment, "_breakdown", None)
    if data is None:
        data = assessment._breakdown = assessment_rules.breakdown(assessment)
    rows = format_html_join(
        "",
        "<tr class='border-b border-base-200 dark:border-base-800'><th scope='row' class='p-2 text-left'>{}{}</th>"
        "<td class='p-2'>{}</td><td class='p-2'>{}</td><td class='p-2'>{}</td><td class='p-2'>{}</td></tr>",
        (
            (
                row["name"],
                format_html(" <em>({})</em>", gettext("inverse")) if row["inverse"] else "",
                row["level"],
                row["descriptor"] + (f" – {row['note']}" if row["note"] else ""),
                row["weight"],
                row["contribution"],
            )
            for row in data["rows"]
        ),
    )
    return format_html(
        "<table class='w-full border border-base-200 dark:border-base-800'><caption class='text-left p-2'>{}</caption>"
        "<thead><tr><th scope='col' class='p-2 text-left'>{}</th><th scope='col' class='p-2'>{}</th>"
        "<th scope='col' class='p-2 text-left'>{}</th><th scope='col' class='p-2'>{}</th>"
        "<th scope='col' class='p-2'>{}</th></tr></thead><tbody>{}</tbody>"
        "<tfoot><tr><th scope='row' colspan='4' class='p-2 text-left'>{}</th><td class='p-2'><strong>{}</strong></td>"
        "</tr></tfoot></table>",
        gettext("Score = 100 × Σ weight × (level − 1) / 4 ÷ Σ weight; inverse criteria count as 6 − level."),
        gettext("Criterion"),
        gettext("Level"),
        gettext("What the level means"),
        gettext("Weight"),
        gettext("Contribution"),
        rows,
        gettext("Total (0–100)"),
        data["total"],
    )


@admin.register(Criterion)
class CriterionAdmin(ScopedModelAdmin):
    list_display = ["name", "key", "weight", "inverse", "is_active", "order", "collaboration"]
    list_filter = ["collaboration", "is_active"]
    list_select_related = ["collaboration"]
    search_fields = ["key", "name"]
    actions = ["load_default_criteria"]
    fieldsets = [
        (None, {"fields": ["collaboration", "key", "name", "name_nn", "name_en", "order", "is_active"]}),
        (_("Scoring"), {"fields": ["weight", "inverse", "descriptors", "descriptors_nn", "descriptors_en"]}),
    ]

    @admin.action(description=_("Load default criteria"))
    def load_default_criteria(self, request, queryset):
        """Adds the default criteria (those missing by key) to every collaboration the user administers."""
        collaborations = Collaboration.objects.editable_by(request.user)
        created = 0
        for collaboration in collaborations:
            created += len(assessment_rules.ensure_default_criteria(collaboration))
        messages.success(
            request,
            ngettext("%(count)d criterion added.", "%(count)d criteria added.", created) % {"count": created},
        )

    def changelist_view(self, request, extra_context=None):
        # The action must run on an empty list too (a new collaboration has no criteria yet).
        if request.method == "POST" and request.POST.get("action") == "load_default_criteria":
            post = request.POST.copy()
            post.setlist(admin.helpers.ACTION_CHECKBOX_NAME, post.getlist(admin.helpers.ACTION_CHECKBOX_NAME) or ["0"])
            post["select_across"] = "1"
            request.POST = post
        return super().changelist_view(request, extra_context)


@admin.register(Assessment)
class AssessmentAdmin(ScopedModelAdmin):
    list_display = ["need", "total", "assessed_by", "capacity", "assessed_at", "estimated_cost", "estimated_effort"]
    list_select_related = ["need", "assessed_by__user"]
    list_filter = ["need__service_area"]
    ordering = ["-total"]
    readonly_fields = [
        "need",
        "assessed_by",
        "capacity",
        "assessed_at",
        "estimated_cost",
        "estimated_effort",
        "recommendation",
        "total",
        "score_breakdown",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # assessed by the sector group through assessment.assess

    def has_change_permission(self, request, obj=None):
        return False

    @display(description=_("score breakdown"))
    def score_breakdown(self, obj):
        return breakdown_table(obj)

    def get_urls(self):
        return [
            path("sector-queue/", self.admin_site.admin_view(self.sector_queue_view), name="ikt_needs_sector_queue"),
        ] + super().get_urls()

    def sector_queue_view(self, request):
        queues = assessment_rules.sector_queues_for(request.user)
        for _area, items in queues:
            for item in items:  # the "Assess" link where the group works on the need (the graph is cached)
                item.assessable = item.need.state in assessment_rules.assessable_state_keys(item.need)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Sector queue"),
            "queues": queues,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "ikt_needs/sector_queue.html", context)


class AssessmentInline(ScopedFormMixin, StackedInline):
    """The assessment on the need's page, read-only, with the score breakdown."""

    model = Assessment
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("assessment")
    fields = [
        "total",
        "score_breakdown",
        "estimated_cost",
        "estimated_effort",
        "recommendation",
        "assessed_by",
        "capacity",
        "assessed_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assessed_by__user")

    def has_view_permission(self, request, obj=None):
        # Whoever may see the need sees its assessment (NeedAdmin already checked the need's scope).
        return request.user.has_perm("ikt_needs.view_need") or request.user.has_perm("ikt_needs.view_assessment")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("score breakdown"))
    def score_breakdown(self, obj):
        return breakdown_table(obj)


NeedAdmin.inlines = [*NeedAdmin.inlines, AssessmentInline]


DESK_INPUT = "border border-base-300 rounded px-2 py-1 w-full dark:bg-base-900 dark:border-base-700"


def _assess_need(self, request, object_id):
    """The Desk's page to assess one need (the portal's form): for the need's sector group while the group
    works on it. Anyone else, or a need in another state, is sent back to the need with the reason."""
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect
    from django.utils.formats import number_format

    from ikt_portfolio.workflow import services as workflow

    from .forms import AssessmentForm

    need = self.get_queryset(request).select_related("service_area", "workflow_version").filter(pk=object_id).first()
    if need is None:
        return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
    back = redirect("admin:ikt_needs_need_change", need.pk)
    refusal = assessment_rules.assess_refusal(need, request.user)
    criteria = assessment_rules.active_criteria(need.collaboration_id) if not refusal else []
    if not refusal and not criteria:
        refusal = gettext("The collaboration has no assessment criteria yet; load the default criteria.")
    if refusal:
        messages.error(request, refusal)
        return back
    current = Assessment.objects.filter(need=need).first()
    form = AssessmentForm(request.POST or None, criteria=criteria, assessment=current)
    for field in form.fields.values():  # the Desk's look for the text fields
        if getattr(field.widget, "input_type", "") != "radio":
            field.widget.attrs.setdefault("class", DESK_INPUT)
    if request.method == "POST" and form.is_valid():
        try:
            result = assessment_rules.assess(need, user=request.user, **form.service_arguments())
        except workflow.WorkflowError as error:
            messages.error(request, error.message)
            return back
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                gettext("The assessment is saved: %(total)s of 100 points.")
                % {"total": number_format(result.total, 2)},
            )
            return back
    context = {
        **self.admin_site.each_context(request),
        "title": gettext("Assess %(need)s") % {"need": need},
        "need": need,
        "form": form,
        "breadth": assessment_rules.breadth_of(need),
        "current": breakdown_table(current) if current else "",
        "opts": self.opts,
        "original": need,
    }
    return TemplateResponse(request, "ikt_needs/assess.html", context, status=400 if form.errors else 200)


def _has_assess_permission(self, request, object_id=None):
    """Whether the "Assess" button shows on the need's page: only for those who may assess it now."""
    need = self.get_queryset(request).filter(pk=object_id).first() if object_id else None
    return need is not None and not assessment_rules.assess_refusal(need, request.user)


# An Unfold detail action on the need's page. `allowed_permissions` only decides whether the button shows:
# the page itself answers anyone else with the reason, as a message.
NeedAdmin.assess_need = unfold_action(description=_("Assess"), url_path="assess", icon="grading")(_assess_need)
NeedAdmin.assess_need.allowed_permissions = ["assess"]
NeedAdmin.has_assess_permission = _has_assess_permission
NeedAdmin.actions_detail = [*NeedAdmin.actions_detail, "assess_need"]


# ------------------------------------------------------------------------------------------ attachments

from django.template.defaultfilters import filesizeformat  # noqa: E402
from django.urls import reverse  # noqa: E402
from unfold.admin import TabularInline  # noqa: E402

from .models import Attachment  # noqa: E402


class AttachmentInline(ScopedFormMixin, TabularInline):
    """The need's files, read-only, each linked to the portal's permission-checked download (never inline).
    Files are attached and removed in the portal (`needs.attachments`)."""

    model = Attachment
    extra = 0
    max_num = 0
    can_delete = False
    per_page = 20
    verbose_name_plural = _("attachments")
    fields = ["download", "file_size", "content_type", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("uploaded_by__user", "uploaded_by__municipality", "uploaded_by__staff_of")
        )

    def has_view_permission(self, request, obj=None):
        # Whoever may see the need sees its files (NeedAdmin already checked the need's scope).
        return request.user.has_perm("ikt_needs.view_need")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("file"))
    def download(self, obj):
        url = reverse("ikt_portal:attachment", args=[obj.need_id, obj.pk])
        return format_html('<a href="{}" download>{}</a>', url, obj.original_name)

    @display(description=_("size"))
    def file_size(self, obj):
        return filesizeformat(obj.size)


NeedAdmin.inlines = [*NeedAdmin.inlines, AttachmentInline]
