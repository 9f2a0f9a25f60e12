"""The magnitude check (XC-501) compares only the figures that can state the same thing.

``restatements.magnitude`` finds its pairs through buckets (same key, same counterparty, same deal
key) instead of comparing every figure of a company with every other. These tests hold it to
the all-pairs definition it replaced, on generated figures, and check the findings of a
company with forty calls.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import PROFILE

from extractor.checks import crossdoc, restatements
from extractor.checks.base import Rec, context
from extractor.checks.restatements import comparable, deal_key, key

METRICS = ["revenue", "cash_position", "milestone_eligibility", "upfront_payment"]
VALUES = [Decimal("2.8e9"), Decimal("3e6"), Decimal("2.9e6"), Decimal("1e3"), Decimal("1e6"),
          Decimal("950e3"), Decimal("1.5"), Decimal("2e9")]
SENTENCES = ["We are eligible for {v} on 15 targets.", "A deal of {v} on 12 programs.",
             "We reported {v}."]


def _rec(i: int, doc: str, metric: str, entity: str, period: str, value: Decimal, unit: str,
         sentence: str, kind: str = "money") -> Rec:
    text = f"${value}"
    balance = metric == "cash_position"
    return Rec(id=f"{doc}:F{i:04d}", doc=doc, kind=kind, metric=metric, entity=entity,
               scope="", period="" if balance else period,
               as_of="2021-09-30" if balance else "", value=value, low=value, high=value,
               unit=unit, qualifier="", direction="", comparison_period="", compared_to="",
               horizon_start="", horizon_end="", uncertain=False, label="", text=text,
               start=i, end=i + len(text), line=1, sentence=sentence.format(v=text),
               rule_id="MONEY-001")


def _all_pairs(facts: list[Rec], cross: bool) -> list[dict]:
    """XC-501 as first written: every pair of comparable figures, each tested in full."""
    ctx = context()
    lo, hi = (Decimal(str(ctx.param("XC-501", k))) for k in ("ratio_low", "ratio_high"))
    cands = [r for r in facts if comparable(ctx, r) and r.value]
    pairs: dict[str, list[Rec]] = {}
    seen = set()
    for i, a in enumerate(cands):
        for b in cands[i + 1:]:
            if cross and a.doc == b.doc:
                continue
            same_deal = (ctx.metric(a.metric).type == "contractual" and a.metric == b.metric
                         and ((a.entity == b.entity and a.entity)
                              or (deal_key(ctx, a) and deal_key(ctx, a) == deal_key(ctx, b))))
            if not (same_deal or key(ctx, a) == key(ctx, b)) or a.unit != b.unit:
                continue
            big, small = (a, b) if abs(a.value) >= abs(b.value) else (b, a)
            if not lo <= abs(big.value / small.value) <= hi:
                continue
            pair = tuple(sorted((a.id, b.id)))
            if pair in seen:
                continue
            seen.add(pair)
            pairs.setdefault(small.id, [small]).append(big)
    return [{"small": s.id, "bigs": [b.id for b in bigs]} for s, *bigs in pairs.values()]


def _found(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        small, *bigs = r["fact_ids"].split(";")
        out.append({"small": small, "bigs": bigs})
    return out


FIGURE = st.tuples(st.sampled_from(["d1", "d2", "d3"]), st.sampled_from(METRICS),
                   st.sampled_from(["", "acme", "zenith"]),
                   st.sampled_from(["Q3 2021", "FY 2021"]), st.sampled_from(VALUES),
                   st.sampled_from(["USD", "EUR"]), st.sampled_from(SENTENCES),
                   st.sampled_from(["money", "per_share"]))  # kind apart from unit: every rule


@settings(PROFILE, max_examples=max(150, PROFILE.max_examples))  # cheap: 10 ms an example
@given(st.lists(FIGURE, max_size=40), st.booleans())
def test_magnitude_finds_the_pairs_of_the_all_pairs_definition(figures, cross) -> None:
    facts = [_rec(i, *f) for i, f in enumerate(figures)]
    got = _found(restatements.magnitude(context(), facts, cross=cross))
    assert got == _all_pairs(facts, cross)


def test_forty_calls_of_one_company() -> None:
    """A decade of quarterly calls restating one deal and one balance: the one call that says
    $3 million for a $2.8 billion deal is the finding, with its arithmetic; the balances,
    restated in every call, raise nothing."""
    facts = []
    for q in range(40):
        doc = f"call{q:02d}"
        deal = Decimal("3e6") if q == 17 else Decimal("2.8e9")
        facts.append(_rec(2 * q, doc, "milestone_eligibility", "acme", "", deal, "USD",
                          SENTENCES[0]))
        facts.append(_rec(2 * q + 1, doc, "cash_position", "", "", Decimal("201e6"), "USD",
                          SENTENCES[2]))
    rows = crossdoc.check(context(), facts)
    (row,) = [r for r in rows if r["check_id"] == "XC-501"]
    assert row["fact_ids"].split(";")[0] == "call17:F0034"
    assert len(row["fact_ids"].split(";")) == 40  # the small figure and the 39 calls that disagree
    assert row["arithmetic"] == "2800000000 / 3000000 = 933x"
    assert row["doc_id"] == "*"
    assert [r["check_id"] for r in rows] == ["XC-501"]
