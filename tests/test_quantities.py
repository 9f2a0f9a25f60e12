"""Units and rounding intervals."""

from __future__ import annotations

from decimal import Decimal as D

import pint
import pytest

from extractor.quantities import Interval, half_unit, is_valid_unit, parse_unit, plain


def test_currencies_never_mix() -> None:
    with pytest.raises(pint.DimensionalityError):
        Interval(D(1), D(2), "USD") + Interval(D(1), D(2), "EUR")


def test_units_of_the_facts_table() -> None:
    assert all(is_valid_unit(u) for u in ("USD", "EUR", "GBP/share", "CAD", "percent", "date"))
    assert not is_valid_unit("XYZ")
    assert str(parse_unit("USD/share")) == "USD / share"


def test_rounding_interval_of_a_stated_figure() -> None:
    assert half_unit("201", D(10**6)) == D(500000)
    assert half_unit("2.8", D(10**9)) == D(50000000)
    assert half_unit("1.91", D(1)) == D("0.005")


def test_interval_arithmetic_bridge() -> None:
    # 244 - 92 + 45 + 10 = 207 +/- 2 cannot meet 201 +/- 0.5
    m = D(10**6)
    def f(x):
        return Interval(D(x) * m - m / 2, D(x) * m + m / 2, "USD")
    total = f(244) - f(92) + f(45) + f(10)
    assert (total.low, total.high) == (D(205) * m, D(209) * m)
    assert not total.overlaps(f(201))
    assert total.overlaps(f(208))


def test_ratio_of_intervals_implied_share_count() -> None:
    money = Interval(D("80.5e6"), D("81.5e6"), "USD")
    ps = Interval(D("1.905"), D("1.915"), "USD/share")
    shares = money / ps
    assert shares.unit == "share"
    assert D("42.03e6") < shares.low < D("42.04e6") and D("42.78e6") < shares.high < D("42.79e6")


def test_plain_decimal_strings() -> None:
    assert plain(D("2800000000.0")) == "2800000000"
    assert plain(D("1.910")) == "1.91"
    assert plain(D("-0.05")) == "-0.05"
    assert plain(None) == ""
