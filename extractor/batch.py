"""Batch extraction: many files, in parallel worker processes, streamed to CSV.

Results come back in input order (whatever the worker count or completion order), so the
output is byte-identical for the same inputs. Output files are written under a temporary name
and renamed at the end: an interrupted run never leaves a file that looks complete. A file that
cannot be read becomes a finding row (``INPUT-...``) and a line on stderr; the rest go on.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import DocumentTimeout, FiguresError, InputFileError
from .facts import COLUMNS as FACT_COLUMNS
from .facts import facts_frame
from .pipeline import process_file
from .ruleset import load_rules
from .schemas.findings import COLUMNS as FINDING_COLUMNS
from .settings import DEFAULT, Settings
from .validate import number_findings, validate_facts

CHUNK = 8  # documents per worker task: validation runs once per chunk, not per document


@dataclass
class DocOutcome:
    path: str
    doc_id: str
    status: str  # processed | failed
    reason: str = ""
    code: str = ""
    facts: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class BatchSummary:
    documents: int = 0
    processed: int = 0
    failed: int = 0
    facts: int = 0
    findings: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"figures: {self.documents} documents, {self.processed} processed, "
                f"{self.failed} failed, {self.facts} facts, {self.findings} findings "
                f"in {self.seconds:.1f} s" + (f" -> {', '.join(self.outputs)}"
                                               if self.outputs else ""))


def expand_inputs(paths: Iterable[str | os.PathLike]) -> list[tuple[str, str]]:
    """Files and folders (recursively *.txt) -> sorted unique (path, doc_id) pairs.

    A path that does not exist is kept, so that it becomes an error row."""
    out: dict[str, str] = {}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*.txt")):
                if f.is_file():
                    out.setdefault(str(f), f.stem)
        else:
            out.setdefault(str(p), p.stem)
    return sorted(out.items(), key=lambda kv: (kv[1], kv[0]))


def _input_finding(path: str, doc_id: str, err: FiguresError, code: str) -> dict:
    return {"doc_id": doc_id, "finding_id": "", "check_id": f"INPUT-{code.upper()}",
            "severity": "error", "message": str(err), "fact_ids": "", "expected": "",
            "observed": path, "arithmetic": ""}


def process_one(path: str, doc_id: str, settings: Settings) -> DocOutcome:
    """One document, never raising for bad input: the outcome says what happened."""
    t0 = time.monotonic()
    try:
        result = process_file(path, settings=settings, doc_id=doc_id)
    except InputFileError as err:
        return DocOutcome(path, doc_id, "failed", err.problem, err.code,
                          findings=[_input_finding(path, doc_id, err, err.code)],
                          seconds=time.monotonic() - t0)
    except DocumentTimeout as err:
        return DocOutcome(path, doc_id, "failed", str(err).split(": ", 1)[-1], "timeout",
                          findings=[_input_finding(path, doc_id, err, "timeout")],
                          seconds=time.monotonic() - t0)
    from .checks import run_document_checks

    table = result.table
    findings = run_document_checks(result, table)
    return DocOutcome(path, doc_id, "processed", facts=table.to_dict("records"),
                      findings=findings.to_dict("records") if len(findings) else [],
                      seconds=time.monotonic() - t0)


def _work(task: tuple[list[tuple[str, str]], Settings]) -> list[DocOutcome]:
    items, settings = task
    outcomes = [process_one(p, d, settings) for p, d in items]
    rows = [r for o in outcomes for r in o.facts]
    if rows:
        schema = validate_facts(facts_frame(rows))
        if len(schema):
            by_doc: dict[str, list[dict]] = {}
            for r in schema.to_dict("records"):
                by_doc.setdefault(r["doc_id"], []).append(r)
            for o in outcomes:
                o.findings.extend(by_doc.get(o.doc_id, []))
    return outcomes


def _init_worker(rules_dir: str | None) -> None:
    load_rules(rules_dir)


def iter_outcomes(items: list[tuple[str, str]], settings: Settings = DEFAULT,
                  workers: int | None = None) -> Iterator[DocOutcome]:
    """Outcomes in input order; parallel when workers > 1."""
    n = workers if workers is not None else settings.effective_workers()
    tasks = [(items[i:i + CHUNK], settings) for i in range(0, len(items), CHUNK)]
    if n <= 1 or len(tasks) <= 1:
        load_rules()
        for t in tasks:
            yield from _work(t)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes=n, initializer=_init_worker,
                  initargs=(os.environ.get("FIGURES_RULES_DIR"),)) as pool:
        for outcomes in pool.imap(_work, tasks, chunksize=1):
            yield from outcomes


class AtomicCSV:
    """Rows appended to ``path + '.partial'``; renamed to ``path`` only on close()."""

    def __init__(self, path: str, columns: list[str]) -> None:
        self.path = path
        self.tmp = f"{path}.partial"
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.columns = columns
        self.writer = csv.DictWriter(self.fh, fieldnames=columns, lineterminator="\n",
                                     extrasaction="ignore")
        self.writer.writeheader()

    def write(self, rows: list[dict]) -> None:
        for r in rows:
            self.writer.writerow({k: _cell(r.get(k, "")) for k in self.columns})

    def close(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.fh.close()
        if os.path.exists(self.tmp):
            os.remove(self.tmp)


def _cell(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def run_batch(paths: Iterable[str | os.PathLike], out: str | None = None,
              findings_out: str | None = None, settings: Settings = DEFAULT,
              workers: int | None = None, progress: bool | None = None,
              on_error: Callable[[str], None] | None = None) -> BatchSummary:
    """Extract every figure of every transcript under ``paths`` into ``out`` (CSV).

    Returns a summary; bad inputs are counted, reported through ``on_error`` and written as
    findings rows, never raised."""
    t0 = time.monotonic()
    load_rules()  # a bad rule file stops here, once, before any worker starts
    items = expand_inputs(paths)
    summary = BatchSummary(documents=len(items))
    facts_w = AtomicCSV(out, FACT_COLUMNS) if out else None
    find_w = AtomicCSV(findings_out, FINDING_COLUMNS) if findings_out else None
    bar = _progress(len(items), progress)
    try:
        for o in iter_outcomes(items, settings, workers):
            if o.status == "processed":
                summary.processed += 1
            else:
                summary.failed += 1
                msg = o.findings[0]["message"] if o.findings else f"{o.path}: {o.reason}"
                summary.errors.append(msg)
                if on_error:
                    on_error(msg)
            summary.facts += len(o.facts)
            if facts_w:
                facts_w.write(o.facts)
            if o.findings:
                fnd = number_findings(pd.DataFrame(o.findings, columns=FINDING_COLUMNS))
                summary.findings += len(fnd)
                if find_w:
                    find_w.write(fnd.to_dict("records"))
            if bar is not None:
                bar.update(1)
    except BaseException:
        for w in (facts_w, find_w):
            if w:
                w.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    for w in (facts_w, find_w):
        if w:
            w.close()
            summary.outputs.append(w.path)
    summary.seconds = time.monotonic() - t0
    return summary


def _progress(total: int, enabled: bool | None):
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", file=sys.stderr, leave=False)


def read_facts(path: str) -> pd.DataFrame:
    """Read a facts CSV back with its contract dtypes."""
    from .facts import typed

    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return typed(df)


def to_csv_text(df: pd.DataFrame, columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in df.to_dict("records"):
        w.writerow({k: _cell(r.get(k, "")) for k in columns})
    return buf.getvalue()
