"""The allocation invariants, proven over generated inputs (hypothesis): the shares sum exactly to the total, none
is negative, each is within one øre of its exact value, equal members pay equal (to the øre, the lower
kommunenummer paying the extra øre), and the population-monotone property of equal + population keys."""

from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from ikt_portfolio.costs.models import CostKey
from ikt_portfolio.costs.services import Entry, Split, largest_remainder

totals = st.integers(min_value=0, max_value=10**13).map(lambda ore: Decimal(ore) / 100)
populations = st.integers(min_value=0, max_value=1_000_000)
percents = st.integers(min_value=0, max_value=10_000).map(lambda hundredths: Decimal(hundredths) / 100)


def member(i: int):
    return SimpleNamespace(pk=i + 1, number=f"{1000 + i:04d}", name=f"Kommune {i}")


def population_split(pops, equal_percent):
    entries = [Entry(member(i), population=p) for i, p in enumerate(pops)]
    return Split(
        CostKey.Kind.EQUAL_POPULATION, entries, equal_percent=equal_percent, population_percent=100 - equal_percent
    )


def check_exact(total, shares):
    assert sum(share.amount for share in shares) == total
    for share in shares:
        assert share.amount >= 0
        assert share.amount == share.amount.quantize(Decimal("0.01"))
        assert abs(Fraction(share.amount) - share.raw) < Fraction(1, 100)


@settings(max_examples=300, deadline=None)
@given(totals, st.lists(populations, min_size=1, max_size=40), percents)
def test_population_key_sums_exactly_never_negative_and_is_monotone(total, pops, equal_percent):
    shares = population_split(pops, equal_percent).split(total)
    check_exact(total, shares)
    for a in shares:
        for b in shares:
            if a.population > b.population:
                assert a.amount >= b.amount  # more inhabitants never pay less
            if a.population == b.population:
                assert abs(a.amount - b.amount) <= Decimal("0.01")
                if a.member.number < b.member.number:
                    assert a.amount >= b.amount  # the extra øre goes to the lower kommunenummer


@settings(max_examples=300, deadline=None)
@given(totals, st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40), st.sampled_from(
    [CostKey.Kind.FIXED_PERCENTAGE, CostKey.Kind.CUSTOM_WEIGHTS, CostKey.Kind.USAGE]
))  # fmt: skip
def test_share_keys_sum_exactly_and_equal_inputs_pay_equal(total, values, kind):
    if not any(values):
        values = [*values[:-1], 1]
    field = {"fixed_percentage": "percent", "custom_weights": "weight", "usage": "units"}[kind]
    entries = [Entry(member(i), **{field: Decimal(v) / 100}) for i, v in enumerate(values)]
    shares = Split(kind, entries).split(total)
    check_exact(total, shares)
    for a in shares:
        for b in shares:
            if a.basis > b.basis:
                assert a.amount >= b.amount
            if a.basis == b.basis:
                assert abs(a.amount - b.amount) <= Decimal("0.01")
                if a.member.number < b.member.number:
                    assert a.amount >= b.amount


@settings(max_examples=200, deadline=None)
@given(totals, st.lists(populations, min_size=2, max_size=20), st.data())
def test_opted_out_members_pay_nothing_and_the_rest_still_sums(total, pops, data):
    out = data.draw(st.sets(st.integers(min_value=0, max_value=len(pops) - 1), max_size=len(pops) - 1))
    entries = [Entry(member(i), population=p) for i, p in enumerate(pops) if i not in out]
    split = Split(CostKey.Kind.EQUAL_POPULATION, entries, [member(i) for i in out])
    shares = split.split(total)
    check_exact(total, shares)
    assert len(shares) == len(pops)
    assert all(share.amount == 0 for share in shares if share.opted_out)
    assert {share.member.pk for share in shares if share.opted_out} == {i + 1 for i in out}


@given(st.integers(min_value=0, max_value=10**9), st.lists(st.integers(min_value=1, max_value=1000), min_size=1))
def test_largest_remainder_hands_out_fewer_extra_ore_than_payers(total_ore, weights):
    denominator = sum(weights)
    amounts = largest_remainder(total_ore, weights, denominator, [(0, i) for i in range(len(weights))])
    assert sum(amounts) == total_ore
    floors = [total_ore * w // denominator for w in weights]
    assert all(0 <= a - f <= 1 for a, f in zip(amounts, floors, strict=True))


@settings(max_examples=200, deadline=None)
@given(st.lists(totals, min_size=1, max_size=5), st.lists(populations, min_size=2, max_size=20), st.data())
def test_one_members_share_and_the_amounts_are_those_of_the_full_split(totals_, pops, data):
    """Member pages ask a split for one share (`share_of`) or the bare amounts; both must be exactly what the
    full split gives, for every member and for the same split reused on several totals."""
    out = data.draw(st.sets(st.integers(min_value=0, max_value=len(pops) - 1), max_size=len(pops) - 1))
    entries = [Entry(member(i), population=p) for i, p in enumerate(pops) if i not in out]
    split = Split(CostKey.Kind.EQUAL_POPULATION, entries, [member(i) for i in out])
    for total in totals_:
        full = split.split(total)
        assert [split.share_of(total, share.member.pk) for share in full] == full
        assert split.amounts(total) == {share.member.pk: share.amount for share in full if not share.opted_out}
    assert split.share_of(totals_[0], 10_000) is None, "not a payer and not opted out: no share"
