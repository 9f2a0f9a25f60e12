"""Runway: horizons of the same cash that do not overlap (XC-601), and the horizon against
cash / monthly burn (XC-602)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..periods import split
from .base import CheckContext, Rec, finding, months_between, num, period_months, scale_of

FAR = dt.date(9999, 12, 31)


def _horizon(r: Rec) -> tuple[dt.date, dt.date]:
    return r.date("horizon_start"), r.date("horizon_end") or FAR


def conflicts(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    groups: dict[tuple[str, str, str], list[Rec]] = {}
    for r in facts:
        if r.kind == "runway" and r.horizon_start:
            groups.setdefault((r.entity, r.scope, r.as_of), []).append(r)
    for (entity, scope, as_of), rs in sorted(groups.items()):
        clash = []
        for i, a in enumerate(rs):
            for b in rs[i + 1:]:
                (a0, a1), (b0, b1) = _horizon(a), _horizon(b)
                if a0 > b1 or b0 > a1:
                    clash += [x for x in (a, b) if x not in clash]
        if not clash:
            continue
        spans = "; ".join(f"{r.text!r} = {r.horizon_start}..{r.horizon_end or 'open'}"
                          for r in clash)
        out.append(finding(
            "XC-601", ctx.severity("XC-601"),
            f"runways of the {entity}{'/' + scope if scope else ''} cash as of {as_of} do not "
            f"overlap: " + ", ".join(repr(r.text) for r in clash), clash,
            expected="overlapping horizons", observed=spans,
            arithmetic=f"{spans} (no overlap)"))
    return out


def plausibility(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    factor = Decimal(str(ctx.param("XC-602", "max_burn_ratio", 2)))
    floor = Decimal(str(ctx.param("XC-602", "min_burn_ratio", "0.5")))
    for r in facts:
        if r.kind != "runway" or not r.horizon_start or not r.as_of:
            continue
        as_of = r.date("as_of")
        cash = [c for c in facts if c.metric == "cash_position" and c.as_of == r.as_of
                and c.entity == r.entity and c.scope == r.scope and c.low is not None]
        burn = []
        for u in facts:
            if u.metric != "net_cash_used" or u.entity != r.entity or u.scope != r.scope \
                    or u.low is None or u.low <= 0:
                continue
            months = period_months(u.period)
            sp = split(u.period)
            if months and sp and _period_ends(sp, as_of):
                burn.append((u, months))
        if not cash or not burn:
            continue
        c, (u, months) = cash[0], burn[0]
        start, end = r.date("horizon_start"), r.date("horizon_end")
        m_lo = months_between(as_of, start)
        m_hi = months_between(as_of, end) if end else None
        if m_lo <= 0:
            m_lo = Decimal("0.5")
        rate = u.iv.scale(Decimal(1) / months)  # stated burn per month
        needed_hi = c.high / m_lo  # burn needed to end at the horizon's start
        needed_lo = c.low / m_hi if m_hi else Decimal(0)
        ratio_lo, ratio_hi = needed_lo / rate.high, needed_hi / rate.low
        if ratio_lo <= factor and ratio_hi >= floor:
            continue
        d, unit = scale_of([c.value], c.unit)
        runway_months = c.value / (u.value / months)
        out.append(finding(
            "XC-602", ctx.severity("XC-602"),
            f"runway {r.text!r} ({r.horizon_start}..{r.horizon_end or 'open'}) is implausible: "
            f"{num(c.value, d)} of cash at {num(u.value / months, d)} a month lasts about "
            f"{num(runway_months, 1, 1)} months from {r.as_of}", [r, c, u],
            expected=f"about {num(runway_months, 1, 1)} months",
            observed=f"{num(m_lo, 1, 1)}..{num(m_hi, 1, 1) if m_hi else 'open'} months",
            arithmetic=f"burn = {num(u.value, d)} / {months} = {num(u.value / months, d)} "
                       f"{unit}/month; {num(c.value, d)} / {num(u.value / months, d)} = "
                       f"{num(runway_months, 1, 1)} months; the horizon needs "
                       f"{num(needed_lo, d)}..{num(needed_hi, d)} a month "
                       f"({num(ratio_lo, 1, 2)}x.."
                       f"{num(ratio_hi, 1, 2)}x the stated burn; plausible between "
                       f"{num(floor, 1, 2)}x and {num(factor, 1, 2)}x)"))
    return out


def _period_ends(sp: tuple[str, int], as_of: dt.date) -> bool:
    """A calendar-year period ending on the as-of date (9M-2021 ends 2021-09-30)."""
    span, year = sp
    end_month = {"Q1": 3, "Q2": 6, "Q3": 9, "Q4": 12, "H1": 6, "H2": 12, "9M": 9, "FY": 12}
    return year == as_of.year and end_month.get(span) == as_of.month
