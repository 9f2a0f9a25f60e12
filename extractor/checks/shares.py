"""Implied share counts (XC-301): "$X million or $Y per share" implies X / Y shares; pairs of the
same period and scope must be able to share one count within rounding."""

from __future__ import annotations

from decimal import Decimal

from ..quantities import Interval
from .base import CheckContext, Rec, finding, num, span

M = Decimal(10) ** 6


def pairs(ctx: CheckContext, facts: list[Rec]) -> list[tuple[Rec, Rec, Interval]]:
    """(amount, per-share figure, implied share count) for each adjacent pair of a sentence."""
    out = []
    for i, ps in enumerate(facts):
        if ps.kind != "per_share" or ps.low is None or ps.low <= 0 or i == 0:
            continue
        money = facts[i - 1]
        mdef = ctx.metric(ps.metric)
        divides = {ps.metric, *(mdef.per_share_of if mdef else ())}
        if money.kind != "money" or money.sentence != ps.sentence or money.line != ps.line \
                or money.metric not in divides or money.period != ps.period \
                or money.scope != ps.scope or money.low is None or money.low <= 0:
            continue
        if money.unit != ps.unit.split("/")[0]:
            continue
        out.append((money, ps, money.iv / ps.iv))
    return out


def check(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    groups: dict[tuple[str, str, str], list[tuple[Rec, Rec, Interval]]] = {}
    for money, ps, shares in pairs(ctx, facts):
        groups.setdefault((money.entity, money.scope, money.period), []).append(
            (money, ps, shares))
    for (_e, _s, period), items in sorted(groups.items()):
        for i, (m1, p1, s1) in enumerate(items):
            for m2, p2, s2 in items[i + 1:]:
                if s1.overlaps(s2):
                    continue
                c1, c2 = m1.value / p1.value, m2.value / p2.value
                out.append(finding(
                    "XC-301", ctx.severity("XC-301"),
                    f"{period}: {m1.metric} implies {num(c1, M)}M shares, {m2.metric} implies "
                    f"{num(c2, M)}M shares", [m1, p1, m2, p2],
                    expected=f"{span(s1, M)}M shares", observed=f"{span(s2, M)}M shares",
                    arithmetic=f"{num(m1.value, M)} / {num(p1.value)} = {num(c1, M)}M; "
                               f"{num(m2.value, M)} / {num(p2.value)} = {num(c2, M)}M "
                               f"(with rounding {span(s1, M)} vs {span(s2, M)}, no overlap)"))
    return out
