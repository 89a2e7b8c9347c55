from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ikt_portfolio.costs import services as costs
from ikt_portfolio.projects import services
from ikt_portfolio.projects.costs import project_shares
from tests.costs.conftest import keys, make_key  # noqa: F401  (shared cost fixtures)


def test_each_member_shares_the_budget_by_its_key(world, project, people, keys):  # noqa: F811
    owner = people.owner.user
    services.set_participation(project, world.large, owner, status="participates")
    services.set_participation(project, world.medium, owner, status="opts_out", reason="Eget system")
    services.set_budget_line(project, owner, year=2026, kind="investment", amount="100000", key=keys.half)
    services.set_budget_line(project, owner, year=2027, kind="operation", amount="10000.01", key=keys.half)
    services.set_budget_line(project, owner, year=2027, kind="investment", amount="5000")  # not keyed yet
    shares = project_shares(project)
    assert shares.errors == [] and shares.years == [2026, 2027] and len(shares.unkeyed) == 1
    by_member = {m.municipality.pk: m for m in shares.members}
    assert by_member[world.medium.pk].total == 0  # opted out: pays nothing
    assert by_member[world.small.pk].total + by_member[world.large.pk].total == Decimal("110000.01")
    assert by_member[world.large.pk].total > by_member[world.small.pk].total  # larger population
    # and the members' cost view sees the project's lines
    items = [i for i in costs.cost_items(world.a, [2026]) if i.source == "project"]
    assert len(items) == 1 and items[0].excluded == (world.medium.pk,)


def test_a_key_of_another_collaboration_is_refused(world, project, people, keys):  # noqa: F811
    with pytest.raises(ValidationError) as error:
        services.set_budget_line(project, people.owner.user, year=2026, kind="investment", amount="1", key=keys.b)
    assert "key" in error.value.message_dict
    assert not project.budget_lines.exists()
