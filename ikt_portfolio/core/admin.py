"""The base of every Desk page: Unfold's look, history, and data scoped to the user's collaborations."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from .audit import acting_as


def desk_capacity(user) -> str:
    """The capacity recorded for changes made through the Desk."""
    from ikt_portfolio.members.permissions import admin_collaboration_ids

    if user.is_superuser:
        return "operator"
    if admin_collaboration_ids(user):
        return "collaboration_admin"
    return "desk"


class ScopedAdminMixin:
    """Lists show only rows the user may see; changes only rows they may edit; choices likewise."""

    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def _may_edit(self, request, obj) -> bool:
        return self.model._default_manager.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._may_edit(request, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._may_edit(request, obj))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        manager = db_field.related_model._default_manager
        if "queryset" not in kwargs and hasattr(manager, "editable_by"):
            # Fields that place the row in a collaboration offer only what the user administers.
            owning = db_field.name in getattr(self.model, "scope_fields", ())
            kwargs["queryset"] = (manager.editable_by if owning else manager.visible_to)(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        from ikt_portfolio.members.permissions import can_edit

        if not can_edit(request.user, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

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
    pass


class ScopedTabularInline(TabularInline):
    extra = 0

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        parent = self.parent_model._default_manager
        return allowed and (obj is None or parent.editable_by(request.user).filter(pk=obj.pk).exists())

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
