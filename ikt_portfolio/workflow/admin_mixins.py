"""What a document's Desk page needs from the workflow: its status, the action and vote buttons the user
has now (with the reasons for the others), and its history. Document apps mix this into their admin."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ikt_portfolio.core.audit import capacity_label

from . import services


class WorkflowDocumentAdminMixin:
    change_form_outer_before_template = "ikt_workflow/document_panel.html"

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/workflow/",
                self.admin_site.admin_view(require_POST(self.workflow_action_view)),
                name="{}_{}_workflow".format(*info),
            )
        ] + super().get_urls()

    def may_change_row(self, request, obj) -> bool:
        """Per-state edit rights: in each state only the capacities the workflow names may edit."""
        document = obj if not isinstance(obj, str) else self.get_object(request, obj)
        if document is None or not document.workflow_version_id:
            return super().may_change_row(request, obj)
        return self.has_view_permission(request, document) and services.may_edit(document, request.user)

    def check_save(self, request, obj) -> None:
        if obj.pk is None or not obj.workflow_version_id:
            return super().check_save(request, obj)
        fresh = type(obj)._default_manager.get(pk=obj.pk)  # the state as stored, not as posted
        if not services.may_edit(fresh, request.user):
            raise PermissionDenied

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None or not obj.workflow_version_id:
            return readonly
        state = services.current_state(obj)
        if not state.editable_fields:
            return readonly
        form_fields = [f.name for f in self.model._meta.concrete_fields if f.editable] + [
            f.name for f in self.model._meta.many_to_many
        ]
        return readonly + [name for name in form_fields if name not in state.editable_fields and name not in readonly]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        document = self.get_object(request, object_id)
        if document is not None and document.workflow_version_id:
            extra_context = {
                **(extra_context or {}),
                "workflow_state": services.current_state(document),
                "workflow_actions": services.available_actions(document, request.user),
                "workflow_history": [
                    (entry, capacity_label(entry.capacity)) for entry in services.history(document)[:50]
                ],
                "workflow_revision": document.workflow_revision,
                "workflow_url": f"{request.path.rstrip('/').rsplit('/change', 1)[0]}/workflow/",
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def workflow_action_view(self, request, object_id):
        document = get_object_or_404(self.get_queryset(request), pk=object_id)
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        choice = request.POST.get("choice")
        revision = request.POST.get("revision")
        try:
            if choice:
                result = services.vote(document, action, request.user, choice, comment=comment)
                if result.log is not None:
                    messages.success(
                        request,
                        _("Your vote decided the matter: the item is now “%(state)s”.")
                        % {"state": services.current_state(document)},
                    )
                else:
                    messages.success(request, _("Your vote is recorded."))
            else:
                services.act(
                    document,
                    action,
                    request.user,
                    comment=comment,
                    revision=int(revision) if revision else None,
                    inputs=request.POST,
                )
                messages.success(
                    request, _("Done: the item is now “%(state)s”.") % {"state": services.current_state(document)}
                )
        except services.WorkflowError as error:
            messages.error(request, error.message)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = ".."
        return redirect(target)
