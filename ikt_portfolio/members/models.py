"""The collaboration, its member municipalities, service areas, bodies (incl. sector groups) and people.

Everything else in the product references these. Municipalities are identified by kommunenummer, never by
name: names repeat (Nes, Herøy, Sande).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.models import Dated, DatedQuerySet, TranslatedName

from .capacities import Capacity
from .permissions import ScopedQuerySet, person_of


class DatedScopedQuerySet(DatedQuerySet, ScopedQuerySet):
    pass


class CollaborationScoped:
    """Rows that belong to exactly one collaboration through `scope_path`."""

    scope_path = "collaboration"
    scope_fields: tuple[str, ...] = ("collaboration",)  # the fields that place a row in a collaboration

    def scope_collaboration_ids(self) -> set[int]:
        value = self
        for step in self.scope_path.split("__")[:-1]:
            value = getattr(value, step, None)
        last = self.scope_path.split("__")[-1]
        collaboration_id = getattr(value, "pk" if last == "pk" else f"{last}_id", None) if value is not None else None
        return {collaboration_id} if collaboration_id else set()


class MunicipalityQuerySet(ScopedQuerySet):
    """The municipality register is public to signed-in users; administrators edit their members."""

    def visible_to(self, user):
        return self if getattr(user, "is_authenticated", False) else self.none()

    def scope_filter(self, collaboration_ids):
        members = Membership.objects.filter(collaboration_id__in=collaboration_ids).values("municipality_id")
        return models.Q(**{f"{self.model.municipality_path}__in": members})


class PersonQuerySet(ScopedQuerySet):
    def scope_filter(self, collaboration_ids):
        members = Membership.objects.filter(collaboration_id__in=collaboration_ids).values("municipality_id")
        return models.Q(municipality_id__in=members) | models.Q(staff_of_id__in=collaboration_ids)

    def visible_to(self, user):
        person = person_of(user)
        own = self.filter(pk=person.pk) if person is not None else self.none()
        return super().visible_to(user) | own


# County numbers valid before and after the 2020 and 2024 regional reforms.
COUNTY_NUMBERS = {
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "14", "15", "16", "17", "18",
    "19", "20", "30", "31", "32", "33", "34", "38", "39", "40", "42", "46", "50", "54", "55", "56",
}  # fmt: skip


def validate_municipality_number(value: str) -> None:
    if not re.fullmatch(r"\d{2}|\d{4}", value or ""):
        raise ValidationError(
            _("“%(value)s” is not a valid number: a municipality has four digits, a county two."),
            code="invalid",
            params={"value": value},
        )
    if value[:2] not in COUNTY_NUMBERS or (len(value) == 4 and value[2:] == "00"):
        raise ValidationError(
            _("“%(value)s” is not a Norwegian municipality or county number."), code="invalid", params={"value": value}
        )


class GovernanceModel(models.TextChoices):
    KS = "ks", _("KS model (orders and SLAs, coordinating strategy role)")
    RECOMMENDED = "recommended", _("Recommended model (sector fora, service goals, board of chief executives)")


class LegalForm(models.TextChoices):
    TASK_COMMUNITY = "oppgavefellesskap", _("Municipal task community (Local Government Act ch. 19)")
    SECTION_27 = "section27", _("§ 27 collaboration (Local Government Act 1992)")
    HOST_MUNICIPALITY = "vertskommune", _("Host municipality (vertskommune)")
    IKS = "iks", _("Inter-municipal company (IKS)")
    LIMITED_COMPANY = "as", _("Limited company (AS)")
    JOINT_MUNICIPALITY = "samkommune", _("Joint municipality (samkommune, abolished)")
    AGREEMENT = "agreement", _("Collaboration agreement")


class SizeSegment(models.TextChoices):
    SMALL = "small", _("small")
    MEDIUM = "medium", _("medium")
    LARGE = "large", _("large")


class MunicipalityScoped:
    scope_fields: tuple[str, ...] = ("municipality",)

    def scope_collaboration_ids(self) -> set[int]:
        municipality_id = self.pk if isinstance(self, Municipality) else self.municipality_id
        if not municipality_id:
            return set()
        return set(
            Membership.objects.filter(municipality_id=municipality_id).values_list("collaboration_id", flat=True)
        )


class Municipality(MunicipalityScoped, models.Model):
    class Kind(models.TextChoices):
        MUNICIPALITY = "kommune", _("municipality")
        COUNTY = "fylkeskommune", _("county municipality")

    number = models.CharField(
        _("municipality number"),
        max_length=4,
        unique=True,
        validators=[validate_municipality_number],
        help_text=_("Kommunenummer (four digits) or county number (two digits)."),
    )
    name = models.CharField(_("name"), max_length=100)
    county = models.CharField(_("county"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MUNICIPALITY)
    dissolved_on = models.DateField(
        _("dissolved on"), null=True, blank=True, help_text=_("Set when the municipality was merged or split.")
    )
    history = audited()

    objects = MunicipalityQuerySet.as_manager()
    municipality_path = "pk"
    scope_fields = ()

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["number"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        if self.number and self.kind == self.Kind.MUNICIPALITY and len(self.number) != 4:
            raise ValidationError({"number": _("A municipality number has four digits.")})
        if self.number and self.kind == self.Kind.COUNTY and len(self.number) != 2:
            raise ValidationError({"number": _("A county number has two digits.")})


class PopulationFigure(MunicipalityScoped, models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="population_figures", verbose_name=_("municipality")
    )
    year = models.PositiveSmallIntegerField(_("year"), help_text=_("Population on 1 January of this year."))
    population = models.PositiveIntegerField(_("population"))
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("E.g. SSB table 07459."))
    history = audited()

    objects = MunicipalityQuerySet.as_manager()
    municipality_path = "municipality_id"

    class Meta:
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")
        ordering = ["municipality__number", "-year"]
        constraints = [models.UniqueConstraint(fields=["municipality", "year"], name="ikt_population_once_per_year")]
        indexes = [models.Index(fields=["year"])]

    def __str__(self) -> str:
        return f"{self.municipality.name} {self.year}: {self.population}"


class Collaboration(CollaborationScoped, models.Model):
    scope_path = "pk"
    scope_fields = ()

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, unique=True)
    governance_model = models.CharField(
        _("governance model"), max_length=20, choices=GovernanceModel.choices, default=GovernanceModel.RECOMMENDED
    )
    host_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_collaborations",
        verbose_name=_("host municipality"),
        help_text=_("The host municipality (vertskommune) where the legal form has one."),
    )
    small_max_population = models.PositiveIntegerField(
        _("small members up to (population)"), default=5000, help_text=_("Members up to this population are small.")
    )
    medium_max_population = models.PositiveIntegerField(
        _("medium members up to (population)"),
        default=20000,
        help_text=_("Members above the small limit and up to this population are medium; above it, large."),
    )
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("E.g. where the membership data comes from.")
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("collaboration")
        verbose_name_plural = _("collaborations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(small_max_population__lt=models.F("medium_max_population")),
                name="ikt_collaboration_segments_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        if (
            self.small_max_population is not None
            and self.medium_max_population is not None
            and self.small_max_population >= self.medium_max_population
        ):
            raise ValidationError({"medium_max_population": _("The medium limit must be above the small limit.")})

    def size_segment(self, population: int | None) -> str | None:
        if population is None:
            return None
        if population <= self.small_max_population:
            return SizeSegment.SMALL
        if population <= self.medium_max_population:
            return SizeSegment.MEDIUM
        return SizeSegment.LARGE


class LegalFormPeriod(CollaborationScoped, Dated):
    collaboration = models.ForeignKey(
        Collaboration, on_delete=models.CASCADE, related_name="legal_forms", verbose_name=_("collaboration")
    )
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices)
    decision_reference = models.CharField(
        _("decision reference"), max_length=200, blank=True, help_text=_("Case number or decision that set it.")
    )
    history = audited()

    objects = DatedScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal form period")
        verbose_name_plural = _("legal form history")
        ordering = ["collaboration", "-valid_from"]
        constraints = [Dated.dates_constraint("ikt_legalform_dates")]

    def __str__(self) -> str:
        return f"{self.get_legal_form_display()} ({self.valid_from:%Y})"

    def clean(self) -> None:
        self.clean_dates()
        if self.collaboration_id:
            self.ensure_no_overlap(
                LegalFormPeriod.objects.filter(collaboration_id=self.collaboration_id),
                _("The collaboration already has a legal form in that period (%(period)s)."),
            )


class Membership(CollaborationScoped, Dated):
    class Role(models.TextChoices):
        OWNER = "owner", _("owner municipality")
        MEMBER = "member", _("member municipality")
        PARTICIPANT = "participant", _("participating municipality")

    collaboration = models.ForeignKey(
        Collaboration, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("collaboration")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("municipality")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OWNER)
    history = audited()

    objects = DatedScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["collaboration", "municipality__number"]
        constraints = [Dated.dates_constraint("ikt_membership_dates")]
        indexes = [models.Index(fields=["collaboration", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.municipality} – {self.collaboration}"

    def clean(self) -> None:
        self.clean_dates()
        if self.collaboration_id and self.municipality_id:
            self.ensure_no_overlap(
                Membership.objects.filter(collaboration_id=self.collaboration_id, municipality_id=self.municipality_id),
                _("The municipality is already a member of this collaboration in that period (%(period)s)."),
            )


class ServiceArea(CollaborationScoped, TranslatedName):
    collaboration = models.ForeignKey(
        Collaboration, on_delete=models.CASCADE, related_name="service_areas", verbose_name=_("collaboration")
    )
    code = models.SlugField(_("code"), max_length=50)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")
        ordering = ["collaboration", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["collaboration", "code"], name="ikt_servicearea_code")]


class Body(CollaborationScoped, TranslatedName):
    """A decision or coordination body: portfolio council, board, owners' meeting, or a sector group."""

    class Kind(models.TextChoices):
        SECTOR_GROUP = "sector_group", _("sector group (faggruppe)")
        PORTFOLIO_COUNCIL = "portfolio_council", _("portfolio council (porteføljeråd)")
        BOARD = "board", _("board (styre)")
        OWNERS_MEETING = "owners_meeting", _("owners' meeting (representantskap, eiermøte)")

    collaboration = models.ForeignKey(
        Collaboration, on_delete=models.CASCADE, related_name="bodies", verbose_name=_("collaboration")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    service_area = models.ForeignKey(
        ServiceArea,
        on_delete=models.RESTRICT,  # a service area goes only with its collaboration, not alone
        null=True,
        blank=True,
        related_name="sector_groups",
        verbose_name=_("service area"),
        help_text=_("Required for a sector group: the service area it coordinates."),
    )
    description = models.TextField(_("description"), blank=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("body")
        verbose_name_plural = _("bodies")
        ordering = ["collaboration", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["collaboration", "name"], name="ikt_body_name"),
            models.CheckConstraint(
                condition=~models.Q(kind="sector_group") | models.Q(service_area__isnull=False),
                name="ikt_sector_group_has_service_area",
            ),
        ]

    def clean(self) -> None:
        if self.kind == self.Kind.SECTOR_GROUP and not self.service_area_id:
            raise ValidationError({"service_area": _("A sector group needs a service area.")})
        if (
            self.service_area_id
            and self.collaboration_id
            and self.service_area.collaboration_id != self.collaboration_id
        ):
            raise ValidationError({"service_area": _("The service area belongs to another collaboration.")})


class SectorGroupManager(models.Manager.from_queryset(ScopedQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Body.Kind.SECTOR_GROUP)


class SectorGroup(Body):
    """The sector groups (faggrupper) among the bodies, for their own Desk page."""

    objects = SectorGroupManager()

    class Meta:
        proxy = True
        verbose_name = _("sector group")
        verbose_name_plural = _("sector groups")

    def save(self, *args, **kwargs):
        self.kind = Body.Kind.SECTOR_GROUP
        super().save(*args, **kwargs)


class Person(models.Model):
    # People belong to collaborations through their employer; see PersonQuerySet.
    scope_fields = ("municipality", "staff_of")
    """A user's place in the domain: employed by one municipality, or on the collaboration's own staff."""

    class Language(models.TextChoices):
        BOKMAL = "nb", _("Norwegian Bokmål")
        NYNORSK = "nn", _("Norwegian Nynorsk")
        ENGLISH = "en", _("English")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person", verbose_name=_("user")
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("municipality"),
        help_text=_("The municipality the person works for."),
    )
    staff_of = models.ForeignKey(
        Collaboration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("staff of collaboration"),
        help_text=_("Set instead of a municipality for the collaboration's own employees."),
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.BOKMAL)
    history = audited()

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(municipality__isnull=False, staff_of__isnull=True)
                    | models.Q(municipality__isnull=True, staff_of__isnull=False)
                ),
                name="ikt_person_belongs_to_one_employer",
            )
        ]

    def __str__(self) -> str:
        full_name = self.user.get_full_name() or self.user.get_username()
        employer = self.municipality.name if self.municipality_id else str(self.staff_of)
        return f"{full_name} ({employer})"

    def scope_collaboration_ids(self) -> set[int]:
        if self.staff_of_id:
            return {self.staff_of_id}
        return MunicipalityScoped.scope_collaboration_ids(self)

    def clean(self) -> None:
        if bool(self.municipality_id) == bool(self.staff_of_id):
            raise ValidationError(
                _("A person works either for a municipality or for the collaboration's staff: choose one.")
            )


class BodyMembership(CollaborationScoped, Dated):
    scope_path = "body__collaboration"
    scope_fields = ("body",)

    class Role(models.TextChoices):
        CHAIR = "chair", _("chair")
        MEMBER = "member", _("member")
        DEPUTY = "deputy", _("deputy member")
        SECRETARY = "secretary", _("secretary")
        LEAD = "lead", _("sector lead (sektoransvarlig)")
        OBSERVER = "observer", _("observer")

    VOTING_ROLES = (Role.CHAIR, Role.MEMBER, Role.DEPUTY)

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("body"))
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="body_memberships", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    represents = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("represents"),
        help_text=_("The member municipality the person represents here; empty for the collaboration's staff."),
    )
    history = audited()

    objects = DatedScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("body membership")
        verbose_name_plural = _("body memberships")
        ordering = ["body", "role", "person"]
        constraints = [Dated.dates_constraint("ikt_bodymembership_dates")]
        indexes = [models.Index(fields=["person", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.person} – {self.body} ({self.get_role_display()})"

    @property
    def capacity(self) -> str:
        return Capacity.for_body_membership(self.body.kind, self.role)

    def clean(self) -> None:
        self.clean_dates()
        if not (self.body_id and self.person_id):
            return
        if self.role == self.Role.LEAD and self.body.kind != Body.Kind.SECTOR_GROUP:
            raise ValidationError({"role": _("Only sector groups have a sector lead.")})
        if self.represents_id and self.valid_from:
            is_member = Membership.objects.filter(
                collaboration_id=self.body.collaboration_id, municipality_id=self.represents_id
            ).active_on(self.valid_from)
            if not is_member.exists():
                raise ValidationError({"represents": _("The municipality is not a member of this collaboration.")})
        self.ensure_no_overlap(
            BodyMembership.objects.filter(body_id=self.body_id, person_id=self.person_id),
            _("The person already sits in this body in that period (%(period)s)."),
        )


class RoleAssignment(CollaborationScoped, Dated):
    """A capacity held in the collaboration outside any body (administrator, project owner, ...)."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("person")
    )
    collaboration = models.ForeignKey(
        Collaboration, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("collaboration")
    )
    capacity = models.CharField(_("capacity"), max_length=40, choices=Capacity.assignable_choices())
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for municipality"),
        help_text=_("For capacities held on behalf of one member, e.g. an owner representative."),
    )
    history = audited()

    objects = DatedScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["collaboration", "capacity", "person"]
        constraints = [Dated.dates_constraint("ikt_roleassignment_dates")]
        indexes = [models.Index(fields=["person", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_capacity_display()} ({self.collaboration})"

    def clean(self) -> None:
        self.clean_dates()
        if not (self.person_id and self.collaboration_id):
            return
        self.ensure_no_overlap(
            RoleAssignment.objects.filter(
                person_id=self.person_id,
                collaboration_id=self.collaboration_id,
                capacity=self.capacity,
                municipality_id=self.municipality_id,
            ),
            _("The person already holds this capacity in that period (%(period)s)."),
        )
