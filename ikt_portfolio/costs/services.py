"""Allocation of any total between the member municipalities by a cost-sharing key, exact to the øre.

`allocate(total, key, day=… or year=…, members=None, excluded=())` answers one `Share` per member: the amount,
and how it was computed (population, equal part, population part, percentage, weight or units, the exact value
and the rounding). Anything can be split: a project's budget line, a line of the collaboration's annual budget,
a what-if amount.

The arithmetic
--------------
Each payer i gets an exact fraction f_i of the total (a `fractions.Fraction`, never a float), with Σ f_i = 1:
- equal + population: f_i = E/100 · 1/n + P/100 · population_i / Σ population (E + P = 100);
- fixed percentage: f_i = percent_i / Σ percent of the payers (100 when every member pays);
- custom weights: f_i = weight_i / Σ weight of the payers;
- usage: f_i = units_i / Σ units of the payers. `allocate(None, usage_key)` prices the usage: the total is
  Σ units × unit price, rounded half up to the øre, then split the same way.

The rounding rule (largest remainder, Hamilton's method)
-------------------------------------------------------
With the total T in øre, each payer's exact value is T·f_i øre. Everyone first gets the value rounded down
to the øre; the øre left over (fewer than the number of payers) go one each to the payers with the largest
fractional parts. Ties are broken deterministically: the larger basis first (population, percentage, weight
or units), then the lower kommunenummer. So:
- the shares sum to the total exactly, and none is negative;
- every share differs from its exact value by less than one øre;
- "equal members pay equal": two payers with the same inputs (same population for an equal + population key;
  same percentage, weight or units otherwise) have the same exact value, so their amounts differ by at most
  one øre, and when they differ the one with the lower kommunenummer pays the extra øre;
- population-monotone: under an equal + population key, a payer with a larger population never pays less than
  one with a smaller population (the exact values are ordered, and so are the remainders' ties).

Who pays
--------
The key's collaboration's members on the day (memberships active that day), or the `members` given (each must be
a member that day: a cost allocated to a non-member is refused). Members in `excluded` (those who opted out of a
project) pay nothing and are listed with 0.00 and `opted_out`, unless the key says members who opted out pay.
The population year is the key's, or the year of the day allocated. For a year, the day is 1 January.

Refusals are translated `ValidationError`s that name what is wrong and write nothing: a negative total or one
not in whole øre, a key not valid on the day, percentages that do not sum to 100, a member without a population
figure in the key's year, a member without a percentage, weight or units in the key, a key share of a
non-member, or nobody left to pay.

Per member view
---------------
`member_costs(municipality, collaboration, year)` lists what a member pays in a year, from every registered cost
source: the collaboration's annual budget lines (here) and whatever other apps register with
`register_cost_source` (projects add their budget lines that way; see its docstring).
"""

import datetime
import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ikt_portfolio.core.money import ORE
from ikt_portfolio.members.models import Membership, Municipality, PopulationFigure

from .models import HUNDRED, AnnualBudgetLine, CostKey, CostKeyShare, plain

ORE_PER_KRONE = 100


def allocation_day(year: int) -> datetime.date:
    """The day a year's amount is allocated on: 1 January (members that day, the key valid that day)."""
    return datetime.date(year, 1, 1)


def exact(value: Fraction, places: int = 4) -> Decimal:
    """An exact fraction shown as a Decimal with `places` decimals (rounded half up), for explanations only."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum, rounding=ROUND_HALF_UP)


def check_total(total) -> Decimal:
    """The total as Decimal kroner: refused when not a number, negative or not in whole øre."""
    if isinstance(total, float):
        raise TypeError("money must not be a float")
    try:
        value = Decimal(str(total)) if not isinstance(total, Decimal) else total
    except ArithmeticError as error:
        raise ValidationError(_("The amount is not a number."), code="invalid") from error
    if not value.is_finite():
        raise ValidationError(_("The amount is not a number."), code="invalid")
    if value < 0:
        raise ValidationError(_("The amount cannot be negative."), code="negative")
    if value != value.quantize(ORE, rounding=ROUND_DOWN):
        raise ValidationError(_("The amount must be in whole øre (at most two decimals)."), code="ore")
    return value.quantize(ORE)


# ------------------------------------------------------------------------------------------- the core


@dataclass(frozen=True)
class Entry:
    """One payer's inputs: the member and whichever of population, percentage, weight or units the key uses."""

    member: object  # a Municipality (anything with pk, number and name)
    population: int | None = None
    percent: Decimal | None = None
    weight: Decimal | None = None
    units: Decimal | None = None


@dataclass(frozen=True)
class Share:
    """A member's share of a total, and how it was computed. `raw` and the parts are exact fractions of kroner,
    computed when asked (splitting stays integer arithmetic)."""

    member: object
    amount: Decimal
    total: Decimal = Decimal("0.00")
    fraction: Fraction = Fraction(0)  # of the total
    equal_fraction: Fraction | None = None
    population_fraction: Fraction | None = None
    population: int | None = None
    percent: Decimal | None = None
    weight: Decimal | None = None
    units: Decimal | None = None
    extra_ore: bool = False  # received one of the øre left over by rounding down
    opted_out: bool = False

    @property
    def raw(self) -> Fraction:
        """The exact value before rounding, in kroner."""
        return Fraction(self.total) * self.fraction

    @property
    def equal_part(self) -> Fraction | None:
        return Fraction(self.total) * self.equal_fraction if self.equal_fraction is not None else None

    @property
    def population_part(self) -> Fraction | None:
        return Fraction(self.total) * self.population_fraction if self.population_fraction is not None else None

    @property
    def adjustment(self) -> Decimal:
        """What rounding changed: the amount minus the exact value (always more than -0.01 and below 0.01)."""
        return exact(Fraction(self.amount) - self.raw, 6)

    @property
    def raw_display(self) -> Decimal:
        return exact(self.raw, 6)

    @property
    def share_percent(self) -> Decimal:
        return exact(self.fraction * 100, 4)

    @property
    def basis(self):
        """The number the key splits by for this member (population, percentage, weight or units)."""
        for value in (self.population, self.percent, self.weight, self.units):
            if value is not None:
                return value
        return None


def fractions_for(kind: str, entries: list[Entry], equal_percent=HUNDRED / 2, population_percent=HUNDRED / 2):
    """Each payer's exact fraction of the total (Σ = 1), and the equal and population fractions of an equal +
    population key (else None). The caller has checked that the inputs are there and sum to more than 0."""
    count = len(entries)
    if kind == CostKey.Kind.EQUAL_POPULATION:
        equal = Fraction(equal_percent) / 100
        population = Fraction(population_percent) / 100
        people = sum(entry.population for entry in entries)
        equal_parts = [equal / count for _entry in entries]
        if people:
            population_parts = [population * entry.population / people for entry in entries]
        else:  # nobody lives anywhere: the population part is split equally too
            population_parts = [population / count for _entry in entries]
        return [e + p for e, p in zip(equal_parts, population_parts, strict=True)], equal_parts, population_parts
    values = [Fraction(_basis_of(kind, entry)) for entry in entries]
    whole = sum(values)
    return [value / whole for value in values], None, None


def _basis_of(kind: str, entry: Entry):
    if kind == CostKey.Kind.EQUAL_POPULATION:
        return entry.population
    return {
        CostKey.Kind.FIXED_PERCENTAGE: entry.percent,
        CostKey.Kind.CUSTOM_WEIGHTS: entry.weight,
        CostKey.Kind.USAGE: entry.units,
    }[kind]


def largest_remainder(total_ore: int, numerators: list[int], denominator: int, order: list[tuple]) -> list[int]:
    """Split `total_ore` by the fractions numerators[i] / denominator (summing to 1): rounded down, then the øre
    left over one each to the largest remainders, ties in the order of `order` (lower first). Integers only."""
    return _largest_remainder(total_ore, numerators, denominator, order)[0]


def _largest_remainder(total_ore, numerators, denominator, order) -> tuple[list[int], list[int]]:
    pairs = [divmod(total_ore * numerator, denominator) for numerator in numerators]
    floors = [floor for floor, _remainder in pairs]
    left = total_ore - sum(floors)
    if not left:
        return floors, floors
    amounts = list(floors)
    ranked = sorted(zip([-remainder for _floor, remainder in pairs], order, range(len(pairs)), strict=True))
    for _remainder, _order, i in ranked[:left]:
        amounts[i] += 1
    return amounts, floors


class Split:
    """A prepared allocation: who pays which exact fraction. `split(total)` is pure arithmetic (no queries), so
    one prepared key splits any number of amounts quickly."""

    def __init__(self, kind: str, entries: list[Entry], excluded: list = (), **percents):
        self.kind = kind
        self.entries = sorted(entries, key=lambda entry: entry.member.number)
        self.excluded = sorted(excluded, key=lambda member: member.number)
        self.fractions, self.equal_fractions, self.population_fractions = fractions_for(kind, self.entries, **percents)
        denominator = math.lcm(*(f.denominator for f in self.fractions))
        self.denominator = denominator
        self.numerators = [f.numerator * (denominator // f.denominator) for f in self.fractions]
        assert sum(self.numerators) == denominator, "the fractions must sum to 1"
        self.order = [(-(_basis_of(kind, entry) or 0), entry.member.number) for entry in self.entries]
        self._index = {entry.member.pk: i for i, entry in enumerate(self.entries)}
        self._computed: dict[int, tuple[list[int], list[int]]] = {}  # by total in øre: one key splits many lines

    def _amounts(self, total_ore: int) -> tuple[list[int], list[int]]:
        cached = self._computed.get(total_ore)
        if cached is None:
            cached = self._computed[total_ore] = _largest_remainder(
                total_ore, self.numerators, self.denominator, self.order
            )
        return cached

    def _share(self, i: int, total: Decimal, amounts: list[int], floors: list[int]) -> Share:
        entry = self.entries[i]
        equal, population = self.equal_fractions, self.population_fractions
        return Share(
            entry.member,
            Decimal(amounts[i]).scaleb(-2),
            total,
            self.fractions[i],
            equal[i] if equal else None,
            population[i] if population else None,
            entry.population,
            entry.percent,
            entry.weight,
            entry.units,
            amounts[i] > floors[i],
        )

    def split(self, total) -> list[Share]:
        total = check_total(total)
        amounts, floors = self._amounts(int(total * ORE_PER_KRONE))
        shares = [self._share(i, total, amounts, floors) for i in range(len(self.entries))]
        shares.extend(Share(member, Decimal("0.00"), total, opted_out=True) for member in self.excluded)
        shares.sort(key=lambda share: share.member.number)
        return shares

    def share_of(self, total, municipality_id: int) -> Share | None:
        """One member's share of `total` (the same as in `split`), without building everyone's."""
        total = check_total(total)
        i = self._index.get(municipality_id)
        if i is not None:
            return self._share(i, total, *self._amounts(int(total * ORE_PER_KRONE)))
        member = next((m for m in self.excluded if m.pk == municipality_id), None)
        return Share(member, Decimal("0.00"), total, opted_out=True) if member is not None else None

    def amounts(self, total) -> dict[int, Decimal]:
        """{member id: amount} of `total`: the sums a page of totals needs, without the explanations."""
        amounts, _floors = self._amounts(int(check_total(total) * ORE_PER_KRONE))
        pairs = zip(self.entries, amounts, strict=True)
        return {entry.member.pk: Decimal(amount).scaleb(-2) for entry, amount in pairs}


# ------------------------------------------------------------------------------------ loading the inputs


def _name(member) -> str:
    return f"{member.name} ({member.number})"


class Loader:
    """Reads memberships, population figures and key shares once and keeps them, so a page that allocates many
    amounts runs a bounded number of queries: one for the memberships of a collaboration, one per population
    year, one for the shares of all keys named up front (`load_shares`)."""

    def __init__(self):
        self._memberships: dict[int, list] = {}
        self._populations: dict[int, dict[int, int]] = {}
        self._shares: dict[int, list[CostKeyShare]] = {}

    def members_on(self, collaboration_id: int, day: datetime.date) -> dict[int, Municipality]:
        if collaboration_id not in self._memberships:
            self._memberships[collaboration_id] = list(
                Membership.objects.filter(collaboration_id=collaboration_id).select_related("municipality")
            )
        return {m.municipality_id: m.municipality for m in self._memberships[collaboration_id] if m.is_active_on(day)}

    def populations(self, year: int) -> dict[int, int]:
        if year not in self._populations:
            self._populations[year] = dict(
                PopulationFigure.objects.filter(year=year).values_list("municipality_id", "population")
            )
        return self._populations[year]

    def load_populations(self, years: Iterable[int]) -> None:
        missing = {year for year in years if year not in self._populations}
        if not missing:
            return
        for year in missing:
            self._populations[year] = {}
        for municipality_id, year, population in PopulationFigure.objects.filter(year__in=missing).values_list(
            "municipality_id", "year", "population"
        ):
            self._populations[year][municipality_id] = population

    def load_shares(self, keys: Iterable[CostKey]) -> None:
        missing = {key.pk for key in keys if key.pk not in self._shares}
        if not missing:
            return
        for pk in missing:
            self._shares[pk] = []
        for share in CostKeyShare.objects.filter(key_id__in=missing).select_related("municipality"):
            self._shares[share.key_id].append(share)

    def shares(self, key: CostKey) -> list[CostKeyShare]:
        self.load_shares([key])
        return self._shares[key.pk]


def _day(day: datetime.date | None, year: int | None) -> datetime.date:
    if day is not None:
        return day
    if year is not None:
        return allocation_day(int(year))
    raise ValueError("allocate needs a day or a year")


def population_year(key: CostKey, day: datetime.date) -> int:
    return key.population_year or day.year


def check_key(key: CostKey, shares: list[CostKeyShare] | None = None) -> None:
    """The key's own rules: percentages summing to 100 (the equal and population parts, or the members'
    fixed percentages), a unit price for usage. Refused with a ValidationError saying what is wrong."""
    if key.kind == CostKey.Kind.EQUAL_POPULATION:
        if key.equal_percent + key.population_percent != HUNDRED:
            raise ValidationError(
                _("The equal part and the population part must sum to 100 %% (they sum to %(sum)s %%).")
                % {"sum": plain(key.equal_percent + key.population_percent)},
                code="percent_sum",
            )
    elif key.kind == CostKey.Kind.FIXED_PERCENTAGE:
        shares = shares if shares is not None else list(key.shares.all())
        whole = sum((share.percent or Decimal(0) for share in shares), Decimal(0))
        if whole != HUNDRED:
            raise ValidationError(
                _("The members' percentages must sum to 100 %% (they sum to %(sum)s %%).") % {"sum": plain(whole)},
                code="percent_sum",
            )
    elif key.kind == CostKey.Kind.USAGE and key.unit_price is None:
        raise ValidationError(_("A usage key needs a unit price."), code="unit_price")


def prepare(
    key: CostKey,
    *,
    day: datetime.date | None = None,
    year: int | None = None,
    members: Iterable | None = None,
    excluded: Iterable = (),
    loader: Loader | None = None,
) -> Split:
    """Check everything about splitting by `key` on the day (or 1 January of the year) and return the Split.
    `members` and `excluded` are municipalities or their ids."""
    loader = loader or Loader()
    day = _day(day, year)
    if not key.is_active_on(day):
        raise ValidationError(
            _("The key %(key)s is not valid on %(date)s (it is valid %(period)s).")
            % {"key": key.name, "date": day.isoformat(), "period": key.period_display()},
            code="key_not_valid",
        )
    active = loader.members_on(key.collaboration_id, day)
    if members is None:
        chosen = dict(active)
    else:
        chosen = {}
        outsiders = []
        for member in members:
            member_id = getattr(member, "pk", member)
            if member_id in active:
                chosen[member_id] = active[member_id]
            else:
                outsiders.append(member if hasattr(member, "number") else Municipality.objects.get(pk=member_id))
        if outsiders:
            raise ValidationError(
                _("Not a member of %(collaboration)s on %(date)s, so it cannot be allocated a cost: %(members)s.")
                % {
                    "collaboration": key.collaboration.name,
                    "date": day.isoformat(),
                    "members": ", ".join(_name(m) for m in outsiders),
                },
                code="not_member",
            )
    excluded_ids = {getattr(member, "pk", member) for member in excluded} & set(chosen)
    if key.opted_out_pays:
        excluded_ids = set()
    payers = {pk: member for pk, member in chosen.items() if pk not in excluded_ids}
    if not payers:
        raise ValidationError(_("Nobody is left to pay: every member opted out."), code="no_payers")
    check_key(key, loader.shares(key) if key.uses_shares else None)

    if key.kind == CostKey.Kind.EQUAL_POPULATION:
        entries = _population_entries(key, day, payers, loader)
    else:
        entries = _share_entries(key, day, payers, active, loader)
    return Split(
        key.kind,
        entries,
        [chosen[pk] for pk in excluded_ids],
        **(
            {"equal_percent": key.equal_percent, "population_percent": key.population_percent}
            if key.kind == CostKey.Kind.EQUAL_POPULATION
            else {}
        ),
    )


def _population_entries(key, day, payers, loader) -> list[Entry]:
    figure_year = population_year(key, day)
    if key.population_percent == 0:  # an equal split needs no population, but shows it when known
        figures = loader.populations(figure_year)
        return [Entry(member, population=figures.get(pk, 0)) for pk, member in payers.items()]
    figures = loader.populations(figure_year)
    missing = [member for pk, member in payers.items() if pk not in figures]
    if missing:
        raise ValidationError(
            _("No population figure for %(year)s for %(members)s.")
            % {"year": figure_year, "members": ", ".join(_name(m) for m in sorted(missing, key=lambda m: m.number))},
            code="missing_population",
        )
    return [Entry(member, population=figures[pk]) for pk, member in payers.items()]


def _share_entries(key, day, payers, active, loader) -> list[Entry]:
    rows = {share.municipality_id: share for share in loader.shares(key)}
    strangers = [row.municipality for pk, row in rows.items() if pk not in active]
    if strangers:
        raise ValidationError(
            _("The key has a share for %(members)s, not a member of %(collaboration)s on %(date)s.")
            % {
                "members": ", ".join(_name(m) for m in sorted(strangers, key=lambda m: m.number)),
                "collaboration": key.collaboration.name,
                "date": day.isoformat(),
            },
            code="not_member",
        )
    field_name = {"fixed_percentage": "percent", "custom_weights": "weight", "usage": "units"}[key.kind]
    missing = [member for pk, member in payers.items() if pk not in rows or getattr(rows[pk], field_name) is None]
    if missing:
        raise ValidationError(
            _("The key gives no %(what)s for %(members)s.")
            % {
                "what": str(CostKeyShare._meta.get_field(field_name).verbose_name),
                "members": ", ".join(_name(m) for m in sorted(missing, key=lambda m: m.number)),
            },
            code="missing_share",
        )
    entries = [Entry(member, **{field_name: getattr(rows[pk], field_name)}) for pk, member in payers.items()]
    if sum(getattr(entry, field_name) for entry in entries) <= 0:
        raise ValidationError(
            _("Nobody is left to pay: the paying members' shares in the key sum to zero."), code="no_payers"
        )
    return entries


def priced_total(key: CostKey, split: Split) -> Decimal:
    """A usage key's price of the payers' units: Σ units × unit price, rounded half up to the øre."""
    units = sum((entry.units for entry in split.entries), Decimal(0))
    return (units * key.unit_price).quantize(ORE, rounding=ROUND_HALF_UP)


def allocate(
    total,
    key: CostKey,
    *,
    day: datetime.date | None = None,
    year: int | None = None,
    members: Iterable | None = None,
    excluded: Iterable = (),
    loader: Loader | None = None,
) -> list[Share]:
    """Split `total` (Decimal kroner; None for a usage key prices its units) by `key`: one Share per member,
    ordered by kommunenummer, summing exactly to the total. See the module's docstring for the rules."""
    if total is not None:
        check_total(total)
    split = prepare(key, day=day, year=year, members=members, excluded=excluded, loader=loader)
    if total is None:
        if key.kind != CostKey.Kind.USAGE:
            raise ValidationError(_("The amount is missing."), code="missing")
        total = priced_total(key, split)
    return split.split(total)


# --------------------------------------------------------------------------------------------- what-if


@dataclass(frozen=True)
class ComparedShare:
    member: object
    a: Share
    b: Share

    @property
    def difference(self) -> Decimal:
        """What the member pays under key B minus under key A."""
        return self.b.amount - self.a.amount


def compare(
    total,
    key_a: CostKey,
    key_b: CostKey,
    *,
    day: datetime.date | None = None,
    year: int | None = None,
    members: Iterable | None = None,
    excluded: Iterable = (),
    loader: Loader | None = None,
) -> list[ComparedShare]:
    """The same total split by two keys, member by member (what-if). Both keys must be of one collaboration."""
    if key_a.collaboration_id != key_b.collaboration_id:
        raise ValidationError(_("The two keys belong to different collaborations."), code="collaboration")
    loader = loader or Loader()
    members = list(members) if members is not None else None
    excluded = list(excluded)
    a = allocate(total, key_a, day=day, year=year, members=members, excluded=excluded, loader=loader)
    b = allocate(total, key_b, day=day, year=year, members=members, excluded=excluded, loader=loader)
    by_member = {share.member.pk: share for share in b}
    return [ComparedShare(share.member, share, by_member[share.member.pk]) for share in a]


# ----------------------------------------------------------------------------------- per member, per year


@dataclass(frozen=True)
class CostItem:
    """Something a collaboration's members pay for in a year, split by a key. Cost sources yield these."""

    source: str  # a short code of the source, e.g. "annual_budget", "project"
    source_label: str  # shown to the reader, e.g. "Annual budget"
    name: str
    total: Decimal
    key: CostKey
    year: int
    day: datetime.date | None = None  # default: 1 January of the year
    members: tuple | None = None  # None: every member on the day
    excluded: tuple = ()  # members who opted out
    url: str = ""
    reference: str = ""


class AllocatedItem:
    """An item and its allocation, or the reason it cannot be allocated (`error`). The shares are worked out when
    asked: a member's page needs only its own share of each item, not every member's (357 members × 1,000 items
    would build 357,000 explained shares per request)."""

    def __init__(self, item: CostItem, split: Split | None = None, error: str = ""):
        self.item, self.error, self._split = item, error, split

    @functools.cached_property
    def shares(self) -> list[Share]:
        return self._split.split(self.item.total) if self._split is not None else []

    def share_of(self, municipality_id: int) -> Share | None:
        if "shares" in self.__dict__:
            return next((share for share in self.shares if share.member.pk == municipality_id), None)
        return self._split.share_of(self.item.total, municipality_id) if self._split is not None else None

    def amounts(self) -> dict[int, Decimal]:
        """{member id: amount} (members who opted out are left out: they pay nothing)."""
        return self._split.amounts(self.item.total) if self._split is not None else {}


CostSource = Callable[[object, Iterable[int]], Iterable[CostItem]]
_cost_sources: dict[str, CostSource] = {}


def register_cost_source(name: str):
    """Register `func(collaboration, years) -> iterable of CostItem` as a source of what members pay.

    The projects app registers its budget lines like this (in its AppConfig.ready or a module it imports):

        from ikt_portfolio.costs.services import CostItem, register_cost_source

        @register_cost_source("project")
        def project_costs(collaboration, years):
            for line in ProjectBudgetLine.objects.filter(project__collaboration=collaboration, year__in=years)
                    .select_related("project", "key"):   # a bounded number of queries, whatever the rows
                yield CostItem("project", gettext("Project"), line.project.name, line.amount, line.key, line.year,
                               members=..., excluded=<ids of members who opted out>, url=...)

    Every source must read its rows in a bounded number of queries; the allocation itself is batched here.
    Registering the same name again replaces the earlier function.
    """

    def register(func: CostSource) -> CostSource:
        _cost_sources[name] = func
        return func

    return register


@register_cost_source("annual_budget")
def annual_budget_items(collaboration, years: Iterable[int]) -> Iterable[CostItem]:
    lines = AnnualBudgetLine.objects.filter(collaboration=collaboration, year__in=list(years)).select_related(
        "key__collaboration"
    )
    for line in lines.order_by("year", "kind", "name"):
        yield CostItem(
            source="annual_budget",
            source_label=_("Annual budget (%(kind)s)") % {"kind": line.get_kind_display()},
            name=line.name,
            total=line.amount,
            key=line.key,
            year=line.year,
            reference=f"line-{line.pk}",
        )


def cost_items(collaboration, years: Iterable[int]) -> list[CostItem]:
    years = sorted(set(years))
    items = []
    for name in sorted(_cost_sources):
        items.extend(_cost_sources[name](collaboration, years))
    return items


def allocate_items(items: list[CostItem], loader: Loader | None = None) -> list[AllocatedItem]:
    """Every item allocated (or the reason it cannot be), preparing each key once per day and member set."""
    loader = loader or Loader()
    loader.load_shares({item.key.pk: item.key for item in items}.values())
    loader.load_populations({population_year(item.key, item.day or allocation_day(item.year)) for item in items})
    splits: dict[tuple, Split | ValidationError] = {}
    result = []
    for item in items:
        day = item.day or allocation_day(item.year)
        cache_key = (item.key.pk, day, item.members, tuple(sorted(getattr(m, "pk", m) for m in item.excluded)))
        if cache_key not in splits:
            try:
                splits[cache_key] = prepare(
                    item.key, day=day, members=item.members, excluded=item.excluded, loader=loader
                )
            except ValidationError as error:
                splits[cache_key] = error
        split = splits[cache_key]
        if isinstance(split, ValidationError):
            result.append(AllocatedItem(item, error=" ".join(split.messages)))
            continue
        try:
            check_total(item.total)
            result.append(AllocatedItem(item, split))
        except ValidationError as error:
            result.append(AllocatedItem(item, error=" ".join(error.messages)))
    return result


def collaboration_costs(collaboration, years: Iterable[int], loader: Loader | None = None) -> list[AllocatedItem]:
    """Everything the members pay in the years, allocated between them."""
    return allocate_items(cost_items(collaboration, years), loader)


@dataclass(frozen=True)
class MemberCost:
    item: CostItem
    share: Share | None  # None when the member is not among the payers (or the item could not be allocated)
    error: str = ""


def member_costs(municipality, collaboration, year: int, loader: Loader | None = None) -> list[MemberCost]:
    """What one member pays in a year: every cost item with its share (and how it was computed)."""
    municipality_id = getattr(municipality, "pk", municipality)
    return [
        MemberCost(allocated.item, allocated.share_of(municipality_id), allocated.error)
        for allocated in collaboration_costs(collaboration, [year], loader)
    ]


def member_totals_by_year(collaboration, years: Iterable[int], loader: Loader | None = None) -> dict:
    """{year: {municipality id: total Decimal}} over every cost item of the years (items that cannot be
    allocated count nothing)."""
    totals: dict[int, dict[int, Decimal]] = {}
    for allocated in collaboration_costs(collaboration, years, loader):
        per_member = totals.setdefault(allocated.item.year, {})
        for member_id, amount in allocated.amounts().items():
            per_member[member_id] = per_member.get(member_id, Decimal("0.00")) + amount
    return totals
