"""Read-side queries of needs, shared by the API, the exports and the portal: who sees which needs, the
joins and annotations a list needs (so no page forgets them), and the list filters.

`needs_for(user, filters)` is the one entry point: the needs `user` may see (members see the submitted
needs of their collaborations; a draft only its submitter and the collaboration's administrators), with
`co_sign_count`, `population`, `size_segment`, `urgency_rank` and the state's names and category annotated,
narrowed by `filters` (a dict or a QueryDict, e.g. `request.GET`; see `NeedFilter`).
"""

import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.members.models import Municipality, ServiceArea, SizeSegment
from ikt_portfolio.members.permissions import admin_collaboration_ids, is_operator, person_of
from ikt_portfolio.members.selectors import latest_population_subquery
from ikt_portfolio.workflow.models import State
from ikt_portfolio.workflow.selectors import with_state_names

from .models import CoSign, Goal, Need, Urgency

URGENCY_RANK = {Urgency.LOW: 1, Urgency.MEDIUM: 2, Urgency.HIGH: 3, Urgency.CRITICAL: 4}


def visible_needs(user):
    """The needs `user` may see: those of their collaborations (`visible_to`), but a draft only for its
    submitter and the collaboration's administrators (operators see everything)."""
    queryset = Need.objects.visible_to(user)
    if is_operator(user):
        return queryset
    shown = ~Q(state="draft") | Q(collaboration_id__in=admin_collaboration_ids(user))
    person = person_of(user)
    if person is not None:
        shown |= Q(submitted_by_id=person.pk)
    return queryset.filter(shown)


def annotate_needs(queryset, day: datetime.date | None = None):
    """Joins and annotations of a need list: one query for the page, whatever its length."""
    day = day or timezone.localdate()
    co_signs = (
        CoSign.objects.filter(need_id=OuterRef("pk")).order_by().values("need_id").annotate(n=Count("pk")).values("n")
    )
    category = State.objects.filter(version_id=OuterRef("workflow_version_id"), key=OuterRef("state"))
    queryset = with_state_names(queryset).annotate(
        state_category=Subquery(category.values("category")[:1]),
        co_sign_count=Coalesce(Subquery(co_signs[:1], output_field=IntegerField()), Value(0)),
        population=latest_population_subquery(day.year),
        urgency_rank=Case(
            *(When(urgency=key, then=Value(rank)) for key, rank in URGENCY_RANK.items()),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    return queryset.annotate(
        size_segment=Case(
            When(population__isnull=True, then=Value(None)),
            When(population__lte=F("collaboration__small_max_population"), then=Value(SizeSegment.SMALL.value)),
            When(population__lte=F("collaboration__medium_max_population"), then=Value(SizeSegment.MEDIUM.value)),
            default=Value(SizeSegment.LARGE.value),
            output_field=CharField(),
        )
    ).select_related("collaboration", "service_area", "municipality", "submitted_by__user", "workflow_version")


class NeedFilter(django_filters.FilterSet):
    """The filters of every need list (API, exports, portal). `user` answers `mine` and `my_municipality`."""

    state = django_filters.CharFilter(field_name="state", help_text=_("The state's key, e.g. submitted."))
    service_area = django_filters.ModelChoiceFilter(queryset=ServiceArea.objects.all())
    municipality = django_filters.ModelChoiceFilter(queryset=Municipality.objects.all())
    municipality_number = django_filters.CharFilter(field_name="municipality__number", label=_("municipality"))
    segment = django_filters.ChoiceFilter(field_name="size_segment", choices=SizeSegment.choices)
    goal = django_filters.ModelChoiceFilter(field_name="goals", queryset=Goal.objects.all())
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    mine = django_filters.BooleanFilter(method="filter_mine", help_text=_("Only needs I reported."))
    my_municipality = django_filters.BooleanFilter(
        method="filter_my_municipality", help_text=_("Only needs my municipality reported.")
    )
    search = django_filters.CharFilter(method="filter_search", help_text=_("Words in the title or problem."))
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("number", "number"), ("urgency_rank", "urgency"))
    )

    class Meta:
        model = Need
        fields: list[str] = []  # every filter is declared above

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = user if user is not None else getattr(request, "user", None)
        if self.user is not None:  # choose only among what the user can see
            self.filters["service_area"].queryset = ServiceArea.objects.visible_to(self.user)
            self.filters["municipality"].queryset = Municipality.objects.visible_to(self.user)
            self.filters["goal"].queryset = Goal.objects.visible_to(self.user)

    def _person(self):
        return person_of(self.user) if self.user is not None else None

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        person = self._person()
        return queryset.filter(submitted_by_id=person.pk) if person is not None else queryset.none()

    def filter_my_municipality(self, queryset, name, value):
        if not value:
            return queryset
        person = self._person()
        if person is None or not person.municipality_id:
            return queryset.none()
        return queryset.filter(municipality_id=person.municipality_id)

    def filter_search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(problem__icontains=word))
        return queryset


def filter_needs(queryset, filters, user):
    """`queryset` narrowed by `filters`; ValidationError (per field) for a filter value that makes no sense."""
    filterset = NeedFilter(filters, queryset, user=user)
    if not filterset.is_valid():
        raise ValidationError({name: list(messages) for name, messages in filterset.errors.items()})
    return filterset.qs


def needs_for(user, filters=None, *, day: datetime.date | None = None):
    """The needs `user` sees, annotated for lists and narrowed by `filters` (see the module's docstring)."""
    queryset = annotate_needs(visible_needs(user), day)
    if filters:
        queryset = filter_needs(queryset, filters, user)
    return queryset


def with_co_signs(queryset):
    """Prefetch each need's co-signatures with their municipality and signer (for detail pages)."""
    from django.db.models import Prefetch

    return queryset.prefetch_related(
        Prefetch("co_signs", queryset=CoSign.objects.select_related("municipality", "person__user")),
        "goals",
    )
