"""What every check family shares: fact records with their rounding intervals, the check's
declared severity and parameters (rules/checks.yaml), number formatting and finding rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import regex

from ..periods import split
from ..quantities import Interval, plain
from ..ruleset import Entry, RuleSet, load_rules

SPAN_MONTHS = {"Q1": 3, "Q2": 3, "Q3": 3, "Q4": 3, "H1": 6, "H2": 6, "9M": 9, "FY": 12}


@dataclass(frozen=True)
class Rec:
    """One fact as the checks see it."""

    id: str
    doc: str
    kind: str
    metric: str
    entity: str
    scope: str
    period: str
    as_of: str
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    unit: str
    qualifier: str
    direction: str
    comparison_period: str
    compared_to: str
    horizon_start: str
    horizon_end: str
    uncertain: bool
    label: str
    text: str
    start: int
    end: int
    line: int
    sentence: str
    rule_id: str

    @property
    def iv(self) -> Interval:
        assert self.low is not None and self.high is not None
        return Interval(self.low, self.high, self.unit)

    @property
    def base(self) -> str:
        return self.metric.removesuffix("_change")

    def date(self, which: str) -> dt.date | None:
        v = getattr(self, which)
        return dt.date.fromisoformat(v) if v else None


def _dec(v: object) -> Decimal | None:
    if v is None or v == "" or (isinstance(v, float) and v != v):  # NaN
        return None
    return Decimal(str(v))


def records(df: Any) -> list[Rec]:
    """Check records from a facts table or from its rows (dicts of plain values)."""
    out = []
    rows = df if isinstance(df, list) else df.to_dict("records")
    for r in rows:
        out.append(Rec(
            id=str(r["fact_id"]), doc=str(r["doc_id"]), kind=str(r["kind"]),
            metric=str(r["metric"]), entity=str(r["entity"]), scope=str(r["scope"]),
            period=str(r["period"]), as_of=str(r["as_of"]), value=_dec(r["value"]),
            low=_dec(r["low"]), high=_dec(r["high"]), unit=str(r["unit"]),
            qualifier=str(r["qualifier"]), direction=str(r["direction"]),
            comparison_period=str(r["comparison_period"]), compared_to=str(r["compared_to"]),
            horizon_start=str(r["horizon_start"]), horizon_end=str(r["horizon_end"]),
            uncertain=str(r["uncertain"]).lower() in ("true", "1"), label=str(r["label"]),
            text=str(r["text"]), start=int(r["start"]), end=int(r["end"]),
            line=int(r["line"]), sentence=str(r["sentence"]), rule_id=str(r["rule_id"])))
    return out


class CheckContext:
    """The rule set and the declared checks, with compiled cue parameters."""

    def __init__(self, rs: RuleSet | None = None) -> None:
        self.rs = rs or load_rules()
        self.checks: dict[str, Entry] = {e.id: e for e in self.rs.entries("checks")}
        self._compiled: dict[tuple[str, str], regex.Pattern] = {}

    def severity(self, check_id: str) -> str:
        return self.checks[check_id].get("severity")

    def param(self, check_id: str, key: str, default: object = None) -> object:
        return (self.checks[check_id].get("parameters") or {}).get(key, default)

    def pattern(self, check_id: str, key: str) -> regex.Pattern:
        k = (check_id, key)
        if k not in self._compiled:
            src = self.param(check_id, key)
            self._compiled[k] = self.rs.compile(str(src), self.checks[check_id].file, check_id,
                                                f"parameters.{key}")
        return self._compiled[k]

    def cue(self, section: str, text: str) -> bool:
        return any(e.regex.search(text) for e in self.rs.entries(section))

    def metric(self, metric_id: str):
        return self.rs.metrics.get(metric_id)


@lru_cache(maxsize=4)
def context(rules_dir: str | None = None) -> CheckContext:
    return CheckContext(load_rules(rules_dir))


# ---------------------------------------------------------------------------------------------
def scale_of(values: Iterable[Decimal | None], unit: str) -> tuple[Decimal, str]:
    """A display scale for a set of amounts: (divisor, unit label)."""
    vals = [abs(v) for v in values if v is not None]
    top = max(vals, default=Decimal(0))
    base = unit.split("/")[0]
    if "/" in unit or unit in ("percent", "share", "date"):
        return Decimal(1), unit
    if top >= Decimal(10) ** 9:
        return Decimal(10) ** 9, f"{base} billion"
    if top >= Decimal(10) ** 6:
        return Decimal(10) ** 6, f"{base} million"
    if top >= Decimal(10) ** 3:
        return Decimal(10) ** 3, f"{base} thousand"
    return Decimal(1), base


def num(value: Decimal | None, divisor: Decimal = Decimal(1), places: int = 2) -> str:
    """A number for a finding: scaled, at most ``places`` decimals, no trailing zeros."""
    if value is None:
        return "?"
    q = (value / divisor).quantize(Decimal(1).scaleb(-places))
    return plain(q)


def span(iv: Interval, divisor: Decimal = Decimal(1), places: int = 2) -> str:
    return f"{num(iv.low, divisor, places)}..{num(iv.high, divisor, places)}"


def finding(check_id: str, severity: str, message: str, facts: Iterable[Rec],
            expected: str = "", observed: str = "", arithmetic: str = "",
            doc_id: str | None = None) -> dict[str, str]:
    facts = list(facts)
    docs = sorted({f.doc for f in facts})
    return {
        "doc_id": doc_id if doc_id is not None else (docs[0] if len(docs) == 1 else "*"),
        "finding_id": "",
        "check_id": check_id,
        "severity": severity,
        "message": message,
        "fact_ids": ";".join(dict.fromkeys(f.id for f in facts)),
        "expected": expected,
        "observed": observed,
        "arithmetic": arithmetic,
    }


def period_months(period: str) -> int | None:
    sp = split(period)
    return SPAN_MONTHS.get(sp[0]) if sp else None


def months_between(a: dt.date, b: dt.date) -> Decimal:
    return Decimal((b - a).days) / Decimal("30.4375")


def lower(severity: str) -> str:
    return {"error": "warning", "warning": "info"}.get(severity, severity)
