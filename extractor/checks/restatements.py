"""Restatements: the same metric, entity, scope and period (or the same deal) stated twice
with values that cannot meet (XC-401), a deal amount as both floor and ceiling (XC-402), and
figures about a thousand times apart (XC-501). Used within a document and, by crossdoc.py,
across the documents of one company."""

from __future__ import annotations

from decimal import Decimal

from ..quantities import Interval
from .base import CheckContext, Rec, finding, lower, num, scale_of

LOWER_BOUNDS = ("over", "at_least")
INF = Decimal(10) ** 30


def comparable(ctx: CheckContext, r: Rec) -> bool:
    """A figure that states one value of one thing: not a range end, not a rate with no
    period, not a stated change."""
    m = ctx.metric(r.metric)
    if m is None or r.kind not in ("money", "per_share") or r.low is None:
        return False
    if r.metric.endswith("_change") or r.qualifier == "between":
        return False
    if (m.type == "flow" and not r.period) or (m.type == "balance" and not r.as_of):
        return False
    return m.type in ("flow", "balance", "contractual")


def key(ctx: CheckContext, r: Rec) -> tuple:
    m = ctx.metric(r.metric)
    if m is not None and m.type == "contractual":
        return (r.metric, r.entity, r.kind, r.unit)
    return (r.metric, r.entity, r.scope, r.period, r.as_of, r.kind, r.unit)


def claim(r: Rec) -> Interval:
    """What a statement claims: a floor ("over X") is open above."""
    if r.qualifier in LOWER_BOUNDS:
        return Interval(r.low, INF, r.unit)
    if r.qualifier == "approximately":
        return r.iv.widen(abs(r.value) * Decimal("0.1"))
    return r.iv


def groups(ctx: CheckContext, facts: list[Rec]) -> dict[tuple, list[Rec]]:
    out: dict[tuple, list[Rec]] = {}
    for r in facts:
        if comparable(ctx, r):
            k = key(ctx, r)
            if k[1] or ctx.metric(r.metric).type != "contractual":
                out.setdefault(k, []).append(r)
    return out


def _ratios(ctx: CheckContext) -> tuple[Decimal, Decimal]:
    """The ratios of XC-501 (rules/checks.yaml) between which two figures are a thousand times
    apart."""
    return (Decimal(str(ctx.param("XC-501", "ratio_low", 300))),
            Decimal(str(ctx.param("XC-501", "ratio_high", 3000))))


def _magnitude(ratios: tuple[Decimal, Decimal], a: Rec, b: Rec) -> bool:
    lo, hi = ratios
    big, small = (a, b) if abs(a.value) >= abs(b.value) else (b, a)
    return small.value != 0 and lo <= abs(big.value / small.value) <= hi


def conflicts(ctx: CheckContext, facts: list[Rec], cross: bool = False) -> list[dict]:
    out = []
    check_id = "XC-901" if cross else "XC-401"
    ratios = _ratios(ctx)
    for k, rs in groups(ctx, facts).items():
        if len(rs) < 2:
            continue
        clash = set()
        claims = [claim(r) for r in rs]
        for i, a in enumerate(rs):
            for j in range(i + 1, len(rs)):
                b = rs[j]
                if cross and a.doc == b.doc:
                    continue
                if claims[i].overlaps(claims[j]) or _magnitude(ratios, a, b):
                    continue
                clash |= {a.id, b.id}
        if not clash:
            continue
        cited = [r for r in rs if r.id in clash]
        d, unit = scale_of([r.value for r in cited], cited[0].unit)
        values = " vs ".join(f"{'over ' if r.qualifier in LOWER_BOUNDS else ''}"
                             f"{'up to ' if r.qualifier == 'up_to' else ''}{num(r.value, d)}"
                             for r in cited)
        sev = ctx.severity(check_id)
        if any(r.uncertain for r in cited):
            sev = str(ctx.param(check_id, "uncertain_severity", lower(sev)))
        when = k[3] if len(k) > 4 and k[3] else (f"as of {k[4]}" if len(k) > 4 and k[4] else "")
        who = f"{k[1]}{'/' + k[2] if len(k) > 4 and k[2] else ''}"
        where = f" in {len({r.doc for r in cited})} calls" if cross else ""
        out.append(finding(
            check_id, sev,
            f"{k[0]} of {who} {when} stated as {values} ({unit}){where}".replace("  ", " "),
            cited, expected=f"{num(cited[0].value, d)} {unit}",
            observed=" / ".join(num(r.value, d) for r in cited[1:]) + f" {unit}",
            arithmetic=f"{values}: the intervals do not meet"
                       + (" (a figure is marked uncertain)" if any(r.uncertain for r in cited)
                          else "")))
    return out


def qualifier_mismatch(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    for _k, rs in groups(ctx, facts).items():
        floors = [r for r in rs if r.qualifier in LOWER_BOUNDS]
        ceilings = [r for r in rs if r.qualifier == "up_to"]
        for a in floors:
            for b in ceilings:
                if a.iv.overlaps(b.iv):
                    d, unit = scale_of([a.value], a.unit)
                    out.append(finding(
                        "XC-402", ctx.severity("XC-402"),
                        f"{a.metric} of {a.entity}: 'over {num(a.value, d)}' (a floor) and "
                        f"'up to {num(b.value, d)}' (a ceiling) for the same amount ({unit})",
                        [a, b], expected="one qualifier", observed=f"{a.qualifier} / up_to",
                        arithmetic=f"over {num(a.value, d)} vs up to {num(b.value, d)}: same "
                                   f"amount, opposite bounds"))
    return out


def deal_key(ctx: CheckContext, r: Rec) -> str:
    """The deal a figure belongs to ("15 targets"): the key nearest the figure in its sentence,
    one after it first."""
    pos = r.sentence.find(r.text)
    keys = [(m.start(), m.group("key")) for m in
            ctx.pattern("XC-501", "deal_key").finditer(r.sentence)]
    if not keys:
        return ""
    after = [k for k in keys if k[0] >= pos + len(r.text)]
    if after:
        return after[0][1]
    return max(keys)[1]


def _same_deal_or_key(ctx: CheckContext, cands: list[Rec]) -> list[tuple[int, int]]:
    """The pairs (i < j, in order) of ``cands`` that state the same thing in the same unit:
    the same key (:func:`key`), or one contractual metric with the same counterparty or deal
    key. Found through buckets, one per key, counterparty and deal key, so the work grows with
    the pairs that can match, not with the square of a company's figures (a decade of calls)."""
    buckets: dict[tuple, list[int]] = {}
    for i, r in enumerate(cands):
        buckets.setdefault(("key", *key(ctx, r)), []).append(i)
        if ctx.metric(r.metric).type == "contractual":
            if r.entity:
                buckets.setdefault(("entity", r.metric, r.entity, r.unit), []).append(i)
            dk = deal_key(ctx, r)
            if dk:
                buckets.setdefault(("deal", r.metric, dk, r.unit), []).append(i)
    pairs: set[tuple[int, int]] = set()
    for idx in buckets.values():
        for n, i in enumerate(idx):
            pairs.update((i, j) for j in idx[n + 1:])
    return sorted(pairs)


def magnitude(ctx: CheckContext, facts: list[Rec], cross: bool = False) -> list[dict]:
    """One finding per figure that is about a thousand times off the others of its deal."""
    cands = [r for r in facts if comparable(ctx, r) and r.value]
    pairs: dict[str, list[Rec]] = {}
    seen = set()
    ratios = _ratios(ctx)
    for i, j in _same_deal_or_key(ctx, cands):
        a, b = cands[i], cands[j]
        if cross and a.doc == b.doc:
            continue
        if not _magnitude(ratios, a, b):
            continue
        pair = tuple(sorted((a.id, b.id)))
        if pair in seen:
            continue
        seen.add(pair)
        big, small = (a, b) if abs(a.value) >= abs(b.value) else (b, a)
        pairs.setdefault(small.id, [small]).append(big)
    out = []
    for small, *bigs in pairs.values():
        big = bigs[0]
        ratio = big.value / small.value
        others = " and ".join(dict.fromkeys(repr(b.text) for b in bigs))
        out.append(finding(
            "XC-501", ctx.severity("XC-501"),
            f"{small.metric} stated as {small.text!r} and as {others}: {num(ratio, 1, 0)}x apart "
            f"(million vs billion?)", [small, *bigs],
            expected=big.text, observed=small.text,
            arithmetic=f"{num(big.value, 1, 0)} / {num(small.value, 1, 0)} = {num(ratio, 1, 0)}x"))
    return out
