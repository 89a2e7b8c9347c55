"""What a document's Desk page needs from the workflow: its status, the action and vote buttons the user
has now (with the reasons for the others), and its history. Document apps mix this into their admin."""

from django.contrib import messages
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
                services.perform(
                    document, action, request.user, comment=comment, revision=int(revision) if revision else None
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
