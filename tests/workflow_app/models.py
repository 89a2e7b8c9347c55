from django.db import models

from ikt_portfolio.workflow.models import WorkflowDocument


class Ticket(WorkflowDocument):
    """A stand-in document: the engine must work for any model, not just needs."""

    collaboration = models.ForeignKey("ikt_members.Collaboration", on_delete=models.CASCADE)
    service_area = models.ForeignKey("ikt_members.ServiceArea", on_delete=models.CASCADE, null=True, blank=True)
    submitted_by = models.ForeignKey("ikt_members.Person", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    estimated_cost = models.DecimalField(max_digits=15, decimal_places=2, default=0)
    strategic = models.BooleanField(default=False)

    def __str__(self):
        return self.title
