"""Allocation by real keys: hand-checked examples, every refusal (with its reason, nothing written), the what-if
comparison, a member's costs per year from every cost source, and a bounded number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ikt_portfolio.costs import services
from ikt_portfolio.costs.models import AnnualBudgetLine, CostKey, CostKeyShare
from ikt_portfolio.members.models import Membership, PopulationFigure

pytestmark = pytest.mark.django_db
D = Decimal


def amounts(shares):
    return {share.member.number: share.amount for share in shares}


def test_one_million_fifty_fifty_by_hand(world, keys):
    # S = 2150 + 7200 + 24400 = 33750 inhabitants. Equal part: 500 000 / 3 = 166 666,666… each.
    # Population parts: 500 000·2150/33750 = 31 851,851…; ·7200/33750 = 106 666,666…; ·24400/33750 = 361 481,481…
    # Exact: Smøla 198 518,5185…, Sunndal 273 333,3333…, Kristiansund 528 148,1481… (kr).
    # Rounded down: 198 518,51 + 273 333,33 + 528 148,14 = 999 999,98: two øre left, to the largest remainders
    # (Smøla ,85 øre and Kristiansund ,81 øre; Sunndal's ,33 gets none).
    shares = services.allocate(D("1000000.00"), keys.half, year=2026)
    assert amounts(shares) == {"1573": D("198518.52"), "1563": D("273333.33"), "1505": D("528148.15")}
    small = shares[2]
    assert small.member == world.small and small.population == 2150 and small.extra_ore
    assert services.exact(small.equal_part, 2) == D("166666.67")
    assert services.exact(small.population_part, 2) == D("31851.85")
    assert small.raw_display == D("198518.518519") and small.adjustment == D("0.001481")
    assert not shares[1].extra_ore  # Sunndal, ordered by kommunenummer: 1505, 1563, 1573


def test_fixed_percentage_and_tie_break_by_kommunenummer(world, make_key):
    key = make_key(
        kind=CostKey.Kind.FIXED_PERCENTAGE,
        shares={m: {"percent": D(100) / 4 if m != world.large else D(50)} for m in (world.small, world.medium,
                                                                                    world.large)},
    )  # fmt: skip
    # 0,01 kr split 25/25/50: Kristiansund's exact half øre and the others' quarter øre: the øre goes to the largest
    # remainder (Kristiansund).
    assert amounts(services.allocate(D("0.01"), key, year=2026)) == {"1505": D("0.01"), "1563": D(0), "1573": D(0)}
    # 0,03 kr: each rounded down (0 + 0 + 1 øre), then two øre left for the equal remainders of the two 25 % members
    # (0,75 øre each): both get one, so equal members pay equal.
    assert amounts(services.allocate(D("0.03"), key, year=2026)) == {"1505": D("0.01"), "1563": D("0.01"),
                                                                     "1573": D("0.01")}  # fmt: skip


def test_equal_members_differ_by_one_ore_at_most_lower_number_pays_it(world, make_key):
    key = make_key(kind=CostKey.Kind.CUSTOM_WEIGHTS, shares={m: {"weight": D(1)} for m in (world.small, world.medium,
                                                                                           world.large)})  # fmt: skip
    # 1,00 kr in three equal weights: 33 øre each and one øre left; the lowest kommunenummer (1505) pays it.
    assert amounts(services.allocate(D("1.00"), key, year=2026)) == {"1505": D("0.34"), "1563": D("0.33"),
                                                                     "1573": D("0.33")}  # fmt: skip


def test_usage_key_prices_units_or_splits_a_total_by_units(world, make_key):
    key = make_key(
        kind=CostKey.Kind.USAGE,
        unit_price=D("125.50"),
        shares={world.small: {"units": D(10)}, world.medium: {"units": D(0)}, world.large: {"units": D("2.5")}},
    )
    priced = services.allocate(None, key, year=2026)
    assert amounts(priced) == {"1505": D("313.75"), "1563": D("0.00"), "1573": D("1255.00")}
    assert sum(s.amount for s in priced) == D("1568.75")
    split = services.allocate(D("100.00"), key, year=2026)
    assert amounts(split) == {"1505": D("20.00"), "1563": D("0.00"), "1573": D("80.00")}


def test_opted_out_members_pay_nothing_unless_the_key_says_so(world, keys):
    shares = services.allocate(D("1000.00"), keys.half, year=2026, excluded={world.large.pk})
    assert amounts(shares)["1505"] == 0 and shares[0].opted_out
    assert sum(s.amount for s in shares) == D("1000.00")
    keys.half.opted_out_pays = True
    shares = services.allocate(D("1000.00"), keys.half, year=2026, excluded={world.large.pk})
    assert amounts(shares)["1505"] > 0 and not shares[0].opted_out


def test_a_subset_of_members_shares_the_total(world, keys):
    shares = services.allocate(D("100.00"), keys.fixed, year=2026, members=[world.small, world.large])
    assert amounts(shares) == {"1505": D("71.43"), "1573": D("28.57")}  # 50:20 renormalised


def refusal(func, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        func(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize("total", [D("-0.01"), D("-1000")])
def test_negative_totals_are_refused(keys, total):
    assert refusal(services.allocate, total, keys.half, year=2026).code == "negative"


def test_fractions_of_an_ore_and_floats_are_refused(keys):
    assert refusal(services.allocate, D("1.005"), keys.half, year=2026).code == "ore"
    with pytest.raises(TypeError):
        services.allocate(1.5, keys.half, year=2026)


def test_percentages_not_summing_to_100_are_refused(world, keys, make_key):
    key = CostKey(collaboration=world.a, name="x", equal_percent=D(40), population_percent=D(50), **{
        "decided_by": "Styret", "decided_on": datetime.date(2026, 1, 1)})  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        key.full_clean()
    assert "sum to 90 %" in str(caught.value)
    CostKeyShare.objects.filter(key=keys.fixed, municipality=world.small).update(percent=D("19.99"))
    error = refusal(services.allocate, D(100), keys.fixed, year=2026)
    assert error.code == "percent_sum" and "99.99" in error.messages[0]


def test_a_missing_population_names_the_member(world, keys):
    PopulationFigure.objects.create(municipality=world.small, year=2025, population=2100)
    keys.half.population_year = 2025
    error = refusal(services.allocate, D(100), keys.half, year=2026)
    assert error.code == "missing_population"
    assert "Sunndal (1563)" in error.messages[0] and "Kristiansund (1505)" in error.messages[0]
    assert "Smøla" not in error.messages[0]


def test_the_allocation_year_is_the_population_year_when_the_key_names_none(world, keys):
    keys.half.population_year = None
    assert refusal(services.allocate, D(100), keys.half, year=2027).code == "missing_population"
    assert len(services.allocate(D(100), keys.half, year=2026)) == 3


def test_a_cost_for_a_non_member_is_refused(world, keys):
    error = refusal(services.allocate, D(100), keys.half, year=2026, members=[world.small, world.other])
    assert error.code == "not_member" and "Oslo (0301)" in error.messages[0]
    CostKeyShare.objects.create(key=keys.fixed, municipality=world.other, percent=D(0))
    error = refusal(services.allocate, D(100), keys.fixed, year=2026)
    assert error.code == "not_member" and "Oslo (0301)" in error.messages[0]


def test_a_member_who_left_is_no_longer_allocated(world, keys):
    Membership.objects.filter(collaboration=world.a, municipality=world.small).update(
        valid_to=datetime.date(2025, 12, 31)
    )
    assert set(amounts(services.allocate(D(100), keys.half, year=2026))) == {"1505", "1563"}
    assert refusal(services.allocate, D(100), keys.fixed, year=2026).code == "not_member"


def test_a_key_share_row_for_a_non_member_is_refused_by_the_model(world, keys):
    with pytest.raises(ValidationError) as caught:
        CostKeyShare(key=keys.fixed, municipality=world.other, percent=D(1)).full_clean()
    assert "municipality" in caught.value.message_dict


def test_missing_shares_keys_not_valid_and_nobody_to_pay_are_refused(world, keys):
    CostKeyShare.objects.filter(key=keys.fixed, municipality=world.medium).delete()
    assert refusal(services.allocate, D(100), keys.fixed, year=2026).code in {"percent_sum", "missing_share"}
    keys.half.valid_to = datetime.date(2025, 12, 31)
    assert refusal(services.allocate, D(100), keys.half, year=2026).code == "key_not_valid"
    keys.half.valid_to = None
    everyone = [world.small.pk, world.medium.pk, world.large.pk]
    assert refusal(services.allocate, D(100), keys.half, year=2026, excluded=everyone).code == "no_payers"


def test_usage_key_without_price_and_missing_total_are_refused(world, make_key):
    key = make_key(kind=CostKey.Kind.USAGE, shares={m: {"units": D(1)} for m in (world.small, world.medium,
                                                                                 world.large)})  # fmt: skip
    assert refusal(services.allocate, None, key, year=2026).code == "unit_price"
    with pytest.raises(ValidationError):
        key.full_clean()


def test_compare_two_keys_side_by_side(world, keys):
    rows = services.compare(D("1000000.00"), keys.half, keys.fixed, year=2026)
    by_number = {row.member.number: row for row in rows}
    assert by_number["1573"].a.amount == D("198518.52") and by_number["1573"].b.amount == D("200000.00")
    assert by_number["1573"].difference == D("1481.48")
    assert sum(row.difference for row in rows) == 0
    assert refusal(services.compare, D(1), keys.half, keys.b, year=2026).code == "collaboration"


def test_member_costs_from_budget_lines_and_registered_sources(world, keys, lines):
    costs = services.member_costs(world.small, world.a, 2026)
    # Investment lines before operation lines.
    assert [(c.item.name, c.share.amount) for c in costs] == [("Lisenser", D("60000.00")), ("Drift", D("198518.52"))]

    @services.register_cost_source("test_project")
    def project_costs(collaboration, years):
        if 2026 in years:
            yield services.CostItem("project", "Project", "Velferdsteknologi", D("10000.00"), keys.half, 2026,
                                    excluded=(world.small.pk,))  # fmt: skip

    try:
        costs = services.member_costs(world.small, world.a, 2026)
        project = next(c for c in costs if c.item.source == "project")
        assert project.share.amount == 0 and project.share.opted_out
        totals = services.member_totals_by_year(world.a, [2026])
        assert sum(totals[2026].values()) == D("1310000.00")
    finally:
        services._cost_sources.pop("test_project")


def test_an_item_that_cannot_be_allocated_says_why_instead_of_failing(world, keys, lines):
    PopulationFigure.objects.filter(municipality=world.medium).delete()
    costs = services.member_costs(world.small, world.a, 2026)
    assert costs[1].share is None and "Sunndal (1563)" in costs[1].error
    assert costs[0].share.amount == D("60000.00")


def test_annual_budget_lines_refuse_keys_of_other_collaborations_and_project_keys(world, keys):
    line = AnnualBudgetLine(collaboration=world.a, year=2026, name="x", amount=D(1), key=keys.b)
    with pytest.raises(ValidationError):
        line.full_clean()
    keys.half.applies_to = CostKey.AppliesTo.PROJECTS
    keys.half.save()
    with pytest.raises(ValidationError):
        AnnualBudgetLine(collaboration=world.a, year=2026, name="x", amount=D(1), key=keys.half).full_clean()
    with pytest.raises(ValidationError):
        AnnualBudgetLine(collaboration=world.a, year=2026, name="x", amount=D(-1), key=keys.fixed).full_clean()


def test_many_lines_and_years_in_a_bounded_number_of_queries(world, keys, lines):
    def run():
        services.member_totals_by_year(world.a, [2024, 2025, 2026])

    with CaptureQueriesContext(connection) as few:
        run()
    for i in range(30):
        AnnualBudgetLine.objects.create(collaboration=world.a, year=2024 + i % 3, name=f"L{i}", amount=D(i),
                                        key=keys.half if i % 2 else keys.fixed)  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        run()
    assert len(many) == len(few) <= 6
