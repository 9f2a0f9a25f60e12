"""Stated changes: the amount and the direction against the two figures (XC-101, XC-102).

Polarity-aware: a metric with sign -1 (a loss) measures a negative result, so a larger loss is
an increase in the loss and a decrease in the net result.
"""

from __future__ import annotations

from decimal import Decimal

from ..quantities import Interval
from .base import CheckContext, Rec, finding, num, scale_of, span


def result_of(ctx: CheckContext, r: Rec) -> tuple[str | None, int]:
    m = ctx.metric(r.metric)
    return (m.result, m.sign) if m is not None else (None, 1)


def antecedents(ctx: CheckContext, change: Rec, facts: list[Rec]) -> tuple[Rec, Rec] | None:
    """The two figures a stated change refers to: same scope, the change's two periods."""
    base = change.base
    mdef = ctx.metric(base)
    family = mdef.result if mdef else None
    def fits(r: Rec) -> bool:
        if r.metric.endswith("_change") or r.kind != change.kind or r.line != change.line:
            return False
        if r.entity != change.entity or r.scope != change.scope or r.unit != change.unit:
            return False  # a change in USD says nothing of figures in CAD
        return r.metric == base or (family is not None and result_of(ctx, r)[0] == family)
    cur = [r for r in facts if fits(r) and r.period == change.period]
    old = [r for r in facts if fits(r) and r.period == change.comparison_period]
    if not cur or not old:
        return None
    return cur[-1], old[-1]


def actual_change(ctx: CheckContext, change: Rec, cur: Rec, old: Rec) -> Interval:
    """How much the stated metric moved, from the two figures, in the metric's own sense."""
    mdef = ctx.metric(change.base)
    sign = mdef.sign if mdef else 1
    c_res, c_sign = result_of(ctx, cur)
    o_res, o_sign = result_of(ctx, old)
    if c_res and c_res == o_res:
        delta_result = cur.iv.scale(Decimal(c_sign)) - old.iv.scale(Decimal(o_sign))
        return delta_result.scale(Decimal(sign))
    return cur.iv - old.iv


def check(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out: list[dict] = []
    for ch in facts:
        if not ch.metric.endswith("_change") or ch.kind not in ("money", "per_share") \
                or not ch.comparison_period or ch.low is None or ch.direction == "":
            continue
        pair = antecedents(ctx, ch, facts)
        if pair is None:
            continue
        cur, old = pair
        actual = actual_change(ctx, ch, cur, old)
        d, unit = scale_of([cur.value, old.value, ch.value], ch.unit)
        label = ch.label or ch.base.replace("_", " ")
        stated = ch.iv
        arith = (f"{num(cur.value, d)} - {num(old.value, d)} = {span(actual, d)} "
                 f"({ch.base.replace('_', ' ')}, {unit}) vs stated {ch.direction} of "
                 f"{num(ch.value, d)}")
        magnitude = Interval(min(abs(actual.low), abs(actual.high)) if actual.low * actual.high
                             > 0 else Decimal(0), max(abs(actual.low), abs(actual.high)),
                             actual.unit)
        if not magnitude.overlaps(stated):
            out.append(finding(
                "XC-101", ctx.severity("XC-101"),
                f"stated {ch.direction} of {num(ch.value, d)} in the {label} does not match "
                f"the figures {num(cur.value, d)} ({cur.period}) and {num(old.value, d)} "
                f"({old.period})", [cur, old, ch],
                expected=f"{span(magnitude, d)} {unit}", observed=f"{num(ch.value, d)} {unit}",
                arithmetic=arith + f" != {num(ch.value, d)}"))
        moved = "increase" if actual.low > 0 else "decrease" if actual.high < 0 else ""
        if moved and moved != ch.direction:
            out.append(finding(
                "XC-102", ctx.severity("XC-102"),
                f"'{ch.direction} in the {label}' but the {ch.base.replace('_', ' ')} went from "
                f"{num(old.value, d)} ({old.period}) to {num(cur.value, d)} ({cur.period}): "
                f"an {moved}", [cur, old, ch],
                expected=moved, observed=ch.direction, arithmetic=arith))
    return out
