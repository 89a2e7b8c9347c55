"""The base of every Desk page: Unfold's look, history, and data scoped to the user's collaborations."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from .audit import acting_as, capacity_label


def desk_capacity(user) -> str:
    """The capacity recorded for changes made through the Desk."""
    from ikt_portfolio.members.permissions import admin_collaboration_ids

    if user.is_superuser:
        return "operator"
    if admin_collaboration_ids(user):
        return "collaboration_admin"
    return "desk"


def _scope_answer(request, model, obj, kind: str) -> bool:
    """Whether the user may see/edit one row (given as instance or id, as Unfold's detail actions pass it);
    asked many times per page, so answered once per request."""
    pk = str(getattr(obj, "pk", obj))
    cache = request.__dict__.setdefault("_ikt_scope_answers", {})
    key = (model._meta.label, pk, kind)
    if key not in cache:
        manager = model._default_manager
        scoped = manager.visible_to if kind == "see" else manager.editable_by
        cache[key] = scoped(request.user).filter(pk=pk).exists()
    return cache[key]


def scoped_foreignkey_queryset(model, db_field, user):
    """Choices for a foreign key: what the user administers where the field places the row in a
    collaboration (the model's `scope_fields`), otherwise what they may see."""
    manager = db_field.related_model._default_manager
    if not hasattr(manager, "editable_by"):
        return None
    owning = db_field.name in getattr(model, "scope_fields", ())
    return (manager.editable_by if owning else manager.visible_to)(user)


class ScopedFormMixin:
    """Shared by pages and inlines: scoped choices, and every saved row checked against the user's scope."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = scoped_foreignkey_queryset(self.model, db_field, request.user)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def ensure_editable(request, obj) -> None:
    from ikt_portfolio.members.permissions import can_edit

    if not can_edit(request.user, obj):
        raise PermissionDenied


class ScopedAdminMixin(ScopedFormMixin):
    """Lists show only rows the user may see; changes only rows they may edit; choices likewise."""

    list_per_page = 50
    show_full_result_count = False  # one count query per list page is enough

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or _scope_answer(request, self.model, obj, "see"))

    def may_change_row(self, request, obj) -> bool:
        """May the user change this row? Administrators of its collaboration may; documents under a
        workflow override this with the workflow's per-state edit rights."""
        return _scope_answer(request, self.model, obj, "edit")

    def check_save(self, request, obj) -> None:
        ensure_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.may_change_row(request, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or _scope_answer(request, self.model, obj, "edit"))

    def save_model(self, request, obj, form, change):
        self.check_save(request, obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Inline rows are checked one by one: a row may name another collaboration than its parent.
        for inline_form in formset.forms:
            if inline_form.has_changed() or inline_form in formset.deleted_forms:
                ensure_editable(request, inline_form.instance)
        super().save_formset(request, form, formset, change)

    def changeform_view(self, request, *args, **kwargs):
        with acting_as(desk_capacity(request.user)):
            return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        with acting_as(desk_capacity(request.user)):
            return super().delete_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        with acting_as(desk_capacity(request.user)):
            return super().changelist_view(request, *args, **kwargs)


class ScopedModelAdmin(ScopedAdminMixin, SimpleHistoryAdmin, ModelAdmin):
    history_list_display = ["capacity"]

    @display(description=_("in the capacity of"))
    def capacity(self, record):
        return capacity_label(record.history_capacity)


class ReadOnlyAdminMixin:
    """A record written only by the services (a log, a decision taken by votes): the Desk reads it, never adds,
    changes or deletes it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedTabularInline(ScopedFormMixin, TabularInline):
    """An inline editable only where the parent is; paginated so a page's queries stay bounded."""

    extra = 0
    per_page = 20
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.select_related)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _scope_answer(request, self.parent_model, obj, "edit"))

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


# Users and groups in the Desk's look. Only operators hold permissions on them; capacity groups are edited
# here (which model permissions each capacity gives).
User = get_user_model()
for model in (User, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass
