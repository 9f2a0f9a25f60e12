"""``figures check``: extract, cross-check and write a validation report per document.

Runs the batch (extraction, within-document checks, schema validation, cross-document checks),
then writes each document's report (Markdown, HTML, JSON) and a corpus summary page. The exit
status follows linters: 0 clean, 1 when a finding at or above ``fail_on`` exists, 2 for usage
or input errors.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from . import resume as ckpt
from .batch import batch_digest, run_batch
from .documents import read_document
from .errors import FiguresError, InputFileError
from .listing import Listing
from .report.model import fact_sort_key
from .settings import DEFAULT, Settings
from .sinks import make_folder

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
    reports_not_written: int = 0  # documents unreadable when their report was to be written

    def line(self) -> str:
        f = self.findings
        unwritten = f"; {self.reports_not_written} reports not written" \
            if self.reports_not_written else ""
        return (f"figures check: {self.documents} documents, {self.processed} checked, "
                f"{self.failed} failed; {f['error']} errors, {f['warning']} warnings, "
                f"{f['info']} info{unwritten}")

    def exit_status(self, fail_on: str) -> int:
        if self.failed or self.reports_not_written:
            return 2
        if fail_on == "never":
            return 0
        worst = [s for s, n in self.findings.items() if n and not s.startswith("INPUT")]
        threshold = SEVERITY_RANK[fail_on]
        return 1 if any(SEVERITY_RANK[s] >= threshold for s in worst) else 0


def run_check(paths: Iterable[str | os.PathLike], report_dir: str | None,
              formats: Sequence[str] = ("md", "html", "json"), settings: Settings = DEFAULT,
              workers: int | None = None, progress: bool | None = None,
              facts_out: str | None = None, findings_out: str | None = None,
              on_error: Callable[[str], None] | None = None,
              scheduler: str | None = None, *, resume: bool = False,
              manifest: str | None = None) -> CheckSummary:
    """Check every transcript under ``paths``; reports go to ``report_dir`` (None: none).

    ``scheduler`` (a Dask scheduler address) runs the batch on that cluster (see
    :func:`~extractor.batch.run_batch`); the reports are written by local processes, which read
    the transcripts again (local paths or URLs this machine can reach).

    With ``facts_out`` and ``findings_out`` a check can be continued when interrupted
    (``resume``): the batch from its checkpoint, as ``figures extract --resume`` does; the
    reports from theirs (``<facts_out>.reports.checkpoint.json``, written once the batch is
    complete): the batch is not run again and the reports already written are kept. The
    manifest goes to ``manifest`` (default ``<facts_out>.manifest.csv``)."""
    from .report.tables import finding_rows

    paths = list(paths)
    kept = bool(facts_out and findings_out)
    if resume and not kept:
        raise FiguresError("--resume needs the --out and --findings of the interrupted run "
                           "(without them a check keeps nothing to continue from)")
    if report_dir is not None:  # before the batch: a bad folder fails now, not after it
        make_folder(report_dir, "reports")
    cp_path = f"{facts_out}{REPORTS_CHECKPOINT}" if kept and report_dir is not None else None
    with tempfile.TemporaryDirectory(prefix="figures-check-") as tmp:
        facts_path = facts_out or os.path.join(tmp, "facts.csv")
        findings_path = findings_out or os.path.join(tmp, "findings.csv")
        if manifest is None and not (facts_out or findings_out):
            manifest = os.path.join(tmp, "manifest.csv")
        state: ReportsCheckpoint | None = None
        if cp_path is not None:
            def digest() -> str:
                return _reports_digest(paths, facts_path, findings_path, manifest, report_dir,
                                       formats, settings)

            if resume and os.path.exists(cp_path):
                state = ckpt.load(cp_path, digest(), ReportsCheckpoint,
                                  "the inputs, outputs, facts, findings, report options, "
                                  "settings, rules or engine")
            else:
                ckpt.remove(cp_path)
        if state is None:
            batch = run_batch(paths, facts_path, findings_path, settings, workers, progress,
                              on_error, manifest=manifest, resume=resume, scheduler=scheduler)
            counts = {"documents": batch.documents, "processed": batch.processed,
                      "failed": batch.failed}
            if cp_path is not None:  # the batch is complete: an interrupt now keeps it
                state = ReportsCheckpoint(digest(), counts)
                ckpt.save(cp_path, state)
        else:
            counts = state.counts
        summary = CheckSummary(**counts)
        for row in finding_rows(findings_path):
            if row["severity"] in summary.findings:
                summary.findings[row["severity"]] += 1
        if report_dir is not None:
            def unwritten(message: str) -> None:
                summary.reports_not_written += 1
                if on_error is not None:
                    on_error(f"report not written: {message}")

            summary.reports = write_check_reports(paths, facts_path, findings_path, report_dir,
                                                  formats, settings, workers, spool=tmp,
                                                  on_error=unwritten, progress=progress,
                                                  checkpoint=cp_path, state=state)
            if cp_path is not None:
                ckpt.remove(cp_path)
    return summary


#: suffix of the reports' checkpoint, beside the facts file
REPORTS_CHECKPOINT = ".reports.checkpoint.json"


@dataclass
class ReportsCheckpoint:
    """How far the reports of a check got: its batch is complete (its counts here), and the
    first ``done`` documents of the reports, in input order, are written."""

    fingerprint: str
    counts: dict[str, int]
    done: int = 0


def _reports_digest(paths: list[str | os.PathLike], facts: str, findings: str,
                    manifest: str | None, report_dir: str, formats: Sequence[str],
                    settings: Settings) -> str:
    """What a check's reports depend on: the batch's fingerprint, the bytes of its facts and
    findings files, and where and how the reports are written."""
    h = hashlib.sha256()
    h.update(batch_digest(paths, facts, findings, settings, manifest).encode())
    for path in (facts, findings):
        with open(path, "rb") as fh:
            h.update(f"\n{path}\n{hashlib.file_digest(fh, 'sha256').hexdigest()}".encode())
    h.update(f"\n{os.path.abspath(report_dir)}\n{','.join(formats)}".encode())
    return h.hexdigest()


#: documents per report task of a worker process
REPORT_CHUNK = 16


def write_check_reports(paths: Iterable[str | os.PathLike], facts_path: str,
                        findings_path: str, report_dir: str,
                        formats: Sequence[str] = ("md", "html", "json"),
                        settings: Settings = DEFAULT, workers: int | None = None,
                        spool: str | None = None,
                        on_error: Callable[[str], None] | None = None,
                        progress: bool | None = None, checkpoint: str | None = None,
                        state: ReportsCheckpoint | None = None) -> list[str]:
    """The reports of a batch's documents and the corpus summary, written into
    ``report_dir``; returns their paths (the summary's first format last).

    A document gets a report when it has facts or findings. Linear in the corpus, with memory
    flat in it: the findings go into a :class:`~extractor.report.store.ReportStore` (an
    SQLite file in ``spool``, default a temporary folder) with the facts findings of several
    documents cite; the facts file is read back as a stream
    (:func:`~extractor.report.tables.fact_groups`), alongside the inputs in the batch's order
    (:class:`~extractor.listing.Listing`), one document's facts at a time. The reports are
    written by ``workers`` processes (default: one per core), chunks of documents at a time;
    the summary is written from the store as it is read.

    A document of the facts that is no longer among the inputs, or cannot be read when its
    report is due (moved, deleted or changed since the batch), gets no report: the summary
    lists it under "Reports not written" with the problem (its facts still counted), and
    ``on_error`` is called with that one-line message.

    With a ``state`` (:class:`ReportsCheckpoint`), the reports of its first ``state.done``
    documents are taken as written (each one whose files are all there); ``checkpoint`` is
    where ``state`` is saved as reports are written. ``progress`` shows a bar of the inputs
    gone through (default: when stderr is a terminal).
    """
    from .batch import CHECKPOINT_SECONDS, _progress
    from .report import CorpusSummary, report_formats, report_paths, write_summary
    from .report.model import count_kinds, split_ids
    from .report.store import ReportStore
    from .report.tables import fact_groups, finding_rows
    from .workers import LocalRunner

    fmts = report_formats(formats)
    runner = LocalRunner(workers if workers is not None else settings.effective_workers(),
                         after_death="the reports written so far are kept: run again " +
                                     ("with --resume to continue" if checkpoint else
                                      "to write them all"))
    bar = None
    try:
        runner.start()  # the worker processes start while the findings and facts are read
        with tempfile.TemporaryDirectory(prefix="figures-reports-", dir=spool) as tmp, \
                contextlib.closing(ReportStore(os.path.join(tmp, "reports.sqlite"))) as store, \
                Listing(paths) as inputs:
            store.add_findings(finding_rows(findings_path))
            for doc, group in fact_groups(facts_path):
                store.add_facts(doc, group)
            out = make_folder(report_dir, "reports")
            bar = _progress(len(inputs), progress, desc="reports")

            def items() -> Iterator[_ReportItem]:
                groups = fact_groups(facts_path)
                group = next(groups, None)
                for position, (path, doc_id, skip) in enumerate(inputs, 1):
                    while group is not None and group[0] < doc_id:
                        gone(*group)
                        group = next(groups, None)
                    if skip:  # a second file of the doc_id: not processed
                        continue
                    own = []
                    if group is not None and group[0] == doc_id:
                        own = group[1]
                        group = next(groups, None)
                    if not own and not store.has_findings(doc_id):
                        continue
                    relevant = store.findings_of(doc_id)
                    own_ids = {str(f["fact_id"]) for f in own}
                    foreign = store.cited_facts(i for r in relevant
                                                for i in split_ids(r["fact_ids"])
                                                if i not in own_ids)
                    facts = sorted([*own, *foreign.values()], key=fact_sort_key)
                    yield _ReportItem(path, doc_id, facts, relevant, count_kinds(own),
                                      position)
                while group is not None:
                    gone(*group)
                    group = next(groups, None)

            def gone(doc_id: str, rows: list[dict[str, object]]) -> None:
                """A document of the facts no longer among the inputs: no report."""
                unwritten(doc_id, count_kinds(rows),
                          f"{doc_id}: no longer among the inputs (moved or deleted since "
                          "its facts were extracted)")

            def unwritten(doc_id: str, kinds: dict[str, int], problem: str) -> None:
                store.reported(doc_id, kinds, problem)
                if on_error is not None:
                    on_error(problem)

            written: list[str] = []
            done = 0  # reports of this many documents (items) dealt with, in order
            last = time.monotonic()

            def advance(item: _ReportItem) -> None:
                nonlocal done, last
                done += 1
                if bar is not None:
                    bar.update(item.position - bar.n)
                if checkpoint is not None and state is not None and \
                        time.monotonic() - last >= CHECKPOINT_SECONDS:
                    state.done = done
                    ckpt.save(checkpoint, state)
                    last = time.monotonic()

            sent: deque[list[_ReportItem]] = deque()  # chunks handed out, results not back
            resumed = state.done if state is not None else 0

            def tasks() -> Iterator[tuple[list[tuple[str, str, list, list]], str, tuple,
                                          Settings]]:
                todo: list[_ReportItem] = []
                for k, item in enumerate(items()):
                    if k < resumed and not todo and not sent:  # written by the interrupted run
                        files = report_paths(item.doc_id, out, fmts)
                        if all(f.exists() for f in files):
                            written.extend(str(f) for f in files)
                            store.reported(item.doc_id, item.kinds)
                            advance(item)
                            continue
                    todo.append(item)
                    if len(todo) == REPORT_CHUNK:
                        yield send(todo)
                        todo = []
                if todo:
                    yield send(todo)

            def send(chunk: list[_ReportItem]) -> tuple[list[tuple[str, str, list, list]],
                                                        str, tuple, Settings]:
                sent.append(chunk)
                return ([(i.path, i.doc_id, i.facts, i.findings) for i in chunk], str(out),
                        fmts, settings)

            for result in runner.ordered(_write_chunk, tasks()):
                for item, paths_written in zip(sent.popleft(), result, strict=True):
                    if isinstance(paths_written, str):  # unreadable now: the problem
                        unwritten(item.doc_id, item.kinds, paths_written)
                    else:
                        written += paths_written
                        store.reported(item.doc_id, item.kinds)
                    advance(item)
            written.append(str(write_summary(CorpusSummary(store, fmts), out)))
            return written
    finally:
        if bar is not None:
            bar.close()
        runner.close()


@dataclass
class _ReportItem:
    """One document's report to write: its facts (and the foreign ones its findings cite), its
    findings, and its facts by kind (for the corpus summary)."""

    path: str
    doc_id: str
    facts: list[dict[str, object]]
    findings: list[dict[str, str]]
    kinds: dict[str, int]
    position: int  # inputs gone through, this one's included


def _write_chunk(task: tuple[list[tuple[str, str, list, list]], str, tuple[str, ...], Settings]
                 ) -> list[list[str] | str]:
    """Write the reports of a chunk of (path, doc_id, facts, findings) (in a worker process);
    the paths written for each, or the one-line problem of a document that cannot be read
    now."""
    from .report import write_report
    from .report.model import report_from_records

    chunk, out, fmts, settings = task
    done: list[list[str] | None] = []
    for path, doc_id, facts, findings in chunk:
        try:
            document = read_document(path, settings, doc_id=doc_id)
        except InputFileError as err:
            done.append(str(err))
            continue
        report = report_from_records(document, facts, findings)
        done.append([str(p) for p in write_report(report, out, fmts)])
    return done
