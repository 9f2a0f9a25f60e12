"""Labels: a per-share figure on a metric that has none, or a bottom-line figure labelled as
sales (XC-701); a stated change with an unknown label (XC-702); a scope phrase that names no
entity (XC-703)."""

from __future__ import annotations

from .base import CheckContext, Rec, finding


def per_share(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    by_sentence: dict[tuple[int, str], list[Rec]] = {}
    for r in facts:
        m = ctx.metric(r.metric)
        if r.kind not in ("money", "per_share") or r.metric.endswith("_change"):
            continue
        relabelled = bool(r.label) and r.label.split()[-1:] != [] and \
            not any(metric.cue is not None and metric.cue.fullmatch(r.label)
                    for metric in ctx.rs.metrics.values() if metric.id == r.metric)
        bad_ps = r.kind == "per_share" and m is not None and not m.per_share
        if relabelled or bad_ps:
            by_sentence.setdefault((r.line, r.sentence), []).append(r)
    for (_line, _s), rs in by_sentence.items():
        label = rs[0].label or rs[0].metric
        out.append(finding(
            "XC-701", ctx.severity("XC-701"),
            f"'{label}' labels a figure paired with a per-share amount; read as {rs[0].metric}",
            rs, expected=rs[0].metric, observed=label,
            arithmetic="a per-share figure belongs to a bottom-line metric (net income/loss, "
                       "EPS), never to sales"))
    return out


def unknown_change_label(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    out = []
    for r in facts:
        if not r.metric.endswith("_change") or not r.label:
            continue
        known = any(m.cue is not None and m.cue.search(r.label) for m in ctx.rs.metrics.values())
        if known:
            continue
        out.append(finding(
            "XC-702", ctx.severity("XC-702"),
            f"'{r.direction} in the {r.label}': the label names no known metric; read as "
            f"{r.metric} from the figures it refers to", [r], expected=r.metric,
            observed=r.label, arithmetic="label only"))
    return out


def scope_label(ctx: CheckContext, facts: list[Rec], known: set[str]) -> list[dict]:
    out = []
    pat = ctx.pattern("XC-703", "scope_word")
    if not any(r.scope.startswith("excl_") for r in facts):
        return out
    seen = set()
    for r in facts:
        if (r.line, r.sentence) in seen or r.kind != "money":
            continue
        m = pat.search(r.sentence)
        if not m or m.group("word").lower() in known:
            continue
        seen.add((r.line, r.sentence))
        cited = [x for x in facts if x.sentence == r.sentence and x.line == r.line
                 and x.kind == "money"][:1]
        out.append(finding(
            "XC-703", ctx.severity("XC-703"),
            f"'{m.group()}' names no entity of the document; the figures read as "
            f"{cited[0].scope or 'the group'}", cited, expected=cited[0].scope or "a known entity",
            observed=m.group(), arithmetic="label only"))
    return out


def income_or_loss(ctx: CheckContext, facts: list[Rec]) -> list[dict]:
    """A figure labelled income where its parts say loss (gross profit - opex < 0)."""
    from decimal import Decimal

    from .base import num, scale_of

    out = []
    for result, plus, minus in ctx.param("XC-704", "relations", []) or []:
        for r in facts:
            if r.metric != result or r.low is None or not r.period:
                continue
            p = [x for x in facts if x.metric == plus and x.period == r.period
                 and x.scope == r.scope and x.unit == r.unit and x.low is not None
                 and x.start < r.start]
            m = [x for x in facts if x.metric == minus and x.period == r.period
                 and x.scope == r.scope and x.unit == r.unit and x.low is not None
                 and x.start < r.start]
            if not p or not m:
                continue
            diff = p[-1].iv - m[-1].iv
            sign = ctx.metric(result).sign
            stated = r.iv.scale(Decimal(sign))
            if diff.overlaps(stated) or not diff.overlaps(stated.scale(Decimal(-1))):
                continue
            d, unit = scale_of([r.value], r.unit)
            word = "income" if sign > 0 else "loss"
            other = "loss" if sign > 0 else "income"
            out.append(finding(
                "XC-704", ctx.severity("XC-704"),
                f"{r.text!r} is labelled {result.replace('_', ' ')} but {plus.replace('_', ' ')} "
                f"- {minus.replace('_', ' ')} = {num(p[-1].value - m[-1].value, d)}: an {other}, "
                f"not an {word}", [p[-1], m[-1], r], expected=other, observed=word,
                arithmetic=f"{num(p[-1].value, d)} - {num(m[-1].value, d)} = "
                           f"{num(p[-1].value - m[-1].value, d)} vs stated {word} of "
                           f"{num(r.value, d)} ({unit})"))
    return out
