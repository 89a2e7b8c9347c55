"""Read-side helpers for document lists: the state's name in every language, without a query per row."""

from django.db.models import OuterRef, Subquery
from django.utils.translation import get_language

from .models import State


def with_state_names(queryset):
    """Annotate documents with their state's names (bokmål, nynorsk, English) in one query."""
    states = State.objects.filter(version_id=OuterRef("workflow_version_id"), key=OuterRef("state"))
    return queryset.annotate(
        state_name=Subquery(states.values("name")[:1]),
        state_name_nn=Subquery(states.values("name_nn")[:1]),
        state_name_en=Subquery(states.values("name_en")[:1]),
    )


def state_name(document) -> str:
    language = (get_language() or "nb")[:2]
    localized = {"nn": getattr(document, "state_name_nn", ""), "en": getattr(document, "state_name_en", "")}
    return localized.get(language) or getattr(document, "state_name", None) or document.state or "–"
