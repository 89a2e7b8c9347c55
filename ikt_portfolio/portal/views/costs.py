"""Cost sharing in the portal: what a member pays (per line and per year, and how each share was computed), the
what-if comparison of two keys, and the XLSX download (`ikt_portfolio.costs.services`).

Everyone in the collaboration sees the lines and their totals and the keys; a member municipality's people see
their own municipality's shares and computation; the collaboration's administrators see every member's (and
choose which member's computation to read). Only the collaboration the user works in now: there is no way to name
another one.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.costs import services
from ikt_portfolio.costs.models import AnnualBudgetLine, CostKey
from ikt_portfolio.costs.permissions import own_municipality_id, sees_all_members
from ikt_portfolio.needs import exports

from ..forms import PortalForm
from .common import (
    chosen_member,
    current_collaboration,
    no_collaboration,
    portal_login_required,
    render_portal,
    year_param,
)

HISTORY_YEARS = 6


def _bar(value, largest) -> str:
    if not value or not largest:
        return "0"
    return f"{min(100, 100 * float(value) / float(largest)):.1f}"


def _explain(share) -> list[tuple[str, str]]:
    """How a share was computed, as (label, value) lines."""
    lines = []
    if share is None:
        return lines
    if share.opted_out:
        return [(str(_("Opted out")), str(_("pays nothing for this item")))]
    if share.population is not None:
        lines.append((str(_("Population")), f"{share.population}"))
    if share.equal_part is not None:
        lines.append((str(_("Equal part")), f"{services.exact(share.equal_part, 4)}"))
    if share.population_part is not None:
        lines.append((str(_("Population part")), f"{services.exact(share.population_part, 4)}"))
    for label, value in ((_("Percentage"), share.percent), (_("Weight"), share.weight), (_("Units"), share.units)):
        if value is not None:
            lines.append((str(label), f"{value.normalize():f}"))
    lines.append((str(_("Share of the total")), f"{share.share_percent} %"))
    lines.append((str(_("Exact value")), f"{share.raw_display}"))
    lines.append((str(_("Rounding")), f"{share.adjustment:+f}"))
    return lines


@portal_login_required
def member_costs(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    year = year_param(request)
    municipality, choices = chosen_member(request, collaboration, services.allocation_day(year))
    everyone = sees_all_members(request.user, collaboration.pk)
    years = sorted(
        set(
            AnnualBudgetLine.objects.filter(collaboration=collaboration)
            .values_list("year", flat=True)
            .order_by("-year")
            .distinct()[:HISTORY_YEARS]
        )
        | {year}
    )
    loader = services.Loader()
    allocated = services.collaboration_costs(collaboration, years, loader)
    this_year = [a for a in allocated if a.item.year == year]
    rows = []
    for entry in this_year:
        share = entry.share_of(municipality.pk) if municipality else None
        rows.append({"item": entry.item, "share": share, "error": entry.error, "explain": _explain(share)})
    largest = max((r["share"].amount for r in rows if r["share"]), default=0)
    for row in rows:
        row["bar"] = _bar(row["share"].amount if row["share"] else 0, largest)
    history = []
    for each_year in years:
        total = sum((a.item.total for a in allocated if a.item.year == each_year), Decimal("0.00"))
        ours = sum(
            (
                a.amounts().get(municipality.pk, Decimal("0.00"))
                for a in allocated
                if a.item.year == each_year and municipality
            ),
            Decimal("0.00"),
        )
        history.append({"year": each_year, "total": total, "ours": ours})
    top = max((h["ours"] for h in history), default=0)
    for entry in history:
        entry["bar"] = _bar(entry["ours"], top)
    members_table = []
    if everyone:
        totals: dict[int, Decimal] = {}
        for entry in this_year:
            for member_id, amount in entry.amounts().items():
                totals[member_id] = totals.get(member_id, Decimal("0.00")) + amount
        top_member = max(totals.values(), default=0)
        members_table = [
            {"member": m, "total": totals.get(m.pk, Decimal("0.00")), "bar": _bar(totals.get(m.pk), top_member)}
            for m in choices
        ]
    keys = CostKey.objects.filter(collaboration=collaboration).select_related("replaces").order_by("name", "valid_from")
    return render_portal(
        request,
        "ikt_portal/costs_member.html",
        {
            "year": year,
            "municipality": municipality,
            "choices": choices,
            "everyone": everyone,
            "rows": rows,
            "year_total": sum((r["item"].total for r in rows), Decimal("0.00")),
            "our_total": sum((r["share"].amount for r in rows if r["share"]), Decimal("0.00")),
            "history": history,
            "members_table": members_table,
            "keys": keys,
        },
        nav="costs",
    )


class CompareForm(PortalForm):
    key_a = forms.ModelChoiceField(label=_("Key A"), queryset=CostKey.objects.none())
    key_b = forms.ModelChoiceField(label=_("Key B"), queryset=CostKey.objects.none())
    total = forms.DecimalField(label=_("Amount (NOK)"), min_value=0, max_digits=15, decimal_places=2)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2100)

    def __init__(self, *args, collaboration, **kwargs):
        super().__init__(*args, **kwargs)
        keys = CostKey.objects.filter(collaboration=collaboration).order_by("name", "valid_from")
        self.fields["key_a"].queryset = keys
        self.fields["key_b"].queryset = keys
        self.rows = None

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                self.rows = services.compare(data["total"], data["key_a"], data["key_b"], year=data["year"])
            except ValidationError as error:
                self.add_error(None, error)
        return data


@portal_login_required
def compare(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    form = CompareForm(request.GET or None, collaboration=collaboration)
    rows, status = None, 200
    if form.is_bound:
        if form.is_valid():
            everyone = sees_all_members(request.user, collaboration.pk)
            own = own_municipality_id(request.user)
            rows = [r for r in form.rows if everyone or r.member.pk == own]
        else:
            status = 400
    return render_portal(
        request, "ikt_portal/costs_compare.html", {"form": form, "rows": rows}, status=status, nav="costs"
    )


COLUMNS = [
    exports.Column(_("year"), lambda r: r[0], "int"),
    exports.Column(_("source"), lambda r: r[1]),
    exports.Column(_("name"), lambda r: r[2], width=40),
    exports.Column(_("key"), lambda r: r[3], width=30),
    exports.Column(_("total"), lambda r: r[4], "money"),
    exports.Column(_("municipality number"), lambda r: r[5]),
    exports.Column(_("municipality"), lambda r: r[6]),
    exports.Column(_("population"), lambda r: r[7], "int"),
    exports.Column(_("share of the total (%)"), lambda r: r[8], "decimal"),
    exports.Column(_("exact value"), lambda r: r[9], "decimal"),
    exports.Column(_("amount"), lambda r: r[10], "money"),
]


@portal_login_required
def export(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    year = year_param(request)
    municipality, _choices = chosen_member(request, collaboration, services.allocation_day(year))
    everyone = sees_all_members(request.user, collaboration.pk) and not request.GET.get("municipality")
    values = []
    for entry in services.collaboration_costs(collaboration, [year]):
        item = entry.item
        if everyone:
            shares = entry.shares
        else:
            own = entry.share_of(municipality.pk) if municipality else None
            shares = [own] if own else []
        values.extend(
            [
                item.year,
                item.source_label,
                item.name,
                item.key.name,
                item.total,
                share.member.number,
                share.member.name,
                share.population,
                share.share_percent,
                share.raw_display,
                share.amount,
            ]
            for share in shares
        )
    rows = [[column.value(v) for column in COLUMNS] for v in values]
    body = exports.xlsx_workbook([(_("Cost shares"), COLUMNS, rows)], get_language())
    response = HttpResponse(body, content_type=exports.XLSX_CONTENT_TYPE)
    name = "-".join(filter(None, ["costs", slugify(collaboration.short_name), str(year)]))
    if municipality and not everyone:
        name += f"-{municipality.number}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
