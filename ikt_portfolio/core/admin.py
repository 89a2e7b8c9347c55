"""The base of every Desk page: Unfold's look, history, and data scoped to the user's collaborations."""

from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline

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
        related = db_field.related_model
        manager = related._default_manager
        if "queryset" not in kwargs and hasattr(manager, "editable_by"):
            # Pick among what the user administers for the row's owner (collaboration), else what they see.
            scoped = manager.editable_by if related._meta.model_name == "collaboration" else manager.visible_to
            kwargs["queryset"] = scoped(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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

