"""The portal's forms, rendered with Designsystemet's field markup (see templates/ikt_portal/_field.html)."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.members.models import Membership, Municipality, ServiceArea, SizeSegment
from ikt_portfolio.needs.models import CoSign, Goal, Need
from ikt_portfolio.workflow.models import Vote

TEXT_LIMIT = 5000


class PortalBoundField(forms.BoundField):
    """Knows what the error summary links to and what a fieldset's aria-describedby lists."""

    @property
    def is_group(self) -> bool:
        return isinstance(self.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)

    @property
    def anchor(self) -> str:
        """The element the error summary links to: the input, or a group's first option."""
        return f"{self.auto_id}_0" if self.is_group else self.auto_id

    @property
    def group_describedby(self) -> str:
        ids = []
        if self.help_text:
            ids.append(f"{self.auto_id}_helptext")
        if self.errors:
            ids.append(f"{self.auto_id}_error")
        return " ".join(ids)


class PortalForm(forms.Form):
    bound_field_class = PortalBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


class PortalModelForm(forms.ModelForm):
    bound_field_class = PortalBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


def style(form) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "ds-input")


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class NeedForm(PortalModelForm):
    """“Meld inn behov”: the guided form over a need's own fields."""

    SECTIONS = (
        (_("The need"), ("title", "problem", "desired_outcome", "purchase_needed")),
        (_("Who it concerns"), ("service_area", "affected_group", "affected_count")),
        (_("Benefit and urgency"), ("benefit_type", "expected_benefit", "expected_benefit_nok", "urgency", "goals")),
    )

    class Meta:
        model = Need
        fields = Need.REPORTED_FIELDS
        labels = {
            "title": _("Short title"),
            "problem": _("What is the problem?"),
            "desired_outcome": _("What would be better?"),
            "purchase_needed": _("Do we need to buy anything at all?"),
            "service_area": _("Service area"),
            "affected_group": _("Who is affected?"),
            "affected_count": _("How many are affected, roughly?"),
            "benefit_type": _("What kind of benefit do you expect?"),
            "expected_benefit": _("The benefit in your own words"),
            "urgency": _("How urgent is it?"),
            "goals": _("Which of the collaboration's goals does it serve?"),
        }
        help_texts = {
            "title": _("A few words others will recognise, e.g. “Digital night-time supervision”."),
            "problem": _("Describe today's situation: what goes wrong, for whom, and how often."),
            "desired_outcome": _("What would be different if the need were met?"),
            "purchase_needed": _("Many needs are solved with what we already have, through training or settings."),
            "service_area": _("The sector group for this area will look at the need."),
            "affected_count": _("A rough number is enough."),
            "expected_benefit": _("E.g. time saved, better quality, less vulnerability."),
        }
        widgets = {
            "title": forms.TextInput(attrs={"autocomplete": "off"}),
            "problem": forms.Textarea(attrs={"rows": 6}),
            "desired_outcome": forms.Textarea(attrs={"rows": 4}),
            "purchase_needed": forms.RadioSelect,
            "affected_group": forms.RadioSelect,
            "affected_count": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "data-width": "auto"}),
            "benefit_type": forms.RadioSelect,
            "expected_benefit": forms.Textarea(attrs={"rows": 4}),
            "urgency": forms.RadioSelect,
            "goals": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, collaboration, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.collaboration = collaboration
        self.fields["service_area"].queryset = ServiceArea.objects.filter(collaboration=collaboration)
        self.fields["service_area"].empty_label = _("Choose a service area")
        year = timezone.localdate().year
        goals = Goal.objects.filter(collaboration=collaboration, first_year__lte=year, last_year__gte=year)
        self.fields["goals"].queryset = goals
        if not goals.exists():
            del self.fields["goals"]

    def sections(self):
        for heading, names in self.SECTIONS:
            yield heading, [self[name] for name in names if name in self.fields]


class NeedFilterForm(PortalForm):
    """The list's filters, as a GET form that works without JavaScript."""

    hide_optional = True  # every filter is optional; no need to say so

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    service_area = forms.ModelChoiceField(
        label=_("Service area"), queryset=ServiceArea.objects.none(), required=False, empty_label=_("All")
    )
    state = forms.ChoiceField(label=_("Status"), required=False)
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), required=False, empty_label=_("All")
    )
    segment = forms.ChoiceField(
        label=_("Size of the municipality"), required=False, choices=[("", _("All")), *SizeSegment.choices]
    )
    goal = forms.ModelChoiceField(label=_("Goal"), queryset=Goal.objects.none(), required=False, empty_label=_("All"))

    def __init__(self, *args, collaboration, states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("Title, text or number (B-12)")})
        self.fields["service_area"].queryset = ServiceArea.objects.filter(collaboration=collaboration)
        self.fields["state"].choices = [("", _("All")), *states]
        members = Membership.objects.active_on().filter(collaboration=collaboration).values("municipality_id")
        self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=members).order_by("name")
        self.fields["goal"].queryset = Goal.objects.filter(collaboration=collaboration).order_by("code")


class CommentForm(PortalForm):
    body = forms.CharField(
        label=_("Your comment or question"), max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_question = forms.BooleanField(label=_("This is a question to the submitter"), required=False)

    def __init__(self, *args, may_ask: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_ask:
            del self.fields["is_question"]


class CoSignForm(PortalModelForm):
    class Meta:
        model = CoSign
        fields = ["expected_benefit", "affected_count"]
        labels = {
            "expected_benefit": _("What would it mean for your municipality?"),
            "affected_count": _("How many are affected in your municipality, roughly?"),
        }
        widgets = {
            "expected_benefit": forms.Textarea(attrs={"rows": 3}),
            "affected_count": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "data-width": "auto"}),
        }


class ActionForm(PortalForm):
    """One workflow step on a need (prefixed by its action, so several fit on one page). The comment is
    required when the workflow says so."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, comment_required: bool = False, action_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if comment_required:
            self.fields["comment"].required = True
            self.fields["comment"].label = _("Reason for “%(action)s”") % {"action": action_label}
        else:
            self.fields["comment"].label = _("Comment on “%(action)s”") % {"action": action_label}


class VoteForm(PortalForm):
    """A committee member's vote on one decision about a need (the buttons carry the choice)."""

    action = forms.SlugField(max_length=50, widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=Vote.Choice.choices, error_messages={"required": _("Choose how you vote.")})
    comment = forms.CharField(
        label=_("Comment on your vote"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LoginForm(AuthenticationForm):
    """Django's login form in the portal's markup (the throttling of django-axes applies as in the Desk)."""

    bound_field_class = PortalBoundField
    hide_optional = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)
