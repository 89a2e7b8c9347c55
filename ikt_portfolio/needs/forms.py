"""Forms of the needs app shared by the portal and the Desk: the sector group's assessment."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .assessment import BREADTH_KEY
from .models import Assessment

# Spaces people type or paste as thousands separators: plain, no-break and narrow no-break.
_SEPARATORS = (" ", "\u00a0", "\u202f")


class NorwegianDecimalField(forms.DecimalField):
    """A decimal as Norwegians write it: "650 000", "650000,50" or "650000.50" (never a float)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removeprefix("kr").removesuffix(",-").strip()
            for separator in _SEPARATORS:
                value = value.replace(separator, "")
            value = value.replace(",", ".")
        return super().to_python(value)


class AssessmentForm(forms.Form):
    """The sector group's assessment of one need: one radio group per scored criterion (each level with its
    descriptor in the reader's language), an optional note per criterion, the estimate and the
    recommendation. Breadth is computed from co-signatures, so it has no field. Build it in the request (the
    descriptors follow the active language); `service_arguments()` gives what `assessment.assess` takes."""

    LEVELS = range(1, 6)

    estimated_cost = NorwegianDecimalField(
        label=_("Estimated cost (NOK)"),
        required=False,
        min_value=Decimal(0),
        max_digits=15,
        decimal_places=2,
        help_text=_("Kroner, e.g. 650 000. Large or strategic needs go to the board."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    estimated_effort = NorwegianDecimalField(
        label=_("Estimated effort (person-months)"),
        required=False,
        min_value=Decimal(0),
        max_digits=7,
        decimal_places=1,
        help_text=_("E.g. 8,5."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    recommendation = forms.CharField(
        label=_("Recommendation to the portfolio council"),
        required=False,
        validators=[MaxLengthValidator(5000)],
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the sector group recommends, and why."),
    )

    def __init__(self, *args, criteria, assessment: Assessment | None = None, **kwargs):
        self.criteria = [criterion for criterion in criteria if criterion.key != BREADTH_KEY]
        if assessment is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(assessment)
        super().__init__(*args, **kwargs)
        for criterion in self.criteria:
            self.fields[self.score_name(criterion)] = forms.TypedChoiceField(
                label=criterion.localized_name,
                choices=[(level, f"{level} – {criterion.descriptor(level)}") for level in self.LEVELS],
                coerce=int,
                widget=forms.RadioSelect,
                help_text=gettext("A higher level is worse: it lowers the score.") if criterion.inverse else "",
                error_messages={"required": gettext("Choose a level from 1 to 5.")},
            )
            self.fields[self.note_name(criterion)] = forms.CharField(
                label=gettext("Note on “%(criterion)s”") % {"criterion": criterion.localized_name},
                required=False,
                validators=[MaxLengthValidator(2000)],
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        # The criteria first, in their order, then the estimate and the recommendation.
        self.order_fields([name for criterion in self.criteria for name in self.names_of(criterion)])

    @staticmethod
    def score_name(criterion) -> str:
        return f"score_{criterion.key}"

    @staticmethod
    def note_name(criterion) -> str:
        return f"note_{criterion.key}"

    @classmethod
    def names_of(cls, criterion) -> tuple[str, str]:
        return cls.score_name(criterion), cls.note_name(criterion)

    @classmethod
    def initial_from(cls, assessment: Assessment) -> dict:
        initial = {
            "estimated_cost": assessment.estimated_cost,
            "estimated_effort": assessment.estimated_effort,
            "recommendation": assessment.recommendation,
        }
        for score in assessment.scores.select_related("criterion"):
            initial[f"score_{score.criterion.key}"] = score.score
            initial[f"note_{score.criterion.key}"] = score.note
        return initial

    def criterion_fields(self):
        """(criterion, its score field, its note field) in the criteria's order, for templates."""
        for criterion in self.criteria:
            yield criterion, self[self.score_name(criterion)], self[self.note_name(criterion)]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "scores": {criterion.key: data[self.score_name(criterion)] for criterion in self.criteria},
            "notes": {criterion.key: data.get(self.note_name(criterion), "") for criterion in self.criteria},
            "estimated_cost": data.get("estimated_cost"),
            "estimated_effort": data.get("estimated_effort"),
            "recommendation": data.get("recommendation", ""),
        }

    def add_service_errors(self, error) -> None:
        """Put a ValidationError of `assessment.assess` on the form (on the field it names, if any)."""
        if hasattr(error, "error_dict"):
            for name, messages in error.error_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error)
