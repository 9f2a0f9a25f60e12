"""Across the documents of one company: a comparative restated later must equal what the earlier
call said (XC-901), year-to-date amounts must not shrink (XC-902), the same deal keeps its size
(XC-501 across calls)."""

from __future__ import annotations

from ..periods import split
from .base import SPAN_MONTHS, CheckContext, Rec, finding, num, scale_of, span
from .restatements import comparable, conflicts, deal_key, magnitude


def counterparties(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    """One deal (same metric and deal key) named with different counterparties across calls."""
    out = []
    deals: dict[tuple[str, str], list[Rec]] = {}
    for r in facts:
        m = ctx.metric(r.metric)
        if m is None or m.type != "contractual" or not r.entity or not comparable(ctx, r):
            continue
        k = deal_key(ctx, r)
        if k:
            deals.setdefault((r.metric, k), []).append(r)
    for (metric, k), rs in sorted(deals.items()):
        names = sorted({r.entity for r in rs})
        if len(names) < 2 or len({r.doc for r in rs}) < 2:
            continue
        cited = [next(r for r in rs if r.entity == n) for n in names]
        out.append(finding(
            "XC-903", ctx.severity("XC-903"),
            f"the deal on {k} targets/programs ({metric}) is attributed to "
            + " and ".join(names), cited, expected="one counterparty",
            observed=", ".join(names),
            arithmetic=f"same deal key '{k}', counterparties " + " vs ".join(names)))
    return out


def cumulative(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    groups: dict[tuple, list[Rec]] = {}
    for r in facts:
        m = ctx.metric(r.metric)
        if m is None or not m.cumulative or r.kind != "money" or r.low is None:
            continue
        sp = split(r.period)
        if not sp or sp[0] not in ("Q1", "H1", "9M", "FY"):
            continue
        groups.setdefault((r.metric, r.entity, r.scope, sp[1], r.unit), []).append(r)
    for (metric, entity, scope, _year, _unit), rs in sorted(groups.items()):
        months = [SPAN_MONTHS[split(r.period)[0]] for r in rs]
        for i, a in enumerate(rs):
            for j, b in enumerate(rs):
                if months[i] >= months[j] or b.high > a.low:
                    continue
                d, unit = scale_of([a.value], a.unit)
                touch = b.high == a.low
                out.append(finding(
                    "XC-902", ctx.severity("XC-902"),
                    f"{metric} of {entity}{'/' + scope if scope else ''}: {num(a.value, d)} for "
                    f"{a.period} then {num(b.value, d)} for {b.period}: a year-to-date amount "
                    f"fell", [a, b], expected=f">= {num(a.value, d)} {unit}",
                    observed=f"{num(b.value, d)} {unit}",
                    arithmetic=f"{b.period} {num(b.value, d)} < {a.period} {num(a.value, d)} "
                               f"({span(b.iv, d)} vs {span(a.iv, d)}"
                               + (": they touch only at the boundary)" if touch else ")")))
    return out


def check(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    """All cross-document checks over the facts of one company's documents."""
    out = conflicts(ctx, facts, cross=True)
    out += magnitude(ctx, facts, cross=True)
    out += counterparties(ctx, facts)
    out += [f for f in cumulative(ctx, facts)
            if len({x.split(":")[0] for x in f["fact_ids"].split(";")}) > 1]
    for f in out:
        f["doc_id"] = "*"
    return out
