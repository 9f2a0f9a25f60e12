"""Attribute each mention: metric, entity and scope, period or as-of date, qualifier, stated
change and direction, comparison links, guidance, uncertainty, speaker, role, section.

Everything is read from the figure's clause and sentence (and, where a sentence points back,
from the sentences before it in the same turn) with the cue vocabulary of ``rules/``.
The main idea is segments: a figure owns the text between the previous figure and itself
(its left segment) and the text up to the next figure (its right window). A cue right after the
figure ("$45 million of net equity proceeds") binds tightest, then the nearest cue of its own
left segment, then a comparison or a coordination with the figure before it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from re import _constants as _sre
from re import _parser as _sre_parse

import regex

from . import periods as P
from .documents import Document, Sentence, slug
from .recognize import Mention
from .ruleset import KEYWORD_FOLD, Entry, Metric, RuleSet

FAMILY = {"money": "amount", "per_share": "amount", "percent": "percent", "runway": "runway"}
DEAL_METRICS = {"milestone_eligibility", "milestone_payment", "upfront_payment", "equity_stake",
                "partner_proceeds", "royalty_rate"}



@dataclass
class Fact:
    doc_id: str
    kind: str
    rule_id: str
    start: int
    end: int
    text: str
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    unit: str
    metric: str = "other"
    entity: str = ""
    scope: str = ""
    period: str = ""
    as_of: dt.date | None = None
    qualifier: str = ""
    guidance: bool = False
    direction: str = ""
    comparison_period: str = ""
    compared_to: str = ""
    horizon_start: dt.date | None = None
    horizon_end: dt.date | None = None
    uncertain: bool = False
    label: str = ""
    scaled: bool = False
    line: int = 0
    speaker: str = ""
    role: str = ""
    section: str = ""
    sentence: str = ""
    fact_id: str = ""
    # working state (not written out)
    sent: int = -1
    paragraph: int = -1
    turn: int = -1
    cue: str = ""
    cue_rule: str = ""
    link: str = ""  # how the metric was found: right | left | change | compare | coord | ...
    partner: int | None = None  # index (in sentence) of a coordinated / paired figure
    partner_kind: str = ""  # coord (one statement: "$81 million, or $1.91 per share") | compare
    change_pair: tuple[int, int] | None = None  # (current, earlier) figures of a stated change
    compared_idx: int | None = None
    relabel: bool = False
    weak_period: str = ""
    rate: bool = False  # "... a year": a run rate, no period
    change_label_known: bool = True
    explain: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.explain.append(what)


# ---------------------------------------------------------------------------------------------
# Literal pre-filter. Each rule pattern is parsed once, with the standard library's parser of
# the same syntax, for the literal strings its matches must hold: ``starts`` (every match begins
# with one of them) and ``holds`` (every match contains one), folded as :func:`_fold` folds the
# document. A pattern with ``starts`` runs only where one of them occurs: ``pattern.match`` at
# each such place in text order, skipping those inside the match before, which yields exactly
# the matches of ``finditer`` (a match at a given place does not depend on where the search
# began: lookbehinds, ``^`` and ``\b`` read the real text before it). A pattern with only
# ``holds`` is not run over text that holds none of them. Any syntax the standard parser might
# read differently from ``regex`` (or not read at all) leaves the pattern unfiltered.

#: what IGNORECASE matches with an ASCII letter and ``str.lower`` does not turn into it: the
#: long s and the dotless i (plus the kinds of horizontal space ``\ `` matches)
_FOLD = {**KEYWORD_FOLD, 0x131: "i"}
_FOLD_CHARS = [(chr(k), v) for k, v in _FOLD.items()]
_MAX_OPTIONS = 256  # more alternative literals than this: the pattern is left unfiltered
_MAX_LITERAL = 10  # literals are cut to this length (longer ones find no fewer places)
_MAX_CLASS = 12  # a class of more characters than this ends a literal
_FEW = 4  # a short text is searched for at most this many literals before a pattern runs
_REGEX_ONLY = ("[[:", "{e", "{i<", "{d<", "{s<", "(?|", "(?r", "(?f", "(?V1", "\\G", "\\K",
               "\\L<")
_ZERO_WIDTH = {_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT}
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT}


def _fold(text: str) -> str | None:
    """``text`` lower-cased with :data:`_FOLD` applied (offsets kept), or None where lower case
    would move offsets (a dotted capital I)."""
    folded = text.lower()
    if len(folded) != len(text):
        return None
    for ch, to in _FOLD_CHARS:
        if ch in folded:
            folded = folded.replace(ch, to)
    return folded


class _Unknown(Exception):
    pass


def _lit_chars(op, av) -> set[str] | None:
    """The folded ASCII characters a literal or a small class of literals matches."""
    if op is _sre.LITERAL:
        items = [(op, av)]
    elif op is _sre.IN:
        items = av
    else:
        return None
    codes: list[int] = []
    for o, a in items:
        if o is _sre.LITERAL:
            codes.append(a)
        elif o is _sre.RANGE and a[1] - a[0] < _MAX_CLASS:
            codes.extend(range(a[0], a[1] + 1))
        else:
            return None
    chars = set()
    for code in codes:
        c = chr(code).lower().translate(_FOLD)
        if len(c) != 1 or not c.isascii():
            return None
        chars.add(c)
    return chars if len(chars) <= _MAX_CLASS else None


def _lit_seq(seq) -> set[tuple[str, bool]]:
    """(prefix, complete) pairs: every match of ``seq`` begins with one of the prefixes, and is
    exactly that literal where complete."""
    cur = {("", True)}
    for op, av in seq:
        if not any(c for _, c in cur):
            break
        nxt = _lit_node(op, av)
        new = set()
        for s, c in cur:
            if not c:
                new.add((s, False))
                continue
            for t, c2 in nxt:
                u = s + t
                new.add((u[:_MAX_LITERAL], False) if len(u) >= _MAX_LITERAL else (u, c2))
        if len(new) > _MAX_OPTIONS:  # too many: the prefixes so far, cut short
            return {(s, False) for s, _ in cur}
        cur = new
    return cur


def _lit_node(op, av) -> set[tuple[str, bool]]:
    chars = _lit_chars(op, av)
    if chars is not None:
        return {(ch, True) for ch in chars}
    if op in _ZERO_WIDTH:
        return {("", True)}
    if op is _sre.SUBPATTERN:
        return _lit_seq(av[-1])
    if op is _sre.ATOMIC_GROUP:
        return _lit_seq(av)
    if op is _sre.BRANCH:
        out: set[tuple[str, bool]] = set()
        for alt in av[1]:
            out |= _lit_seq(alt)
        if len(out) > _MAX_OPTIONS:
            raise _Unknown
        return out
    if op in _REPEATS:
        lo, hi, item = av
        inner = _lit_seq(item)
        if lo == hi == 1:
            return inner
        out = inner if hi == 1 else {(s, False) for s, _ in inner}
        return out | {("", True)} if lo == 0 else out
    return {("", False)}


def _minimal(strs: set[str], inside: bool) -> tuple[str, ...]:
    """The strings none of which holds (begins with) a shorter one of the set."""
    out: list[str] = []
    for s in sorted(strs, key=lambda x: (len(x), x)):
        if not any((k in s) if inside else s.startswith(k) for k in out):
            out.append(s)
    return tuple(sorted(out))


_Literals = tuple[str, ...]


@cache
def _literals(source: str, flags: int) -> tuple[_Literals | None, _Literals | None]:
    """(starts, holds) of a pattern (see above); None where unknown."""
    if any(x in source for x in _REGEX_ONLY) or flags & (regex.FULLCASE | regex.REVERSE |
                                                          regex.V1):
        return None, None
    re_flags = (re.VERBOSE if flags & regex.VERBOSE else 0) | re.IGNORECASE | re.MULTILINE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tree = list(_sre_parse.parse(source, re_flags))
    except (re.error, Warning, RecursionError, OverflowError, ValueError):
        return None, None
    starts = None
    best = None
    while True:
        for i in range(len(tree)):
            try:
                strs = {s for s, _ in _lit_seq(tree[i:])}
            except _Unknown:
                continue
            if "" in strs:
                continue
            if i == 0 and starts is None:
                starts = _minimal(strs, inside=False)
            for cut in range(2, _MAX_LITERAL + 1):
                # the fewest literals (a few searches) of two characters or more
                cuts = set(_minimal({x[:cut] for x in strs}, inside=True))
                score = (min(len(x) for x in cuts) >= 2, -len(cuts), min(len(x) for x in cuts))
                if best is None or score > best[0]:
                    best = (score, cuts)
        if len(tree) == 1 and tree[0][0] is _sre.SUBPATTERN:
            tree = list(tree[0][1][-1])  # a pattern that is one group: look inside it
            continue
        break
    return starts, (_minimal(best[1], inside=True) if best else None)


def _places(lit: str, folded: str, s: int, e: int, into: list[int]) -> None:
    """Append where ``lit`` occurs in folded[s:e]."""
    i = folded.find(lit, s, e)
    while i >= 0:
        into.append(i)
        i = folded.find(lit, i + 1, e)


def _at(pattern: regex.Pattern, text: str, places: list[int], s: int,
        e: int) -> list[regex.Match]:
    """The matches ``pattern.finditer(text, s, e)`` yields when each can only begin at one of
    ``places`` (sorted): tried in order, those inside the match before skipped."""
    out = []
    pos = s
    for i in places:
        if i < pos:
            continue
        m = pattern.match(text, i, e)
        if m is not None:
            out.append(m)
            pos = max(m.end(), i + 1)
    return out


def _finditer(pattern: regex.Pattern, text: str, folded: str | None, s: int,
              e: int) -> list[regex.Match]:
    """``list(pattern.finditer(text, s, e))``, run only where the pattern's literals occur in
    ``folded`` (the folded ``text``)."""
    if folded is None:
        return list(pattern.finditer(text, s, e))
    starts, holds = _literals(pattern.pattern, pattern.flags)
    if starts is not None:
        places: list[int] = []
        for lit in starts:
            _places(lit, folded, s, e, places)
        places.sort()
        return _at(pattern, text, places, s, e) if places else []
    if holds is not None and all(folded.find(lit, s, e) < 0 for lit in holds):
        return []
    return list(pattern.finditer(text, s, e))


def _trie(keys: list[str]) -> str:
    """An alternation that matches any of ``keys`` (escaped literals, none empty), the longest
    one where several begin at the same place, with one branch per first character."""
    by: dict[str, list[str]] = {}
    for key in keys:
        by.setdefault(key[0], []).append(key[1:])
    alts = []
    for ch in sorted(by):
        rest = [k for k in by[ch] if k]
        sub = _trie(rest) if rest else ""
        if sub and "" in by[ch]:
            sub = f"(?:{sub})?"  # greedy: the longer key first
        alts.append(re.escape(ch) + sub)
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


def _key_finder(keys) -> re.Pattern:
    """Every place where one of ``keys`` (plain strings, folded) begins, in one pass of
    ``finditer``: a lookahead (so that overlapping keys are all found) capturing the longest key
    found there. Built from the literals derived from the rule patterns, not a rule itself."""
    return re.compile("(?=(" + _trie(sorted(keys)) + "))")


class _Plan:
    """The patterns run over each figure paragraph (modifiers, metric cues, relabels, periods,
    dates), indexed by the literals their matches begin with: one pass of a finder for all those
    literals over a paragraph gives every place where any of the patterns can match."""

    def __init__(self, patterns: list[regex.Pattern]) -> None:
        self.patterns = patterns
        self.index = {p: k for k, p in enumerate(patterns)}
        by_literal: dict[str, list[int]] = {}
        self.unfiltered: list[int] = []  # patterns with no known starts
        for k, p in enumerate(patterns):
            starts = _literals(p.pattern, p.flags)[0]
            if starts is None:
                self.unfiltered.append(k)
                continue
            for lit in starts:
                by_literal.setdefault(lit, []).append(k)
        # the finder reports the longest literal found at a place; the literals found there
        # are it and those of its prefixes that are literals too
        self.at: dict[str, list[int]] = {
            lit: list(dict.fromkeys(k for n in range(1, len(lit) + 1)
                                    for k in by_literal.get(lit[:n], ())))
            for lit in by_literal}
        self.finder = _key_finder(by_literal) if by_literal else None
        # pattern indices of the sections, in rule order (set by :func:`_plan`)
        self.modifiers: list[int] = []
        self.cue_specs: list[tuple[int, Metric]] = []
        self.relabel_specs: list[tuple[int, Entry]] = []

    def run(self, text: str, folded: str | None, s: int, e: int) -> list[list[regex.Match]]:
        """The matches of every pattern in text[s:e], as ``finditer`` yields them."""
        if folded is None:
            return [list(p.finditer(text, s, e)) for p in self.patterns]
        places: dict[int, list[int]] = {}
        at = self.at
        for found in self.finder.finditer(folded, s, e) if self.finder is not None else ():
            i = found.start()
            for k in at[found.group(1)]:
                got = places.get(k)
                if got is None:
                    places[k] = [i]
                else:
                    got.append(i)
        out: list[list[regex.Match]] = [[] for _ in self.patterns]
        patterns = self.patterns
        for k, where in places.items():
            out[k] = _at(patterns[k], text, where, s, e)
        for k in self.unfiltered:
            out[k] = _finditer(patterns[k], text, folded, s, e)
        return out


_PLANS: dict[int, tuple[RuleSet, _Plan]] = {}


def _plan(rs: RuleSet) -> _Plan:
    """The paragraph plan of a rule set (built once)."""
    got = _PLANS.get(id(rs))
    if got is not None and got[0] is rs:
        return got[1]
    patterns = [e.regex for e in rs.entries("modifiers")] + \
        [m.cue for m in rs.metrics.values() if m.cue is not None] + \
        [e.regex for e in rs.entries("relabels")] + \
        [e.regex for e in rs.entries("periods")] + [e.regex for e in rs.entries("dates")]
    plan = _Plan(list(dict.fromkeys(patterns)))
    plan.modifiers = [plan.index[e.regex] for e in rs.entries("modifiers")]
    plan.cue_specs = [(plan.index[m.cue], m) for m in rs.metrics.values() if m.cue is not None]
    plan.relabel_specs = [(plan.index[e.regex], e) for e in rs.entries("relabels")]
    if len(_PLANS) >= 8:
        _PLANS.clear()
    _PLANS[id(rs)] = (rs, plan)
    return plan


@dataclass
class _Cue:
    start: int
    end: int
    metrics: list[Metric]
    text: str
    relabel: str = ""  # relabel rule id


class _Index:
    """Matches over one paragraph, looked up by range: the patterns run once per paragraph
    that holds figures, not once per sentence (nor over figure-free text)."""

    def __init__(self, items: list[tuple[int, int, object]]) -> None:
        self.items = sorted(items, key=lambda t: (t[0], t[1]))
        self.starts = [t[0] for t in self.items]

    def within(self, s: int, e: int) -> list[tuple[int, int, object]]:
        i = bisect.bisect_left(self.starts, s)
        out = []
        while i < len(self.items) and self.items[i][0] < e:
            if self.items[i][1] <= e:
                out.append(self.items[i])
            i += 1
        return out


class _Paragraph:
    def __init__(self, ctx: _Ctx, s: int, e: int) -> None:
        rs, text = ctx.rs, ctx.doc.text
        plan = _plan(rs)
        found = plan.run(text, ctx.folded, s, e)

        def scan(pattern: regex.Pattern, s0: int, e0: int) -> list[regex.Match]:
            assert (s0, e0) == (s, e)
            return found[plan.index[pattern]]

        self.masks = _Index([(m.start(), m.end(), None) for k in plan.modifiers
                             for m in found[k]])
        cues: list[tuple[int, int, object]] = []
        for k, metric in plan.cue_specs:
            got = found[k]
            if got:
                cues += [(m.start(), m.end(), (metric, m.group())) for m in got
                         if m.end() > m.start()]
        self.cues = _Index(cues)
        self.relabels = _Index([(m.start(), m.end(), (entry, m.group()))
                                for k, entry in plan.relabel_specs for m in found[k]])
        self.periods = _Index([(p.start, p.end, p) for p in
                               P.find_periods(rs, text, s, e, finditer=scan)])
        self.dates = _Index([(d.start, d.end, d) for d in
                             P.find_dates(rs, text, s, e, ctx.meta, finditer=scan)])


class _Ctx:
    def __init__(self, doc: Document, rs: RuleSet) -> None:
        self.doc, self.rs = doc, rs
        self.meta = doc.metadata
        self.company = doc.metadata.company_slug
        self.subsidiaries: list[str] = []
        self.parties: set[str] = set()
        text = doc.text
        self.folded = _fold(text)
        n = len(text)
        for entry in rs.entries("scopes"):
            if entry.get("scope") != "excl":
                continue
            for m in _finditer(entry.regex, text, self.folded, 0, n):
                name = slug(m.group("name"))
                if name and name != self.company and name not in self.subsidiaries and \
                        not self.stop(m.group("name")):
                    self.subsidiaries.append(name)
        for entry in rs.entries("parties"):
            for m in _finditer(entry.regex, text, self.folded, 0, n):
                for name in self.names(m.group("names")):
                    self.parties.add(name)
        self.parties -= set(self.subsidiaries) | {self.company}
        self.proper = rs.compile("{proper}", "entities.yaml", None, "fragments.proper")
        self._paragraphs: dict[int, _Paragraph] = {}
        self._found: dict[tuple[regex.Pattern, int, int], list[regex.Match]] = {}
        self._few: dict[regex.Pattern, tuple[str, ...] | None] = {}

    def finditer(self, pattern: regex.Pattern, s: int, e: int) -> list[regex.Match]:
        """``list(pattern.finditer(doc.text, s, e))``, run only where its literals occur
        (cached: a sentence's figures ask for the same span)."""
        key = (pattern, s, e)
        got = self._found.get(key)
        if got is None:
            got = self._found[key] = _finditer(pattern, self.doc.text, self.folded, s, e)
        return got

    def can(self, pattern: regex.Pattern, s: int, e: int) -> bool:
        """False when doc.text[s:e] holds none of the literals every match of ``pattern``
        holds: no search over that text (or a slice of it) can match. (A pattern with more
        than a few such literals is cheaper to run than to check: True.)"""
        lits = self._few.get(pattern, False)
        if lits is False:
            holds = _literals(pattern.pattern, pattern.flags)[1] if self.folded else None
            lits = self._few[pattern] = holds if holds and len(holds) <= _FEW else None
        if lits is None:
            return True
        find = self.folded.find
        for lit in lits:  # a loop, not any(): no generator on this hot path
            if find(lit, s, e) >= 0:
                break
        else:
            return False
        return True

    def any(self, entries: list, sub: str, at: int) -> regex.Match | None:
        """``_any(entries, sub)`` for ``sub`` == doc.text[at:at + len(sub)]."""
        end = at + len(sub)
        for entry in entries:
            if not self.can(entry.regex, at, end):
                continue
            m = entry.regex.search(sub)
            if m:
                return m
        return None

    def paragraph(self, pos: int) -> _Paragraph:
        """The indexed matches of the line (paragraph) holding ``pos``."""
        line = self.doc.line_of(pos) - 1
        if line not in self._paragraphs:
            s = self.doc.line_starts[line]
            e = self.doc.line_starts[line + 1] if line + 1 < len(self.doc.line_starts) \
                else len(self.doc.text)
            self._paragraphs[line] = _Paragraph(self, s, e)
        return self._paragraphs[line]

    def find_periods(self, s: int, e: int) -> list[P.PeriodMention]:
        return [t[2] for t in self.paragraph(s).periods.within(s, e)]

    def find_dates(self, s: int, e: int) -> list[P.DateMention]:
        return [t[2] for t in self.paragraph(s).dates.within(s, e)]

    def stop(self, name: str) -> bool:
        first = name.split()[0].rstrip(".,'’")
        return first in self.rs.stop_names or name in self.rs.stop_names

    def names(self, raw: str) -> list[str]:
        (sep,) = self.rs.entries("name_separators")
        parts = sep.regex.split(raw)
        out = []
        for p in parts:
            p = p.strip()
            if not p or self.stop(p):
                continue
            s = slug(p.split("’")[0].split("'")[0].split()[0])
            if s and s != self.company and s not in out:
                out.append(s)
        return out


# ---------------------------------------------------------------------------------------------
def attribute(doc: Document, mentions: list[Mention], rs: RuleSet) -> list[Fact]:
    """Facts of a document, in text order, with every column filled that the text supports."""
    ctx = _Ctx(doc, rs)
    groups: dict[int, list[Mention]] = {}
    for m in mentions:
        groups.setdefault(doc.sentence_index(m.start), []).append(m)
    facts: list[Fact] = []
    for si in sorted(groups):
        facts.extend(_sentence(ctx, si, groups[si], facts))
    _resolve_document(ctx, facts)
    for f in facts:
        f.fact_id = f"{doc.doc_id}:{f.start}-{f.end}"
    for f in facts:
        if f.compared_idx is not None:
            f.compared_to = facts[f.compared_idx].fact_id
    return facts


def _sentence_bounds(doc: Document, si: int, m: Mention) -> tuple[int, int, int, int]:
    if si >= 0:
        s = doc.sentences[si]
        return s.start, s.end, s.turn, s.paragraph
    line = doc.line_of(m.start) - 1
    s0 = doc.line_starts[line]
    e0 = doc.line_starts[line + 1] - 1 if line + 1 < len(doc.line_starts) else len(doc.text)
    return s0, e0, -1, line


def _cues(ctx: _Ctx, s: int, e: int, figures: list[tuple[int, int]]) -> list[_Cue]:
    """The metric cues of text[s:e]: masked modifiers and figures removed, the longest of
    overlapping cues kept."""
    rs, text = ctx.rs, ctx.doc.text
    para = ctx.paragraph(s)
    masks = [(x, y) for x, y, _ in para.masks.within(s, e)]
    hits: dict[tuple[int, int], _Cue] = {}
    for a, b, (metric, group) in para.cues.within(s, e):
        if any(x <= a and b <= y for x, y in masks):
            continue
        if any(x < b and a < y for x, y in figures):
            continue
        if metric.excludes_right is not None and metric.excludes_right.match(text, b, e):
            continue
        hits.setdefault((a, b), _Cue(a, b, [], group)).metrics.append(metric)
    for a, b, (entry, group) in para.relabels.within(s, e):
        metric = rs.metrics.get(entry.get("metric"))
        if metric is not None:
            hits[(a, b)] = _Cue(a, b, [metric], group, entry.id)
    # overlapping cues: the longest wins
    ordered = sorted(hits.values(), key=lambda c: (-(c.end - c.start), c.start))
    kept: list[_Cue] = []
    for c in ordered:
        if any(k.start < c.end and c.start < k.end for k in kept):
            continue
        kept.append(c)
    return sorted(kept, key=lambda c: c.start)


def _pick(cue: _Cue, sentence_text: str) -> Metric:
    """Among metrics sharing a cue, the highest-priority one whose requires/excludes hold."""
    best = None
    for metric in sorted(cue.metrics, key=lambda m: -m.priority):
        if metric.requires is not None and not metric.requires.search(sentence_text):
            continue
        if metric.excludes is not None and metric.excludes.search(sentence_text):
            continue
        best = metric
        break
    return best or min(cue.metrics, key=lambda m: m.priority)


def _ends_with(entries, text: str) -> regex.Match | None:
    """The last match of any entry that ends the text (ignoring spaces and '[')."""
    best = None
    for entry in entries:
        for m in entry.regex.finditer(text):
            if not text[m.end():].strip(" \t\u00a0[(").strip():
                best = m
    return best


def _any_at(entries, text: str, start: int, end: int) -> int | None:
    """Where the first match of any entry in text[start:end] begins (None if none)."""
    best = None
    for entry in entries:
        m = entry.regex.search(text, start, end)
        if m is not None and (best is None or m.start() < best):
            best = m.start()
    return best


def _any(entries, text: str) -> regex.Match | None:
    for entry in entries:
        m = entry.regex.search(text)
        if m:
            return m
    return None


def _sentence(ctx: _Ctx, si: int, ms: list[Mention], prior: list[Fact]) -> list[Fact]:
    doc, rs, text = ctx.doc, ctx.rs, ctx.doc.text
    S, E, turn_i, para = _sentence_bounds(doc, si, ms[0])
    sent_text = text[S:E]
    turn = doc.turns[turn_i] if 0 <= turn_i < len(doc.turns) else None
    figures = [(m.start, m.end) for m in ms if not (m.kind == "percent" and m.value is None)]
    cues = _cues(ctx, S, E, figures)
    claimed: set[int] = set()
    taken_periods: set[int] = set()
    pers = ctx.find_periods(S, E)
    dates = ctx.find_dates(S, E)
    facts: list[Fact] = []
    ms = _bare_amounts(ctx, ms, S, E)
    for i, m in enumerate(ms):
        f = Fact(doc_id=doc.doc_id, kind=m.kind, rule_id=m.rule_id, start=m.start, end=m.end,
                 text=m.text, value=m.value, low=m.low, high=m.high, unit=m.unit,
                 uncertain=m.uncertain, qualifier=m.qualifier, scaled=m.scaled, sent=si,
                 paragraph=para,
                 turn=turn_i, line=doc.line_of(m.start), sentence=sent_text)
        f.speaker = turn.speaker if turn else ""
        f.role = turn.role if turn else ""
        f.section = turn.section if turn else "header"
        f.note(f"{m.rule_id} recognised {m.text!r}")
        lo = ms[i - 1].end if i else S
        hi = ms[i + 1].start if i + 1 < len(ms) else E
        left, right = text[lo:m.start], text[m.end:hi]
        # -- qualifier
        if not f.qualifier:
            q = None
            for entry in rs.entries("qualifiers"):
                mm = _ends_with([entry], left) if ctx.can(entry.regex, lo, m.start) else None
                if mm is not None:
                    q = entry
            if q is not None:
                f.qualifier = q.get("value")
                f.note(f"{q.id} qualifier {f.qualifier}")
        # -- uncertainty
        if not f.uncertain:
            unc = rs.entries("uncertainty")
            mm = ctx.any(unc, left, lo)
            if mm is None:
                mm2 = ctx.any(unc, right[:30], m.end)
                if mm2 is not None and not right[:mm2.start()].strip():
                    mm = mm2
            if mm is not None:
                f.uncertain = True
                f.note(f"uncertain: {mm.group()!r}")
        # -- links to the figure before
        prev = facts[i - 1] if i else None
        # the high end of a range is one statement with its low end
        coord = prev is not None and (m.range_role == "high" or
                                      ctx.any(rs.entries("coordinations"), left, lo) is not None)
        compare = prev is not None and ctx.any(rs.entries("comparisons"), left, lo) is not None
        if prev is not None and (coord or compare) and FAMILY[prev.kind] == FAMILY[f.kind]:
            f.partner = i - 1
            f.partner_kind = "coord" if coord else "compare"
        # -- metric
        _metric(ctx, f, i, m, ms, left, right, lo, hi, cues, claimed, sent_text, facts,
                coord, compare, prior)
        _per_share_metric(ctx, f)
        # -- comparison link
        if compare and prev is not None:
            target = _compared_target(facts, i, f)
            if target is not None:
                f.compared_idx = target + (len(prior))
        elif coord and prev is not None and prev.compared_idx is not None and \
                prev.kind != f.kind and FAMILY[prev.kind] == FAMILY[f.kind]:
            # "$12 million or $0.29 per share" after "compared to": pair the per-share too
            base = prev.compared_idx - len(prior)
            for j in range(base, len(facts)):
                if facts[j].kind == f.kind:
                    f.compared_idx = j + len(prior)
                    break
        _period(ctx, f, i, m, ms, left, right, lo, hi, pers, dates, facts, prior,
                taken_periods)
        _scope(ctx, f, i, left, right, lo, hi, S, E, facts)
        if ctx.any(rs.entries("guidance"), text[S:m.start], S) is not None and \
                (f.kind == "runway" or _mtype(rs, f.metric) in ("flow", "balance")):
            f.guidance = True
        facts.append(f)
    return facts


def _bare_amounts(ctx: _Ctx, ms: list[Mention], S: int, E: int) -> list[Mention]:
    """A currency-less amount takes the currency of the money figure it is compared or listed
    with in the same sentence, when no noun follows it; otherwise it is not money."""
    rs, text = ctx.rs, ctx.doc.text
    out: list[Mention] = []
    for i, m in enumerate(ms):
        if m.kind == "money" and not m.unit:
            prev = next((p for p in reversed(out) if p.kind == "money" and p.unit), None)
            if prev is None:
                continue
            left = text[prev.end:m.start]
            hi = ms[i + 1].start if i + 1 < len(ms) else E
            linked = ctx.any(rs.entries("comparisons"), left, prev.end) is not None or \
                ctx.any(rs.entries("coordinations"), left, prev.end) is not None or \
                ctx.any(rs.entries("bare_amount_leads"), left, prev.end) is not None
            follows = ctx.any(rs.entries("bare_amount_followers"), text[m.end:hi],
                              m.end) is not None
            if not (linked and follows):
                continue
            m.unit = prev.unit
        out.append(m)
    return out


def _mtype(rs: RuleSet, metric: str) -> str:
    base = metric.removesuffix("_change")
    m = rs.metrics.get(base)
    if metric.endswith("_change"):
        return "change"
    return m.type if m else ("runway" if metric == "cash_runway" else "none")


def _compared_target(facts: list[Fact], i: int, f: Fact) -> int | None:
    """The figure a compared one is compared with: the nearest one of the same kind before it
    that is not itself a stated change ("an increase of $4.6 million from $27.1 million"); an
    amount with no scale ("compared with $0.94") may be compared with a per-share figure."""
    for j in range(i - 1, -1, -1):
        g = facts[j]
        if g.metric.endswith("_change") or FAMILY[g.kind] != FAMILY[f.kind]:
            continue
        if g.kind == f.kind or (f.kind == "money" and not f.scaled and g.kind == "per_share"):
            return j
    return None


def _metric(ctx: _Ctx, f: Fact, i: int, m: Mention, ms: list[Mention], left: str, right: str,
            lo: int, hi: int, cues: list[_Cue], claimed: set[int], sent_text: str,
            facts: list[Fact], coord: bool, compare: bool, prior: list[Fact]) -> None:
    rs, text = ctx.rs, ctx.doc.text
    if f.kind == "runway":
        f.metric, f.link = "cash_runway", "rule"
        return
    # 0. a cue inside the figure itself ("single-digit royalty")
    inner = [c for c in cues if m.start <= c.start and c.end <= m.end]
    if inner:
        _set_metric(f, inner[0], sent_text, "figure")
        return
    # 1. stated change constructs
    for entry in rs.entries("changes"):
        where = entry.get("where")
        mm = None
        label_span = None
        if where == "right":
            mm = entry.regex.search(right) if ctx.can(entry.regex, m.end, hi) else None
            if mm is not None:
                label_span = (m.end + mm.start("label"), m.end + mm.end("label"))
        elif where == "left":
            # the direction word nearest the figure ("... was driven by a decrease in revenue of")
            found = list(entry.regex.finditer(left, overlapped=True)) \
                if ctx.can(entry.regex, lo, m.start) else []
            mm = max(found, key=lambda x: x.start()) if found else None
            if mm is not None:
                label_span = (lo + mm.start("label"), lo + mm.end("label"))
        else:
            mm = entry.regex.search(left) if ctx.can(entry.regex, lo, m.start) else None
            lr = entry.get("_label_right")
            if mm is not None:
                mr = lr.search(right) if lr is not None and ctx.can(lr, m.end, hi) else None
                if mr is not None:
                    label_span = (m.end + mr.start("label"), m.end + mr.end("label"))
                elif i > 0 and (facts[i - 1].kind == f.kind or f.kind == "percent") and \
                        not facts[i - 1].metric.endswith("_change"):
                    # "R&D expenses were $31.2 million, an increase of $4.6 million": the
                    # change of the sentence's figure before it
                    subject = facts[i - 1]
                    older = None
                    if subject.compared_idx is not None:
                        # "X compared to Y, so an increase of Z": Z changes X against Y
                        older = subject
                        subject = (prior + facts)[subject.compared_idx]
                    direction = _direction(rs, mm.group("dir"))
                    if direction is not None and subject.metric != "other":
                        f.direction, f.label = direction[0], subject.metric.replace("_", " ")
                        f.metric, f.link = f"{subject.metric}_change", "change"
                        f.period = subject.period
                        if older is not None:
                            f.comparison_period = older.period
                        f.note(f"{entry.id} stated change of {subject.text!r}: {f.metric}, "
                               f"{f.direction}")
                        return
        if mm is None or label_span is None:
            continue
        direction = _direction(rs, mm.group("dir"))
        if direction is None:
            continue
        label = text[label_span[0]:label_span[1]].strip()
        inside = [c for c in cues if label_span[0] <= c.start and c.end <= label_span[1]]
        if f.kind == "percent" and entry.get("where") == "left":
            pass
        if inside:
            cue = min(inside, key=lambda c: c.start)
            metric = _pick(cue, sent_text)
            base = metric.id
            claimed.add(id(cue))
            f.cue, f.cue_rule = cue.text, metric.id
            f.change_label_known = True
        else:
            if f.kind == "percent":
                continue
            base = ""
            f.change_label_known = False
        value, sense = direction
        f.direction = value
        f.label = label
        f.metric = f"{base}_change" if base else "unknown_change"
        f.link = "change"
        f.note(f"{entry.id} stated change: {mm.group('dir')!r} in {label!r} -> {f.metric}, "
               f"{value} ({sense})")
        if base and sense == "result":
            mdef = rs.metrics.get(base)
            if mdef is not None and mdef.sign < 0:
                f.direction = "decrease" if value == "increase" else "increase"
        return
    own = [c for c in cues if lo <= c.start and c.end <= m.start and id(c) not in claimed
           and _allowed_left(ctx, c, text[lo:m.start], lo)]
    # 2. a cue bound to the figure from the left ("revenue of around £128 million")
    if own and ctx.any(rs.entries("binders"), text[own[-1].end:m.start], own[-1].end) \
            is not None:
        _set_metric(f, own[-1], sent_text, "bound")
        return
    # 3. a cue right after the figure
    for cue in cues:
        if cue.start >= m.end and cue.start < hi and id(cue) not in claimed:
            gap = text[m.end:cue.start]
            if any(g.regex.match(gap) for g in rs.entries("right_gaps")) and \
                    _allowed_left(ctx, cue, left, lo):
                _set_metric(f, cue, sent_text, "right")
                claimed.add(id(cue))
                return
            break
    # 4. the nearest cue of the figure's own left segment
    if own:
        _set_metric(f, own[-1], sent_text, "left")
        return
    # 4/5. a comparison or coordination with the figure before: inherit its metric
    prev = facts[i - 1] if i else None
    if prev is not None and (compare or coord) and FAMILY[prev.kind] == FAMILY[f.kind]:
        src = prev
        if compare:
            t = _compared_target(facts, i, f)
            src = facts[t] if t is not None else prev
        _inherit(f, src, "compare" if compare else "coord")
        return
    # 6. the nearest unclaimed cue anywhere before it in the sentence
    before = [c for c in cues if c.end <= m.start and id(c) not in claimed]
    if before:
        _set_metric(f, before[-1], sent_text, "sentence")
        return
    # 7. the sentences before it in the same turn (a discourse carry)
    back_cues = _previous_cues(ctx, f)
    if back_cues is not None:
        _set_metric(f, back_cues[0], back_cues[1], "previous-sentence")
        return
    f.metric = "other"
    f.link = "none"


def _allowed_left(ctx: _Ctx, cue: _Cue, left: str, at: int) -> bool:
    """False when every metric of the cue is ruled out by the words before the figure
    ("used $5 million of cash" is not a cash balance); ``left`` is doc.text[at:...]."""
    end = at + len(left)
    return any(m.excludes_left is None or not ctx.can(m.excludes_left, at, end) or
               not m.excludes_left.search(left) for m in cue.metrics)


def _previous_cues(ctx: _Ctx, f: Fact) -> tuple[_Cue, str] | None:
    doc = ctx.doc
    if f.sent <= 0:
        return None
    for k in range(f.sent - 1, max(-1, f.sent - 3), -1):
        s: Sentence = doc.sentences[k]
        if s.turn != f.turn:
            return None
        cues = _cues(ctx, s.start, s.end, [])
        if cues:
            return cues[-1], doc.text[s.start:s.end] + " " + f.sentence
    return None


def _set_metric(f: Fact, cue: _Cue, sent_text: str, link: str) -> None:
    metric = _pick(cue, sent_text)
    f.metric = metric.id
    f.cue, f.cue_rule, f.link = cue.text, cue.relabel or metric.id, link
    if cue.relabel:
        f.relabel = True
        f.label = cue.text
    via = f"{link}, {cue.relabel}" if cue.relabel else link
    f.note(f"metric {metric.id} from cue {cue.text!r} ({via})")


def _inherit(f: Fact, src: Fact, link: str) -> None:
    f.metric = src.metric
    f.cue, f.cue_rule, f.link = src.cue, src.cue_rule, link
    f.relabel, f.label = src.relabel, src.label if src.relabel else f.label
    f.note(f"metric {src.metric} inherited from {src.text!r} ({link})")


def _direction(rs: RuleSet, word: str) -> tuple[str, str] | None:
    for entry in rs.entries("directions"):
        if entry.regex.fullmatch(word):
            return entry.get("value"), entry.get("sense")
    return None


# ---------------------------------------------------------------------------------------------
def _period(ctx: _Ctx, f: Fact, i: int, m: Mention, ms: list[Mention], left: str, right: str,
            lo: int, hi: int, pers: list[P.PeriodMention], dates: list[P.DateMention],
            facts: list[Fact], prior: list[Fact], taken: set[int]) -> None:
    """Period (flows) or as-of date (balances): the first one right after the figure, else
    the nearest one before it that the previous figure did not take."""
    rs, meta = ctx.rs, ctx.meta
    mtype = _mtype(rs, f.metric)
    if f.kind == "runway" or mtype in ("contractual", "none"):
        return
    cut = _any_at([c for c in rs.entries("clause_ends") if ctx.can(c.regex, m.end, hi)],
                  ctx.doc.text, m.end, hi)
    rhi = cut if cut is not None else hi
    if mtype == "balance":
        own = [d for d in dates if m.end <= d.start < rhi]
        if own:
            f.as_of = own[0].date
            taken.add(own[0].start)
            f.note(f"{own[0].rule_id} as of {own[0].text!r}")
            return
        own = [d for d in dates if lo <= d.start and d.end <= m.start and d.start not in taken]
        if own:
            f.as_of = own[-1].date
            taken.add(own[-1].start)
            f.note(f"{own[-1].rule_id} as of {own[-1].text!r}")
        return  # otherwise resolved at document level (carry / call period end)
    ref = None
    if f.compared_idx is not None:
        base = f.compared_idx - len(prior)
        if 0 <= base < len(facts):
            ref = facts[base].period
    right_p = [p for p in pers if m.end <= p.start < rhi and p.start not in taken]
    left_p = [p for p in pers if lo <= p.start and p.end <= m.start and p.start not in taken]
    chosen = right_p[0] if right_p else (left_p[-1] if left_p else None)
    if chosen is not None:
        taken.add(chosen.start)
        if chosen.span == "RATE":
            f.rate = True
            f.note(f"{chosen.rule_id} a rate {chosen.text!r}: no period")
            return
        if chosen.span.startswith("M:"):
            # a month dates an event ("the offering we completed in February"): used only
            # when no bridge or stated period applies
            f.weak_period = P.resolve(chosen, meta, ref)
            f.note(f"{chosen.rule_id} event month {chosen.text!r} -> {f.weak_period}")
            return
        f.period = P.resolve(chosen, meta, ref)
        f.note(f"{chosen.rule_id} period {chosen.text!r} -> {f.period}")


def _scope(ctx: _Ctx, f: Fact, i: int, left: str, right: str, lo: int, hi: int, S: int, E: int,
           facts: list[Fact]) -> None:
    rs, text = ctx.rs, ctx.doc.text
    base = f.metric.removesuffix("_change")
    if base in DEAL_METRICS or base == "ownership_stake":
        names = _party(ctx, f, lo, hi, S, E)
        if names:
            f.entity = "+".join(sorted(names))
            f.note(f"counterparty {f.entity}")
        return
    f.entity = ctx.company
    if base == "segment_revenue":
        # "Metrology contributed £27.4 million, Process Analytics £21.9 million": the name
        # nearest before the figure is the segment
        names = list(ctx.proper.finditer(text, lo, f.start))
        if names:
            f.entity, f.scope = slug(names[-1].group()), ""
            f.note(f"segment {f.entity}")
            return
    # "at X" right after the figure
    for entry in rs.entries("scopes"):
        if entry.get("scope") != "at":
            continue
        mm = entry.regex.match(right) if ctx.can(entry.regex, f.end, hi) else None
        if mm is not None and not ctx.stop(mm.group("name")):
            name = slug(mm.group("name"))
            if name == ctx.company:
                f.entity = name
                f.scope = f"excl_{ctx.subsidiaries[0]}" if ctx.subsidiaries else ""
            elif name in ctx.subsidiaries or name:
                f.entity, f.scope = name, ""
            f.note(f"{entry.id} entity {f.entity} {f.scope}".rstrip())
            return
    # scope cues in the sentence, nearest before the figure first
    found = None
    for entry in rs.entries("scopes"):
        kind = entry.get("scope")
        if kind == "at":
            continue
        for mm in ctx.finditer(entry.regex, S, E):
            if mm.start() >= f.start:
                continue
            if found is None or mm.start() > found[1].start():
                found = (entry, mm)
    if found is not None:
        entry, mm = found
        kind = entry.get("scope")
        name = slug(mm.groupdict().get("name") or "") if mm.groupdict().get("name") else ""
        if kind == "excl" and name:
            f.scope = f"excl_{name}"
        elif kind == "consolidated":
            f.scope = "consolidated"
        elif kind == "standalone" and ctx.subsidiaries:
            f.scope = f"excl_{ctx.subsidiaries[0]}"
        f.note(f"{entry.id} scope {f.scope or '-'}")


def _party_hits(ctx: _Ctx, S: int, E: int, names: bool) -> list[tuple[int, list[str]]]:
    """Counterparties named in text[S:E]: with a deal cue, or (names=True) bare known names."""
    rs, text = ctx.rs, ctx.doc.text
    hits: list[tuple[int, list[str]]] = []
    if not names:
        for entry in rs.entries("parties"):
            for mm in ctx.finditer(entry.regex, S, E):
                found = ctx.names(mm.group("names"))
                if found:
                    hits.append((mm.start("names"), found))
        return hits
    known = sorted(ctx.parties | set(ctx.subsidiaries))
    if known:
        lower = text[S:E].lower()
        for name in known:
            pos = lower.find(name)
            while pos >= 0:
                end = pos + len(name)
                if (pos == 0 or not lower[pos - 1].isalnum()) and \
                        (end >= len(lower) or not lower[end].isalnum()):
                    hits.append((S + pos, [name]))
                pos = lower.find(name, end)
    return hits


def _party(ctx: _Ctx, f: Fact, lo: int, hi: int, S: int, E: int) -> list[str]:
    """The counterparty of a deal figure: named with a deal cue next to it, else a known
    party named in the sentence, else the first one named earlier in the same turn."""
    for names in (False, True):
        hits = _party_hits(ctx, S, E, names)
        if not hits:
            continue
        left = [h for h in hits if lo <= h[0] < f.start]
        if left:
            return max(left, key=lambda h: h[0])[1]
        right = [h for h in hits if f.end <= h[0] < hi]
        if right:
            return min(right, key=lambda h: h[0])[1]
        before = [h for h in hits if h[0] < f.start]
        if before:
            return max(before, key=lambda h: h[0])[1]
        return min(hits, key=lambda h: h[0])[1]
    doc = ctx.doc
    for k in range(f.sent - 1, -1, -1):
        s = doc.sentences[k]
        if s.turn != f.turn:
            break
        for names in (False, True):
            found = _party_hits(ctx, s.start, s.end, names)
            if found:
                return [min(found, key=lambda h: h[0])[1][0]]
    # last resort: a name in the sentence that is no one we know ("Ostrander remains fully
    # committed ... we remain eligible for up to $3 million")
    people = {w.lower() for name in doc.participants for w in name.split()} | \
        {w.lower() for t in doc.turns for w in t.speaker.split(" (")[0].split()}
    for mm in ctx.proper.finditer(doc.text, S, f.start):
        name = mm.group()
        first = name.split()[0]
        if ctx.stop(name) or not first.isalpha() or first.lower() in people:
            continue
        s = slug(first)
        if s and s != ctx.company and s not in ctx.subsidiaries:
            return [s]
    return []


# ---------------------------------------------------------------------------------------------
def _resolve_document(ctx: _Ctx, facts: list[Fact]) -> None:
    meta = ctx.meta
    # coordinated / paired figures share what one of them found (period, scope, uncertainty)
    by_sent: dict[int, list[int]] = {}
    for k, f in enumerate(facts):
        by_sent.setdefault(f.sent, []).append(k)
    for idxs in by_sent.values():
        local = [facts[k] for k in idxs]
        for f in local:
            if f.partner is None:
                continue
            p = local[f.partner]
            if f.partner_kind != "coord":
                continue
            # a coordinated pair ("$81 million, or $1.91 per share") shares one period
            for a, b in ((f, p), (p, f)):
                if not a.period and b.period:
                    a.period = b.period
                    a.note(f"period {b.period} shared with {b.text!r}")
            if f.link == "coord" and p.uncertain and not f.uncertain:
                f.uncertain = True
            if not f.scope and p.scope and f.entity == p.entity:
                f.scope = p.scope
    # a bare year ("in 2020") next to a compared figure takes the compared figure's span
    for f in facts:
        if f.compared_idx is None:
            continue
        ref = facts[f.compared_idx]
        pers = ctx.find_periods(f.end, _window_end(facts, f))
        if pers and pers[0].span in ("YEAR", "PRIOR") and ref.period:
            f.period = P.resolve(pers[0], meta, ref.period)
    _relabel_signs(ctx, facts)
    _changes(ctx, facts)
    _scopes_carry(ctx, facts)
    _balances_and_bridges(ctx, facts)
    _compared_periods(ctx, facts, by_sent)
    _runways(ctx, facts)
    _reporting_scale(ctx, facts)


def _compared_periods(ctx: _Ctx, facts: list[Fact], by_sent: dict[int, list[int]]) -> None:
    """A compared figure reads its period against the figure it is compared with: "a year ago"
    or "in 2023" is that figure's span in that year; with no period stated at all it is the
    same span a year earlier. Its per-share partner follows it. Stated changes with no
    antecedents take the period of the figure they change."""
    rs, meta = ctx.rs, ctx.meta
    for f in facts:
        if f.compared_idx is None or _mtype(rs, f.metric) not in ("flow", "ratio"):
            continue
        ref = facts[f.compared_idx]
        if not ref.period:
            continue
        pers = ctx.find_periods(f.end, _window_end(facts, f))
        if f.partner is not None and not pers:
            pass
        explicit = [p for p in pers if p.span not in ("YEAR", "PRIOR")]
        if pers and pers[0].span in ("YEAR", "PRIOR"):
            f.period = P.resolve(pers[0], meta, ref.period)
        elif ref.guidance and not explicit:
            # "up from our prior outlook of $2.00": the same period's earlier guidance
            f.period = ref.period
        elif not explicit and (not f.period or f.period == ref.period or f.period ==
                               meta.fiscal_period):
            sp = P.split(ref.period)
            if sp:
                f.period = P.fmt(sp[0], sp[1] - 1, meta)
                f.note(f"compared with {ref.text!r} ({ref.period}) and no period stated: "
                       f"{f.period}")
    for idxs in by_sent.values():
        local = [facts[k] for k in idxs]
        for f in local:
            if f.partner is None or f.link != "coord":
                continue
            p = local[f.partner]
            if p.compared_idx is not None and f.kind != p.kind:
                f.period = p.period
            elif f.compared_idx is not None and f.kind != p.kind:
                p.period = f.period
    for f in facts:
        if f.change_pair is not None:
            # the two figures' periods are final now
            cur, old = facts[f.change_pair[0]], facts[f.change_pair[1]]
            if cur.period and old.period:
                f.period, f.comparison_period = cur.period, old.period
    for k, f in enumerate(facts):
        if f.metric.endswith("_change") and not f.comparison_period and f.change_pair is None:
            subj = next((g for g in reversed(facts[:k]) if g.sent == f.sent
                         and not g.metric.endswith("_change") and g.metric ==
                         f.metric.removesuffix("_change")), None)
            if subj is not None and subj.period:
                f.period = subj.period


def _window_end(facts: list[Fact], f: Fact) -> int:
    later = [g.start for g in facts if g.sent == f.sent and g.start > f.start]
    end = min(later) if later else f.start + len(f.sentence)
    return max(end, f.end)


def _relabel_signs(ctx: _Ctx, facts: list[Fact]) -> None:
    for f in facts:
        if not f.relabel or f.metric != "net_result":
            continue
        near = sorted((g for g in facts if not g.relabel and g.turn == f.turn),
                      key=lambda g: abs(g.start - f.start))[:8]
        losses = sum(1 for g in near if g.metric in ("net_loss", "adjusted_net_loss",
                                                      "operating_loss"))
        gains = sum(1 for g in near if g.metric in ("net_income", "adjusted_net_income",
                                                     "operating_income"))
        f.metric = "net_loss" if losses >= gains else "net_income"
        f.note(f"LABEL: label {f.label!r} read as {f.metric} from the figures around it")


def _per_share_metric(ctx: _Ctx, f: Fact) -> None:
    """A money figure under a per-share metric ("EPS of $0.83") is a per-share figure; a loss
    written as a negative ("$(0.12) per share" net loss) is a positive loss."""
    mdef = ctx.rs.metrics.get(f.metric)
    if f.kind == "money" and mdef is not None and mdef.per_share_only:
        f.kind = "per_share"
        f.unit = f"{f.unit}/share"
        f.note(f"per-share metric {f.metric}: unit {f.unit}")
    if mdef is not None and mdef.sign < 0 and f.value is not None and f.value < 0:
        f.value, f.low, f.high = -f.value, -f.high, -f.low
        f.note("a loss stated as a negative number: kept as a positive loss")


def _changes(ctx: _Ctx, facts: list[Fact]) -> None:
    rs = ctx.rs
    for k, f in enumerate(facts):
        if not f.metric.endswith("_change") or f.kind == "percent":
            continue
        base = f.metric.removesuffix("_change")
        if base == "unknown":
            base = ""
        mdef = rs.metrics.get(base)
        result = mdef.result if mdef else None
        # antecedents: the two latest figures of the same result family before it, same turn
        cands = [g for g in facts[:k] if g.paragraph == f.paragraph and g.sent >= f.sent - 2
                 and not g.metric.endswith("_change") and g.kind == f.kind]
        if base:
            fam = [g for g in cands if g.metric == base or (result and _result(rs, g.metric)
                                                             == result)]
        else:
            last_sent = max((g.sent for g in cands), default=None)
            fam = [g for g in cands if g.sent == last_sent]
        pair = fam[-2:] if len(fam) >= 2 else []
        if not pair and base:
            # "R&D expenses were $31.2 million, an increase of $4.6 million from $27.1 million
            # in the second quarter of 2023": the figures of the same metric around it
            near = [g for g in facts if g.sent == f.sent and g.metric == base
                    and g.kind == f.kind and g is not f]
            periods = {g.period for g in near if g.period}
            if len(near) >= 2 and len(periods) == 2:
                pair = near[:2]
        if pair:
            cur, old = pair[0], pair[1]
            if P.split(old.period) and P.split(cur.period) and \
                    P.split(old.period)[1] > P.split(cur.period)[1]:
                cur, old = old, cur
            f.period, f.comparison_period = cur.period, old.period
            f.change_pair = (facts.index(cur), facts.index(old))
            f.entity, f.scope = cur.entity, cur.scope
            f.note(f"change of {cur.text!r} ({cur.period}) vs {old.text!r} ({old.period})")
            if not base:
                # an unknown label ("net reserves"): read it as the change of the figures it
                # points back to, in the sense its direction word allows
                delta = (cur.value or 0) - (old.value or 0)
                result_delta = delta * (_sign(rs, cur.metric))
                if _result(rs, cur.metric) != _result(rs, old.metric):
                    result_delta = _signed(rs, cur) - _signed(rs, old)
                res = _result(rs, cur.metric) or cur.metric
                name = {"net_result": "net_result"}.get(res, res)
                if (f.direction == "increase") == (result_delta > 0):
                    f.metric = f"{name}_change"
                else:
                    f.metric = f"{cur.metric}_change"
                f.note(f"unknown label {f.label!r}: read as {f.metric}")
        elif not base or not any(g.metric == base and g.sent == f.sent for g in cands):
            # drivers in the same sentence as a resolved change share its periods
            lead = next((g for g in reversed(facts[:k]) if g.comparison_period and g.paragraph ==
                         f.paragraph and f.sent - 1 <= g.sent <= f.sent), None)
            if lead is not None:
                f.period, f.comparison_period = lead.period, lead.comparison_period
                if not f.scope:
                    f.entity, f.scope = lead.entity, lead.scope
            elif not base:
                f.metric = "other_change"


def _result(rs: RuleSet, metric: str) -> str | None:
    m = rs.metrics.get(metric)
    return m.result if m else None


def _sign(rs: RuleSet, metric: str) -> int:
    m = rs.metrics.get(metric)
    return m.sign if m else 1


def _signed(rs: RuleSet, f: Fact) -> Decimal:
    return (f.value or Decimal(0)) * _sign(rs, f.metric)


def _scopes_carry(ctx: _Ctx, facts: list[Fact]) -> None:
    """A sentence with no scope cue keeps the scope of the paragraph's sentence before it."""
    last: dict[int, tuple[int, str]] = {}
    for f in facts:
        if f.entity != ctx.company:
            continue
        if f.scope:
            last[f.paragraph] = (f.sent, f.scope)
        elif f.paragraph in last and last[f.paragraph][0] < f.sent:
            f.scope = last[f.paragraph][1]
            f.note(f"scope {f.scope} carried from the sentence before")


def _balances_and_bridges(ctx: _Ctx, facts: list[Fact]) -> None:
    rs, meta = ctx.rs, ctx.meta
    for k, f in enumerate(facts):
        mtype = _mtype(rs, f.metric)
        if mtype == "balance" and f.as_of is None:
            prev = next((g for g in reversed(facts[:k]) if g.paragraph == f.paragraph
                         and g.as_of is not None and g.sent == f.sent), None)
            f.as_of = prev.as_of if prev else meta.period_end
            if f.as_of:
                f.note(f"as of {f.as_of} ({'sentence' if prev else 'the call period end'})")
        if mtype in ("flow", "ratio") and not f.period and not f.rate and \
                (mtype == "flow" or f.metric != "other"):
            # a cash bridge: two balance dates earlier in the paragraph define the period
            bal = sorted({g.as_of for g in facts[:k] if g.paragraph == f.paragraph
                          and g.as_of is not None and _mtype(rs, g.metric) == "balance"})
            if len(bal) >= 2:
                f.period = P.period_between(bal[-2], bal[-1], meta)
                if f.period:
                    f.note(f"period {f.period} from the bridge {bal[-2]} -> {bal[-1]}")
                    continue
            carry = next((g.period for g in reversed(facts[:k]) if g.paragraph == f.paragraph
                          and g.period and _mtype(rs, g.metric) == "flow"
                          and g.compared_idx is None and g.guidance == f.guidance), "")
            f.period = f.weak_period or carry or (meta.fiscal_period if meta.fiscal_year else "")
            if f.period:
                f.note(f"period {f.period} ({'paragraph' if carry else 'the call period'})")


def _runways(ctx: _Ctx, facts: list[Fact]) -> None:
    rs, meta = ctx.rs, ctx.meta
    for k, f in enumerate(facts):
        if f.kind != "runway":
            continue
        cash = [g for g in facts[:k] if g.metric == "cash_position" and g.as_of is not None]
        if not cash:
            cash = [g for g in facts if g.metric == "cash_position" and g.as_of is not None]
        if cash:
            # whose runway: its own scope cue, else the runway stated before it, else the cash
            # of its own paragraph
            scope = f.scope
            if not scope:
                before = [g for g in facts[:k] if g.kind == "runway"]
                scope = before[-1].scope if before else None
            pool = [g for g in cash if scope is None or g.scope == scope] or cash
            para = [g for g in pool if g.paragraph == f.paragraph]
            pool = para or pool
            latest = max(g.as_of for g in pool)
            ref = next(g for g in reversed(pool) if g.as_of == latest)
            f.as_of, f.entity, f.scope = ref.as_of, ref.entity, ref.scope
            f.compared_to = ""
            f.note(f"runway of the cash {ref.text!r} as of {ref.as_of}")
            f.cue = ref.fact_id or ref.text
            f.link = f"cash:{facts.index(ref)}"
        else:
            # no cash figure: an as-of date in its own sentence, else the call's period end
            s = ctx.doc.sentences[f.sent] if f.sent >= 0 else None
            dates = ctx.find_dates(s.start, s.end) if s else []
            f.as_of = dates[0].date if dates else meta.period_end
            f.entity = ctx.company
        groups = {}
        for entry in rs.recognizers:
            if entry.id == f.rule_id:
                mm = entry.regex.search(ctx.doc.text, max(0, f.start - 400), f.end + 1)
                while mm is not None and mm.end("fig") < f.end:
                    mm = entry.regex.search(ctx.doc.text, mm.end(), f.end + 1)
                if mm is not None:
                    groups = {k2: v for k2, v in mm.groupdict().items() if v}
        f.horizon_start, f.horizon_end = P.horizon(rs, groups, f.as_of)
        f.guidance = True
        if not f.qualifier and groups.get("atleast"):
            f.qualifier = "at_least"


def _reporting_scale(ctx: _Ctx, facts: list[Fact]) -> None:
    scale = ctx.meta.reporting_scale
    if scale == 1:
        return
    for f in facts:
        if f.kind == "money" and f.value is not None and not f.scaled:
            f.value *= scale
            f.low = f.low * scale if f.low is not None else None
            f.high = f.high * scale if f.high is not None else None
            f.note(f"document reports in thousands: x{scale}")

