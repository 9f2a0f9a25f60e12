"""Units and rounding intervals."""

from __future__ import annotations

from decimal import Decimal as D

import pint
import pytest

from extractor.quantities import (
    CURRENCIES,
    Interval,
    half_unit,
    is_valid_unit,
    parse_unit,
    plain,
    unit_ratio,
)


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


@pytest.mark.parametrize("code", CURRENCIES)
def test_unit_ratio_shortcuts_agree_with_pint(code: str) -> None:
    """The two ratios answered without the registry are pint's answers."""
    for num, den, expected in ((code, code, "dimensionless"),
                               (code, f"{code}/share", "share")):
        assert unit_ratio(num, den) == expected == str(parse_unit(num) / parse_unit(den))
    assert unit_ratio(f"{code}/share", "share") == str(parse_unit(f"{code}/share")
                                                      / parse_unit("share"))


def test_mixing_currencies_still_raises() -> None:
    with pytest.raises(pint.DimensionalityError):
        Interval(D(1), D(2), "USD") + Interval(D(1), D(2), "EUR")


def test_a_worker_never_imports_pandas_pandera_or_pint() -> None:
    """A batch worker (extractor.chunks.work) on the examples: plain Python rows only; pandas,
    pandera and pyarrow stay in the writing process, pint is built only for a unit the
    shortcuts do not answer."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys, glob\n"
        "from extractor.chunks import work, Task\n"
        "from extractor.settings import Settings\n"
        f"files = sorted(glob.glob({str(root / 'examples' / '*.txt')!r}))\n"
        "r = work(Task(0, tuple((f, f'd{i}', '') for i, f in enumerate(files)), Settings()))\n"
        "assert sum(o.fact_count for o in r.outcomes) > 200\n"
        "print(sorted(m for m in ('pandas', 'pandera', 'pint', 'pyarrow', 'numpy')"
        " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root)
    assert out.stdout.strip() == "[]"
