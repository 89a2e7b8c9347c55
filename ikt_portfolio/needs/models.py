"""Needs (behov) reported by municipal staff on the collaboration platform, and the goals they serve."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.money import MoneyField
from ikt_portfolio.members.models import CollaborationScoped
from ikt_portfolio.members.permissions import ScopedQuerySet
from ikt_portfolio.workflow.models import WorkflowDocument


class Goal(CollaborationScoped, models.Model):
    """A goal of the collaboration's strategy for a period; needs link to the goals they serve."""

    collaboration = models.ForeignKey(
        "ikt_members.Collaboration", on_delete=models.CASCADE, related_name="goals", verbose_name=_("collaboration")
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("E.g. M1."))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    first_year = models.PositiveSmallIntegerField(_("from year"))
    last_year = models.PositiveSmallIntegerField(_("to year"))
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["collaboration", "code"]
        constraints = [
            models.UniqueConstraint(fields=["collaboration", "code"], name="ikt_goal_code"),
            models.CheckConstraint(condition=models.Q(last_year__gte=models.F("first_year")), name="ikt_goal_years"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        if self.first_year and self.last_year and self.last_year < self.first_year:
            raise ValidationError({"last_year": _("The period cannot end before it starts.")})


class Urgency(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


class BenefitType(models.TextChoices):
    ECONOMY = "economy", _("economy")
    QUALITY = "quality", _("quality")
    EFFICIENCY = "efficiency", _("efficiency and productivity")
    VULNERABILITY = "vulnerability", _("reduced vulnerability")


class AffectedGroup(models.TextChoices):
    INHABITANTS = "inhabitants", _("inhabitants")
    EMPLOYEES = "employees", _("employees")
    BOTH = "both", _("inhabitants and employees")


class PurchaseNeeded(models.TextChoices):
    YES = "yes", _("yes, we think something must be bought")
    NO = "no", _("no, it can be solved with what we have")
    UNSURE = "unsure", _("we do not know")


class Need(CollaborationScoped, WorkflowDocument):
    collaboration = models.ForeignKey(
        "ikt_members.Collaboration", on_delete=models.CASCADE, related_name="needs", verbose_name=_("collaboration")
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(
        _("what is the problem?"), validators=[MaxLengthValidator(5000)], help_text=_("Describe today's situation.")
    )
    desired_outcome = models.TextField(_("what would be better?"), blank=True, validators=[MaxLengthValidator(5000)])
    purchase_needed = models.CharField(
        _("do we need to buy anything at all?"),
        max_length=10,
        choices=PurchaseNeeded.choices,
        default=PurchaseNeeded.UNSURE,
    )
    service_area = models.ForeignKey(
        "ikt_members.ServiceArea", on_delete=models.PROTECT, related_name="needs", verbose_name=_("service area")
    )
    submitted_by = models.ForeignKey(
        "ikt_members.Person", on_delete=models.PROTECT, related_name="needs", verbose_name=_("submitted by")
    )
    municipality = models.ForeignKey(
        "ikt_members.Municipality", on_delete=models.PROTECT, related_name="needs", verbose_name=_("municipality")
    )
    affected_group = models.CharField(
        _("who is affected"), max_length=20, choices=AffectedGroup.choices, default=AffectedGroup.EMPLOYEES
    )
    affected_count = models.PositiveIntegerField(_("how many, roughly"), null=True, blank=True)
    benefit_type = models.CharField(
        _("expected benefit"), max_length=20, choices=BenefitType.choices, default=BenefitType.QUALITY
    )
    expected_benefit = models.TextField(
        _("the benefit in your words"), blank=True, validators=[MaxLengthValidator(3000)]
    )
    expected_benefit_nok = MoneyField(
        _("expected yearly benefit (NOK)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.MEDIUM)
    goals = models.ManyToManyField(Goal, blank=True, related_name="needs", verbose_name=_("goals"))
    estimated_cost = MoneyField(_("estimated cost (NOK)"), null=True, blank=True, validators=[MinValueValidator(0)])
    estimated_effort = models.DecimalField(
        _("estimated effort (person-months)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    strategic = models.BooleanField(_("strategic"), default=False, help_text=_("Strategic items go to the board."))
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_needs",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = audited(excluded_fields=list(WorkflowDocument.ENGINE_FIELDS))

    objects = ScopedQuerySet.as_manager()

    # What the person reporting a need gives (the portal form and the API both ask exactly these).
    REPORTED_FIELDS = (
        "title",
        "problem",
        "desired_outcome",
        "purchase_needed",
        "service_area",
        "affected_group",
        "affected_count",
        "benefit_type",
        "expected_benefit",
        "expected_benefit_nok",
        "urgency",
        "goals",
    )

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["collaboration", "number"], name="ikt_need_number")]
        indexes = [
            models.Index(fields=["collaboration", "state"]),
            models.Index(fields=["service_area", "state"]),
            models.Index(fields=["municipality", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"B-{self.number}"

    def clean(self) -> None:
        if (
            self.service_area_id
            and self.collaboration_id
            and self.service_area.collaboration_id != self.collaboration_id
        ):
            raise ValidationError({"service_area": _("The service area belongs to another collaboration.")})


class CoSign(models.Model):
    """Another member says "we have this need too", with its own expected benefit."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="co_signs", verbose_name=_("need"))
    municipality = models.ForeignKey(
        "ikt_members.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    person = models.ForeignKey(
        "ikt_members.Person", on_delete=models.PROTECT, related_name="co_signs", verbose_name=_("signed by")
    )
    expected_benefit = models.TextField(_("the benefit for us"), blank=True, validators=[MaxLengthValidator(3000)])
    affected_count = models.PositiveIntegerField(_("how many are affected here, roughly"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed"), auto_now_add=True)
    history = audited()

    class Meta:
        verbose_name = _("co-signature")
        verbose_name_plural = _("co-signatures")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["need", "municipality"], name="ikt_cosign_once_per_municipality")
        ]

    def __str__(self) -> str:
        return f"{self.municipality} – {self.need}"


class Comment(models.Model):
    """A comment or question on a need, between the sector group and the people who reported it."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="comments", verbose_name=_("need"))
    author = models.ForeignKey(
        "ikt_members.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    capacity = models.CharField(_("in the capacity of"), max_length=40, blank=True)
    body = models.TextField(_("comment"), validators=[MaxLengthValidator(5000)])
    is_question = models.BooleanField(_("a question to the submitter"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True, db_index=True)
    history = audited()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class Follow(models.Model):
    """Someone who wants to hear of every step of a need."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_needs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["need", "user"], name="ikt_follow_once")]

    def __str__(self) -> str:
        return f"{self.user} → {self.need}"
