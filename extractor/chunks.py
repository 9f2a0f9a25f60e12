"""The worker side of a batch: one document, one chunk of documents, one bucket of the
cross-document checks. Plain Python rows only: a worker process imports this module and never
pandas, pandera or pyarrow (the pandera validation of each chunk runs in the process that
writes the output, :func:`extractor.batch.finish`).

The engine is a pure function per document (:func:`process_one`); :func:`work` runs it over a
chunk of consecutive inputs, with the within-document checks, and renders the chunk's facts as
CSV text when the output is CSV.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

from . import guard
from .errors import DocumentTimeout, FiguresError, InputFileError, internal_problem
from .facts import COLUMNS as FACT_COLUMNS
from .facts import fact_row
from .numbering import input_finding, number_rows
from .ruleset import load_rules
from .settings import DEFAULT, Settings
from .sinks import render_csv


@dataclass
class DocOutcome:
    """What happened to one document, with its fact and finding rows (plain values)."""

    path: str
    doc_id: str
    status: str  # processed | skipped | failed
    reason: str = ""
    code: str = ""
    facts: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    company: str = ""
    fact_count: int = 0


@dataclass(frozen=True)
class Task:
    """A chunk of inputs for a worker: (path, doc_id, skip reason) and how to render rows."""

    first: int
    items: tuple[tuple[str, str, str], ...]
    settings: Settings
    facts_format: str | None = "csv"
    findings_format: str | None = "csv"
    rules_dir: str | None = None
    sources: tuple[str, ...] = ()  # where to open each input, when not its path (Dask)


@dataclass
class ChunkRows:
    """A worker's answer for one chunk: each document's outcome (finding rows numbered, the
    count of its facts), the chunk's facts by column (documents in input order, each one's
    facts by span: half the memory of one dict per row in the process that waits for
    them), and the facts as CSV text when the output is CSV."""

    task: Task
    outcomes: list[DocOutcome]
    facts: dict[str, list] = field(default_factory=dict)
    facts_csv: str | None = None

    def fact_rows(self) -> list[dict]:
        """The facts as rows again (one dict per fact)."""
        return [dict(zip(FACT_COLUMNS, cells, strict=True))
                for cells in zip(*(self.facts[c] for c in FACT_COLUMNS), strict=True)]


def _failed(path: str, doc_id: str, problem: str, code: str, t0: float) -> DocOutcome:
    message = f"{path}: {problem}"
    return DocOutcome(path, doc_id, "failed", problem, code,
                      findings=[input_finding(doc_id, message, code, path)],
                      seconds=time.monotonic() - t0)


def _read(path: str, doc_id: str, settings: Settings, rules):
    from .pipeline import process_file

    return process_file(path, rules=rules, settings=settings, doc_id=doc_id)


def process_one(path: str, doc_id: str, settings: Settings = DEFAULT, rules=None,
                with_result: bool = False, source: str | None = None
                ) -> DocOutcome | tuple[DocOutcome, Any]:
    """One document, never raising for bad input: the outcome says what happened.

    ``source`` is where to open it when that is not ``path`` (``path`` is what the output
    shows). Facts rows are plain values (decimal strings, ISO dates, booleans, ints) sorted by
    span; findings are not added here (within-document checks come per chunk, in
    :func:`work`; schema findings in :func:`extractor.batch.finish`)."""
    t0 = time.monotonic()
    result = None
    try:
        result = _read(source or path, doc_id, settings, rules)
    except InputFileError as err:
        out = _failed(path, doc_id, err.problem, err.code, t0)
    except DocumentTimeout as err:
        out = _failed(path, doc_id, str(err).split(": ", 1)[-1], "timeout", t0)
    except FiguresError as err:
        out = _failed(path, doc_id, str(err), "unreadable", t0)
    except Exception as err:  # an engine bug on one document must not sink the batch
        out = _failed(path, doc_id, internal_problem(err), "internal", t0)
    else:
        rows = [fact_row(f) for f in result.facts]
        rows.sort(key=lambda r: (r["start"], r["end"]))
        out = DocOutcome(path, doc_id, "processed", facts=rows,
                         seconds=time.monotonic() - t0,
                         company=result.document.metadata.company_slug)
    return (out, result) if with_result else out


def work(task: Task) -> ChunkRows:
    """A chunk of inputs: process each and run its within-document checks."""
    from .checks import document_findings

    rules = load_rules(task.rules_dir) if task.rules_dir else load_rules()
    outcomes: list[DocOutcome] = []
    for i, (path, doc_id, skip) in enumerate(task.items):
        if skip:
            outcomes.append(DocOutcome(path, doc_id, "skipped", skip))
            continue
        t0 = time.monotonic()
        o, res = process_one(path, doc_id, task.settings, rules, with_result=True,
                             source=task.sources[i] if task.sources else None)
        if o.status == "processed" and o.facts:
            o.findings.extend(_checks(document_findings, res, o, t0, task.settings))
        o.findings = number_rows(o.findings)
        outcomes.append(o)
    rows = [r for o in outcomes for r in o.facts]
    facts_csv = None
    if task.facts_format == "csv":
        safe = rows
        if task.settings.excel_safe:
            from .csvsafe import escape_row

            safe = [escape_row(r) for r in rows]
        facts_csv = render_csv(safe, FACT_COLUMNS)
    for o in outcomes:
        o.fact_count, o.facts = len(o.facts), []
    return ChunkRows(task, outcomes, {c: [r[c] for r in rows] for c in FACT_COLUMNS},
                     facts_csv)


def _checks(document_findings: Any, res: Any, o: DocOutcome, t0: float,
            settings: Settings) -> list[dict]:
    """The within-document checks of a processed document, inside what is left of its time
    budget (``--doc-timeout`` counts reading, extraction and checks). Checks that overrun it
    stop with one ``INPUT-TIMEOUT`` finding naming the stage, checks that fail (an engine bug)
    with one ``INPUT-INTERNAL`` finding naming the error; the facts are kept."""
    timeout = settings.doc_timeout
    try:
        with guard.budget(o.doc_id, settings, deadline=t0 + timeout if timeout else None):
            guard.set_stage("checks")
            return document_findings(res, o.facts)
    except DocumentTimeout as err:
        problem = f"the within-document checks stopped: {str(err).split(': ', 1)[-1]}"
        return [input_finding(o.doc_id, f"{o.path}: {problem}", "timeout", o.path)]
    except Exception as err:  # an engine bug in a check must not sink the batch: facts kept
        problem = f"the within-document checks stopped: {internal_problem(err)}"
        return [input_finding(o.doc_id, f"{o.path}: {problem}", "internal", o.path)]


def corpus_bucket(data: bytes) -> list[dict]:
    """The cross-document checks over one bucket of facts, one company at a time; the
    findings sorted and numbered. ``data`` is a sequence of pickled lists of rows, each row the
    facts columns as written (CSV cells) and the company."""
    from .checks import corpus_findings
    from .runs import read_blocks

    keys = (*FACT_COLUMNS, "company")
    rows = []
    for block in read_blocks(io.BytesIO(data)):
        rows.extend(dict(zip(keys, r, strict=True)) for r in block)
    rows.sort(key=lambda r: (r["doc_id"], int(r["start"]), int(r["end"])))
    docs: dict[str, list[dict]] = {}
    company: dict[str, str] = {}
    for r in rows:
        company[r["doc_id"]] = r.pop("company")
        docs.setdefault(r["doc_id"], []).append(r)
    return corpus_findings((company[d], docs[d]) for d in sorted(docs))
