"""`{% benefit_states report %}`: gives every benefit of a member report its lifecycle state's name
(`state_label`, in the reader's language) and category (`state_category`), in one query for the whole report
(`lifecycle.lifecycle_state_names`). A benefit outside any workflow gets an empty label."""

from django import template

from ikt_portfolio.benefits import lifecycle

register = template.Library()


@register.simple_tag
def benefit_states(report) -> str:
    if report is not None:
        lifecycle.lifecycle_state_names(line.benefit for project in report.projects for line in project.benefits)
    return ""
