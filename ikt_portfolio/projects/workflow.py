"""Projects as seen by the workflow engine: phases are states, gate decisions are transitions.

"project_owner" is document-relative here: only the project's own owner holds it for the project. A gate
with a checklist is refused while the checklist is incomplete: gates decided by one person through
`take_action` (the refusal names the missing items), committee gates through the transition's condition
`checklist_complete` (the fixtures set it on every gate with a checklist).
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.workflow.registry import WorkflowSubject, register

from .models import Project


class ProjectSubject(WorkflowSubject):
    model = Project
    label = _("project")
    select_related = ("owner", "workflow_version__workflow")
    condition_names = {"checklist_complete", "estimated_cost", "participants"}

    def people_in(self, document, capacity):
        if capacity == Capacity.PROJECT_OWNER:
            return {document.owner_id} if document.owner_id else set()
        return super().people_in(document, capacity)

    def relative_filter(self, capacity, person_ids):
        if capacity == Capacity.PROJECT_OWNER:
            return models.Q(owner_id__in=person_ids)
        return super().relative_filter(capacity, person_ids)

    def condition_variables(self, document):
        from . import services

        known = getattr(document, "_condition_counts", None)  # set by prefetch_condition_variables
        if known is None:
            known = {
                "checklist_complete": not services.missing_checklist_items(document),
                "participants": document.participations.exclude(status="opts_out").count(),
            }
        return {**known, "estimated_cost": document.estimated_cost or 0}

    def prefetch_condition_variables(self, documents):
        from . import services

        for document, counts in services.condition_counts(documents).items():
            document._condition_counts = counts

    def recipients(self, document):
        """The owner and the manager hear of each gate."""
        people = [p for p in (document.owner_id, document.manager_id) if p]
        from ikt_portfolio.members.models import Person

        return set(Person.objects.filter(pk__in=people).values_list("user_id", flat=True))

    def take_action(self, document, action, user, *, comment, revision, inputs):
        from . import services

        return services.pass_gate(document, action, user, comment=comment, revision=revision)

    def link(self, document):
        return reverse("admin:ikt_projects_project_change", args=[document.pk])


register(ProjectSubject())
