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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import guard
from .errors import InputFileError
from .ruleset import RuleSet, load_rules
from .settings import DEFAULT, Settings

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
#: metadata is read from the header: its first lines, never more than this many characters
#: (a text without line breaks would otherwise make the whole document its "header")
HEADER_CHARS = 100_000
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
    doc = parse(text, doc_id or Path(path).stem, rules, settings)
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
    grows, a pipe)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputFileError(str(path), "is a directory, not a transcript file", "unreadable")
        if size > settings.max_doc_bytes:
            raise InputFileError(str(path), f"file too large ({size} bytes > the limit of "
                                 f"{settings.max_doc_bytes}; see --max-bytes)", "too_large")
        with p.open("rb") as fh:
            data = fh.read(settings.max_doc_bytes + 1)
        if len(data) > settings.max_doc_bytes:
            raise InputFileError(str(path), f"file too large (more than the limit of "
                                 f"{settings.max_doc_bytes} bytes; see --max-bytes)",
                                 "too_large")
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
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
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


def _lines(text: str) -> _Lines:
    """(start, end) of each line, end excluding the newline (and a trailing CR)."""
    return _Lines(text)


def _matches_empty(patterns) -> bool:
    """True when one of ``patterns`` matches an empty (or blank, once stripped) line: only
    then must a pass visit blank lines."""
    return any(p is not None and p.match("") for p in patterns)


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


def _boilerplate(rs: RuleSet, text: str, lines: _Lines) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    floor = 0  # the next line not yet inside a block
    for i in lines.nonblank():  # blank lines are never boilerplate
        if i < floor:
            continue
        guard.tick()
        s, e = lines[i]
        stripped = text[s:e].strip()
        block = None
        for entry, start_re, end_re in rs.boilerplate_blocks:
            if guard.match(start_re, stripped, rule=entry.id):
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
        elif any(guard.match(entry.regex, stripped, rule=entry.id)
                 for entry in rs.boilerplate_lines):
            out.append((s, e))
    return out


def _role_of(rs: RuleSet, title: str) -> str:
    roles = rs.patterns.get("roles", {})
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
    floor = 0  # the next line after a list
    for i in candidates:
        if i < floor:
            continue
        guard.tick()
        s, e = lines[i]
        line = text[s:e].strip()
        role = next((r for r, p in heads.items()
                     if guard.match(p, line, rule=f"participants.{r}")), None)
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
    cands: list[_Head] = []
    for i in lines.nonblank():  # a blank line is never a speaker line
        guard.tick()
        s, e = lines[i]
        if i in skip or e - s == 0 or e - s > 200:
            continue
        line = text[s:e]
        stripped = line.strip()
        if not stripped or (not_sp and guard.match(not_sp, stripped,
                                                   rule="not_speakers.pattern")):
            continue
        if ops and guard.match(ops, stripped, rule="operators.pattern"):
            cands.append(_Head(i, stripped, "", "operator", None))
            continue
        for entry in entries:
            m = guard.match(entry.regex, line, rule=entry.id)
            if not m:
                continue
            name = m.group("name").strip()
            if entry.get("inline"):
                cands.append(_Head(i, name, "", entry.id, s + m.start("rest")))
            elif entry.get("bare"):
                cands.append(_Head(i, name, "", entry.id, None))
            else:
                title = m.group("title").strip()
                if any(ch in title for ch in "$%€£") or title.endswith((".", "?", "!", ",")) \
                        or len(title.split()) > 14:
                    continue
                cands.append(_Head(i, name, title, entry.id, None))
            break
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
    for i in candidates:
        guard.tick()
        s, e = lines[i]
        line = text[s:e].strip()
        if qa_re is not None and guard.match(qa_re, line, rule="sections.qa"):
            markers.append((i, "qa"))
        elif prep_re is not None and guard.match(prep_re, line, rule="sections.prepared"):
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
    boundary = rs.patterns.get("sentences", {}).get("boundary")
    head_lines = {h.line for h in heads if h.inline_start is None}
    inline_starts = {h.line: h.inline_start for h in heads if h.inline_start is not None}
    starts = [t.start for t in turns]
    out: list[Sentence] = []
    for i in lines.nonblank():  # a blank line holds no sentence
        guard.tick()
        s, e = lines[i]
        if i in skip or i in head_lines or s == e:
            continue
        lo = inline_starts.get(i, s)
        ti = bisect.bisect_right(starts, lo) - 1
        pieces = []
        pos = lo
        if boundary is not None:
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
        m = guard.search(entry.regex, head20, rule=entry.id)
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
        m = guard.search(entry.regex, head25, rule=entry.id)
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


def _quarter_end(fiscal_year: int, quarter: int, fye_month: int) -> dt.date:
    """Last day of fiscal quarter ``quarter`` of ``fiscal_year`` (named by its end year)."""
    month = (fye_month - 3 * (4 - quarter) - 1) % 12 + 1
    year = fiscal_year if month <= fye_month else fiscal_year - 1
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)
