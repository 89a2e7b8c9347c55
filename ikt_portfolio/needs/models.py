"""Needs (behov) reported by municipal staff on the collaboration platform, and the goals they serve."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.models import TranslatedName
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


# ------------------------------------------------------------------------------------------- assessment


def _validate_descriptors(value) -> None:
    """Descriptors are {"1": "...", ..., "5": "..."}: one text per level (empty for the optional languages)."""
    if value in (None, {}):
        return
    if not isinstance(value, dict) or set(value) != {str(level) for level in range(1, 6)}:
        raise ValidationError(_("Give one descriptor for each level, keyed “1” to “5”."))
    if not all(isinstance(text, str) and text.strip() for text in value.values()):
        raise ValidationError(_("Every level needs a descriptor text."))


class Criterion(CollaborationScoped, TranslatedName):
    """A criterion the sector group scores a need by, 1–5, each level with a descriptor; weighted per
    collaboration. Breadth (key "breadth") is computed from co-signatures, never scored by hand."""

    collaboration = models.ForeignKey(
        "ikt_members.Collaboration", on_delete=models.CASCADE, related_name="criteria", verbose_name=_("collaboration")
    )
    key = models.SlugField(_("key"), max_length=50)
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(0)]
    )
    inverse = models.BooleanField(
        _("inverse"), default=False, help_text=_("A higher level is worse (e.g. risk): it counts as 6 − level.")
    )
    descriptors = models.JSONField(
        _("level descriptors (bokmål)"),
        default=dict,
        validators=[_validate_descriptors],
        help_text=_('What each level 1–5 means, e.g. {"1": "…", …, "5": "…"}.'),
    )
    descriptors_nn = models.JSONField(
        _("level descriptors (nynorsk)"), default=dict, blank=True, validators=[_validate_descriptors]
    )
    descriptors_en = models.JSONField(
        _("level descriptors (English)"), default=dict, blank=True, validators=[_validate_descriptors]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment criterion")
        verbose_name_plural = _("assessment criteria")
        ordering = ["collaboration", "order", "key"]
        constraints = [models.UniqueConstraint(fields=["collaboration", "key"], name="ikt_criterion_key")]

    def descriptor(self, level: int) -> str:
        """The descriptor of `level` in the reader's language (bokmål when that language has none)."""
        language = (get_language() or "nb")[:2]
        localized = {"nn": self.descriptors_nn, "en": self.descriptors_en}.get(language) or {}
        return localized.get(str(level)) or (self.descriptors or {}).get(str(level), "")


class Assessment(CollaborationScoped, models.Model):
    """The sector group's assessment of a need: scores per criterion, estimate and recommendation."""

    scope_path = "need__collaboration"
    scope_fields = ("need",)

    need = models.OneToOneField(Need, on_delete=models.CASCADE, related_name="assessment", verbose_name=_("need"))
    assessed_by = models.ForeignKey(
        "ikt_members.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("assessed by")
    )
    capacity = models.CharField(_("in the capacity of"), max_length=40, blank=True)
    assessed_at = models.DateTimeField(_("assessed"))
    estimated_cost = MoneyField(_("estimated cost (NOK)"), null=True, blank=True, validators=[MinValueValidator(0)])
    estimated_effort = models.DecimalField(
        _("estimated effort (person-months)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    recommendation = models.TextField(
        _("recommendation to the portfolio council"), blank=True, validators=[MaxLengthValidator(5000)]
    )
    total = models.DecimalField(
        _("score (0–100)"), max_digits=5, decimal_places=2, default=Decimal(0), db_index=True, editable=False
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-total"]

    def __str__(self) -> str:
        return f"{self.need.reference}: {self.total}"


class CriterionScore(CollaborationScoped, models.Model):
    """The level one criterion got in one assessment, with the assessor's note."""

    scope_path = "assessment__need__collaboration"
    scope_fields = ("assessment",)

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("assessment")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="scores", verbose_name=_("criterion")
    )
    score = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    note = models.TextField(_("note"), blank=True, validators=[MaxLengthValidator(2000)])
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        ordering = ["criterion__order", "criterion__key"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="ikt_criterionscore_once"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="ikt_criterionscore_range"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.key}: {self.score}"


# ------------------------------------------------------------------------------------------ attachments

from .storage import attachment_storage, attachment_upload_to  # noqa: E402


class Attachment(CollaborationScoped, models.Model):
    """A file attached to a need (see `needs.attachments` for who may attach what). The file lives in private
    storage and is only ever downloaded through the permission-checked views, as an attachment."""

    scope_path = "need__collaboration"
    scope_fields = ("need",)

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("need"))
    file = models.FileField(_("file"), upload_to=attachment_upload_to, storage=attachment_storage, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, help_text=_("As detected from the content."))
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        "ikt_members.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
