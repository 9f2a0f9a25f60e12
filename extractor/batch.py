"""Batch extraction: many files, in parallel worker processes, streamed to CSV or Parquet.

The engine is a pure function per document (:func:`~extractor.chunks.process_one`);
:func:`~extractor.chunks.work` runs it over a chunk of consecutive inputs in a worker process
that imports neither pandas nor pandera, and :func:`finish`, in this process, validates the
chunk's facts with pandera once and renders the chunk's rows. Chunks go to a bounded window of
worker processes (or a Dask cluster, see :mod:`extractor.distributed`) and are written back in
input order as they complete, so memory stays flat whatever the corpus size and the output is
byte-identical whatever the worker count or completion order.

Outputs are written under a temporary name and renamed at the end: an interrupted run never
leaves a file that looks complete, and ``resume=True`` continues it from its last checkpoint
(:mod:`extractor.resume`). A manifest (one row per input: processed, skipped or failed) is
written next to the output. A file that cannot be read becomes a finding row (``INPUT-...``) and
a line on stderr; the rest go on.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import resume as ckpt
from .chunks import ChunkRows, DocOutcome, Task, corpus_bucket, process_one, work
from .errors import FiguresError
from .facts import COLUMNS as FACT_COLUMNS
from .facts import columns_frame
from .listing import Listing
from .numbering import finding_order, number_rows
from .ruleset import default_rules_dir, load_rules
from .runs import merge_rounds
from .schemas.columns import FINDINGS as FINDING_COLUMNS
from .settings import DEFAULT, Settings
from .sinks import CsvSink, ParquetSink, open_sink, prepare_output, render_csv
from .sources import expand_inputs

if TYPE_CHECKING:
    import pandas as pd

CHUNK = 48  # documents per task of a worker, at most
MIN_TASKS = 16  # a batch of fewer than MIN_TASKS * CHUNK documents is cut in smaller chunks
GROUP = 4  # chunks per pandera validation in the writing process
TAIL = 2  # chunks' worth of documents at the end of a batch cut in quarter chunks
BUCKET_ROWS = 500  # facts per bucket of the cross-document checks (memory of one task)
CHECKPOINT_SECONDS = 2.0  # at most this long between two checkpoints of a running batch
MANIFEST_COLUMNS = ["path", "doc_id", "company", "status", "reason", "facts", "findings"]

__all__ = ["CHUNK", "MANIFEST_COLUMNS", "BatchSummary", "ChunkResult", "ChunkRows", "DocOutcome",
           "DocRecord", "Task", "batch_digest", "expand_inputs", "finish", "finish_group",
           "finished", "process_one", "read_facts", "run_batch", "to_csv_text", "work"]


@dataclass(frozen=True)
class DocRecord:
    """One row of the manifest (plus the one-line message of a failure)."""

    path: str
    doc_id: str
    status: str
    reason: str
    facts: int
    findings: int
    message: str = ""
    company: str = ""

    def row(self) -> dict[str, object]:
        return {"path": self.path, "doc_id": self.doc_id, "company": self.company,
                "status": self.status, "reason": self.reason, "facts": self.facts,
                "findings": self.findings}


@dataclass
class ChunkResult:
    """The rendered output of a chunk of consecutive inputs: CSV text or an Arrow table."""

    first: int
    docs: list[DocRecord]
    facts: Any = None
    findings: Any = None
    extra_findings: int = 0  # findings of the chunk's table as a whole (no manifest row)
    group_end: bool = True  # the last chunk of its validation group (a checkpoint may follow)


@dataclass
class BatchSummary:
    documents: int = 0
    processed: int = 0
    failed: int = 0
    skipped: int = 0
    facts: int = 0
    findings: int = 0
    resumed: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        skipped = f"{self.skipped} skipped, " if self.skipped else ""
        resumed = f" ({self.resumed} from the interrupted run)" if self.resumed else ""
        return (f"figures: {self.documents} documents, {self.processed} processed, "
                f"{self.failed} failed, {skipped}{self.facts} facts, {self.findings} findings "
                f"in {self.seconds:.1f} s{resumed}"
                + (f" -> {', '.join(self.outputs)}" if self.outputs else ""))

    def counts(self) -> dict[str, int]:
        return {"processed": self.processed, "failed": self.failed, "skipped": self.skipped,
                "facts": self.facts, "findings": self.findings}


# ---------------------------------------------------------------------------------------------
# the pure part: one document, one chunk


def finish(raw: ChunkRows) -> ChunkResult:
    """One worker's chunk made ready to write (:func:`finish_group` of one chunk)."""
    return finish_group([raw])[0]


def finish_group(raws: list[ChunkRows]) -> list[ChunkResult]:
    """Consecutive chunks made ready to write, in the writing process: their facts validated
    with pandera in one call (a failure is a ``SCHEMA-...`` finding of its document), their
    findings table checked too (a guard, expected clean: its rows, and schema rows of no
    known document, go after the last chunk), and both rendered (CSV text or an Arrow
    table). A pandera call costs about 40 ms plus ~7 µs per fact: one per group, not per
    chunk. pandas and pandera are imported here, on the first group, while the workers are
    already busy with the next chunks."""
    import pandas as pd

    from .validate import validate_facts, validate_findings

    columns = {c: [v for raw in raws for v in raw.facts.get(c, ())] for c in FACT_COLUMNS}
    by_doc: dict[str, list[dict]] = {}
    if columns["doc_id"]:
        schema = validate_facts(columns_frame(columns))
        for r in schema.to_dict("records") if len(schema) else []:
            by_doc.setdefault(r["doc_id"], []).append(r)
    known = {o.doc_id for raw in raws for o in raw.outcomes}
    extra = number_rows([r for d, rs in by_doc.items() if d not in known for r in rs])
    parts: list[tuple[list[DocRecord], list[dict]]] = []
    for raw in raws:
        docs, finding_rows = [], []
        for o in raw.outcomes:
            findings = number_rows(o.findings + by_doc[o.doc_id]) if o.doc_id in by_doc \
                else o.findings
            finding_rows.extend(findings)
            message = findings[0]["message"] if o.status == "failed" and findings else ""
            docs.append(DocRecord(o.path, o.doc_id, o.status, o.reason, o.fact_count,
                                  len(findings), message, o.company))
        parts.append((docs, finding_rows))
    every = [r for _, fs in parts for r in fs] + extra
    if every:  # the findings contract too, once per group
        frame = pd.DataFrame(every, columns=FINDING_COLUMNS).astype("string")
        extra = extra + number_rows(validate_findings(frame).to_dict("records"))
    parts[-1][1].extend(extra)
    out = []
    for i, (raw, (docs, finding_rows)) in enumerate(zip(raws, parts, strict=True)):
        task, safe = raw.task, raw.task.settings.excel_safe
        facts = raw.facts_csv if task.facts_format == "csv" else \
            _render(raw.fact_rows(), "facts", task.facts_format, safe)
        last = i == len(raws) - 1
        out.append(ChunkResult(task.first, docs, facts,
                               _render(finding_rows, "findings", task.findings_format, safe),
                               len(extra) if last else 0, group_end=last))
    return out


def finished(results: Iterable[ChunkRows], chunk: int, group: int = GROUP
             ) -> Iterator[ChunkResult]:
    """Chunk results ready to write, finished ``group`` chunks at a time. Groups are fixed by
    input position (chunk ``k`` is in group ``k // group``), so the output does not depend on
    the worker count, and a run resumed from a group's end groups the rest as before."""
    pending: list[ChunkRows] = []
    key = None
    for raw in results:
        k = raw.task.first // (chunk * group)
        if pending and k != key:
            yield from finish_group(pending)
            pending = []
        pending.append(raw)
        key = k
    if pending:
        yield from finish_group(pending)


def _render(rows: list[dict], table: str, fmt: str | None, excel_safe: bool = False) -> Any:
    if fmt is None:
        return None
    if excel_safe and fmt != "parquet":
        from .csvsafe import escape_row

        rows = [escape_row(r) for r in rows]
    if fmt == "parquet":
        from .parquet import FACTS_SCHEMA, FINDINGS_SCHEMA, rows_to_table

        return rows_to_table(rows, FACTS_SCHEMA if table == "facts" else FINDINGS_SCHEMA)
    return render_csv(rows, FACT_COLUMNS if table == "facts" else FINDING_COLUMNS)


# ---------------------------------------------------------------------------------------------
# running chunks: in this process, in a window of worker processes


def chunk_size(documents: int) -> int:
    """Documents per task for a batch of ``documents``: ``CHUNK``, or fewer so that a small
    batch is still at least ``MIN_TASKS`` tasks. With three chunks of 48 real calls, two
    workers ran slower than one: the worker process took two chunks while the writing
    process, done with its one, waited. A function of the batch alone, so that a resumed run
    cuts the rest as the first did (the output never depends on the chunking)."""
    return max(1, min(CHUNK, -(-documents // MIN_TASKS)))


def _tasks(items: Listing | list, first: int, chunk: int, settings: Settings,
           formats: tuple[str | None, str | None], rules_dir: str | None) -> Iterator[Task]:
    """Tasks of ``chunk`` items each, from item ``first`` on (a resumed run), read as a stream
    from ``items`` (a :class:`~extractor.listing.Listing`). The last ``TAIL * chunk`` items
    go in tasks of a quarter chunk: at the end of a batch a worker process can hold two tasks
    (one running, one queued) while the writing process, with nothing left to take, waits for
    them; smaller last tasks shorten that wait. The cut depends only on the batch (its length
    and ``chunk``), so a resumed run cuts the rest as the first did."""
    tail = len(items) - TAIL * chunk
    it = itertools.islice(iter(items), first, None)
    i = first
    while block := tuple(itertools.islice(it, chunk if i < tail else max(1, chunk // 4))):
        yield Task(i, block, settings, formats[0], formats[1], rules_dir)
        i += len(block)


def iter_local(tasks: Iterable[Task], workers: int, window: int | None = None
               ) -> Iterator[ChunkResult]:
    """Chunk results in input order, from ``workers`` processes with at most ``window`` chunks
    in flight (submitted but not yet written): memory does not grow with the corpus."""
    from .workers import LocalRunner

    with LocalRunner(workers, window) as runner:
        for raw in runner.ordered(work, tasks, _where):
            yield finish(raw)  # one chunk at a time: the tests look at each as it comes


def _where(task: Task) -> str:
    return f" while processing {task.items[0][0]} .. {task.items[-1][0]}"


# ---------------------------------------------------------------------------------------------
# the batch


def _manifest_path(out: str | None, findings_out: str | None, manifest: str | None) -> str | None:
    if manifest:
        return manifest
    anchor = out or findings_out
    return f"{anchor}.manifest.csv" if anchor else None


def _targets(out: str | None, findings_out: str | None, manifest: str | None
             ) -> dict[str, str | None]:
    return {"facts": out, "findings": findings_out,
            "manifest": _manifest_path(out, findings_out, manifest)}


def _digest(items: Listing, settings: Settings, targets: dict[str, str | None]) -> str:
    return ckpt.fingerprint(((p, d) for p, d, _ in items), settings, targets,
                            default_rules_dir())


def batch_digest(paths: Iterable[str | os.PathLike], out: str | None,
                 findings_out: str | None, settings: Settings = DEFAULT,
                 manifest: str | None = None) -> str:
    """The fingerprint of what a batch's output depends on (its checkpoint's): the inputs as
    listed now, the outputs, the settings, the rule files and the engine's source."""
    with Listing(paths) as items:
        return _digest(items, settings, _targets(out, findings_out, manifest))


def run_batch(paths: Iterable[str | os.PathLike], out: str | None = None,
              findings_out: str | None = None, settings: Settings = DEFAULT,
              workers: int | None = None, progress: bool | None = None,
              on_error: Callable[[str], None] | None = None, *,
              manifest: str | None = None, resume: bool = False,
              scheduler: str | None = None, chunk: int | None = None) -> BatchSummary:
    """Extract every figure of every transcript under ``paths`` into ``out`` (CSV or Parquet,
    by extension), the findings into ``findings_out`` and one manifest row per input into
    ``manifest`` (CSV, default ``<out>.manifest.csv``).

    ``resume`` continues an interrupted run from its checkpoint; ``scheduler`` (a Dask scheduler
    address) runs the chunks on a Dask cluster instead of local worker processes. Returns a
    summary; bad inputs are counted, reported through ``on_error`` and written as findings
    rows, never raised."""
    t0 = time.monotonic()
    rules_env = os.environ.get("FIGURES_RULES_DIR")
    load_rules()  # a bad rule file stops here, once, before any worker starts
    if scheduler:
        from .distributed import DaskRunner

        runner: Any = DaskRunner(scheduler)
    else:
        from .workers import LocalRunner

        runner = LocalRunner(workers if workers is not None else settings.effective_workers())
        runner.start()  # the worker processes start while the inputs are listed
    try:
        with Listing(paths) as items:  # sorted, on disk when large: no list of the corpus
            summary = _run(items, runner, t0, out, findings_out, settings, progress,
                           on_error, manifest, resume, scheduler, chunk, rules_env)
    except BaseException:
        runner.close(abort=True)
        raise
    runner.close()
    return summary


def _run(items: Listing, runner: Any, t0: float, out: str | None, findings_out: str | None,
         settings: Settings, progress: bool | None, on_error: Callable[[str], None] | None,
         manifest: str | None, resume: bool, scheduler: str | None, chunk: int | None,
         rules_env: str | None) -> BatchSummary:
    chunk = chunk or chunk_size(len(items))
    targets = _targets(out, findings_out, manifest)
    manifest_out = targets["manifest"]
    formats = (_format(out), _format(findings_out))
    summary = BatchSummary(documents=len(items))
    for name, path in targets.items():
        if path:  # before any work: a bad output path fails now, not after the batch
            prepare_output(path, f"{name} file")

    anchor = out or findings_out or manifest_out
    cp_path = ckpt.checkpoint_path(anchor) if anchor else None
    digest = _digest(items, settings, targets) if cp_path else ""
    state = ckpt.load(cp_path, digest) if (resume and cp_path) else None
    if cp_path and state is None:
        ckpt.remove(cp_path)
    done = state.done if state else 0
    if state:
        for k, v in state.counts.items():
            setattr(summary, k, v)
        summary.resumed = done

    sinks: dict[str, CsvSink | ParquetSink] = {}
    try:
        for name, path in targets.items():
            if path:
                st = state.sinks.get(name) if state else None
                sinks[name] = (CsvSink(path, MANIFEST_COLUMNS, st) if name == "manifest"
                               else open_sink(path, name, st))
    except BaseException:
        for s in sinks.values():
            s.abort(keep=True)
        raise

    spool_dir = None
    if "facts" not in sinks and "findings" in sinks:  # the corpus checks need the facts
        import tempfile

        spool_dir = tempfile.mkdtemp(prefix="figures-")
        sinks["facts"] = CsvSink(os.path.join(spool_dir, "facts.csv"), FACT_COLUMNS)
        formats = ("csv", formats[1])
    tasks = _tasks(items, done, chunk, settings, formats, rules_env)
    if scheduler:
        from .distributed import with_sources

        tasks = (with_sources(t) for t in tasks)
    results = runner.ordered(work, tasks, _where)

    bar = _progress(len(items), progress, done)
    last = time.monotonic()
    try:
        for res in finished(results, chunk):
            _account(summary, res, on_error)
            for name in ("facts", "findings"):
                if name in sinks:
                    sinks[name].write(getattr(res, name))
            if "manifest" in sinks:
                sinks["manifest"].write(render_csv([d.row() for d in res.docs],
                                                   MANIFEST_COLUMNS))
            done = res.first + len(res.docs)
            if bar is not None:
                bar.update(len(res.docs))
            if cp_path and res.group_end and time.monotonic() - last >= CHECKPOINT_SECONDS:
                _checkpoint(cp_path, digest, done, summary, sinks)
                last = time.monotonic()
        if cp_path:  # every document written: a resumed run only redoes the corpus checks
            _checkpoint(cp_path, digest, done, summary, sinks)
        if "findings" in sinks:
            def emit(rows: list[dict]) -> None:
                sinks["findings"].write(_render(rows, "findings", formats[1],
                                                settings.excel_safe))

            runner.fresh()
            summary.findings += _corpus_findings(sinks["facts"], sinks["manifest"],
                                                 summary.facts, runner, emit)
        for s in sinks.values():
            s.close()
    except BaseException:
        for s in sinks.values():
            s.abort(keep=True)
        results.close()
        runner.close(abort=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    runner.close()
    if cp_path:
        ckpt.remove(cp_path)
    if spool_dir:
        import shutil

        shutil.rmtree(spool_dir, ignore_errors=True)
        del sinks["facts"]
    summary.outputs = [s.path for s in sinks.values()]
    summary.seconds = time.monotonic() - t0
    return summary


def _format(path: str | None) -> str | None:
    if path is None:
        return None
    from .parquet import output_format

    return output_format(path)


def _account(summary: BatchSummary, res: ChunkResult,
             on_error: Callable[[str], None] | None) -> None:
    for d in res.docs:
        if d.status == "processed":
            summary.processed += 1
        elif d.status == "skipped":
            summary.skipped += 1
        else:
            summary.failed += 1
            msg = d.message or f"{d.path}: {d.reason}"
            summary.errors.append(msg)
            if on_error:
                on_error(msg)
        summary.facts += d.facts
        summary.findings += d.findings
    summary.findings += res.extra_findings


def _company_rows(facts: CsvSink | ParquetSink, manifest: CsvSink | ParquetSink
                  ) -> Iterator[tuple[str, list[str]]]:
    """(company, facts row as CSV cells) for every facts row written so far. The company is
    read from the manifest, which lists the documents in the order their facts were written:
    the two files are read in step, so nothing per document is held in memory."""
    import csv

    manifest.fh.flush()
    with open(manifest.tmp, encoding="utf-8", newline="") as fh:
        docs = csv.DictReader(fh)
        doc, company = None, ""
        for row in _fact_rows(facts):
            while doc != row[0]:
                m = next(docs, None)
                if m is None:
                    raise FiguresError(f"{manifest.path}: facts of document {row[0]} have no "
                                       "manifest row (internal error)")
                doc, company = m["doc_id"], m["company"]
            yield company, row


def _fact_rows(sink: CsvSink | ParquetSink) -> Iterator[list[str]]:
    """Every facts row written so far, as CSV cells in column order."""
    import csv

    if isinstance(sink, CsvSink):
        sink.fh.flush()
        with open(sink.tmp, encoding="utf-8", newline="") as fh:
            rows = csv.reader(fh)
            next(rows, None)
            yield from rows
        return
    from .parquet import table_to_frame

    sink.checkpoint()
    for table in sink.parts_tables():
        frame = table_to_frame(table, FACT_COLUMNS)
        for c in ("guidance", "uncertain"):
            frame[c] = frame[c].map({True: "true", False: "false"})
        yield from frame.astype(str).itertuples(index=False, name=None)


def _corpus_findings(facts: CsvSink | ParquetSink, manifest: CsvSink | ParquetSink,
                     rows: int, runner: Any, emit: Callable[[list[dict]], None]) -> int:
    """Findings of the cross-document checks, which compare the calls of one company, handed
    to ``emit`` in batches, in the order and with the ids of one global sort; returns how many.

    The facts written are read back and spread over bucket files by company; the buckets then
    go to the workers, which run the checks one company at a time: no process holds more than
    a few buckets of facts, never the corpus, and nothing is kept per document. Each bucket's
    findings come back sorted and numbered; since a finding's id and sort key start from one
    document, and a document's company is in one bucket, merging the buckets' sorted files
    (``heapq.merge``) gives the global order and ids without holding the findings in memory."""
    import pickle
    import shutil
    import tempfile
    import zlib

    buckets = max(8, rows // BUCKET_ROWS + 1)
    spool = tempfile.mkdtemp(prefix="figures-corpus-")
    try:
        pending: dict[int, list[list[str]]] = {}
        held = 0
        started: set[int] = set()

        def flush(b: int) -> None:  # a bucket file is a sequence of pickled lists of rows
            with open(os.path.join(spool, f"{b:06d}.bin"), "ab") as fh:  # (runs.read_blocks)
                pickle.dump(pending.pop(b), fh, protocol=pickle.HIGHEST_PROTOCOL)
            started.add(b)

        for company, row in _company_rows(facts, manifest):  # bounded buffered appends
            if not company:
                continue
            b = zlib.crc32(company.encode("utf-8")) % buckets
            pending.setdefault(b, []).append([*row, company])
            held += 1
            if held >= 2_000:
                for k in list(pending):
                    flush(k)
                held = 0
        for k in list(pending):
            flush(k)

        def tasks() -> Iterator[bytes]:
            for b in sorted(started):
                with open(os.path.join(spool, f"{b:06d}.bin"), "rb") as fh:
                    yield fh.read()

        runs: list[str] = []
        for i, found in enumerate(runner.ordered(corpus_bucket, tasks(),
                                                 lambda t: " while running the "
                                                           "cross-document checks")):
            if found:
                runs.append(os.path.join(spool, f"found-{i:06d}.csv"))
                _write_run(runs[-1], found)
        return _merge_runs(runs, spool, emit)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


#: most files merged at once (a corpus with more buckets of findings is merged in rounds)
MERGE_FAN_IN = 128


def _write_run(path: str, rows: Iterable[dict]) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            [r[c] for c in FINDING_COLUMNS] for r in rows)


def _merge_runs(runs: list[str], spool: str, emit: Callable[[list[dict]], None]) -> int:
    """Merge sorted run files of finding rows into one sorted stream, handed to ``emit`` in
    batches; at most :data:`MERGE_FAN_IN` files open at once. Returns the number of rows."""
    import contextlib
    import csv
    import heapq

    def merged(paths: list[str], stack: contextlib.ExitStack) -> Iterator[dict]:
        readers = [(dict(zip(FINDING_COLUMNS, row, strict=True)) for row in
                    csv.reader(stack.enter_context(open(p, encoding="utf-8", newline=""))))  # noqa: SIM115
                   for p in paths]
        return heapq.merge(*readers, key=finding_order)

    runs = merge_rounds(runs, MERGE_FAN_IN, merged, _write_run,
                        lambda level, i: os.path.join(spool, f"merge-{level}-{i:06d}.csv"))
    total, batch = 0, []
    with contextlib.ExitStack() as stack:
        for r in merged(runs, stack):
            batch.append(r)
            if len(batch) >= 5_000:
                emit(batch)
                total, batch = total + len(batch), []
    if batch:
        emit(batch)
        total += len(batch)
    return total


def _checkpoint(path: str, digest: str, done: int, summary: BatchSummary,
                sinks: dict[str, CsvSink | ParquetSink]) -> None:
    states = {name: s.checkpoint() for name, s in sinks.items()}
    ckpt.save(path, ckpt.Checkpoint(digest, done, summary.counts(), states))


def _progress(total: int, enabled: bool | None, initial: int = 0, desc: str | None = None):
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="doc", file=sys.stderr, leave=False,
                desc=desc)


def read_facts(path: str) -> pd.DataFrame:
    """Read a facts file (CSV or Parquet) back with its contract dtypes."""
    from .parquet import read_table

    return read_table(path, "facts")


def to_csv_text(df: pd.DataFrame, columns: list[str]) -> str:
    return render_csv(df.to_dict("records"), columns, header=True)

