"""Percentages: growth against the two amounts (XC-801), a rate against its counts (XC-802), a
difference of rates in points (XC-803)."""

from __future__ import annotations

from decimal import Decimal

from ..quantities import Interval
from .base import CheckContext, Rec, finding, num, span

HUNDRED = Decimal(100)


def growth(ctx: CheckContext, facts: list[Rec], text: str) -> list[dict]:
    out = []
    ids = {r.id: r for r in facts}
    for p in facts:
        if p.kind != "percent" or p.low is None or p.value is None:
            continue
        same = [r for r in facts if r.sentence == p.sentence and r.line == p.line
                and r.kind == "money" and r.low is not None]
        # the compared pair around the rate: "£61.7 million, up 19% from £52.9 million"
        old = next((r for r in same if r.compared_to in ids and r.start > p.start), None)
        if old is None:
            continue
        cur = ids[old.compared_to]
        if cur.low is None or old.low <= 0 or old.unit != cur.unit or cur.start > p.start + 400:
            continue
        left = text[max(0, p.start - 40):p.start].lower()
        sign = Decimal(1)
        for entry in ctx.rs.entries("directions"):
            for m in entry.regex.finditer(left):
                if not left[m.end():].strip(" by"):
                    sign = Decimal(1) if entry.get("value") == "increase" else Decimal(-1)
        rate = (cur.iv - old.iv) / old.iv
        rate = Interval(rate.low * HUNDRED, rate.high * HUNDRED, "percent")
        stated = p.iv.scale(sign if p.value > 0 else Decimal(1))
        if rate.overlaps(stated):
            continue
        point = (cur.value - old.value) / old.value * HUNDRED
        out.append(finding(
            "XC-801", ctx.severity("XC-801"),
            f"stated change of {p.text} but {cur.text} vs {old.text} is {num(point, 1, 1)}%",
            [p, cur, old], expected=f"{span(rate, 1, 2)}%", observed=p.text,
            arithmetic=f"({num(cur.value, 10**6)} - {num(old.value, 10**6)}) / "
                       f"{num(old.value, 10**6)} = {num(point, 1, 2)}% != {p.text}"))
    return out


def _counts(ctx: CheckContext, p: Rec, text: str) -> tuple[int, int] | None:
    m = ctx.pattern("XC-802", "counts").match(text[p.end:p.end + 30])
    if not m or int(m.group("den")) == 0:
        return None
    return int(m.group("num")), int(m.group("den"))


def ratio(ctx: CheckContext, facts: list[Rec], text: str) -> list[dict]:
    out = []
    for p in facts:
        if p.kind != "percent" or p.low is None:
            continue
        c = _counts(ctx, p, text)
        if c is None:
            continue
        exact = Decimal(c[0]) / Decimal(c[1]) * HUNDRED
        if p.iv.contains(exact):
            continue
        out.append(finding(
            "XC-802", ctx.severity("XC-802"),
            f"{p.text} ({c[0]}/{c[1]}) but {c[0]}/{c[1]} = {num(exact, 1, 2)}%", [p],
            expected=f"{num(exact, 1, 2)}%", observed=p.text,
            arithmetic=f"{c[0]} / {c[1]} = {num(exact, 1, 4)}% not in {span(p.iv, 1, 3)}"))
    return out


def difference(ctx: CheckContext, facts: list[Rec], text: str) -> list[dict]:
    out = []
    cue = ctx.pattern("XC-803", "difference_cue")
    for i, d in enumerate(facts):
        if d.kind != "percent" or d.low is None or not cue.match(text[d.end:d.end + 40]):
            continue
        prev = [r for r in facts[:i] if r.kind == "percent" and r.sentence == d.sentence
                and r.line == d.line and r.low is not None]
        if len(prev) < 2:
            continue
        a, b = prev[-2], prev[-1]
        diff = a.iv - b.iv
        point = a.value - b.value
        if not diff.overlaps(d.iv):
            out.append(finding(
                "XC-803", ctx.severity("XC-803"),
                f"{a.text} - {b.text} = {num(point, 1, 2)} points, stated {d.text}", [a, b, d],
                expected=f"{span(diff, 1, 2)}", observed=d.text,
                arithmetic=f"{num(a.value, 1, 2)} - {num(b.value, 1, 2)} = {num(point, 1, 2)} "
                           f"!= {num(d.value, 1, 2)} (with rounding {span(diff, 1, 2)} vs "
                           f"{span(d.iv, 1, 3)})"))
            continue
        ca, cb = _counts(ctx, a, text), _counts(ctx, b, text)
        if ca and cb:
            exact = (Decimal(ca[0]) / ca[1] - Decimal(cb[0]) / cb[1]) * HUNDRED
            if not d.iv.contains(exact):
                wrong = [r for r, c in ((a, ca), (b, cb))
                         if not r.iv.contains(Decimal(c[0]) / Decimal(c[1]) * HUNDRED)]
                # a rounding artefact is info; a rate that does not match its own counts is not
                sev = ctx.severity("XC-803") if wrong else \
                    str(ctx.param("XC-803", "rounding_only_severity", "info"))
                out.append(finding(
                    "XC-803", sev,
                    f"{d.text} holds on the rounded rates but the exact counts give "
                    f"{num(exact, 1, 2)} points", [a, b, d],
                    expected=f"{num(exact, 1, 2)}", observed=d.text,
                    arithmetic=f"{num(a.value, 1, 2)} - {num(b.value, 1, 2)} = {num(point, 1, 2)} "
                               f"(holds); exact {ca[0]}/{ca[1]} - {cb[0]}/{cb[1]} = "
                               f"{num(exact, 1, 2)} not in {span(d.iv, 1, 3)}"))
    return out
