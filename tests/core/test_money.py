from decimal import Decimal

import pytest
from django.utils import translation

from ikt_portfolio.core.money import format_nok, to_money


def test_money_is_exact_to_the_ore_and_never_float():
    assert to_money("10.005") == Decimal("10.01")
    with pytest.raises(TypeError):
        to_money(0.1)


@pytest.mark.parametrize(("language", "text"), [("nb", "kr 1\xa0234\xa0567,50"), ("nn", "kr 1\xa0234\xa0567,50")])
def test_money_is_shown_the_norwegian_way(language, text):
    with translation.override(language):
        assert format_nok(Decimal("1234567.5")) == text
