"""``figures check``: extract, cross-check and write a validation report per document.

Runs the batch (extraction, within-document checks, schema validation, cross-document checks),
then writes each document's report (Markdown, HTML, JSON) and a corpus summary page. The exit
status follows linters: 0 clean, 1 when a finding at or above ``fail_on`` exists, 2 for usage
or input errors.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .batch import run_batch
from .documents import read_document
from .errors import InputFileError
from .listing import Listing
from .report.model import fact_sort_key
from .runs import chunked
from .settings import DEFAULT, Settings

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
FAIL_ON = ("error", "warning", "never")


@dataclass
class CheckSummary:
    documents: int = 0
    processed: int = 0
    failed: int = 0
    findings: dict[str, int] = field(default_factory=lambda: {"error": 0, "warning": 0,
                                                                "info": 0})
    reports: list[str] = field(default_factory=list)

    def line(self) -> str:
        f = self.findings
        return (f"figures check: {self.documents} documents, {self.processed} checked, "
                f"{self.failed} failed; {f['error']} errors, {f['warning']} warnings, "
                f"{f['info']} info")

    def exit_status(self, fail_on: str) -> int:
        if self.failed:
            return 2
        if fail_on == "never":
            return 0
        worst = [s for s, n in self.findings.items() if n and not s.startswith("INPUT")]
        threshold = SEVERITY_RANK[fail_on]
        return 1 if any(SEVERITY_RANK[s] >= threshold for s in worst) else 0


def read_findings(path: str) -> pd.DataFrame:
    from .schemas.findings import COLUMNS

    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return df.reindex(columns=COLUMNS).fillna("").astype("string")


def run_check(paths: Iterable[str | os.PathLike], report_dir: str | None,
              formats: Sequence[str] = ("md", "html", "json"), settings: Settings = DEFAULT,
              workers: int | None = None, progress: bool | None = None,
              facts_out: str | None = None, findings_out: str | None = None,
              on_error: Callable[[str], None] | None = None) -> CheckSummary:
    """Check every transcript under ``paths``; reports go to ``report_dir`` (None: none)."""
    paths = list(paths)
    with tempfile.TemporaryDirectory(prefix="figures-check-") as tmp:
        facts_path = facts_out or os.path.join(tmp, "facts.csv")
        findings_path = findings_out or os.path.join(tmp, "findings.csv")
        batch = run_batch(paths, facts_path, findings_path, settings, workers, progress,
                          on_error, manifest=os.path.join(tmp, "manifest.csv"))
        findings = read_findings(findings_path)
        summary = CheckSummary(documents=batch.documents, processed=batch.processed,
                               failed=batch.failed)
        for sev in ("error", "warning", "info"):
            summary.findings[sev] = int((findings["severity"] == sev).sum())
        if report_dir is not None:
            summary.reports = write_check_reports(paths, facts_path, findings, report_dir,
                                                  formats, settings, workers)
    return summary


#: documents per report task of a worker process
REPORT_CHUNK = 16


def write_check_reports(paths: Iterable[str | os.PathLike], facts_path: str,
                        findings: pd.DataFrame, report_dir: str,
                        formats: Sequence[str] = ("md", "html", "json"),
                        settings: Settings = DEFAULT, workers: int | None = None) -> list[str]:
    """The reports of a batch's documents and the corpus summary, written into
    ``report_dir``; returns their paths (the summary's first format last).

    A document gets a report when it has facts or findings. Linear in the corpus, with one
    document's facts at a time in memory (and the rows cross-document findings cite): the
    facts file is read back twice as a stream (:func:`~extractor.report.tables.fact_groups`),
    alongside the inputs in the batch's order (:class:`~extractor.listing.Listing`). The
    reports are written by ``workers`` processes (default: one per core), chunks of documents
    at a time.
    """
    from .report import CorpusSummary, report_formats, write_summary
    from .report.model import (
        CORPUS_DOC,
        count_kinds,
        doc_of_fact,
        finding_group,
        finding_records,
        split_ids,
    )
    from .report.tables import fact_groups
    from .workers import LocalRunner

    fmts = report_formats(formats)
    runner = LocalRunner(workers if workers is not None else settings.effective_workers(),
                         after_death="the reports written so far are kept: run again to "
                                     "write them all")
    runner.start()  # the worker processes start while the facts are read a first time
    try:
        rows = finding_records(findings)
        # the facts a report may quote from another document's rows: those cited by findings
        # of several documents (the corpus's, or citing another's facts) and by input errors
        cited_ids: set[str] = set()
        for r in rows:
            ids = split_ids(r["fact_ids"])
            docs = {r["doc_id"]} | {d for d in map(doc_of_fact, ids) if d}
            if len(docs) > 1 or r["doc_id"] == CORPUS_DOC or \
                    finding_group(r["check_id"]) == "input":
                cited_ids.update(ids)
        cited: dict[str, dict[str, object]] = {}
        for _doc, group in fact_groups(facts_path):
            for rec in group:
                if rec["fact_id"] in cited_ids:
                    cited[str(rec["fact_id"])] = rec

        def doc_of(fid: str) -> str:
            got = cited.get(fid)
            return str(got["doc_id"]) if got is not None else doc_of_fact(fid)

        # the findings of a report: the document's own and those citing one of its facts
        mine: dict[str, list[dict[str, str]]] = {}
        for r in rows:
            for d in dict.fromkeys([r["doc_id"], *(doc_of(i) for i in split_ids(r["fact_ids"]))]):
                mine.setdefault(d, []).append(r)
        with_findings = {r["doc_id"] for r in rows}

        def items() -> Iterator[_ReportItem]:
            groups = fact_groups(facts_path)
            group = next(groups, None)
            with Listing(paths) as listing:
                for path, doc_id, skip in listing:
                    while group is not None and group[0] < doc_id:
                        group = next(groups, None)
                    own = group[1] if group is not None and group[0] == doc_id else []
                    if skip or (not own and doc_id not in with_findings):
                        continue
                    relevant = mine.get(doc_id, [])
                    own_ids = {str(f["fact_id"]) for f in own}
                    foreign = {i: cited[i] for r in relevant for i in split_ids(r["fact_ids"])
                               if i in cited and i not in own_ids}
                    facts = sorted([*own, *foreign.values()], key=fact_sort_key)
                    yield _ReportItem(path, doc_id, facts, relevant, count_kinds(own),
                                      {i: cited[i] for i in own_ids if i in cited})

        out = Path(report_dir)
        out.mkdir(parents=True, exist_ok=True)
        sent: deque[list[_ReportItem]] = deque()  # chunks handed out, results not yet back

        def tasks() -> Iterator[tuple[list[tuple[str, str, list, list]], str, tuple, Settings]]:
            for chunk in chunked(items(), REPORT_CHUNK):
                sent.append(chunk)
                yield ([(i.path, i.doc_id, i.facts, i.findings) for i in chunk], str(out), fmts,
                       settings)

        written: list[str] = []
        kinds: dict[str, dict[str, int]] = {}
        quoted: dict[str, dict[str, object]] = {}  # cited facts of reported documents
        for done in runner.ordered(_write_chunk, tasks()):
            for item, paths_written in zip(sent.popleft(), done, strict=True):
                if paths_written is None:
                    continue  # unreadable now: reported as an INPUT finding in the summary
                written += paths_written
                kinds[item.doc_id] = item.kinds
                quoted.update(item.quoted)
        written.append(str(write_summary(CorpusSummary(kinds, quoted, rows, fmts), out)))
        return written
    finally:
        runner.close()


@dataclass
class _ReportItem:
    """One document's report to write: its facts (and the foreign ones its findings cite), its
    findings, and what the corpus summary keeps of it."""

    path: str
    doc_id: str
    facts: list[dict[str, object]]
    findings: list[dict[str, str]]
    kinds: dict[str, int]
    quoted: dict[str, dict[str, object]]


def _write_chunk(task: tuple[list[tuple[str, str, list, list]], str, tuple[str, ...], Settings]
                 ) -> list[list[str] | None]:
    """Write the reports of a chunk of (path, doc_id, facts, findings) (in a worker process);
    the paths written for each, None for a document that cannot be read now."""
    from .report import write_report
    from .report.model import report_from_records

    chunk, out, fmts, settings = task
    done: list[list[str] | None] = []
    for path, doc_id, facts, findings in chunk:
        try:
            document = read_document(path, settings, doc_id=doc_id)
        except InputFileError:
            done.append(None)
            continue
        report = report_from_records(document, facts, findings)
        done.append([str(p) for p in write_report(report, out, fmts)])
    return done
