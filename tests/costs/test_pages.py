"""The Desk, the portal and the API: what each person sees (a member its own computation and the totals, the
administrators every member's), what is refused (another collaboration answers 404, refusals say why and write
nothing), and a bounded number of queries however many lines."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ikt_portfolio.costs.models import AnnualBudgetLine, CostKey

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_people")]
D = Decimal
COSTS = "/portal/costs/"


def test_a_member_sees_its_own_computation_and_the_totals(client, world, lines):
    client.force_login(world.member_small.user)
    response = client.get(COSTS, {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert "What Smøla pays in 2026" in html
    assert "198,518.52" in html and "60,000.00" in html  # own shares
    assert "1,300,000.00" in html  # the year's total
    assert "528,148.15" not in html  # not Kristiansund's share
    assert 'id="costs-members"' not in html
    assert client.get(COSTS, {"year": 2026, "municipality": world.large.pk}).status_code == 404


def test_an_administrator_sees_every_member(client, world, lines):
    client.force_login(world.admin_a.user)
    response = client.get(COSTS, {"year": 2026, "municipality": world.large.pk})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="costs-members"' in html
    assert "528,148.15" in html
    assert client.get(COSTS, {"year": 2026, "municipality": world.other.pk}).status_code == 404


def test_another_collaborations_lines_are_not_shown(client, world, keys, lines):
    AnnualBudgetLine.objects.create(collaboration=world.b, year=2026, name="B-drift", amount=D(5), key=keys.b)
    client.force_login(world.member_other.user)
    html = client.get(COSTS, {"year": 2026}).content.decode()
    assert "B-drift" in html and "Drift <" not in html and "Lisenser" not in html


def test_the_member_page_runs_a_bounded_number_of_queries(client, world, keys, lines):
    client.force_login(world.admin_a.user)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(COSTS, {"year": 2026}).status_code == 200
        return len(captured)

    few = count()
    for i in range(25):
        AnnualBudgetLine.objects.create(collaboration=world.a, year=2020 + i % 7, name=f"L{i}", amount=D(i),
                                        key=keys.fixed)  # fmt: skip
    assert count() <= few + 2  # one more population year is read at most


def test_compare_two_keys_in_the_portal(client, world, keys):
    client.force_login(world.member_small.user)
    query = {"key_a": keys.half.pk, "key_b": keys.fixed.pk, "total": "1000000", "year": 2026}
    response = client.get(COSTS + "compare/", query)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-member="1573"' in html and 'data-member="1505"' not in html
    assert "1,481.48" in html
    client.force_login(world.admin_a.user)
    assert 'data-member="1505"' in client.get(COSTS + "compare/", query).content.decode()
    assert client.get(COSTS + "compare/", {**query, "total": "-5"}).status_code == 400
    assert client.get(COSTS + "compare/", {**query, "key_b": keys.b.pk}).status_code == 400  # not a choice


def test_compare_refusal_says_why(client, world, keys):
    client.force_login(world.admin_a.user)
    query = {"key_a": keys.half.pk, "key_b": keys.fixed.pk, "total": "100", "year": 2019}
    response = client.get(COSTS + "compare/", query)
    assert response.status_code == 400 and "is not valid on 2019-01-01" in response.content.decode()


def test_xlsx_export_has_the_shares_the_user_may_see(client, world, lines):
    from openpyxl import load_workbook

    client.force_login(world.member_small.user)
    response = client.get(COSTS + "export.xlsx", {"year": 2026})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {row[5] for row in rows} == {"1573"}
    assert sorted(D(str(row[10])) for row in rows) == [D("60000"), D("198518.52")]
    client.force_login(world.admin_a.user)
    sheet = load_workbook(io.BytesIO(client.get(COSTS + "export.xlsx", {"year": 2026}).content)).active
    assert len(list(sheet.iter_rows(min_row=2))) == 6


def test_anonymous_users_are_sent_to_log_in(client):
    assert client.get(COSTS).status_code == 302


# ------------------------------------------------------------------------------------------------ Desk


def test_desk_key_page_shows_the_allocation_preview(client, world, keys):
    client.force_login(world.admin_a.user)
    response = client.get(reverse("admin:ikt_costs_costkey_change", args=[keys.half.pk]))
    assert response.status_code == 200
    assert "528" in response.content.decode()  # Kristiansund's share of 1 000 000
    assert client.get(reverse("admin:ikt_costs_costkey_change", args=[keys.b.pk])).status_code in (302, 403, 404)


def test_desk_refuses_fixed_percentages_not_summing_to_100(client, world, keys):
    client.force_login(world.admin_a.user)
    url = reverse("admin:ikt_costs_costkey_change", args=[keys.fixed.pk])
    shares = list(keys.fixed.shares.order_by("municipality__number"))
    data = {
        "collaboration": world.a.pk, "name": keys.fixed.name, "kind": "fixed_percentage", "applies_to": "any",
        "valid_from": "2020-01-01", "equal_percent": "50", "population_percent": "50",
        "decided_by": "Styret", "decided_on": "2025-12-01",
        "shares-TOTAL_FORMS": "3", "shares-INITIAL_FORMS": "3", "shares-MIN_NUM_FORMS": "0",
        "shares-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for i, share in enumerate(shares):
        data.update(
            {f"shares-{i}-id": share.pk, f"shares-{i}-key": keys.fixed.pk,
             f"shares-{i}-municipality": share.municipality_id, f"shares-{i}-percent": "30"}
        )  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 200 and "sum to 90 %" in response.content.decode()
    assert sorted(s.percent for s in keys.fixed.shares.all()) == [D(20), D(30), D(50)]


def test_desk_budget_line_list(client, world, lines):
    client.force_login(world.admin_a.user)
    response = client.get(reverse("admin:ikt_costs_annualbudgetline_changelist"))
    assert response.status_code == 200 and "Lisenser" in response.content.decode()


# ------------------------------------------------------------------------------------------------- API


def test_api_allocation_shows_own_share_to_members_and_all_to_administrators(client, world, keys):
    client.force_login(world.member_small.user)
    url = f"/api/v1/costs/keys/{keys.half.pk}/allocation/"
    data = client.get(url, {"total": "1000000.00", "year": 2026}).json()
    assert data["total"] == "1000000.00" and data["members"] == 3
    assert [(s["municipality"]["number"], s["amount"]) for s in data["shares"]] == [("1573", "198518.52")]
    assert data["shares"][0]["population"] == 2150 and data["shares"][0]["extra_ore"] is True
    client.force_login(world.admin_a.user)
    assert len(client.get(url, {"total": "1000000.00", "year": 2026}).json()["shares"]) == 3


def test_api_refusals_and_scoping(client, world, keys):
    client.force_login(world.admin_a.user)
    url = f"/api/v1/costs/keys/{keys.half.pk}/allocation/"
    assert client.get(url, {"total": "-1", "year": 2026}).status_code == 400
    response = client.get(url, {"total": "1", "year": 2019})
    assert response.status_code == 400 and response.json()["code"] == "key_not_valid"
    assert client.get(f"/api/v1/costs/keys/{keys.b.pk}/allocation/", {"total": "1"}).status_code == 404
    compare = f"/api/v1/costs/keys/{keys.half.pk}/compare/"
    rows = client.get(compare, {"with": keys.fixed.pk, "total": "1000000", "year": 2026}).json()["rows"]
    assert {r["municipality"]: r["difference"] for r in rows}[world.small.pk] == "1481.48"
    assert client.get(compare, {"with": keys.b.pk, "total": "1", "year": 2026}).status_code == 404


def test_api_writes_keys_and_lines_only_for_administrators(client, world, keys):
    payload = {"collaboration": world.a.pk, "year": 2026, "name": "Ny", "amount": "10.00", "key": keys.half.pk}
    client.force_login(world.member_small.user)
    assert client.post("/api/v1/costs/budget-lines/", payload, content_type="application/json").status_code == 403
    client.force_login(world.admin_a.user)
    assert client.post("/api/v1/costs/budget-lines/", payload, content_type="application/json").status_code == 201
    bad = {**payload, "name": "Negativ", "amount": "-10.00"}
    assert client.post("/api/v1/costs/budget-lines/", bad, content_type="application/json").status_code == 400
    other = {**payload, "name": "Feil nøkkel", "key": keys.b.pk}
    assert client.post("/api/v1/costs/budget-lines/", other, content_type="application/json").status_code == 400
    key = {
        "collaboration": world.a.pk,
        "name": "Skjev",
        "kind": "equal_population",
        "equal_percent": "40",
        "population_percent": "50",
        "decided_by": "Styret",
        "decided_on": "2026-01-01",
        "valid_from": "2026-01-01",
    }
    response = client.post("/api/v1/costs/keys/", key, content_type="application/json")
    assert response.status_code == 400 and not CostKey.objects.filter(name="Skjev").exists()
    assert client.get(f"/api/v1/costs/keys/{keys.b.pk}/").status_code == 404


def test_api_member_costs(client, world, lines):
    client.force_login(world.member_small.user)
    data = client.get("/api/v1/costs/budget-lines/member-costs/", {"year": 2026}).json()
    assert data["municipality"] == world.small.pk and data["total"] == "258518.52"
    response = client.get("/api/v1/costs/budget-lines/member-costs/", {"year": 2026, "municipality": world.large.pk})
    assert response.status_code == 404
    response = client.get("/api/v1/costs/budget-lines/member-costs/", {"collaboration": world.b.pk})
    assert response.status_code == 404
