from django.db.models import Q

from ikt_portfolio.workflow.registry import WorkflowSubject, register

from .models import Ticket


class TicketSubject(WorkflowSubject):
    model = Ticket
    label = "ticket"
    select_related = ("submitted_by",)
    condition_names = {"estimated_cost", "strategic", "title", "merged_into"}

    def scope(self, document):
        return {"service_area_id": document.service_area_id} if document.service_area_id else {}

    def people_in(self, document, capacity):
        return {document.submitted_by_id} if capacity == "submitter" else None

    def relative_filter(self, capacity, person_ids):
        return Q(submitted_by_id__in=person_ids) if capacity == "submitter" else None

    def owner_person_id(self, document):
        return document.submitted_by_id

    def condition_variables(self, document):
        return {
            "estimated_cost": document.estimated_cost,
            "strategic": document.strategic,
            "title": document.title,
            "merged_into": False,  # tickets are never merged: the routing's merge step stays closed
        }

    def recipients(self, document):
        return {document.submitted_by.user_id}

    def link(self, document):
        return f"/tickets/{document.pk}/"


register(TicketSubject())
