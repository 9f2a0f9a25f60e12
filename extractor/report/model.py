"""The report of one document, independent of its output format.

:func:`build_report` turns a :class:`~extractor.documents.Document`, a facts table and a
findings table into plain values: the summary, the findings relevant to the document (grouped
as cross-checks, schema failures and input errors) with the evidence of each cited fact quoted
in context, and the document's facts. The Markdown, HTML and JSON renderers only format it.

``facts`` may hold other documents' rows too (e.g. the whole corpus table): they are used to
quote the evidence of cross-document findings. ``findings`` may hold the whole corpus's
findings: a finding belongs in this report when its ``doc_id`` is this document's or when it
cites one of this document's facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..documents import Document
from ..facts import COLUMNS as FACT_COLUMNS
from ..schemas.columns import FINDINGS as FINDING_COLUMNS

if TYPE_CHECKING:  # pandas is imported where a table is read, not by the renderers
    import pandas as pd

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
KINDS: tuple[str, ...] = ("money", "per_share", "percent", "runway")
CORPUS_DOC = "*"
CONTEXT_CHARS = 150  # characters of context kept on each side of a quoted figure

_INT_COLUMNS = ("start", "end", "line")
_BOOL_COLUMNS = ("guidance", "uncertain")
_FACT_ID = re.compile(r"^(?P<doc>.+):(?P<start>\d+)-(?P<end>\d+)$")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------
# names shared by every format: anchors and file names
def fact_anchor(fact_id: str) -> str:
    """The HTML id of a figure in the transcript: ``fact-`` and the fact id, made id-safe."""
    return "fact-" + _UNSAFE_ID.sub("-", fact_id)


def finding_anchor(finding_id: str) -> str:
    return "finding-" + _UNSAFE_ID.sub("-", finding_id)


def report_name(doc_id: str) -> str:
    """The file stem of a document's reports (``<stem>.md``, ``.html``, ``.json``)."""
    name = _UNSAFE_NAME.sub("_", doc_id).lstrip(".")
    return name or "_"


def doc_of_fact(fact_id: str) -> str:
    """The document of a fact id ``doc:start-end`` ('' when it has not that form)."""
    m = _FACT_ID.match(fact_id)
    return m.group("doc") if m else ""


def split_ids(value: str) -> list[str]:
    """The fact ids of a findings row's ``fact_ids`` cell, in order, without duplicates."""
    out: list[str] = []
    for part in (value or "").split(";"):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


# ---------------------------------------------------------------------------------------------
# tables -> plain records
def _text(value: object) -> str:
    if type(value) is str:  # a CSV cell (most calls): no missing-value test needed
        return value
    if value is None:
        return ""
    import pandas as pd  # a cell of a table read with pandas: already imported

    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def fact_record(raw: Mapping[str, object]) -> dict[str, object]:
    """One facts row (as read from a table) as a plain dict: strings, ints and bools."""
    row: dict[str, object] = {}
    for col in FACT_COLUMNS:
        value = raw.get(col)
        if col in _INT_COLUMNS:
            text = _text(value)
            row[col] = int(float(text)) if text else 0
        elif col in _BOOL_COLUMNS:
            row[col] = _text(value).strip().lower() in ("true", "1")
        else:
            row[col] = _text(value)
    if not row["doc_id"]:
        row["doc_id"] = doc_of_fact(str(row["fact_id"]))
    return row


def fact_sort_key(row: Mapping[str, object]) -> tuple:
    """Facts records by document and position."""
    return (str(row["doc_id"]), int(row["start"]), int(row["end"]),  # type: ignore[call-overload]
            str(row["fact_id"]))


def fact_records(facts: pd.DataFrame | None) -> list[dict[str, object]]:
    """Facts rows as plain dicts (strings, ints, bools), sorted by document and position."""
    if facts is None or len(facts) == 0:
        return []
    return sorted((fact_record(raw) for raw in facts.to_dict("records")), key=fact_sort_key)


def finding_records(findings: pd.DataFrame | None) -> list[dict[str, str]]:
    """Findings rows as dicts of strings (every column of the findings contract)."""
    if findings is None or len(findings) == 0:
        return []
    return [finding_record(raw) for raw in findings.to_dict("records")]


def finding_record(raw: Mapping[str, object]) -> dict[str, str]:
    """One findings row (as read from a table) as a dict of strings, every column of the
    findings contract (a missing one empty)."""
    return {col: _text(raw.get(col)) for col in FINDING_COLUMNS}


def finding_group(check_id: str) -> str:
    """check (a cross-check, XC-nnn), schema (SCHEMA-...) or input (INPUT-...)."""
    if check_id.startswith("SCHEMA-"):
        return "schema"
    if check_id.startswith("INPUT-"):
        return "input"
    return "check"


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def finding_sort_key(row: Mapping[str, str]) -> tuple:
    return (severity_rank(row["severity"]), row["check_id"], row["finding_id"], row["fact_ids"],
            row["doc_id"], row["message"])


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """One cited fact, quoted in context: ``before + figure + after``."""

    fact_id: str
    doc_id: str  # the document the fact belongs to
    local: bool  # the fact is in the report's own document
    fact: Mapping[str, object] | None  # its facts row, when known (not copied: read only)
    line: int | None
    column: int | None
    before: str = ""
    figure: str = ""
    after: str = ""

    @property
    def found(self) -> bool:
        return self.fact is not None

    @property
    def quote(self) -> str:
        return self.before + self.figure + self.after

    @property
    def anchor(self) -> str:
        return fact_anchor(self.fact_id)

    def label(self) -> str:
        """kind, metric, entity/scope, period or as-of date, value and unit of the fact."""
        if self.fact is None:
            return ""
        return fact_label(self.fact)

    def as_dict(self) -> dict[str, object]:
        return {
            "fact_id": self.fact_id, "doc_id": self.doc_id, "in_document": self.local,
            "found": self.found, "line": self.line, "column": self.column,
            "text": str(self.fact["text"]) if self.fact else "",
            "quote": self.quote, "quote_figure": [len(self.before),
                                                  len(self.before) + len(self.figure)],
        }


def fact_label(fact: Mapping[str, object]) -> str:
    parts = [str(fact.get("kind", "")), str(fact.get("metric", ""))]
    entity = str(fact.get("entity", ""))
    scope = str(fact.get("scope", ""))
    if entity or scope:
        parts.append(entity + (f"/{scope}" if scope else ""))
    if fact.get("period"):
        parts.append(str(fact["period"]))
    elif fact.get("as_of"):
        parts.append(f"as of {fact['as_of']}")
    value = str(fact.get("value", ""))
    if value:
        parts.append(f"{value} {fact.get('unit', '')}".strip())
    elif fact.get("horizon_end"):
        parts.append(f"horizon {fact.get('horizon_start', '')}..{fact['horizon_end']}")
    return " · ".join(p for p in parts if p)


@dataclass
class FindingView:
    """A findings row with its anchor, group and quoted evidence."""

    row: dict[str, str]
    anchor: str
    group: str  # check | schema | input
    evidence: list[Evidence] = field(default_factory=list)
    cited_docs: tuple[str, ...] = ()

    @property
    def cross_document(self) -> bool:
        return self.row["doc_id"] == CORPUS_DOC or len(self.cited_docs) > 1

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = dict(self.row)
        out["fact_ids"] = split_ids(self.row["fact_ids"])
        out["anchor"] = self.anchor
        out["group"] = self.group
        out["cross_document"] = self.cross_document
        out["documents"] = list(self.cited_docs)
        out["evidence"] = [e.as_dict() for e in self.evidence]
        return out


@dataclass
class Report:
    doc_id: str
    document: Document
    facts: list[dict[str, object]]  # this document's facts, by position
    findings: list[FindingView]  # every finding of this report, sorted
    cited_by: dict[str, list[FindingView]]  # fact id -> findings citing it

    # -- summary -------------------------------------------------------------------------------
    @property
    def metadata(self) -> dict[str, str]:
        m = self.document.metadata
        return {
            "doc_id": self.doc_id,
            "company": m.company,
            "ticker": m.ticker,
            "exchange": m.exchange,
            "fiscal_period": m.fiscal_period,
            "period_end": m.period_end.isoformat() if m.period_end else "",
            "call_date": m.call_date.isoformat() if m.call_date else "",
            "encoding": m.encoding,
        }

    def facts_by_kind(self) -> dict[str, int]:
        return count_kinds(self.facts)

    def findings_by_severity(self) -> dict[str, int]:
        return count_severities(f.row for f in self.findings)

    def group(self, group: str) -> list[FindingView]:
        return [f for f in self.findings if f.group == group]

    def checks_by_severity(self) -> dict[str, list[FindingView]]:
        out: dict[str, list[FindingView]] = {s: [] for s in SEVERITIES}
        for f in self.group("check"):
            out.setdefault(f.row["severity"] or "unknown", []).append(f)
        return out

    def worst_severity(self, fact_id: str) -> str:
        cites = self.cited_by.get(fact_id, [])
        return min((f.row["severity"] for f in cites), key=severity_rank, default="")


def ordered_counts(counts: Mapping[str, int], first: Iterable[str]) -> dict[str, int]:
    """``counts`` with every key of ``first`` (0 when absent) in that order, then the others
    sorted."""
    first = tuple(first)
    return {k: counts.get(k, 0) for k in [*first, *sorted(set(counts) - set(first))]}


def count_kinds(facts: Iterable[Mapping[str, object]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in facts:
        kind = str(f["kind"])
        counts[kind] = counts.get(kind, 0) + 1
    return ordered_counts(counts, KINDS)


def count_severities(findings: Iterable[Mapping[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    return ordered_counts(counts, SEVERITIES)


# ---------------------------------------------------------------------------------------------
def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text)


def _clip(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """``text`` split around ``[start, end)``, each side cut to about ``width`` characters at a
    word boundary (marked with an ellipsis), whitespace runs folded to one space."""
    before, figure, after = text[:start], text[start:end], text[end:]
    if len(before) > width:
        cut = before[-width:]
        space = cut.find(" ")
        before = "…" + (cut[space + 1:] if 0 <= space < width // 2 else cut)
    if len(after) > width:
        cut = after[:width]
        space = cut.rfind(" ")
        after = (cut[:space] if space > width // 2 else cut) + "…"
    return _one_line(before).lstrip(), _one_line(figure), _one_line(after).rstrip()


def local_evidence(document: Document, fact: Mapping[str, object]) -> Evidence:
    """A fact of the report's document, quoted with its sentence (or its line)."""
    start, end = int(fact["start"]), int(fact["end"])  # type: ignore[call-overload]
    text = document.text
    i = document.sentence_index(start) if document.sentences else -1
    if i >= 0 and document.sentences[i].end >= end:
        lo, hi = document.sentences[i].start, document.sentences[i].end
    else:
        line = document.line_of(start)
        lo = document.line_starts[line - 1] if document.line_starts else 0
        nl = text.find("\n", end)
        hi = len(text) if nl < 0 else nl
    before, figure, after = _clip(text[lo:hi], start - lo, end - lo)
    return Evidence(str(fact["fact_id"]), str(fact["doc_id"]), True, fact,
                    document.line_of(start), document.column_of(start), before, figure, after)


def foreign_evidence(fact_id: str, fact: Mapping[str, object] | None) -> Evidence:
    """A fact of another document, quoted from its facts row (sentence and line)."""
    if fact is None:
        return Evidence(fact_id, doc_of_fact(fact_id), False, None, None, None)
    sentence, figure = str(fact.get("sentence", "")), str(fact.get("text", ""))
    at = sentence.find(figure) if figure else -1
    if at >= 0:
        before, fig, after = _clip(sentence, at, at + len(figure))
    else:
        before, fig, after = "", _one_line(figure), (" (" + _one_line(sentence) + ")"
                                                     if sentence else "")
    line = int(fact["line"]) if fact.get("line") else None  # type: ignore[call-overload]
    return Evidence(fact_id, str(fact["doc_id"]), False, fact, line, None, before, fig,
                    after)


def build_report(document: Document, facts: pd.DataFrame | None,
                 findings: pd.DataFrame | None) -> Report:
    """The report of ``document`` (see the module docstring for what may be passed)."""
    return report_from_records(document, fact_records(facts), finding_records(findings))


def report_from_records(document: Document, all_facts: list[dict[str, object]],
                        findings: list[dict[str, str]]) -> Report:
    """:func:`build_report` over rows already read (:func:`fact_records`,
    :func:`finding_records`): those of ``document`` and any others, as there."""
    doc_id = document.doc_id
    by_id = {str(f["fact_id"]): f for f in all_facts}
    own = [f for f in all_facts if f["doc_id"] == doc_id]
    own_ids = {str(f["fact_id"]) for f in own}

    def doc_of(fid: str) -> str:
        return str(by_id[fid]["doc_id"]) if fid in by_id else doc_of_fact(fid)

    rows = []
    for row in findings:
        ids = split_ids(row["fact_ids"])
        if row["doc_id"] == doc_id or any(doc_of(i) == doc_id for i in ids):
            rows.append(row)
    rows.sort(key=finding_sort_key)

    views: list[FindingView] = []
    used: set[str] = set()
    cited_by: dict[str, list[FindingView]] = {}
    for n, row in enumerate(rows, 1):
        anchor = finding_anchor(row["finding_id"] or f"{row['check_id']}-{n}")
        base, k = anchor, 1
        while anchor in used:
            k += 1
            anchor = f"{base}-{k}"
        used.add(anchor)
        evidence = []
        docs: list[str] = []
        for fid in split_ids(row["fact_ids"]):
            if fid in own_ids:
                evidence.append(local_evidence(document, by_id[fid]))
            else:
                evidence.append(foreign_evidence(fid, by_id.get(fid)))
            d = doc_of(fid)
            if d and d not in docs:
                docs.append(d)
        view = FindingView(row, anchor, finding_group(row["check_id"]), evidence, tuple(docs))
        views.append(view)
        for fid in split_ids(row["fact_ids"]):
            if fid in own_ids:
                cited_by.setdefault(fid, []).append(view)
    return Report(doc_id, document, own, views, cited_by)
