"""The fast layout passes of ``documents`` find what a plain pass line by line finds.

``documents`` avoids one guarded regex call per line and pattern: a line pattern is tried only
on the lines whose first characters can begin a match (``_Prefilter``), patterns that can
begin with anything and the speaker patterns scan the lines once, joined by newlines
(``_lines_matching``), and the sentence boundaries are found by one scan of the whole text.
These tests run the plain per-line definitions beside them, with the shipped rules, on the
example transcripts and on text generated from their lines (odd spacing, breaks, cut lines),
so that a rule edited into a form the shortcuts cannot stand for fails here.
"""

from __future__ import annotations

import bisect
import random
from pathlib import Path

import pytest

from extractor import documents as D
from extractor.ruleset import load_rules

RS = load_rules()
ROOT = Path(__file__).resolve().parent.parent
SPACES = ["", " ", "  ", "\t", "\u00a0", "\u2009", "\x0b", "\x1c", "\u3000", "\r"]
BREAKS = ["\n", "\n", "\r\n", "\n\n", "\n \n", "\r\r\n", "\r"]
EXTRA = ["Operator", "Company Participants", "Conference Call Participants:", "Participants",
         "Questions and Answers", "Q & A Session", "Prepared Remarks", "Presentation",
         "Image source: The Motley Fool.", "- Read more", "Disclaimer: none",
         "Google Translate", "The firm does not accept any responsibility.", "Contents:",
         "10 stocks we like better than Acme", "*Stock Advisor returns as of May 1, 2024",
         "Jane Okafor - Chief Financial Officer", "Tom Reyes -- Baird -- Analyst",
         "JANE OKAFOR: Thanks, everyone.", "Speaker 3: so revenue was up", "Q: Why?",
         "Jane Okafor: Thanks. Mr. Roe agreed. \"Yes.\" (Really.) U.S. sales rose.",
         "Note: unaudited.", "Jane Okafor", "Unidentified Analyst", "A" * 250]


def _texts() -> list[str]:
    paths = sorted((ROOT / "examples").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in paths]
    pool = [line for t in texts for line in t.split("\n")] + EXTRA
    rnd = random.Random(20)
    for _ in range(150):
        out = []
        for _ in range(rnd.randint(1, 40)):
            line = rnd.choice(pool)
            k = rnd.random()
            if k < 0.15:
                line = rnd.choice(SPACES) + line
            elif k < 0.3:
                line = line + rnd.choice(SPACES)
            elif k < 0.4 and line:
                line = line[:rnd.randrange(len(line))]
            elif k < 0.5:
                line = line.upper()
            out.append(line + rnd.choice(BREAKS))
        texts.append("".join(out))
    return texts


TEXTS = _texts()


def _stripped_groups():
    blocks, singles = RS.boilerplate_blocks, RS.boilerplate_lines
    yield [(st, e.id) for e, st, _end in blocks] + [(e.regex, e.id) for e in singles]
    yield [(p, f"participants.{r}") for r, p in RS.patterns["participants"].items()]
    sections = RS.patterns["sections"]
    yield [(sections["qa"], "sections.qa"), (sections["prepared"], "sections.prepared")]
    yield [(RS.patterns["not_speakers"]["pattern"], "not_speakers.pattern"),
           (RS.patterns["operators"]["pattern"], "operators.pattern")]


def test_a_line_beginning_never_rules_out_a_match() -> None:
    groups = [(D._prefilter(g), True) for g in _stripped_groups()]
    groups.append((D._prefilter([(e.regex, e.id) for e in RS.entries("speakers")]), False))
    for text in TEXTS:
        for raw in text.split("\n"):
            for pf, strip in groups:
                line = raw.strip() if strip else raw.removesuffix("\r")
                may = pf.mask(line)
                for k, (pattern, rule) in enumerate(pf.patterns):
                    if pattern.match(line):
                        assert may >> k & 1, (rule, line)


@pytest.mark.parametrize("entry", [e for e in RS.boilerplate_lines if e.id == "BOIL-003"]
                         + list(RS.entries("speakers")), ids=lambda e: e.id)
def test_one_scan_of_joined_lines_finds_each_lines_match(entry) -> None:
    assert D._line_local(entry.regex), f"{entry.id} can no longer be run over joined lines"
    for text in TEXTS:
        lines = [raw.removesuffix("\r") for raw in text.split("\n")]
        found = D._lines_matching(entry.regex, entry.id, "\n".join(lines))
        assert found is not None
        for j, line in enumerate(lines):
            m = entry.regex.match(line)
            if m is None:
                continue
            assert j in found, (entry.id, line)
            if found[j] is not None:
                got, at = found[j]
                assert (got.span()[0] - at, got.span()[1] - at) == m.span()
                assert got.groupdict() == m.groupdict()


def _sentences_line_by_line(text: str, lines, turns, skip, heads) -> list[D.Sentence]:
    """The plain definition: each line searched alone for sentence boundaries."""
    boundary = RS.patterns["sentences"]["boundary"]
    head_lines = {h.line for h in heads if h.inline_start is None}
    inline_starts = {h.line: h.inline_start for h in heads if h.inline_start is not None}
    starts = [t.start for t in turns]
    out = []
    for i in lines.nonblank():
        s, e = lines[i]
        if i in skip or i in head_lines or s == e:
            continue
        lo = inline_starts.get(i, s)
        ti = bisect.bisect_right(starts, lo) - 1
        pieces, pos = [], lo
        for m in boundary.finditer(text, lo, e):
            pieces.append((pos, m.start()))
            pos = m.end()
        pieces.append((pos, e))
        for a, b in pieces:
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a < b:
                out.append(D.Sentence(a, b, ti, i))
    return out


def test_sentences_match_a_search_of_each_line() -> None:
    for text in TEXTS:
        lines = D._Lines(text)
        boiler = D._boilerplate(RS, text, lines)
        skip = D._lines_in(boiler, lines)
        participants, listed = D._participants(RS, text, lines, skip)
        heads = D._speaker_heads(RS, text, lines, skip | listed, participants)
        turns, _spans = D._turns(RS, text, lines, heads, participants)
        assert D._sentences(RS, text, lines, turns, skip | listed, heads) == \
            _sentences_line_by_line(text, lines, turns, skip | listed, heads)


def test_control_character_count() -> None:
    rnd = random.Random(5)
    for _ in range(200):
        sample = "".join(chr(rnd.choice([0, 1, 7, 9, 10, 11, 12, 13, 27, 31, 32, 65, 0x85]))
                         for _ in range(rnd.randint(0, 300)))
        assert sum(map(sample.count, D._CONTROLS)) == \
            sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")


@pytest.mark.parametrize("entry", [e for group in RS.metadata.values() for e in group
                                   if e.get("_lines") is not None], ids=lambda e: e.id)
def test_a_lines_filter_finds_the_first_match_of_a_plain_search(entry) -> None:
    """A metadata entry searched only on the lines its ``lines`` filter finds something on
    gives the match a search of the whole text gives: same span, same groups."""
    found = 0
    for text in TEXTS:
        fast, plain = D._search_entry(entry, text), entry.regex.search(text)
        assert (fast and (fast.span(), fast.groupdict())) == \
            (plain and (plain.span(), plain.groupdict())), (entry.id, text[:200])
        found += plain is not None
    assert found >= 5, f"{entry.id}: too few texts to compare ({found})"
