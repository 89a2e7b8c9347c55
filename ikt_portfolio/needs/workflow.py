"""Needs as seen by the workflow engine."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.workflow.registry import ActionInput, WorkflowSubject, register

from .models import Need


class NeedSubject(WorkflowSubject):
    model = Need
    label = _("need")
    select_related = ("service_area", "submitted_by")
    submitter_field = "submitted_by"
    condition_names = {
        "estimated_cost",
        "estimated_effort",
        "strategic",
        "urgency",
        "affected_count",
        "service_area",
        "merged_into",
    }
    action_inputs = {
        "merge": (
            ActionInput("into", _("Merge into need number"), _("The number of the need it duplicates, e.g. B-12.")),
        )
    }

    def scope(self, document):
        return {"service_area_id": document.service_area_id}

    def condition_variables(self, document):
        return {
            "estimated_cost": document.estimated_cost or 0,
            "estimated_effort": document.estimated_effort or 0,
            "strategic": document.strategic,
            "urgency": document.urgency,
            "affected_count": document.affected_count or 0,
            "service_area": document.service_area.code if document.service_area_id else "",
            "merged_into": bool(document.merged_into_id),
        }

    def recipients(self, document):
        """The submitter, every co-signer and every follower hear of each step."""
        users = {document.submitted_by.user_id}
        users |= set(document.co_signs.values_list("person__user_id", flat=True))
        users |= set(document.followers.values_list("user_id", flat=True))
        return users

    def title(self, document):
        return str(document)

    def take_action(self, document, action, user, *, comment, revision, inputs):
        # Merging carries co-signers and followers over (and undoing it takes them back): the duplicates service.
        from . import duplicates

        if action == "merge":
            target = duplicates.target_by_reference(document, inputs["into"])
            return duplicates.merge(document, target, user=user, comment=comment, revision=revision)
        if action == "unmerge":
            return duplicates.unmerge(document, user=user, comment=comment, revision=revision)
        return super().take_action(document, action, user, comment=comment, revision=revision, inputs=inputs)

    def link(self, document):
        return reverse("admin:ikt_needs_need_change", args=[document.pk])


register(NeedSubject())
