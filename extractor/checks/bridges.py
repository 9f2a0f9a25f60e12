"""Bridges: opening + flows = closing (XC-201), parts = total (XC-202), drivers of a stated
change add up to it (XC-203), the subsidiary's implied cash against its burn (XC-204)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from ..documents import Metadata
from ..periods import period_between
from ..quantities import Interval
from .base import CheckContext, Rec, finding, lower, num, scale_of, span
from .changes import actual_change, antecedents


def _sum(items: list[tuple[int, Interval]], unit: str) -> Interval:
    total = Interval(Decimal(0), Decimal(0), unit)
    for sign, iv in items:
        total = total + iv if sign > 0 else total - iv
    return total


def cash_bridge(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    cue = ctx.pattern("XC-201", "bridge_cue")
    by_line: dict[int, list[Rec]] = {}
    for r in facts:
        by_line.setdefault(r.line, []).append(r)
    for _line, rs in sorted(by_line.items()):
        sentences = list(dict.fromkeys(r.sentence for r in rs))
        for s in sentences:
            if not cue.search(s):
                continue
            flows = [r for r in rs if r.sentence == s and r.low is not None and r.kind == "money"
                     and (m := ctx.metric(r.metric)) is not None and m.bridge]
            earlier = [r for r in rs if r.sentence in sentences[:sentences.index(s)]
                       and r.metric == "cash_position" and r.as_of and r.low is not None]
            if not flows or len({r.as_of for r in earlier}) < 2:
                continue
            groups: dict[tuple[str, str], list[Rec]] = {}
            for r in earlier:
                groups.setdefault((r.entity, r.scope), []).append(r)
            for bal in groups.values():
                dates = sorted({r.as_of for r in bal})
                if len(dates) < 2:
                    continue
                opening = next(r for r in bal if r.as_of == dates[-2])
                closing = next(r for r in bal if r.as_of == dates[-1])
                unit = opening.unit
                if any(f.unit != unit for f in flows) or closing.unit != unit:
                    continue
                signed = [(ctx.metric(f.metric).bridge, f.iv) for f in flows]
                total = opening.iv + _sum(signed, unit)
                if total.overlaps(closing.iv):
                    continue
                d, u = scale_of([opening.value, closing.value], unit)
                terms = " ".join(f"{'+' if ctx.metric(f.metric).bridge > 0 else '-'} "
                                 f"{num(f.value, d)}" for f in flows)
                point = opening.value + sum(ctx.metric(f.metric).bridge * f.value for f in flows)
                sev = ctx.severity("XC-201")
                nonex = ctx.cue("non_exhaustive", s)
                if nonex:
                    sev = str(ctx.param("XC-201", "non_exhaustive_severity", lower(sev)))
                out.append(finding(
                    "XC-201", sev,
                    f"cash bridge {opening.as_of} -> {closing.as_of} does not close: the stated "
                    f"flows lead to {num(point, d)}, the closing balance is {num(closing.value, d)}"
                    + (" (the bridge is worded as non-exhaustive)" if nonex else ""),
                    [opening, *flows, closing], expected=f"{span(total, d)} {u}",
                    observed=f"{num(closing.value, d)} {u}",
                    arithmetic=f"{num(opening.value, d)} {terms} = {num(point, d)} != "
                               f"{num(closing.value, d)} (gap {num(closing.value - point, d)}; "
                               f"with rounding {span(total, d)} vs {span(closing.iv, d)}, {u})"))
    return out


def parts_total(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    """Parts listed with their total ("of which") and segment figures against the company's
    revenue of the same period."""
    out = segments(ctx, facts)
    cue = ctx.pattern("XC-202", "parts_cue")
    by_sentence: dict[tuple[int, str], list[Rec]] = {}
    for r in facts:
        by_sentence.setdefault((r.line, r.sentence), []).append(r)
    for (_line, s), rs in by_sentence.items():
        money = [r for r in rs if r.kind == "money" and r.low is not None
                 and not r.metric.endswith("_change") and r.qualifier in ("none", "")]
        if len(money) < 3:
            continue
        total, rest = money[0], money[1:]
        if not cue.search(s):
            continue
        parts = [r for r in rest if r.metric == total.metric and r.period == total.period
                 and r.unit == total.unit and not r.compared_to]
        if len(parts) < 2 or any(p.start < total.end for p in parts):
            continue
        iv = _sum([(1, p.iv) for p in parts], total.unit)
        if iv.overlaps(total.iv):
            continue
        d, u = scale_of([total.value], total.unit)
        point = sum(p.value for p in parts)
        out.append(finding(
            "XC-202", ctx.severity("XC-202"),
            f"the parts of {num(total.value, d)} ({total.metric}, {total.period}) add up to "
            f"{num(point, d)}", [total, *parts], expected=f"{num(total.value, d)} {u}",
            observed=f"{num(point, d)} {u}",
            arithmetic=" + ".join(num(p.value, d) for p in parts) + f" = {num(point, d)} != "
                       f"{num(total.value, d)} (with rounding {span(iv, d)} vs "
                       f"{span(total.iv, d)}, {u})"))
    return out


def drivers(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    changes = [r for r in facts if r.metric.endswith("_change") and r.kind == "money"
               and r.low is not None and r.direction]
    for i, main in enumerate(changes):
        drv = [r for r in changes[i + 1:] if r.sentence == main.sentence and r.line == main.line]
        if not drv or (i > 0 and changes[i - 1].sentence == main.sentence
                       and changes[i - 1].line == main.line):
            continue
        effects = []
        for r in drv:
            m = ctx.metric(r.base)
            if m is None or not m.effect or r.unit != main.unit:
                effects = []
                break
            effects.append((m.effect * (1 if r.direction == "increase" else -1), r))
        if not effects:
            continue
        mdef = ctx.metric(main.base)
        if mdef is None or mdef.result is None:
            continue
        # the change in result terms, with the direction the figures show when they are stated
        direction = 1 if main.direction == "increase" else -1
        pair = antecedents(ctx, main, facts)
        if pair is not None:
            actual = actual_change(ctx, main, *pair)
            if actual.low > 0 or actual.high < 0:
                direction = 1 if actual.low > 0 else -1
        expected = main.iv.scale(Decimal(direction * mdef.sign))
        total = _sum([(e, r.iv) for e, r in effects], main.unit)
        if total.overlaps(expected):
            continue
        d, u = scale_of([main.value], main.unit)
        point = sum(e * r.value for e, r in effects)
        sev = ctx.severity("XC-203")
        if ctx.cue("non_exhaustive", main.sentence):
            sev = str(ctx.param("XC-203", "non_exhaustive_severity", lower(sev)))
        terms = " ".join(f"{'+' if e > 0 else '-'} {num(r.value, d)} ({r.base})"
                         for e, r in effects).lstrip("+ ")
        out.append(finding(
            "XC-203", sev,
            f"the drivers of the {num(main.value, d)} {main.direction} in the "
            f"{(main.label or main.base).replace('_', ' ')} add up to {num(abs(point), d)}",
            [main, *[r for _e, r in effects]],
            expected=f"{span(expected, d)} {u}", observed=f"{num(point, d)} {u}",
            arithmetic=f"{terms} = {num(point, d)} vs {num(expected.mid, d)} "
                       f"(with rounding {span(total, d)} vs {span(expected, d)}, {u})"))
    return out


def subsidiary_cash(ctx: CheckContext, facts: list[Rec], meta: Metadata | None) -> list[dict]:
    out = []
    meta = meta or Metadata()
    cash = [r for r in facts if r.metric == "cash_position" and r.as_of and r.low is not None]
    subs = sorted({r.scope.removeprefix("excl_") for r in cash if r.scope.startswith("excl_")})
    for sub in subs:
        cons = {r.as_of: r for r in cash if r.scope == "consolidated"}
        excl = {r.as_of: r for r in cash if r.scope == f"excl_{sub}"}
        dates = sorted(set(cons) & set(excl))
        for d0, d1 in itertools.pairwise(dates):
            period = period_between(dt.date.fromisoformat(d0), dt.date.fromisoformat(d1), meta)
            used = [r for r in facts if r.metric == "net_cash_used" and r.entity == sub
                    and r.period == period and r.low is not None]
            if not period or not used:
                continue
            u0 = used[-1]
            if any(r.unit != u0.unit for r in (cons[d0], excl[d0], cons[d1], excl[d1])):
                continue
            implied0 = cons[d0].iv - excl[d0].iv
            implied1 = cons[d1].iv - excl[d1].iv
            change = implied1 - implied0
            expected = -u0.iv
            if change.overlaps(expected):
                continue
            dv, unit = scale_of([cons[d1].value], u0.unit)
            p0 = cons[d0].value - excl[d0].value
            p1 = cons[d1].value - excl[d1].value
            gap = (p1 - p0) + u0.value
            sev = ctx.severity("XC-204")
            if abs(gap) <= u0.value:
                sev = str(ctx.param("XC-204", "small_gap_severity", lower(sev)))
            out.append(finding(
                "XC-204", sev,
                f"implied {sub} cash (consolidated - stand-alone) went from {num(p0, dv)} to "
                f"{num(p1, dv)} while {sub} used {num(u0.value, dv)} in {period}: "
                f"{num(gap, dv)} unexplained", [cons[d1], excl[d1], cons[d0], excl[d0], u0],
                expected=f"{span(expected, dv)} {unit}", observed=f"{span(change, dv)} {unit}",
                arithmetic=f"({num(cons[d1].value, dv)} - {num(excl[d1].value, dv)}) - "
                           f"({num(cons[d0].value, dv)} - {num(excl[d0].value, dv)}) = "
                           f"{num(p1 - p0, dv)} != -{num(u0.value, dv)} (gap {num(gap, dv)}, "
                           f"{unit})"))
    return out


def segments(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    segs: dict[tuple[str, str], list[Rec]] = {}
    for r in facts:
        if r.metric == "segment_revenue" and r.period and r.low is not None and not r.compared_to:
            segs.setdefault((r.period, r.unit), []).append(r)
    for (period, unit), parts in sorted(segs.items()):
        names = {p.entity for p in parts}
        if len(parts) < 2 or len(names) < len(parts):
            continue
        totals = [r for r in facts if r.metric == "revenue" and r.period == period
                  and r.unit == unit and r.low is not None and not r.compared_to
                  and r.qualifier in ("none", "") and r.entity not in names]
        if not totals:
            continue
        total = totals[0]
        iv = _sum([(1, p.iv) for p in parts], unit)
        if iv.overlaps(total.iv):
            continue
        d, u = scale_of([total.value], unit)
        point = sum(p.value for p in parts)
        out.append(finding(
            "XC-202", ctx.severity("XC-202"),
            f"the segments of {period} add up to {num(point, d)}, total revenue is "
            f"{num(total.value, d)}", [*parts, total], expected=f"{num(total.value, d)} {u}",
            observed=f"{num(point, d)} {u}",
            arithmetic=" + ".join(num(p.value, d) for p in parts) + f" = {num(point, d)} != "
                       f"{num(total.value, d)} (gap {num(point - total.value, d)}; with rounding "
                       f"{span(iv, d)} vs {span(total.iv, d)}, {u})"))
    return out
