"""Documents: bytes -> decoded text -> turns, sections, sentences, boilerplate and metadata.

The text is never altered (spans index the decoded text); layout is recognised with the
patterns of ``rules/layout.yaml``: "Name - Title" lines, "Name -- Title" lines with web
boilerplate, a participants list followed by bare names, "NAME: text", "Speaker 3: text" and
"Q:/A:" styles.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import os
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import guard
from .errors import InputFileError
from .ruleset import RuleSet, load_rules
from .settings import DEFAULT, Settings
from .sources import SUFFIX, doc_id_of, folder_problem, is_url, read_url, too_large

if TYPE_CHECKING:
    import regex

    from .ruleset import Entry

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
#: metadata is read from the header: its first lines, never more than this many characters
#: (a text without line breaks would otherwise make the whole document its "header")
HEADER_CHARS = 100_000
#: the characters that make a text look binary: C0 controls other than whitespace
_CONTROLS = tuple(chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3,
             "4th": 4}


@dataclass(frozen=True)
class Turn:
    """One speaker's turn: ``start:end`` is the span of what was said."""

    speaker: str
    role: str  # executive | analyst | operator | "" (unknown)
    section: str  # header | prepared | qa
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    turn: int  # index in Document.turns, -1 for the header
    paragraph: int  # index of the line (paragraph) it belongs to


@dataclass
class Metadata:
    company: str = ""
    company_slug: str = ""
    ticker: str = ""
    exchange: str = ""
    fiscal_year: int | None = None
    quarter: int | None = None  # 1-4; None for a full-year-only call
    fiscal_calendar: bool = False  # the fiscal year is not the calendar year
    fye_month: int = 12
    period_end: dt.date | None = None
    call_date: dt.date | None = None
    reporting_scale: int = 1
    encoding: str = "utf-8"
    half: bool = False  # a half-year (interim) results call

    @property
    def fiscal_period(self) -> str:
        if self.fiscal_year is None:
            return ""
        year = f"FY{self.fiscal_year}" if self.fiscal_calendar else str(self.fiscal_year)
        if self.quarter is None:
            return f"FY-{self.fiscal_year}" if not self.fiscal_calendar else year
        if self.half:
            return f"H1-{year}"
        return f"Q{self.quarter}-{year}"


@dataclass
class Document:
    doc_id: str
    text: str
    metadata: Metadata
    turns: list[Turn] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    boilerplate: list[tuple[int, int]] = field(default_factory=list)
    speaker_lines: list[tuple[int, int]] = field(default_factory=list)
    #: offset of the first character of each line (a compact ``array('q')`` when parsed)
    line_starts: Sequence[int] = field(default_factory=list)
    participants: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._turn_starts = [t.start for t in self.turns]
        self._sent_starts = [s.start for s in self.sentences]
        self._excluded = sorted(self.boilerplate + self.speaker_lines)
        self._excl_starts = [s for s, _ in self._excluded]

    def reindex(self) -> None:
        self.__post_init__()

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_right(self.line_starts, offset)

    def column_of(self, offset: int) -> int:
        return offset - self.line_starts[self.line_of(offset) - 1] + 1

    def turn_at(self, offset: int) -> Turn | None:
        i = bisect.bisect_right(self._turn_starts, offset) - 1
        if i >= 0 and self.turns[i].start <= offset < max(self.turns[i].end, offset + 1):
            return self.turns[i]
        return None

    def sentence_index(self, offset: int) -> int:
        i = bisect.bisect_right(self._sent_starts, offset) - 1
        if i >= 0 and self.sentences[i].start <= offset < self.sentences[i].end:
            return i
        return -1

    def is_excluded(self, start: int, end: int) -> bool:
        """True when ``start:end`` lies in boilerplate or on a speaker line."""
        i = bisect.bisect_right(self._excl_starts, start) - 1
        return i >= 0 and self._excluded[i][0] <= start < self._excluded[i][1]


# ---------------------------------------------------------------------------------------------
def read_document(path: str | os.PathLike, settings: Settings = DEFAULT,
                  rules: RuleSet | None = None, doc_id: str | None = None) -> Document:
    """Read and parse one transcript file; bad input raises a one-line InputFileError."""
    text, encoding = read_text(path, settings)
    doc = parse(text, doc_id or doc_id_of(os.fspath(path)), rules, settings)
    doc.metadata.encoding = encoding
    return doc


def read_text(path: str | os.PathLike, settings: Settings = DEFAULT) -> tuple[str, str]:
    """Read and decode a transcript: (text, encoding). The bytes are dropped once decoded, so
    a large file is held once as bytes while decoding and then once as text."""
    data = read_bytes(path, settings)
    text, encoding = decode(data, str(path), settings)
    del data
    return text, encoding


def read_bytes(path: str | os.PathLike, settings: Settings = DEFAULT) -> bytes:
    """The bytes of a transcript, at most ``settings.max_doc_bytes`` of them (a file over the
    limit is refused before it is read, or as soon as reading passes the limit: a file that
    grows, a pipe). An fsspec URL (``s3://``, ``file://`` ...) is read with
    :func:`~extractor.sources.read_url`, with the same checks."""
    if is_url(path):
        return read_url(os.fspath(path), settings)
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            _listable(path)
            raise InputFileError(str(path), folder_problem(
                next((True for _ in p.rglob(f"*{SUFFIX}")), False)), "unreadable")
        if size > settings.max_doc_bytes:
            raise too_large(str(path), settings, size)
        with p.open("rb") as fh:
            data = fh.read(settings.max_doc_bytes + 1)
        if len(data) > settings.max_doc_bytes:
            raise too_large(str(path), settings)
        return data
    except FileNotFoundError:
        raise InputFileError(str(path), "no such file", "missing") from None
    except PermissionError:
        raise InputFileError(str(path), "permission denied", "unreadable") from None
    except IsADirectoryError:
        raise InputFileError(str(path), "is a directory, not a transcript file",
                             "unreadable") from None
    except OSError as exc:
        raise InputFileError(str(path), f"cannot read ({exc.strerror or exc})",
                             "unreadable") from None


def _listable(folder: str | os.PathLike) -> None:
    """Raise the error of a folder given as an input (or met inside one) that cannot be
    listed: the transcripts in it are not processed, and the batch must say so."""
    try:
        with os.scandir(folder):
            pass
    except OSError as exc:
        why = "permission denied" if isinstance(exc, PermissionError) else \
            (exc.strerror or str(exc))
        raise InputFileError(str(folder), f"cannot list this folder ({why}): the transcripts "
                             "in it are not processed", "unreadable") from None


def decode(data: bytes, path: str = "<text>", settings: Settings = DEFAULT) -> tuple[str, str]:
    """Decode transcript bytes: UTF-8 (BOM stripped), UTF-16 with a BOM, else an error or the
    configured fallback encoding. Returns (text, encoding used)."""
    if not data:
        raise InputFileError(path, "empty file", "empty")
    encoding = "utf-8"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputFileError(path, "not valid UTF-16 despite its byte-order mark",
                                 "encoding") from None
    else:
        if data.find(b"\x00", 0, 65536) >= 0:
            raise InputFileError(path, "binary file (contains NUL bytes), not a text transcript",
                                 "binary")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if settings.fallback_encoding:
                text = data.decode(settings.fallback_encoding, errors="strict")
                encoding = settings.fallback_encoding
            else:
                raise InputFileError(
                    path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start}); convert it to UTF-8 or pass --fallback-encoding",
                    "encoding") from None
    if not text or text.isspace():  # (text.strip() would copy a large text)
        raise InputFileError(path, "empty file (only whitespace)", "empty")
    sample = text[:65536]
    controls = sum(map(sample.count, _CONTROLS))  # one C-level count a character
    if controls > max(8, len(sample) // 20):
        raise InputFileError(path, "binary file (too many control characters), not a text "
                             "transcript", "binary")
    return text, encoding


# ---------------------------------------------------------------------------------------------
def parse(text: str, doc_id: str = "doc", rules: RuleSet | None = None,
          settings: Settings = DEFAULT) -> Document:
    """Find the layout of ``text``: turns, sections, sentences, boilerplate and metadata.

    Runs under the document's time budget (the pipeline's, else one from ``settings``)."""
    rs = rules or load_rules()
    with guard.budget(doc_id, settings, hard=False):
        guard.set_stage("documents")
        return _parse(text, doc_id, rs)


def _parse(text: str, doc_id: str, rs: RuleSet) -> Document:
    lines = _Lines(text)
    boiler = _boilerplate(rs, text, lines)
    boiler_lines = _lines_in(boiler, lines)
    participants, list_lines = _participants(rs, text, lines, boiler_lines)
    heads = _speaker_heads(rs, text, lines, boiler_lines | list_lines, participants)
    turns, speaker_spans = _turns(rs, text, lines, heads, participants)
    sentences = _sentences(rs, text, lines, turns, boiler_lines | list_lines, heads)
    meta = _metadata(rs, text, lines, turns)
    doc = Document(doc_id=doc_id, text=text, metadata=meta, turns=turns, sentences=sentences,
                   boilerplate=sorted(boiler + [lines[i] for i in list_lines]),
                   speaker_lines=speaker_spans, line_starts=lines.starts,
                   participants=participants)
    return doc


class _Lines(Sequence[tuple[int, int]]):
    """The lines of a text: ``lines[i]`` is (start, end), end excluding the newline (and a
    trailing CR); a text ending in a newline has a last, empty line.

    Compact for texts of millions of lines: one ``array('q')`` of line starts (8 bytes a
    line, shared with :attr:`Document.line_starts`), the ends computed on access, and the
    indices of the lines that are not blank, which is all most passes need to visit."""

    def __init__(self, text: str) -> None:
        self.text = text
        parts = text.split("\n")
        self.starts = array("q", [0])
        # start of line i+1 = start of line i + its length + 1 (the newline); C-level loops
        self.starts.extend(itertools.accumulate(map((1).__add__, map(
            len, itertools.islice(parts, len(parts) - 1)))))
        # a line is blank when only whitespace (str.strip's) is on it
        self._nonblank = array("q", itertools.compress(itertools.count(), map(str.strip,
                                                                              parts)))
        del parts
        self.n = len(self.starts)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        if i < 0:
            i += self.n
        s = self.starts[i]
        e = self.starts[i + 1] - 1 if i + 1 < self.n else len(self.text)
        if e > s and self.text[e - 1] == "\r":
            e -= 1
        return (s, e)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return (self[i] for i in range(self.n))

    def nonblank(self) -> Sequence[int]:
        """Indices of the lines with something other than whitespace on them, in order."""
        return self._nonblank

    def spans(self, indices: Iterable[int]) -> Iterator[tuple[int, int, int]]:
        """``(i, *self[i])`` for each of ``indices``, each checking the document's time budget
        now and then (:func:`guard.tick`): the loop of a pass over lines."""
        starts, text, n, size = self.starts, self.text, self.n, len(self.text)
        tick = guard.current().tick
        for i in indices:
            tick()
            s = starts[i]
            e = starts[i + 1] - 1 if i + 1 < n else size
            if e > s and text[e - 1] == "\r":
                e -= 1
            yield i, s, e


def _lines(text: str) -> _Lines:
    """(start, end) of each line, end excluding the newline (and a trailing CR)."""
    return _Lines(text)


def _matches_empty(patterns) -> bool:
    """True when one of ``patterns`` matches an empty (or blank, once stripped) line: only
    then must a pass visit blank lines."""
    return any(p is not None and p.match("") for p in patterns)


#: a line pattern is tried on a line only when the line's first PREFIX_CHARS characters can
#: begin a match of it (asked once per distinct beginning, see :class:`_Prefilter`)
PREFIX_CHARS = 3
#: the beginnings remembered for one group of patterns (forgotten all at once when full)
_PREFIX_CACHE_MAX = 1 << 16
#: a beginning no line pattern expects (private-use characters): a pattern that can begin so
#: can begin with anything, and is better run once over all lines (:func:`_lines_matching`)
_ANY_BEGINNING = "\ue000" * PREFIX_CHARS


class _Partial:
    """A pattern as :func:`guard.match` sees it when asked whether a text could be the
    beginning of a match (the ``regex`` package's partial matching): a match, partial or
    complete, means yes; None means that no string beginning with the text matches."""

    __slots__ = ("pattern",)

    def __init__(self, pattern) -> None:
        self.pattern = pattern

    def match(self, string, pos=None, endpos=None, *, timeout=None):
        return self.pattern.match(string, pos, endpos, partial=True, timeout=timeout)


class _Prefilter:
    """Which patterns of a group can match (``pattern.match``) a line, told by the line's
    first :data:`PREFIX_CHARS` characters: bit ``k`` of :meth:`mask` is 0 only when pattern
    ``k`` matches no string beginning with them, so a pass runs the pattern itself only on
    the lines whose bit is set and finds exactly what it would find on every line. Most
    lines begin like many others ("Thank", "We ", "And"): the answer for a beginning is asked
    once (a guarded partial match) and remembered for the process."""

    def __init__(self, patterns: Sequence[tuple[object, str]]) -> None:
        self.patterns = tuple(patterns)
        self.every = (1 << len(self.patterns)) - 1
        self.masks: dict[str, int] = {}
        #: bit k set: pattern k can begin with anything (".*..."), its beginnings tell nothing
        self.unpruned = self._mask(_ANY_BEGINNING)

    def _mask(self, key: str) -> int:
        m = 0
        for k, (pattern, rule) in enumerate(self.patterns):
            if pattern is not None and guard.match(_Partial(pattern), key,
                                                   rule=rule) is not None:
                m |= 1 << k
        return m

    def mask(self, line: str) -> int:
        if len(line) <= PREFIX_CHARS:  # the whole line: no beginning to judge it by
            return self.every
        key = line[:PREFIX_CHARS]
        m = self.masks.get(key)
        if m is None:
            m = self._mask(key)
            if len(self.masks) >= _PREFIX_CACHE_MAX:
                self.masks.clear()
            self.masks[key] = m
        return m


_PREFILTERS: dict[tuple, _Prefilter] = {}


def _unpruned_hits(pf: _Prefilter, joined_lines,
                   line_ids: Sequence[int]) -> list[tuple[int, set[int]]]:
    """(k, lines) for each pattern ``k`` of ``pf`` that a line's beginning cannot rule out:
    the lines on which one scan of ``joined_lines()`` (the lines of the pass, joined by
    newlines, made only when needed; its line ``j`` is line ``line_ids[j]``) finds it; a line
    not among them is no match of it."""
    out = []
    joined = None
    for k, (pattern, rule) in enumerate(pf.patterns):
        if pf.unpruned >> k & 1:
            if joined is None:
                joined = joined_lines()
            found = _lines_matching(pattern, rule, joined)
            if found is not None:
                out.append((k, {line_ids[j] for j in found}))
    return out


def _prefilter(patterns: Sequence[tuple[object, str]]) -> _Prefilter:
    """The (process-wide) prefilter of a group of (pattern, rule id)."""
    key = tuple(patterns)
    pf = _PREFILTERS.get(key)
    if pf is None:
        pf = _PREFILTERS[key] = _Prefilter(key)
    return pf


#: what a pattern must not contain to be run over many lines joined by newlines: lookarounds
#: (they would see the lines around), anchors of the whole string, a moved match start
_NOT_LINE_LOCAL = ("(?=", "(?!", "(?<=", "(?<!", "\\A", "\\Z", "\\z", "\\G", "\\K")
_LINE_LOCAL: dict[object, bool] = {}


def _line_local(pattern) -> bool:
    """True when a scan of lines joined by newlines finds, at the start of each line, what a
    match of that line alone finds: ``pattern`` has no lookaround, no whole-string anchor, no
    inline flag but ``i`` (``$`` and ``^`` stay line anchors, ``.`` stops at a newline) and
    does not match the empty string. (A match that runs over a newline is caught by
    :func:`_lines_matching`.)"""
    ok = _LINE_LOCAL.get(pattern)
    if ok is None:
        src = pattern.pattern
        ok = not any(bad in src for bad in _NOT_LINE_LOCAL) and pattern.match("") is None
        at = src.find("(?")
        while ok and at >= 0:
            flags = src[at + 2:at + 5]
            ok = flags[:1] in (":", "P") or flags[:2] in ("i:", "i)") or flags in ("-i:", "-i)")
            at = src.find("(?", at + 2)
        _LINE_LOCAL[pattern] = ok
    return ok


def _lines_matching(pattern, rule: str, joined: str) -> dict[int, tuple | None] | None:
    """The lines of ``joined`` (lines joined by newlines) on which ``pattern`` finds a match,
    by one guarded scan: {line index: (match, offset of the line in ``joined``) when the first
    match found on the line begins at its start (it is then the match of the line alone, its
    positions shifted by the offset), else None}; a superset of the lines that
    ``pattern.match`` of the line alone accepts. None when the scan cannot stand for the
    matches of each line: the pattern is not :func:`_line_local`, or a match runs over a
    newline or is empty."""
    if not _line_local(pattern):
        return None
    out: dict[int, tuple | None] = {}
    line = last = line_start = 0
    for m in guard.finditer(pattern, joined, rule=rule):
        a, b = m.span()
        if a == b or joined.find("\n", a, b) >= 0:
            return None
        newlines = joined.count("\n", last, a)
        if newlines:
            line += newlines
            line_start = joined.rfind("\n", last, a) + 1
        last = a
        if line not in out:
            out[line] = (m, line_start) if a == line_start else None
    return out


def _lines_in(spans: list[tuple[int, int]], lines: _Lines) -> set[int]:
    """Indices of the lines whose start lies in one of ``spans``: each span's lines found by
    bisection (testing every line against every span was quadratic)."""
    if not spans:
        return set()
    spans = sorted(spans)
    out: set[int] = set()
    starts = lines.starts
    for s, e in spans:
        first = bisect.bisect_left(starts, s)
        last = bisect.bisect_left(starts, e)  # lines starting before e
        out.update(range(first, last))
    return out


def _joined_nonblank(text: str, lines: _Lines) -> str:
    """The lines that are not blank, stripped, joined by newlines (a line is blank when it
    strips to nothing): split all at once, or, when most lines are blank, one by one."""
    nonblank = lines.nonblank()
    if len(nonblank) < len(lines) // 4:
        return "\n".join(text[s:e].strip() for _i, s, e in lines.spans(nonblank))
    return "\n".join(filter(None, map(str.strip, text.split("\n"))))


def _boilerplate(rs: RuleSet, text: str, lines: _Lines) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    blocks, singles = rs.boilerplate_blocks, rs.boilerplate_lines
    pf = _prefilter([(start_re, entry.id) for entry, start_re, _e in blocks]
                    + [(entry.regex, entry.id) for entry in singles])
    nblocks = len(blocks)
    hits = _unpruned_hits(pf, lambda: _joined_nonblank(text, lines), lines.nonblank())
    floor = 0  # the next line not yet inside a block
    for i, s, e in lines.spans(lines.nonblank()):  # blank lines are never boilerplate
        if i < floor:
            continue
        stripped = text[s:e].strip()
        may = pf.mask(stripped)
        for k, found in hits:
            if i not in found:
                may &= ~(1 << k)
        if not may:
            continue
        block = None
        for k, (entry, start_re, end_re) in enumerate(blocks):
            if may >> k & 1 and guard.match(start_re, stripped, rule=entry.id):
                for j in range(i, min(len(lines), i + 40)):
                    js, je = lines[j]
                    if guard.match(end_re, text[js:je].strip(), rule=entry.id):
                        block = (s, je)
                        floor = j + 1
                        break
            if block:
                break
        if block:
            out.append(block)
        elif any(may >> k & 1 and guard.match(entry.regex, stripped, rule=entry.id)
                 for k, entry in enumerate(singles, nblocks)):
            out.append((s, e))
    return out


#: roles of the titles seen, by (analyst pattern, executive pattern, title): a transcript
#: names the same few titles again and again (forgotten all at once when full)
_ROLES: dict[tuple, str] = {}
_ROLES_MAX = 4096


def _role_of(rs: RuleSet, title: str) -> str:
    roles = rs.patterns.get("roles", {})
    key = (roles.get("analyst"), roles.get("executive"), title)
    role = _ROLES.get(key)
    if role is None:
        role = _find_role(roles, title)
        if len(_ROLES) >= _ROLES_MAX:
            _ROLES.clear()
        _ROLES[key] = role
    return role


def _find_role(roles, title: str) -> str:
    if roles.get("analyst") and guard.search(roles["analyst"], title, rule="roles.analyst"):
        return "analyst"
    if roles.get("executive") and guard.search(roles["executive"], title,
                                               rule="roles.executive"):
        return "executive"
    return ""


def _speaker_entries(rs: RuleSet):
    return rs.entries("speakers")


def _participants(rs: RuleSet, text: str, lines: _Lines, skip: set[int]):
    """Participants lists: {name: (title, role)} and the line numbers they occupy."""
    heads = rs.patterns.get("participants", {})
    dash = [e for e in _speaker_entries(rs) if not e.get("inline") and not e.get("bare")]
    out: dict[str, tuple[str, str]] = {}
    used: set[int] = set()
    candidates = range(len(lines)) if _matches_empty(heads.values()) else lines.nonblank()
    pf = _prefilter([(p, f"participants.{r}") for r, p in heads.items()])
    floor = 0  # the next line after a list
    for i, s, e in lines.spans(candidates):
        if i < floor:
            continue
        line = text[s:e].strip()
        may = pf.mask(line)
        if not may:
            continue
        role = next((r for k, (r, p) in enumerate(heads.items())
                     if may >> k & 1 and guard.match(p, line, rule=f"participants.{r}")),
                    None)
        if role is None or i in skip:
            continue
        used.add(i)
        j = i + 1
        while j < len(lines):
            guard.tick()
            js, je = lines[j]
            item = text[js:je].strip()
            if not item:
                j += 1
                if j < len(lines) and not text[lines[j][0]:lines[j][1]].strip():
                    break
                continue
            m = next((mm for d in dash if (mm := guard.match(d.regex, item, rule=d.id))),
                     None)
            if m is None or len(item) > 160:
                break
            name, title = m.group("name"), m.group("title")
            r = role if role != "mixed" else (_role_of(rs, title) or "")
            if role == "analyst" or (role == "mixed" and r == "analyst"):
                r = "analyst"
            elif role == "executive":
                r = "executive"
            out[name] = (title, r)
            used.add(j)
            j += 1
        floor = j
    return out, used


@dataclass
class _Head:
    line: int
    name: str
    title: str
    rule: str
    inline_start: int | None  # where the text starts on an inline "NAME: text" line


def _speaker_heads(rs: RuleSet, text: str, lines: _Lines, skip: set[int],
                   participants) -> list[_Head]:
    not_sp = rs.patterns.get("not_speakers", {}).get("pattern")
    ops = rs.patterns.get("operators", {}).get("pattern")
    entries = _speaker_entries(rs)
    pf_not = _prefilter([(not_sp, "not_speakers.pattern"), (ops, "operators.pattern")])
    pf_entries = _prefilter([(entry.regex, entry.id) for entry in entries])
    cands: list[_Head] = []
    rows = array("q")  # the lines left for the speaker patterns
    for i, s, e in lines.spans(lines.nonblank()):  # a blank line is never a speaker line
        if i in skip or e - s == 0 or e - s > 200:
            continue
        stripped = text[s:e].strip()
        if not stripped:
            continue
        may = pf_not.mask(stripped)
        if may & 1 and guard.match(not_sp, stripped, rule="not_speakers.pattern"):
            continue
        if may & 2 and guard.match(ops, stripped, rule="operators.pattern"):
            cands.append(_Head(i, stripped, "", "operator", None))
            continue
        rows.append(i)
    # each speaker pattern scans those lines once, joined (they are short, and few of them)
    joined = "\n".join(text[s:e] for s, e in map(lines.__getitem__, rows))
    hits = [_lines_matching(entry.regex, entry.id, joined) for entry in entries]
    del joined
    todo = sorted(set().union(*hits)) if all(h is not None for h in hits) else \
        range(len(rows))
    for r, (i, s, e) in zip(todo, lines.spans(rows[r] for r in todo), strict=True):
        line = text[s:e]
        may = pf_entries.mask(line)
        for k, entry in enumerate(entries):
            found = hits[k]
            if not may >> k & 1 or (found is not None and r not in found):
                continue
            if found is not None and found[r] is not None:
                m, at = found[r]  # the scan's match, found at the line's start
            else:
                m, at = guard.match(entry.regex, line, rule=entry.id), 0
            if not m:
                continue
            name = m.group("name").strip()
            if entry.get("inline"):
                cands.append(_Head(i, name, "", entry.id, s + m.start("rest") - at))
            elif entry.get("bare"):
                cands.append(_Head(i, name, "", entry.id, None))
            else:
                title = m.group("title").strip()
                if any(ch in title for ch in "$%€£") or title.endswith((".", "?", "!", ",")) \
                        or len(title.split()) > 14:
                    continue
                cands.append(_Head(i, name, title, entry.id, None))
            break
    cands.sort(key=lambda h: h.line)  # operator lines and the others, in the text's order
    # keep bare names only when known; inline title-case names only when repeated or known
    known = set(participants) | {h.name for h in cands if h.rule in ("LAYOUT-001", "LAYOUT-002")}
    counts: dict[str, int] = {}
    for h in cands:
        counts[h.name] = counts.get(h.name, 0) + 1
    heads = []
    for h in cands:
        if h.rule == "LAYOUT-007" and h.name not in known:
            continue
        if h.rule in ("LAYOUT-006", "LAYOUT-003") and counts[h.name] < 2 and h.name not in known:
            continue
        heads.append(h)
    return heads


def _turns(rs: RuleSet, text: str, lines: _Lines, heads: list[_Head], participants):
    sections = rs.patterns.get("sections", {})
    qa_re, prep_re, qa_op = sections.get("qa"), sections.get("prepared"), sections.get(
        "qa_operator")
    # explicit section markers by line
    markers: list[tuple[int, str]] = []
    candidates = range(len(lines)) if _matches_empty((qa_re, prep_re)) else lines.nonblank()
    pf = _prefilter([(qa_re, "sections.qa"), (prep_re, "sections.prepared")])
    for i, s, e in lines.spans(candidates):
        line = text[s:e].strip()
        may = pf.mask(line)
        if may & 1 and guard.match(qa_re, line, rule="sections.qa"):
            markers.append((i, "qa"))
        elif may & 2 and guard.match(prep_re, line, rule="sections.prepared"):
            markers.append((i, "prepared"))
    turns: list[Turn] = []
    speaker_spans: list[tuple[int, int]] = []
    section = "prepared"
    mi = 0
    qa_style = any(h.rule == "LAYOUT-005" for h in heads)
    for k, h in enumerate(heads):
        guard.tick()
        while mi < len(markers) and markers[mi][0] <= h.line:
            section = markers[mi][1]
            mi += 1
        s, e = lines[h.line]
        if h.inline_start is not None:
            start = h.inline_start
            speaker_spans.append((s, h.inline_start))
        else:
            start = lines[h.line + 1][0] if h.line + 1 < len(lines) else e
            speaker_spans.append((s, e))
        end = lines[heads[k + 1].line][0] if k + 1 < len(heads) else len(text)
        title, role = h.title, ""
        if h.name in participants:
            ptitle, prole = participants[h.name]
            title, role = title or ptitle, prole
        if h.rule == "operator":
            role = _role_of(rs, h.name) or "operator"
        elif h.rule == "LAYOUT-005":
            role = "analyst" if h.name.lower().startswith("q") else "executive"
        elif title and not role:
            role = _role_of(rs, title)
        if role == "operator" and qa_op is not None and \
                guard.search(qa_op, text[start:end], rule="sections.qa_operator"):
            section = "qa"
        if role == "analyst":
            section = "qa"
        if qa_style:
            section = "qa"
        speaker = h.name if not title else f"{h.name} ({title})"
        turns.append(Turn(speaker=speaker, role=role, section=section, start=start, end=end))
    return turns, speaker_spans


def _sentences(rs: RuleSet, text: str, lines: _Lines, turns: list[Turn], skip: set[int],
               heads: list[_Head]) -> list[Sentence]:
    """Each line (paragraph) split at the matches of ``sentences.boundary`` in it.

    The boundaries are found by one pass of the pattern over the whole text, not one search a
    line: a line gets the matches that lie inside it, which are the matches a search of that
    line alone finds (the pattern sees the text around a line the same way, lookbehinds
    included). A match that runs over the start or end of a line, or ends at its end (where
    a lookahead of the search of the line alone would meet the end of its text), is not
    trusted: that line is searched alone."""
    boundary = rs.patterns.get("sentences", {}).get("boundary")
    head_lines = {h.line for h in heads if h.inline_start is None}
    inline_starts = {h.line: h.inline_start for h in heads if h.inline_start is not None}
    starts = [t.start for t in turns]
    out: list[Sentence] = []
    found = iter(()) if boundary is None else \
        guard.finditer(boundary, text, rule="sentences.boundary")
    pending = next(found, None)  # the first match not yet given to a line
    reach = 0  # the end of the furthest match that ran past the end of its line
    for i, s, e in lines.spans(lines.nonblank()):  # a blank line holds no sentence
        if i in skip or i in head_lines or s == e:
            continue
        lo = inline_starts.get(i, s)
        ti = bisect.bisect_right(starts, lo) - 1
        pieces = []
        pos = lo
        alone = lo < reach
        while pending is not None and pending.start() < e:
            a, b = pending.span()
            if b > lo or a >= lo:
                if lo <= a < b < e:
                    pieces.append((pos, a))
                    pos = b
                else:
                    alone = True
                    reach = max(reach, b)
            pending = next(found, None)
        if alone:
            pieces = []
            pos = lo
            for m in guard.finditer(boundary, text, lo, e, rule="sentences.boundary"):
                pieces.append((pos, m.start()))
                pos = m.end()
        pieces.append((pos, e))
        for a, b in pieces:
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a < b:
                out.append(Sentence(a, b, ti, i))
    return out


# ---------------------------------------------------------------------------------------------
def parse_date(value: str) -> dt.date | None:
    """'September 30, 2021' / '30 September 2021' / 'Sept. 30 2021' -> date."""
    words = value.replace(",", " ").replace(".", " ").split()
    day = month = year = None
    for w in words:
        lw = w.lower()
        if lw[:3] in _MONTHS and lw.isalpha():
            month = _MONTHS[lw[:3]]
        elif w.isdigit() and len(w) == 4:
            year = int(w)
        else:
            digits = "".join(ch for ch in w if ch.isdigit())
            if digits and len(digits) <= 2:
                day = int(digits)
    if day and month and year:
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _metadata(rs: RuleSet, text: str, lines: _Lines, turns: list[Turn]) -> Metadata:
    meta = Metadata()
    first_turn_end = turns[min(2, len(turns) - 1)].end if turns else len(text)
    head_end = max(lines[min(len(lines) - 1, 40)][1], min(first_turn_end, 6000))
    head = text[:min(head_end, HEADER_CHARS)]
    head20 = text[: min(lines[min(len(lines) - 1, 20)][1], HEADER_CHARS)]
    groups = rs.metadata
    for entry in groups.get("company_ticker", []):
        m = _search_entry(entry, head20)
        if m:
            meta.company = m.group("company").strip().rstrip(",")
            meta.ticker = m.group("ticker") or ""
            meta.exchange = m.group("exchange") or ""
            break
    if not meta.company:
        for entry in groups.get("company_title", []):
            m = guard.search(entry.regex, head, rule=entry.id)
            if m:
                meta.company = m.group("company").strip()
                break
    if meta.company:
        first = meta.company.split()[0].rstrip(".,")
        meta.company_slug = slug(first)
    for entry in groups.get("call_period", []):
        m = guard.search(entry.regex, head, rule=entry.id)
        if not m:
            continue
        gd = m.groupdict()
        meta.fiscal_year = int(gd.get("year") or gd.get("year2"))
        if gd.get("half") or gd.get("half2"):
            meta.quarter, meta.half = 2, True
        elif gd.get("q"):
            meta.quarter = int(gd["q"])
        elif gd.get("qw"):
            meta.quarter = _ORDINALS[gd["qw"].lower()]
        elif gd.get("fy"):
            meta.quarter = 4
        meta.fiscal_calendar = bool(gd.get("fiscal"))
        break
    for entry in groups.get("period_end", []):
        for m in guard.finditer(entry.regex, head, rule=entry.id):
            d = parse_date(m.group("date"))
            if d:
                meta.period_end = d
                break
        if meta.period_end:
            break
    if meta.period_end and meta.quarter:
        fye = (meta.period_end.month + 3 * (4 - meta.quarter) - 1) % 12 + 1
        meta.fye_month = fye
        if fye != 12:
            meta.fiscal_calendar = True
    elif meta.fiscal_year and meta.quarter and not meta.fiscal_calendar:
        meta.period_end = _quarter_end(meta.fiscal_year, meta.quarter, 12)
    head25 = text[: min(lines[min(len(lines) - 1, 25)][1], HEADER_CHARS)]
    for entry in groups.get("call_date", []):
        m = _search_entry(entry, head25)
        if m:
            meta.call_date = parse_date(m.group("date"))
            if meta.call_date:
                break
    if meta.fiscal_year is None and meta.call_date is not None:
        meta.fiscal_year = meta.call_date.year  # an undated event: the call's calendar year
    for entry in groups.get("reporting_scale", []):
        if guard.search(entry.regex, text, rule=entry.id):
            meta.reporting_scale = int(entry.get("scale", 1))
            break
    return meta


def _search_entry(entry: Entry, text: str) -> regex.Match | None:
    """``entry.regex.search(text)`` (guarded), run only on the lines where the entry's
    ``lines`` filter finds something when it declares one: the same first match, since its
    matches never cross a newline."""
    lines = entry.get("_lines")
    if lines is None:
        return guard.search(entry.regex, text, rule=entry.id)
    done = -1  # the lines up to here are searched
    for hit in guard.finditer(lines, text, rule=f"{entry.id} lines"):
        if hit.start() < done:
            continue
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.end())
        done = end = len(text) if end < 0 else end
        m = guard.search(entry.regex, text, start, end, rule=entry.id)
        if m is not None:
            return m
    return None


def _quarter_end(fiscal_year: int, quarter: int, fye_month: int) -> dt.date:
    """Last day of fiscal quarter ``quarter`` of ``fiscal_year`` (named by its end year)."""
    month = (fye_month - 3 * (4 - quarter) - 1) % 12 + 1
    year = fiscal_year if month <= fye_month else fiscal_year - 1
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)
