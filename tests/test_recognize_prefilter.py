"""The keyword pre-filter finds exactly what a full scan finds (rules/*.yaml `keywords`)."""

from __future__ import annotations

import pytest

from conftest import example_paths, seed_paths
from extractor import guard
from extractor.documents import parse
from extractor.recognize import _recognize, candidate_ranges, keyword_lines
from extractor.ruleset import fold_for_keywords, load_rules

RS = load_rules()
HOSTILE = [
    "Jane Roe - CFO\nWe raised $45\nmillion and 12\n% of it; a share of $3 per\nshare.\n",
    "$" * 50 + "\n" + "1," * 200 + "\n$1.2 billion to $1.25 billion\nbetween $4 and $5 million\n",
    "The cash runway\nis early 2027. Sufficient to\nfund us into 2028. 45\ncents per share. 8.4p\n",
    # folding: the long s matches s case-insensitively; dotted capital I lowers to two
    # characters (no pre-filter then); tabs, no-break and thin spaces count as spaces
    "We have \u017fufficient cash to fund operations into 2027.\nUp 4\tper\u00a0cent.\n",
    "\u0130stanbul revenue was $5\u00a0million; dividend 8.4\u2009p.\nSALES OF 12 MILLION USD\n",
    "Earnings were 45 CENTS PER SHARE and EUR\u202f3 BN.\n",
    "Earnings were $2 per ADS\u017f. Cash is \u017fUFFICIENT to fund us; FINANCING\n",
    "We have sufficient cash to f\u0131nance operations into 2027. 12 M\u0130LLION\n",
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


@pytest.mark.parametrize("text", list(_docs()))
def test_one_pass_keyword_lines_equal_a_search_per_keyword(text: str) -> None:
    """``keyword_lines`` (all keywords in one Aho-Corasick pass) gives every recogniser the
    ranges that a ``str.find`` scan per keyword gives."""
    doc = parse(text, "d", RS)
    folded = fold_for_keywords(text)
    if folded is None:  # a fold that changes the length: no pre-filter at all
        return
    lines_of = keyword_lines(RS, folded, doc.line_starts)
    assert set(lines_of) == set(RS.keywords)
    assert all(lines == sorted(set(lines)) for lines in lines_of.values())
    for entry in RS.recognizers:
        assert candidate_ranges(entry, text, doc.line_starts, True, folded, lines_of) == \
            candidate_ranges(entry, text, doc.line_starts, True, folded), entry.id


def test_keyword_lines_count_a_line_once_however_often_a_keyword_is_on_it() -> None:
    text = "$$$ 5 $\nno\n$1 and 3%\n" + "$" * 10_000 + "\nper cent"
    folded = fold_for_keywords(text)
    lines_of = keyword_lines(RS, folded, parse(text, "d", RS).line_starts)
    assert (lines_of["$"], lines_of["%"], lines_of["per cent"], lines_of["cent"]) == \
        ([0, 2, 3], [2], [4], [4])
    assert lines_of["million"] == []


def test_every_recogniser_declares_keywords() -> None:
    assert all(e.get("_keywords") for e in RS.recognizers)


def test_ranges_are_the_keyword_lines() -> None:
    text = "no figures here\nrevenue was $5 million\nnothing\nup 5%\n"
    doc = parse(text, "d", RS)
    (money,) = [e for e in RS.recognizers if e.id == "MONEY-001"]
    with guard.budget("d"):
        ranges = candidate_ranges(money, text, doc.line_starts)
    assert ranges == [(16, 41)]
    assert text[16:39] == "revenue was $5 million\n"


def test_keyword_fold_covers_every_letter_regex_pairs_with_ascii() -> None:
    """Every character that the ``regex`` case-insensitive match pairs with an ASCII letter
    folds (KEYWORD_FOLD, then lower) to that letter, or changes length (no pre-filter then)."""
    import string

    import regex

    from extractor.ruleset import fold_for_keywords

    pats = {a: regex.compile(a, regex.I | regex.V0) for a in string.ascii_letters}
    for cp in [*range(0x80, 0xD800), *range(0xE000, 0x30000)]:
        c = chr(cp)
        for a, p in pats.items():
            if p.fullmatch(c):
                folded = fold_for_keywords(c)
                assert folded is None or folded == a.lower(), (hex(cp), a)
