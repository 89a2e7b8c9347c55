"""Money is Decimal kroner with two decimals (øre), never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

ORE = Decimal("0.01")


def to_money(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(ORE, rounding=ROUND_HALF_UP)


def format_nok(value: Decimal) -> str:
    """'kr 1 234 567,50' in Norwegian locales (the active language decides separators)."""
    return f"kr {number_format(to_money(value), decimal_pos=2, use_l10n=True, force_grouping=True)}"


class MoneyField(models.DecimalField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 15)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("help_text", _("Norwegian kroner (NOK), exact to the øre."))
        super().__init__(*args, **kwargs)
