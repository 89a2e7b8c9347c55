from ikt_portfolio.workflow.registry import WorkflowSubject, register

from .models import Ticket


class TicketSubject(WorkflowSubject):
    model = Ticket
    label = "ticket"
    select_related = ("submitted_by",)
    submitter_field = "submitted_by"
    condition_names = {"estimated_cost", "strategic", "title"}

    def scope(self, document):
        return {"service_area_id": document.service_area_id} if document.service_area_id else {}

    def condition_variables(self, document):
        return {
            "estimated_cost": document.estimated_cost,
            "strategic": document.strategic,
            "title": document.title,
        }

    def recipients(self, document):
        return {document.submitted_by.user_id}

    def link(self, document):
        return f"/tickets/{document.pk}/"


register(TicketSubject())
