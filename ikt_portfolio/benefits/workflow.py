"""Benefits as seen by the workflow engine: the lifecycle (identified → planned → being realised → realised /
partly realised / not realised → verified) is a workflow, so its steps are audited, decided by the capacities the
routing names and configurable like any other routing.

"project_owner" is document-relative here: only the owner of the benefit's project holds it for the benefit.
The routing's conditions read `has_indicator`, `has_targets`, `realisation` and `measured_members`
(`lifecycle.condition_values`, in bulk for the inbox). The person who concluded a benefit (realised, partly or
not realised) counts as its own person, so a verify step that refuses self-approval is never taken by them.
The default routing and creating a benefit: `lifecycle`.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.workflow.registry import WorkflowSubject, register

from . import lifecycle
from .models import Benefit


class BenefitSubject(WorkflowSubject):
    model = Benefit
    label = _("benefit")
    select_related = ("project", "workflow_version__workflow")
    condition_names = lifecycle.CONDITION_NAMES

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

    def condition_variables(self, document):
        known = getattr(document, "_lifecycle_values", None)  # set by prefetch_condition_variables
        if known is None:
            known = lifecycle.condition_values([document]).get(document.pk, {})
        return dict(known)

    def prefetch_condition_variables(self, documents):
        documents = list(documents)
        values = lifecycle.condition_values(documents)
        concluded = lifecycle.concluded_by(documents)
        for document in documents:
            document._lifecycle_values = values.get(document.pk, {})
            document._concluded_by = concluded.get(document.pk)

    def owner_person_id(self, document):
        """The person who concluded the benefit (while it is concluded): the verify steps refuse them."""
        if document.state not in lifecycle.CONCLUDED_STATES:
            return None
        if "_concluded_by" not in document.__dict__:
            document._concluded_by = lifecycle.concluded_by([document]).get(document.pk)
        return document._concluded_by

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
