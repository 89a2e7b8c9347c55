"""Abstract building blocks shared by every app: dated validity and names in three languages."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class DatedQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date | None = None):
        day = day or timezone.localdate()
        return self.filter(valid_from__lte=day).filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day))

    def overlapping(self, valid_from: datetime.date, valid_to: datetime.date | None):
        """Rows whose [valid_from, valid_to] range (both ends inclusive, open end = forever) meets the given one."""
        qs = self.filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=valid_from))
        if valid_to is not None:
            qs = qs.filter(valid_from__lte=valid_to)
        return qs


class Dated(models.Model):
    """A record valid from a day to a day, both inclusive; an empty end means "until further notice"."""

    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Empty: until further notice."))

    objects = DatedQuerySet.as_manager()

    class Meta:
        abstract = True

    def is_active_on(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def clean_dates(self) -> None:
        if self.valid_to is not None and self.valid_from is not None and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date cannot be before the start date.")})

    def ensure_no_overlap(self, same_scope: models.QuerySet, message) -> None:
        """Raise if another row of the same scope overlaps this one's dates."""
        if self.valid_from is None:
            return
        clash = same_scope.exclude(pk=self.pk).overlapping(self.valid_from, self.valid_to).first()
        if clash is not None:
            raise ValidationError(message % {"period": clash.period_display()})

    def period_display(self) -> str:
        start = date_format(self.valid_from, "SHORT_DATE_FORMAT")
        end = date_format(self.valid_to, "SHORT_DATE_FORMAT") if self.valid_to else _("until further notice")
        return f"{start} – {end}"

    @staticmethod
    def dates_constraint(name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")), name=name
        )


class TranslatedName(models.Model):
    """A name given in bokmål, with optional nynorsk and English; shown in the user's language."""

    name = models.CharField(_("name (bokmål)"), max_length=200)
    name_nn = models.CharField(_("name (nynorsk)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.localized_name

    @property
    def localized_name(self) -> str:
        language = (get_language() or "nb")[:2]
        return {"nn": self.name_nn, "en": self.name_en}.get(language) or self.name
