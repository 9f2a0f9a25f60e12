"""Recognise figures: run the compiled recognisers of ``rules/`` over a document.

Produces :class:`Mention` objects (span, literal text, exact value, unit, rounding interval).
Nothing here knows a metric: that is the attribute stage.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import regex

from . import guard
from .documents import Document
from .quantities import half_unit
from .ruleset import Entry, RuleSet, fold_for_keywords
from .settings import DEFAULT, Settings

_KIND_ORDER = {"runway": 0, "per_share": 1, "money": 2, "percent": 3}


@dataclass
class Mention:
    kind: str
    rule_id: str
    start: int
    end: int
    text: str
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    unit: str
    uncertain: bool = False
    qualifier: str = ""
    scaled: bool = False  # a scale word was stated ("million")
    range_role: str = ""  # low | high for the two ends of a range
    match_start: int = 0
    match_end: int = 0
    groups: dict[str, str] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return self.match_end - self.match_start


class _Lexicon:
    """Value tables of rules/lexicon.yaml, normalised once per rule set."""

    def __init__(self, rs: RuleSet) -> None:
        m = rs.mappings
        self.currencies = {str(k).lower(): str(v) for k, v in m.get("currencies", {}).items()}
        self.scales = {str(k).lower(): Decimal(str(v)) for k, v in m.get("scales", {}).items()}
        self.words = {str(k).lower(): Decimal(str(v)) for k, v in
                      m.get("number_words", {}).items()}
        self.fractions = {str(k).lower(): int(v) for k, v in m.get("fractions", {}).items()}
        self.tiers = {str(k).lower(): (Decimal(str(a)), Decimal(str(b)))
                      for k, (a, b) in m.get("tiers", {}).items()}


_LEX: dict[int, _Lexicon] = {}


def lexicon(rs: RuleSet) -> _Lexicon:
    key = id(rs)
    if key not in _LEX:
        _LEX[key] = _Lexicon(rs)
    return _LEX[key]


def parse_number(text: str) -> Decimal:
    """'1,234.5' / '1 234.5' (NBSP, thin space) -> Decimal('1234.5')."""
    cleaned = "".join(ch for ch in text if ch in "0123456789.-+\u2212")
    cleaned = cleaned.replace("\u2212", "-")
    return Decimal(cleaned)


def parse_words(text: str, lex: _Lexicon) -> tuple[Decimal, Decimal]:
    """'three hundred' -> (300, 50); 'half a' -> (0.5, 0.05); 'twenty-five' -> (25, 0.5).

    Returns the value and half of the smallest spoken unit (its rounding)."""
    tokens = text.lower().replace("-", " ").split()
    if "half" in tokens or len([t for t in tokens if t not in ("a", "and")]) > 0:
        # "a" is one only on its own ("a billion dollars"); "half a", "two and a half"
        tokens = [t for t in tokens if t != "a"] or tokens
    total, current = Decimal(0), Decimal(0)
    smallest = Decimal(1)
    half_seen = False
    for tok in tokens:
        if tok == "and":
            continue
        if tok == "half":
            half_seen = True
            continue
        value = lex.words.get(tok)
        if value is None:
            continue
        if value == 100:
            current = (current or Decimal(1)) * 100
            smallest = Decimal(100)
        else:
            current += value
            smallest = Decimal(10) if value >= 20 and value % 10 == 0 else Decimal(1)
    total += current
    if half_seen:
        total = total + Decimal("0.5") if total else Decimal("0.5")
        smallest = Decimal("0.1")
    return total, smallest / 2


def recognize(doc: Document, rs: RuleSet, settings: Settings = DEFAULT,
              deadline: float | None = None) -> list[Mention]:
    """All figures of ``doc``, non-overlapping, sorted by position.

    Runs under the document's time budget (:mod:`extractor.guard`): the one the pipeline
    opened, else one made from ``settings`` (and ``deadline``, a ``time.monotonic()`` value).
    A pattern that runs too long raises :class:`~extractor.errors.DocumentTimeout` naming it.
    """
    with guard.budget(doc.doc_id, settings, deadline=deadline, hard=False):
        guard.set_stage("recognize")
        return _recognize(doc, rs)


def candidate_ranges(entry: Entry, text: str, line_starts: Sequence[int],
                     prefilter: bool = True, folded: str | None = None,
                     lines_of: dict[str, list[int]] | None = None) -> list[tuple[int, int]]:
    """Where a recogniser can match: the lines holding one of its declared ``keywords``
    (literals every match contains, in the document's folded text,
    :func:`~extractor.ruleset.fold_for_keywords`), merged when adjacent; the whole text when
    it declares none or the text cannot be folded. ``folded`` is the folded text when the
    caller has it already (one per document); ``lines_of`` (keyword -> its lines, from
    :func:`keyword_lines`, one per document too) gives the keywords' lines, found otherwise
    with ``str.find``, a keyword at a time.

    A range runs to the line's newline and two characters more, so that the short lookaheads
    at a match's end see what a full scan sees; no recogniser matches across a newline."""
    keywords = entry.get("_keywords")
    n = len(text)
    if keywords is not None and prefilter and folded is None:
        folded = fold_for_keywords(text)
    if keywords is None or folded is None or not prefilter:
        return [(0, n)]
    nlines = len(line_starts)
    lines: set[int] = set()
    for kw in keywords:
        found = lines_of.get(kw) if lines_of is not None else None
        if found is None:
            found = []
            i = folded.find(kw)
            while i >= 0:
                li = bisect.bisect_right(line_starts, i) - 1
                found.append(li)
                if li + 1 >= nlines:
                    break
                i = folded.find(kw, line_starts[li + 1])
        lines.update(found)
    ranges: list[tuple[int, int]] = []
    for i in sorted(lines):
        s = line_starts[i]
        e = min(n, (line_starts[i + 1] if i + 1 < nlines else n) + 2)
        if ranges and s <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], e))
        else:
            ranges.append((s, e))
    return ranges


def keyword_lines(rs: RuleSet, folded: str, line_starts: Sequence[int]
                  ) -> dict[str, list[int]]:
    """Every recogniser keyword -> the lines (indices, ascending) of ``folded`` holding it, in
    one pass over the text for all of them (``rs.keyword_automaton``, Aho-Corasick) instead of
    one ``str.find`` scan a keyword: the lines :func:`candidate_ranges` finds keyword by
    keyword."""
    if rs.keyword_automaton is None:
        return {}
    found: list[list[int]] = [[] for _ in rs.keywords]
    after = [-1] * len(rs.keywords)  # where the line after a keyword's last hit begins
    nlines, n = len(line_starts), len(folded)
    bisect_right = bisect.bisect_right
    for end, (k, length) in rs.keyword_automaton.iter(folded):
        start = end - length + 1
        if start < after[k]:  # the keyword again on a line it was found on
            continue
        li = bisect_right(line_starts, start) - 1
        found[k].append(li)
        after[k] = line_starts[li + 1] if li + 1 < nlines else n
    return dict(zip(rs.keywords, found, strict=True))


#: average line length (characters) above which the keyword pre-filter is skipped
LONG_LINES = 5000


def _recognize(doc: Document, rs: RuleSet, prefilter: bool = True) -> list[Mention]:
    lex = lexicon(rs)
    cands: list[Mention] = []
    text = doc.text
    seen: set[tuple[str, int, int]] = set()
    # In a text of very long lines (a page scraped without line breaks, a 20 MB line) every
    # line holds a keyword: the search only adds its own cost to the full scan, so the full
    # scan, the reference, runs directly. (hostile input)
    if len(text) > LONG_LINES * max(1, len(doc.line_starts)):
        prefilter = False
    folded = fold_for_keywords(text) if prefilter else None
    lines_of = keyword_lines(rs, folded, doc.line_starts) if folded is not None else {}
    for order, entry in enumerate(rs.recognizers):
        for s, e in candidate_ranges(entry, text, doc.line_starts, prefilter, folded,
                                     lines_of):
            for m in guard.finditer(entry.regex, text, s, e, rule=entry.id):
                key = (entry.id, m.start(), m.end())
                if key in seen:  # ranges overlap by two characters at most
                    continue
                seen.add(key)
                cands.extend(_keep(entry, m, lex, doc, order))
    return _corrections(_select(cands), rs, text)


def _keep(entry: Entry, m: regex.Match, lex: _Lexicon, doc: Document, order: int
          ) -> list[Mention]:
    out = []
    for mention in _mentions(entry, m, lex, doc):
        if not doc.is_excluded(mention.start, mention.end):
            mention.groups["_order"] = str(order)
            out.append(mention)
    return out


def _select(cands: list[Mention]) -> list[Mention]:
    """Keep the longest match where figures overlap (ties: the rule declared first)."""
    cands.sort(key=lambda c: (-c.length, _KIND_ORDER[c.kind], int(c.groups["_order"]),
                              c.start))
    taken = _Taken(max((c.end for c in cands), default=0) + 1)
    chosen: list[Mention] = []
    groups_taken: dict[tuple[int, int], bool] = {}
    for c in cands:
        key = (c.match_start, c.match_end)
        if taken.overlaps(c.start, c.end) and not groups_taken.get(key):
            continue
        taken.add(c.start, c.end)
        groups_taken[key] = True
        chosen.append(c)
    # a range contributes two mentions from one match: keep both, drop stray overlaps
    chosen.sort(key=lambda c: (c.start, c.end))
    out: list[Mention] = []
    for c in chosen:
        if out and c.start < out[-1].end:
            continue
        out.append(c)
    return out


class _Taken:
    """Spans already chosen. ``overlaps(a, b)`` is ``any(s < b and a < e for s, e in spans)``
    without the quadratic scan: the characters covered by non-empty spans are marked in a
    bytearray (one byte a character of the text), empty spans kept apart (none in practice)."""

    def __init__(self, size: int) -> None:
        self.covered = bytearray(size)
        self.spans: list[tuple[int, int]] = []
        self.empty: list[int] = []

    def add(self, s: int, e: int) -> None:
        self.spans.append((s, e))
        if s < e:
            self.covered[s:e] = b"\x01" * (e - s)
        else:
            self.empty.append(s)

    def overlaps(self, a: int, b: int) -> bool:
        if a < b:  # non-empty spans overlap when they share a character
            return self.covered.find(1, a, b) >= 0 or any(a < p < b for p in self.empty)
        return any(s < b and a < e for s, e in self.spans)  # an empty candidate: the plain test


def _corrections(mentions: list[Mention], rs: RuleSet, text: str) -> list[Mention]:
    """'$32 -- sorry, $23.1 million': keep only the corrected reading."""
    pats = rs.entries("corrections")
    out: list[Mention] = []
    for i, m in enumerate(mentions):
        nxt = mentions[i + 1] if i + 1 < len(mentions) else None
        if nxt is not None and nxt.kind == m.kind and \
                any(guard.match(p.regex, text[m.end:nxt.start], rule=p.id) for p in pats):
            continue
        out.append(m)
    return out


def _currency(lex: _Lexicon, gd: dict[str, str | None], entry: Entry) -> str:
    for key in ("cur", "code", "curw"):
        raw = gd.get(key)
        if raw:
            k = raw.strip().lower()
            if k in lex.currencies:
                return lex.currencies[k]
            if k.upper() == raw.strip() and len(k) == 3:
                return raw.strip()
            k = k.rstrip("s")
            if k in lex.currencies:
                return lex.currencies[k]
            # "pounds sterling" -> "pound sterling"
            k2 = " ".join(w.rstrip("s") if w.endswith("s") else w for w in raw.lower().split())
            if k2 in lex.currencies:
                return lex.currencies[k2]
    return entry.get("currency", "USD")


def _amount(lex: _Lexicon, num: str | None, neg: str | None, words: str | None,
            scale: str | None, mult: Decimal) -> tuple[Decimal, Decimal]:
    """(value, half rounding unit) of a stated amount."""
    factor = Decimal(1)
    if scale:
        key = scale.strip()
        factor = lex.scales.get(key.lower(), Decimal(1))
        if key in ("m", "M", "MM") or key.lower() in ("mm",):
            factor = lex.scales.get("m", Decimal(1000000))
    if words:
        value, half = parse_words(words, lex)
        return value * factor * mult, half * factor * mult
    raw = neg if neg is not None else num
    value = parse_number(raw)
    half = half_unit(raw.replace("\u00a0", "").replace("\u2009", "").replace("\u202f", ""),
                     factor * mult)
    if neg is not None:
        value = -value
    return value * factor * mult, half


def _mentions(entry: Entry, m: regex.Match, lex: _Lexicon, doc: Document) -> list[Mention]:
    kind = entry.get("kind")
    gd = m.groupdict()
    mult = Decimal(entry.get("multiplier", "1"))
    text = doc.text
    try:
        if entry.get("range"):
            return _range(entry, m, lex, text)
        fig_start, fig_end = (m.start("fig"), m.end("fig")) if gd.get("fig") is not None \
            else (m.start(), m.end())
        common = dict(kind=kind, rule_id=entry.id, start=fig_start, end=fig_end,
                      text=text[fig_start:fig_end], match_start=m.start(), match_end=m.end())
        uncertain = bool(gd.get("ubr"))
        if kind == "runway":
            groups = {k: v for k, v in gd.items() if v is not None}
            return [Mention(value=None, low=None, high=None, unit="date", groups=groups,
                            qualifier="at_least" if gd.get("atleast") else "", **common)]
        if kind == "percent":
            if entry.get("tiers"):
                key = " ".join(w for w in ((gd.get("tier") or "").lower(),
                                           gd["digits"].lower()) if w)
                lo, hi = lex.tiers.get(key, (None, None))
                return [Mention(value=None, low=lo, high=hi, unit="percent", **common)]
            if entry.get("fraction"):
                word = (gd.get("words") or gd.get("words2") or "").lower()
                denom = (gd.get("denom") or gd.get("denom2") or "").lower()
                num = lex.words.get(word, Decimal(1))
                den = Decimal(lex.fractions.get(denom, 1))
                value = num * 100 / den
                return [Mention(value=value, low=value, high=value, unit="percent", **common)]
            value, half = _amount(lex, gd.get("num"), None, None, None, Decimal(1))
            return [Mention(value=value, low=value - half, high=value + half, unit="percent",
                            **common)]
        if entry.get("currency") == "inherit":
            value, half = _amount(lex, gd.get("num"), None, None, gd.get("scale"), mult)
            return [Mention(value=value, low=value - half, high=value + half, unit="",
                            scaled=True, **common)]
        cur = _currency(lex, gd, entry)
        value, half = _amount(lex, gd.get("num"), gd.get("neg"), gd.get("words"),
                              gd.get("scale"), mult)
        unit = f"{cur}/share" if kind == "per_share" else cur
        return [Mention(value=value, low=value - half, high=value + half, unit=unit,
                        uncertain=uncertain, scaled=bool(gd.get("scale")), **common)]
    except (InvalidOperation, ValueError, KeyError, IndexError):
        return []


def _range(entry: Entry, m: regex.Match, lex: _Lexicon, text: str) -> list[Mention]:
    gd = m.groupdict()
    b_scale, b_cur = gd.get("b_scale"), gd.get("b_cur")
    a_scale = gd.get("a_scale") or b_scale
    cur = _currency(lex, {"cur": b_cur}, entry)
    a_cur = _currency(lex, {"cur": gd.get("a_cur")}, entry) if gd.get("a_cur") else cur
    if a_cur != cur:
        return []
    out = []
    for role, num, scale in (("low", gd["a_num"], a_scale), ("high", gd["b_num"], b_scale)):
        value, half = _amount(lex, num, None, None, scale, Decimal(1))
        s, e = m.start(f"{role[0] if role == 'low' else 'b'}_fig") if False else (0, 0)
        key = "a_fig" if role == "low" else "b_fig"
        s, e = m.start(key), m.end(key)
        out.append(Mention(kind=entry.get("kind"), rule_id=entry.id, start=s, end=e,
                           text=text[s:e], value=value, low=value - half, high=value + half,
                           unit=cur, qualifier="between", scaled=bool(scale), range_role=role,
                           match_start=m.start(), match_end=m.end()))
    if out[0].value is not None and out[1].value is not None and out[0].value > out[1].value:
        return []
    return out
