"""The anchor pre-filter finds exactly what a full scan finds (rules/*.yaml `anchor`)."""

from __future__ import annotations

import pytest

from conftest import example_paths, seed_paths
from extractor import guard
from extractor.documents import parse
from extractor.recognize import _recognize, candidate_ranges
from extractor.ruleset import load_rules

RS = load_rules()
HOSTILE = [
    "Jane Roe - CFO\nWe raised $45\nmillion and 12\n% of it; a share of $3 per\nshare.\n",
    "$" * 50 + "\n" + "1," * 200 + "\n$1.2 billion to $1.25 billion\nbetween $4 and $5 million\n",
    "The cash runway\nis early 2027. Sufficient to\nfund us into 2028. 45\ncents per share. 8.4p\n",
]


def _docs():
    for p in example_paths() + seed_paths():
        yield pytest.param(p.read_text(encoding="utf-8"), id=p.stem)
    for i, t in enumerate(HOSTILE):
        yield pytest.param(t, id=f"hostile{i}")


def _key(ms):
    return [(m.rule_id, m.start, m.end, str(m.value), m.unit) for m in ms]


@pytest.mark.parametrize("text", list(_docs()))
def test_prefilter_equals_full_scan(text: str) -> None:
    doc = parse(text, "d", RS)
    with guard.budget("d"):
        fast = _recognize(doc, RS, prefilter=True)
        full = _recognize(doc, RS, prefilter=False)
    assert _key(fast) == _key(full)


def test_every_recogniser_declares_an_anchor() -> None:
    assert all(e.get("_anchor") is not None for e in RS.recognizers)


def test_ranges_are_the_anchor_lines() -> None:
    text = "no figures here\nrevenue was $5 million\nnothing\nup 5%\n"
    doc = parse(text, "d", RS)
    (money,) = [e for e in RS.recognizers if e.id == "MONEY-001"]
    with guard.budget("d"):
        ranges = candidate_ranges(money, text, doc.line_starts)
    assert ranges == [(16, 41)]
    assert text[16:39] == "revenue was $5 million\n"
