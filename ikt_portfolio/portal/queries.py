"""Read side of the portal, on top of `needs.selectors` (the scoping and annotations shared with the API).

`needs.selectors.visible_needs` decides who sees which needs (the collaboration's members; a draft only its
submitter and the collaboration's administrators); `needs_for` adds what a list shows and the shared
filters. The portal adds its tabs ("mine" also counts what you co-signed or follow; "my municipality" also
what it co-signed), keeps drafts out of the shared tabs and finds a need by its reference (B-12).
"""

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from ikt_portfolio.members.permissions import person_of
from ikt_portfolio.needs import selectors
from ikt_portfolio.needs.models import CoSign, Follow
from ikt_portfolio.workflow.models import State

REFERENCE = re.compile(r"^\s*[Bb]-?\s*(\d+)\s*$")


def visible_needs(user):
    """Every need `user` may open (see `needs.selectors.visible_needs`)."""
    return selectors.visible_needs(user)


def _with_draft_flag(queryset):
    initial = State.objects.filter(version_id=OuterRef("workflow_version_id"), key=OuterRef("state"), is_initial=True)
    return queryset.annotate(is_draft=Exists(initial))


@dataclass(frozen=True)
class NeedFilters:
    scope: str = "all"  # "all", "mine" (reported, co-signed or followed) or "municipality" (my municipality's)
    service_area_id: int | None = None
    state: str = ""
    municipality_id: int | None = None
    segment: str = ""
    goal_id: int | None = None
    search: str = ""

    @property
    def narrowed(self) -> bool:
        return any([self.service_area_id, self.state, self.municipality_id, self.segment, self.goal_id, self.search])


def need_list(user, collaboration, filters: NeedFilters):
    """The list page's needs: newest first, with what each row shows loaded in the same query."""
    shared = {
        "service_area": filters.service_area_id,
        "state": filters.state,
        "municipality": filters.municipality_id,
        "segment": filters.segment,
        "goal": filters.goal_id,
    }
    reference = REFERENCE.match(filters.search) if filters.search else None
    if filters.search and not reference:
        shared["search"] = filters.search
    queryset = selectors.needs_for(user, {k: v for k, v in shared.items() if v}).filter(collaboration=collaboration)
    if reference:
        queryset = queryset.filter(number=int(reference.group(1)))
    queryset = _with_draft_flag(queryset)
    person = person_of(user)
    if filters.scope == "mine":
        if person is None:
            return queryset.none()
        queryset = queryset.filter(
            Q(submitted_by_id=person.pk)
            | Exists(CoSign.objects.filter(need=OuterRef("pk"), person_id=person.pk))
            | Exists(Follow.objects.filter(need=OuterRef("pk"), user_id=user.pk))
        )
    else:
        queryset = queryset.filter(is_draft=False, workflow_version__isnull=False)
        if filters.scope == "municipality":
            if person is None or not person.municipality_id:
                return queryset.none()
            queryset = queryset.filter(
                Q(municipality_id=person.municipality_id)
                | Exists(CoSign.objects.filter(need=OuterRef("pk"), municipality_id=person.municipality_id))
            )
    return queryset.order_by("-created_at", "-pk")
