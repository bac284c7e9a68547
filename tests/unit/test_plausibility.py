"""Plausible certificate numbers (issue 9) on their own: ID numbers from real regions and lifetimes, credit
codes from real regions."""

from __future__ import annotations

from datetime import date

import pytest

from shared.domain.errors import InvalidValue
from shared.domain.values import validate_id_card, validate_uscc
from tests.support.factories import credit_code_of, id_card_of


@pytest.mark.parametrize(
    "number, problem",
    [
        (id_card_of("000000", "19800101"), "region code"),
        (id_card_of("990101", "19800101"), "region code"),
        (id_card_of("440106", "20990101"), "before 1900 or in the future"),
        (id_card_of("440106", "18000101"), "before 1900 or in the future"),
        (id_card_of("440106", "19800231"), "not a date"),
    ],
)
def test_implausible_id_card_numbers_are_refused_with_the_reason(number, problem):
    with pytest.raises(InvalidValue) as refused:
        validate_id_card(number, "certificate.number", today=date(2026, 11, 25))
    assert problem in refused.value.reason and refused.value.field == "certificate.number"


def test_plausible_numbers_pass_from_every_province_level_division():
    today = date(2026, 11, 25)
    for region in ("110105", "440106", "650102", "810000", "820000"):
        assert validate_id_card(id_card_of(region, "19491231"), "n", today=today)
    assert validate_id_card(id_card_of("440106", "20261125"), "n", today=today)  # born today
    assert validate_uscc(credit_code_of("440106"), "n")
    with pytest.raises(InvalidValue, match="region code"):
        validate_uscc(credit_code_of("000000"), "n")
