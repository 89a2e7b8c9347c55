"""The Desk's cost-sharing pages: keys with their members' shares and an allocation preview, and the annual
budget lines. The arithmetic and the refusals are `services`'; a fixed-percentage key whose percentages do not
sum to 100 is refused beside the shares and nothing is written."""

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.forms import PaginationInlineFormSet

from ikt_portfolio.core.admin import ScopedModelAdmin, ScopedTabularInline
from ikt_portfolio.core.money import format_nok

from . import services
from .models import HUNDRED, AnnualBudgetLine, CostKey, CostKeyShare, plain

PREVIEW_TOTAL = Decimal("1000000.00")


class ShareFormSet(PaginationInlineFormSet):
    def clean(self):
        super().clean()
        key = self.instance
        if key.kind != CostKey.Kind.FIXED_PERCENTAGE or any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        whole = sum((f.cleaned_data.get("percent") or Decimal(0) for f in kept), Decimal(0))
        if kept and whole != HUNDRED:
            raise ValidationError(
                _("The members' percentages must sum to 100 %% (they sum to %(sum)s %%).") % {"sum": plain(whole)}
            )


class CostKeyShareInline(ScopedTabularInline):
    model = CostKeyShare
    formset = ShareFormSet
    fields = ["municipality", "percent", "weight", "units"]
    select_related = ("municipality",)
    per_page = 400  # every member of a collaboration on one page: the percentages are checked together


def _preview_day(key: CostKey):
    today = timezone.localdate()
    return today if key.is_active_on(today) else key.valid_from


@admin.register(CostKey)
class CostKeyAdmin(ScopedModelAdmin):
    inlines = [CostKeyShareInline]
    list_display = ["name", "kind", "applies_to", "valid_from", "valid_to", "decided_by", "decided_on", "collaboration"]
    list_filter = ["collaboration", "kind", "applies_to"]
    list_select_related = ["collaboration"]
    search_fields = ["name", "decided_by"]
    readonly_fields = ["allocation_preview"]
    fieldsets = [
        (None, {"fields": ["collaboration", "name", "kind", "applies_to", "valid_from", "valid_to", "replaces"]}),
        (_("Equal share and population"), {"fields": ["equal_percent", "population_percent", "population_year"]}),
        (_("Usage"), {"fields": ["unit_price"]}),
        (_("Decision"), {"fields": ["decided_by", "decided_on", "opted_out_pays", "note"]}),
        (_("Allocation preview"), {"fields": ["allocation_preview"]}),
    ]

    @display(description=_("allocation of kr 1 000 000,00"))
    def allocation_preview(self, key):
        if key is None or key.pk is None:
            return _("Save the key to see how it splits an amount.")
        day = _preview_day(key)
        try:
            shares = services.allocate(PREVIEW_TOTAL, key, day=day)
        except ValidationError as error:
            return format_html('<p class="text-red-600">{}</p>', " ".join(error.messages))
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (str(s.member), s.basis if s.basis is not None else "–", f"{s.share_percent} %", format_nok(s.amount))
                for s in shares
            ),
        )
        return format_html(
            "<table><caption>{}</caption><thead><tr><th scope='col'>{}</th><th scope='col'>{}</th>"
            "<th scope='col'>{}</th><th scope='col'>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Members on %(date)s") % {"date": day.isoformat()},
            _("member"),
            _("basis"),
            _("share"),
            _("amount"),
            rows,
        )


@admin.register(AnnualBudgetLine)
class AnnualBudgetLineAdmin(ScopedModelAdmin):
    list_display = ["year", "name", "kind", "amount_display", "key", "collaboration"]
    list_filter = ["collaboration", "year", "kind"]
    list_select_related = ["collaboration", "key"]
    search_fields = ["name"]
    fields = ["collaboration", "year", "name", "kind", "amount", "key", "note"]
    ordering = ["collaboration", "-year", "kind", "name"]

    @display(description=_("amount"), ordering="amount")
    def amount_display(self, line):
        return format_nok(line.amount)
