"""Units and rounding intervals.

One pint registry for the whole process. Each currency is its own dimension, so adding USD to
EUR raises ``pint.DimensionalityError`` instead of converting silently. ``share`` is a unit of its
own (per-share figures are ``USD/share``); dose units come with pint.

Figures are exact ``Decimal`` values with the interval their rounding allows: "$201 million" is
200.5..201.5 million. Arithmetic on ``Interval`` is interval arithmetic, so a check built on it
never flags honest rounding and always flags a real gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pint

CURRENCIES: tuple[str, ...] = (
    "USD", "EUR", "GBP", "CAD", "CHF", "JPY", "AUD", "CNY", "SEK", "NOK", "DKK", "INR", "BRL",
    "MXN", "ZAR", "HKD", "KRW", "SGD", "NZD", "ILS", "PLN",
)


def _build_registry() -> pint.UnitRegistry:
    import pint

    ureg = pint.UnitRegistry(non_int_type=Decimal)
    for code in CURRENCIES:
        ureg.define(f"{code} = [currency_{code}]")
    ureg.define("share = [share] = shares")
    return ureg


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The process-wide registry, built on first use (a worker process that never meets two
    different units never imports pint); never create another: quantities of two registries
    do not mix."""
    return _build_registry()


def __getattr__(name: str) -> Any:  # ``quantities.ureg``: the registry, built on first use
    if name == "ureg":
        return registry()
    raise AttributeError(name)


@lru_cache(maxsize=256)
def parse_unit(unit: str) -> pint.Unit:
    """Parse a unit string of the facts table ('USD', 'EUR/share', 'percent'); cached."""
    ureg = registry()
    if unit == "date":
        return ureg.dimensionless
    return ureg.parse_units(unit)


def is_valid_unit(unit: str) -> bool:
    import pint

    try:
        parse_unit(unit)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError,
            AttributeError, TypeError):
        return False
    return True


def unit_ratio(numerator: str, denominator: str) -> str:
    """The unit of a ratio, as pint writes it: 'USD' / 'USD' -> 'dimensionless', 'USD' /
    'USD/share' -> 'share'. These two forms, all the checks divide, are answered without
    building the registry (tests/test_quantities.py compares them with pint for every
    currency); any other goes to pint."""
    if numerator == denominator:
        return "dimensionless"
    if denominator == f"{numerator}/share":
        return "share"
    return str(parse_unit(numerator) / parse_unit(denominator))


def half_unit(number_text: str, multiplier: Decimal) -> Decimal:
    """Half a unit of the last stated digit: '201' -> 0.5, '2.8' -> 0.05, times ``multiplier``."""
    digits = number_text.replace(",", "").strip()
    decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
    return (Decimal(5) / (Decimal(10) ** (decimals + 1))) * multiplier


def plain(value: Decimal | None) -> str:
    """A decimal as a plain string, no exponent, no float noise, no trailing zeros."""
    if value is None:
        return ""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class Interval:
    """A closed interval [low, high] in one unit; arithmetic follows interval rules."""

    low: Decimal
    high: Decimal
    unit: str

    @classmethod
    def point(cls, value: Decimal, unit: str) -> Interval:
        return cls(value, value, unit)

    def _same_unit(self, other: Interval) -> None:
        if self.unit == other.unit:  # the usual case, decided without pint
            return
        if parse_unit(self.unit) != parse_unit(other.unit):
            # pint raises DimensionalityError: USD and EUR never mix silently
            (1 * parse_unit(self.unit)) + (1 * parse_unit(other.unit))

    def __add__(self, other: Interval) -> Interval:
        self._same_unit(other)
        return Interval(self.low + other.low, self.high + other.high, self.unit)

    def __sub__(self, other: Interval) -> Interval:
        self._same_unit(other)
        return Interval(self.low - other.high, self.high - other.low, self.unit)

    def __neg__(self) -> Interval:
        return Interval(-self.high, -self.low, self.unit)

    def scale(self, factor: Decimal) -> Interval:
        a, b = self.low * factor, self.high * factor
        return Interval(min(a, b), max(a, b), self.unit)

    def __truediv__(self, other: Interval) -> Interval:
        """Ratio of two intervals; ``other`` must not contain zero."""
        if other.low <= 0 <= other.high:
            raise ZeroDivisionError("interval divisor contains zero")
        with localcontext() as ctx:
            ctx.prec = 28
            cands = [self.low / other.low, self.low / other.high,
                     self.high / other.low, self.high / other.high]
        return Interval(min(cands), max(cands), unit_ratio(self.unit, other.unit))

    def widen(self, amount: Decimal) -> Interval:
        return Interval(self.low - amount, self.high + amount, self.unit)

    def overlaps(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high

    def touches_only(self, other: Interval) -> bool:
        """True when the intervals meet at a single point (the 'boundary' case)."""
        return self.high == other.low or other.high == self.low

    def contains(self, value: Decimal) -> bool:
        return self.low <= value <= self.high

    @property
    def mid(self) -> Decimal:
        return (self.low + self.high) / 2

    def as_quantity(self) -> tuple[pint.Quantity, pint.Quantity]:
        """The two ends as pint quantities (for reports and unit-aware callers)."""
        u = parse_unit(self.unit)
        ureg = registry()
        return ureg.Quantity(self.low, u), ureg.Quantity(self.high, u)
