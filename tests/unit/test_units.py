"""Typed numbers become exact integer units, or a clear refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jewelerdesk.domain import units


@pytest.mark.parametrize(
    ("text", "mct"),
    [
        ("1.01", 1010),
        ("1,5", 1500),
        ("0.001", 1),
        (" 2 ", 2000),
        ("1,000.25", 1_000_250),
        (Decimal("0.5"), 500),
    ],
)
def test_carats_to_millicarats(text, mct) -> None:
    assert units.carats_to_mct(text) == mct


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "0.0005", "nan", "inf"])
def test_carats_refused(text) -> None:
    with pytest.raises(ValueError):
        units.carats_to_mct(text)


def test_money_minor_units_follow_the_currency() -> None:
    assert units.money_to_minor("1,234.50", "USD") == 123450
    assert units.money_to_minor("1500", "JPY") == 1500
    assert units.money_to_minor("1.234", "KWD") == 1234
    with pytest.raises(ValueError, match="more decimals"):
        units.money_to_minor("10.5", "JPY")
    with pytest.raises(ValueError, match="more decimals"):
        units.money_to_minor("10.555", "EUR")


def test_formatting() -> None:
    assert units.format_mct(1010) == "1.010 ct"
    assert units.format_mg(4200) == "4.200 g"
    assert units.format_money(123450, "USD") == "1,234.50 USD"
    assert units.format_carats(1250) == "1.25"
    assert units.fine_mg(1000, 585) == 585
    assert units.fine_mg(999, 585) == 584  # rounded down: fine metal is never overstated


@given(st.integers(min_value=1, max_value=10**9))
def test_carat_round_trip(mct: int) -> None:
    assert units.carats_to_mct(units.format_carats(mct)) == mct


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["USD", "JPY", "KWD", "EUR"]))
def test_money_round_trip(minor: int, currency: str) -> None:
    assert units.money_to_minor(units.money_plain(minor, currency), currency) == minor


def test_a_lone_comma_before_three_digits_is_refused_as_ambiguous() -> None:
    # '1,500' at a US counter means fifteen hundred; in a decimal-comma country, one and a half
    with pytest.raises(ValueError, match="two ways.*1500.*1.500"):
        units.money_to_minor("1,500", "USD")
    with pytest.raises(ValueError, match="two ways"):
        units.carats_to_mct("1,250")
    assert units.money_to_minor("1500", "USD") == 150_000
    assert units.money_to_minor("1,50", "EUR") == 150  # a decimal comma, two decimals
    assert units.money_to_minor("1,500.00", "USD") == 150_000  # grouped with a decimal point
    assert units.carats_to_mct("0,250") == 250  # no thousands before a leading zero
