"""Benefits as seen by the workflow engine: the lifecycle (identified → planned → being realised → realised /
partly realised / not realised → verified) is a workflow, so its steps are audited, decided by the capacities the
routing names and configurable like any other routing.

"project_owner" is document-relative here: only the owner of the benefit's project holds it for the benefit.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.workflow.registry import WorkflowSubject, register

from .models import Benefit


class BenefitSubject(WorkflowSubject):
    model = Benefit
    label = _("benefit")
    select_related = ("project", "workflow_version__workflow")

    def collaboration_id(self, document) -> int:
        return document.project.collaboration_id

    def people_in(self, document, capacity):
        if capacity == Capacity.PROJECT_OWNER:
            return {document.project.owner_id} if document.project.owner_id else set()
        return super().people_in(document, capacity)

    def relative_filter(self, capacity, person_ids):
        if capacity == Capacity.PROJECT_OWNER:
            return models.Q(project__owner_id__in=person_ids)
        return super().relative_filter(capacity, person_ids)

    def recipients(self, document):
        """The project's owner and manager hear of each step."""
        from ikt_portfolio.members.models import Person

        people = [p for p in (document.project.owner_id, document.project.manager_id) if p]
        return set(Person.objects.filter(pk__in=people).values_list("user_id", flat=True))

    def title(self, document) -> str:
        return f"{document.project.reference}: {document.name}"

    def link(self, document) -> str:
        return reverse("admin:ikt_benefits_benefit_change", args=[document.pk])


register(BenefitSubject())
