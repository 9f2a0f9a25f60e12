"""The attribute stage's literal pre-filter finds what the patterns find.

Patterns are run only where the literals they begin with (or hold) occur in the case-folded
text (extractor/attribute.py, "Literal pre-filter"). These tests hold that to the plain
``finditer`` of every pattern the stage filters, on the examples, the rules' own example texts
and text written to trip the case folding, and check the folding assumption itself against
every code point.
"""

from __future__ import annotations

import sys

import pytest
import regex

from conftest import example_paths
from extractor import attribute as A
from extractor.ruleset import FLAGS, load_rules

TRICKY = [
    "Net ſales rose; net ſales of \u0131nterest \u0130ncome",  # long s, dotless / dotted i
    "Revenue\u00a0was $5 million, net\u2009loss\u202fwas up; cash\tburn of $2 million",
    "REVENUE OF $5 MILLION IN THE THIRD QUARTER OF 2021, EBITDA MARGIN 12%",
    "(revenue) [ph] ~$5m, H1 2024 and Q3 2021, 9-month period, FY2025 as of June 30, 2023",
    "\u212aelvin revenue and \u017fales",
]


def _texts() -> list[str]:
    rs = load_rules()
    out = list(TRICKY)
    for p in example_paths():
        out.append(p.read_text(encoding="utf-8"))
    for entries in rs.sections.values():
        for e in entries:
            ex = e.get("examples")
            items = (ex.get("match") or []) + (ex.get("no_match") or []) \
                if isinstance(ex, dict) else (ex or [])
            out += [it.get("text", "") if isinstance(it, dict) else str(it) for it in items]
    for m in rs.metrics.values():
        out += [it.get("text", "") if isinstance(it, dict) else str(it) for it in m.examples]
    return [t for t in out if t]


def _patterns() -> list[tuple[str, regex.Pattern]]:
    rs = load_rules()
    out = [(f"plan[{k}]", p) for k, p in enumerate(A._plan(rs).patterns)]
    for section in ("scopes", "parties", "qualifiers", "uncertainty", "coordinations",
                    "comparisons", "guidance", "changes", "binders", "clause_ends",
                    "bare_amount_leads", "bare_amount_followers"):
        out += [(e.id, e.regex) for e in rs.entries(section)]
        out += [(f"{e.id}.label_right", e.get("_label_right")) for e in rs.entries(section)
                if e.get("_label_right") is not None]
    for m in rs.metrics.values():
        out += [(f"{m.id}.{k}", getattr(m, k)) for k in ("excludes_left", "excludes_right")
                if getattr(m, k) is not None]
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts()


@pytest.mark.parametrize("name,pattern", _patterns(), ids=[n for n, _ in _patterns()])
def test_prefiltered_scan_is_finditer(name: str, pattern: regex.Pattern,
                                      texts: list[str]) -> None:
    starts, holds = A._literals(pattern.pattern, pattern.flags)
    for text in texts:
        folded = A._fold(text)
        spans = [(0, len(text))]
        pos = 0
        for line in text.splitlines(keepends=True):  # each line, as paragraphs are scanned
            spans.append((pos, pos + len(line)))
            pos += len(line)
        for s, e in spans:
            want = [(m.span(), m.group()) for m in pattern.finditer(text, s, e)]
            got = [(m.span(), m.group()) for m in A._finditer(pattern, text, folded, s, e)]
            assert got == want, f"{name}: {text[s:e][:80]!r}"
            if folded is None:
                continue
            for (a, b), _g in want:
                if starts is not None:
                    assert any(folded.startswith(x, a, b) for x in starts), name
                if holds is not None:
                    assert any(folded.find(x, a, b) >= 0 for x in holds), name


def test_paragraph_plan_is_finditer(texts: list[str]) -> None:
    plan = A._plan(load_rules())
    for text in texts:
        folded = A._fold(text)
        for s, e in [(0, len(text)), (len(text) // 3, len(text))]:
            got = plan.run(text, folded, s, e)
            for p, found in zip(plan.patterns, got, strict=True):
                assert [m.span() for m in found] == [m.span() for m in p.finditer(text, s, e)]


def test_case_folding_covers_ignorecase() -> None:
    """Every character that IGNORECASE matches with an ASCII letter folds to that letter."""
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1)
                         if not 0xD800 <= c <= 0xDFFF)
    for m in regex.compile("[a-z]", FLAGS).finditer(everything):
        c = m.group()
        folded = A._fold(c)
        if folded is None:
            continue  # a text holding it is not pre-filtered at all
        assert folded.isascii() and folded.isalpha(), hex(ord(c))
        assert regex.fullmatch(folded, c, FLAGS), hex(ord(c))


def test_unreadable_syntax_is_not_filtered() -> None:
    for source in (r"[[:alpha:]]+ing", r"(?:revenue){e<=1}", r"\Grevenue", r"(?|a(b)|c(d))"):
        assert A._literals(source, FLAGS) == (None, None)
