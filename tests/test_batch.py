"""The batch: streaming in input order from a bounded window, the manifest, atomic outputs,
interruption (Ctrl-C, a killed worker) and --resume giving the same bytes as one clean run."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, copied_examples
from extractor import batch
from extractor.batch import Task, iter_local, run_batch
from extractor.errors import FiguresError
from extractor.settings import Settings

GOOD = "Jane Roe - CFO\nRevenue was $12.5 million in the third quarter of 2024.\n"


def _corpus(tmp: Path, copies: int = 3) -> Path:
    """The examples, several times over under new names, plus one unreadable file."""
    return copied_examples(tmp, copies, "ex03_zz_binary")


def _read(p: Path) -> bytes:
    return p.read_bytes()


def _manifest(p: Path) -> list[dict[str, str]]:
    with open(p, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_same_bytes_whatever_workers_chunks_and_completion_order(tmp_path: Path) -> None:
    src = _corpus(tmp_path)
    # a large first document: with one document per task it finishes last, after later ones
    (src / "aa_large.txt").write_text(GOOD * 300, encoding="utf-8")
    runs = {}
    for name, workers, chunk in (("serial", 1, 16), ("w2c1", 2, 1), ("w2c5", 2, 5)):
        out = tmp_path / name
        s = run_batch([src], str(out / "facts.csv"), str(out / "findings.csv"),
                      workers=workers, progress=False, chunk=chunk)
        assert (s.documents, s.processed, s.failed) == (26, 25, 1)
        runs[name] = [_read(out / f) for f in ("facts.csv", "findings.csv",
                                                "facts.csv.manifest.csv")]
    assert runs["serial"] == runs["w2c1"] == runs["w2c5"]
    facts = runs["serial"][0].decode().splitlines()
    assert facts[1].startswith("aa_large,aa_large:27-40,money,revenue,,,Q3-2024,,12500000,USD,"
                               "12450000,12550000,none,false")  # input order
    rows = _manifest(tmp_path / "serial" / "facts.csv.manifest.csv")
    assert (rows[0]["doc_id"], rows[0]["facts"]) == ("aa_large", "300")
    assert len(facts) - 1 == sum(int(r["facts"]) for r in rows) > 300 + 3 * 200


def test_window_bounds_the_tasks_in_flight() -> None:
    pulled: list[int] = []
    items = [(str(EXAMPLES / "ex08_sorrel_fireside.txt"), f"d{i}", "") for i in range(12)]

    def tasks():
        for i, item in enumerate(items):
            pulled.append(i)
            yield Task(i, (item,), Settings())

    seen = []
    for res in iter_local(tasks(), workers=2, window=3):
        seen.append(res.first)
        assert len(pulled) <= len(seen) + 3  # never more than the window ahead of the writer
    assert seen == list(range(12))


def test_manifest_rows_and_summary_add_up(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "b").mkdir(parents=True)
    (src / "a_good.txt").write_text(GOOD, encoding="utf-8")
    (src / "b" / "a_good.txt").write_text(GOOD, encoding="utf-8")  # same doc_id: skipped
    (src / "c_empty.txt").write_bytes(b"")
    out = tmp_path / "o" / "facts.csv"
    s = run_batch([src], str(out), workers=1, progress=False)
    assert (s.documents, s.processed, s.skipped, s.failed, s.facts, s.findings) == (3, 1, 1, 1, 1, 1)
    assert s.line().startswith("figures: 3 documents, 1 processed, 1 failed, 1 skipped, 1 facts, "
                               "1 findings in ")
    rows = _manifest(tmp_path / "o" / "facts.csv.manifest.csv")
    assert rows == [
        {"path": str(src / "a_good.txt"), "doc_id": "a_good", "company": "", "status": "processed",
         "reason": "", "facts": "1", "findings": "0"},
        {"path": str(src / "b" / "a_good.txt"), "doc_id": "a_good", "company": "",
         "status": "skipped", "reason": f"duplicate doc_id (same as {src / 'a_good.txt'})",
         "facts": "0", "findings": "0"},
        {"path": str(src / "c_empty.txt"), "doc_id": "c_empty", "company": "", "status": "failed",
         "reason": "empty file", "facts": "0", "findings": "1"},
    ]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["facts.csv",
                                                                  "facts.csv.manifest.csv"]


def test_manifest_path_option_and_company(tmp_path: Path) -> None:
    m = tmp_path / "runs" / "m.csv"
    run_batch([EXAMPLES / "ex04_veloran_q2.txt"], str(tmp_path / "f.csv"), workers=1,
              progress=False, manifest=str(m))
    (row,) = _manifest(m)
    facts = (tmp_path / "f.csv").read_text(encoding="utf-8").splitlines()
    assert (row["doc_id"], row["company"], row["status"], row["reason"]) == (
        "ex04_veloran_q2", "veloran", "processed", "")
    assert int(row["facts"]) == len(facts) - 1 > 30


def _interrupt_after(n_failures: int, exc: BaseException):
    seen = []

    def on_error(msg: str) -> None:
        seen.append(msg)
        if len(seen) == n_failures:
            raise exc
    return on_error


def _bad_inputs(src: Path) -> None:
    """Unreadable files spread through the input order: each one is a chance to interrupt."""
    for name in ("ex02_zz_bad", "ex05_zz_bad", "ex07_zz_bad"):
        (src / f"{name}.txt").write_bytes(b"\x00")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_interrupted_run_leaves_no_complete_file_and_resumes_to_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    src = _corpus(tmp_path, copies=2)
    _bad_inputs(src)
    clean = tmp_path / "clean"
    fresh = run_batch([src], str(clean / f"facts.{fmt}"), str(clean / f"findings.{fmt}"),
                      workers=1, progress=False, chunk=2)

    monkeypatch.setattr(batch, "CHECKPOINT_SECONDS", 0.0)  # a checkpoint after every chunk
    out = tmp_path / "run"
    facts, findings = out / f"facts.{fmt}", out / f"findings.{fmt}"
    with pytest.raises(KeyboardInterrupt):
        run_batch([src], str(facts), str(findings), workers=1, progress=False, chunk=2,
                  on_error=_interrupt_after(3, KeyboardInterrupt()))
    assert not facts.exists() and not findings.exists()
    assert not (out / f"facts.{fmt}.manifest.csv").exists()
    assert (out / f"facts.{fmt}.checkpoint.json").exists()

    s = run_batch([src], str(facts), str(findings), workers=2, progress=False, chunk=2,
                  resume=True)
    assert s.resumed > 0 and s.processed + s.failed == s.documents == 20
    assert s.counts() == fresh.counts() and s.failed == 4
    for name in (f"facts.{fmt}", f"findings.{fmt}", f"facts.{fmt}.manifest.csv"):
        assert _read(out / name) == _read(clean / name), name
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in clean.iterdir())


def _pid_after_a_while(i: int) -> tuple[int, int]:
    import time

    time.sleep(0.05)
    return i, os.getpid()


def test_two_workers_are_one_worker_process_and_the_calling_process() -> None:
    import multiprocessing

    from extractor.workers import LocalRunner

    with LocalRunner(2) as runner:
        got = []
        for res in runner.ordered(_pid_after_a_while, range(16)):
            got.append(res)
            if len(got) == 8:
                children = [p for p in multiprocessing.active_children()
                            if p.pid in {pid for _, pid in got}]
    assert [i for i, _ in got] == list(range(16))  # handed back in task order
    pids = {pid for _, pid in got}
    assert os.getpid() in pids and len(pids) == 2  # this process ran some, one worker the rest
    assert len(children) == 1


def test_a_short_phase_keeps_its_worker_process_a_long_one_gets_a_fresh_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor import workers
    from extractor.workers import LocalRunner

    monkeypatch.setattr(workers, "FRESH_AFTER", 6)

    def worker_pids(runner: LocalRunner, n: int) -> set[int]:
        return {pid for _, pid in runner.ordered(_pid_after_a_while, range(n))} - {os.getpid()}

    with LocalRunner(2) as runner:
        first = worker_pids(runner, 4)  # 2 submitted to the worker, 2 run here
        runner.fresh()                  # fewer than 6 submitted: the same process goes on
        second = worker_pids(runner, 32)
        runner.fresh()                  # 6 or more: a new process for the next phase,
        started = _children()           # started at once, before its first task
        third = worker_pids(runner, 4)
    assert len(first) == 1 and second == first
    assert len(third) == 1 and third != first
    assert started == third


def _children() -> set[int]:
    import multiprocessing

    return {p.pid for p in multiprocessing.active_children()
            if "resource_tracker" not in (p.name or "")}


def test_worker_processes_start_before_the_first_task() -> None:
    from extractor.workers import LocalRunner

    before = _children()
    with LocalRunner(1) as serial:
        serial.start()  # one worker is this process: nothing to start
        assert _children() == before and serial.pool is None
    with LocalRunner(2) as runner:
        runner.start()
        started = _children() - before
        assert len(started) == 1 and runner.submitted == 0
        got = {pid for _, pid in runner.ordered(_pid_after_a_while, range(8))} - {os.getpid()}
    assert got == started  # the tasks ran on the process started ahead


def test_the_last_documents_of_a_batch_go_in_quarter_chunks() -> None:
    from extractor.settings import DEFAULT

    def cut(n: int, first: int, chunk: int) -> list[tuple[int, int]]:
        return [(t.first, len(t.items)) for t in batch._tasks(list(range(n)), first, chunk,
                                                                DEFAULT, ("csv", None), None)]

    assert batch.TAIL == 2
    # 415 documents (the bench's real calls): 14 chunks of 26, then 52 documents in quarters
    assert cut(415, 0, 26) == [(26 * k, 26) for k in range(14)] + \
        [(364 + 6 * k, 6) for k in range(8)] + [(412, 3)]
    assert cut(415, 338, 26) == [(338, 26)] + [(364 + 6 * k, 6) for k in range(8)] + [(412, 3)]
    assert cut(8, 0, 1) == [(k, 1) for k in range(8)]  # a chunk of one stays one
    # a chunk that begins before the tail stays whole
    assert cut(200, 0, 48) == [(0, 48), (48, 48), (96, 48), (144, 12), (156, 12), (168, 12),
                               (180, 12), (192, 8)]


def test_small_batches_are_cut_in_smaller_chunks() -> None:
    assert batch.CHUNK == 48 and batch.MIN_TASKS == 16
    assert [batch.chunk_size(n) for n in (0, 1, 16, 17, 104, 767, 768, 10_000)] == \
        [1, 1, 1, 2, 7, 48, 48, 48]


def test_a_batch_without_a_chunk_size_uses_chunk_size(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cut = []
    tasks = batch._tasks

    def spy(items, first, chunk, *rest):
        cut.append((len(items), chunk))
        return tasks(items, first, chunk, *rest)

    monkeypatch.setattr(batch, "_tasks", spy)
    s = run_batch([EXAMPLES], str(tmp_path / "facts.csv"), workers=1, progress=False)
    assert s.documents == 8 and cut == [(8, 1)]  # 8 documents: 8 tasks of one, not one of 48


def test_killed_worker_is_one_error_and_the_run_resumes(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    src = _corpus(tmp_path, copies=3)
    _bad_inputs(src)

    def kill_a_worker(msg: str) -> None:
        for p in multiprocessing.active_children():
            os.kill(p.pid, signal.SIGKILL)
            break

    monkeypatch.setattr(batch, "CHECKPOINT_SECONDS", 0.0)
    out = tmp_path / "run"
    with pytest.raises(FiguresError) as info:
        run_batch([src], str(out / "facts.csv"), workers=2, progress=False, chunk=1,
                  on_error=kill_a_worker)
    assert str(info.value).startswith("a worker process died (killed, or out of memory?)")
    assert str(info.value).endswith("run again with --resume to continue")
    assert not (out / "facts.csv").exists() and (out / "facts.csv.partial").exists()
    s = run_batch([src], str(out / "facts.csv"), workers=2, progress=False, chunk=1,
                  resume=True)
    clean = tmp_path / "clean.csv"
    run_batch([src], str(clean), workers=1, progress=False)
    assert _read(out / "facts.csv") == _read(clean)
    assert s.documents == 28 and s.failed == 4


def test_resume_refuses_a_different_input_list(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    src = _corpus(tmp_path, copies=1)
    _bad_inputs(src)
    monkeypatch.setattr(batch, "CHECKPOINT_SECONDS", 0.0)
    out = str(tmp_path / "f.csv")
    with pytest.raises(KeyboardInterrupt):
        run_batch([src], out, workers=1, progress=False, chunk=1,
                  on_error=_interrupt_after(2, KeyboardInterrupt()))
    (src / "zz_new.txt").write_text(GOOD, encoding="utf-8")
    with pytest.raises(FiguresError, match=r"changed since the interrupted run; run without "
                       r"--resume$"):
        run_batch([src], out, workers=1, progress=False, resume=True)
    s = run_batch([src], out, workers=1, progress=False)  # a fresh run replaces the partials
    assert s.documents == 13 and not os.path.exists(out + ".checkpoint.json")


def test_resume_without_an_interrupted_run_starts_afresh(tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    s = run_batch([EXAMPLES], str(out), workers=1, progress=False, resume=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert (s.resumed, s.processed, s.facts) == (0, 8, len(lines) - 1)


def _figures(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True,
                          text=True, check=False)


def test_cli_unknown_output_format_is_one_line(tmp_path: Path) -> None:
    run = _figures("extract", str(EXAMPLES), "--out", str(tmp_path / "facts.xlsx"))
    assert run.returncode == 2
    assert run.stderr.strip() == (f"figures: {tmp_path / 'facts.xlsx'}: unknown output format "
                                  "'.xlsx' (use .csv or .parquet)")


def test_cli_manifest_and_resume_options(tmp_path: Path) -> None:
    run = _figures("extract", str(EXAMPLES), "--out", str(tmp_path / "f.csv"), "--manifest",
                   str(tmp_path / "m.csv"), "--resume", "--workers", "1")
    assert run.returncode == 0, run.stderr
    rows = _manifest(tmp_path / "m.csv")
    assert [r["status"] for r in rows] == ["processed"] * 8
    facts = (tmp_path / "f.csv").read_text(encoding="utf-8").splitlines()
    assert sum(int(r["facts"]) for r in rows) == len(facts) - 1 > 200


def test_file_urls_read_through_fsspec(tmp_path: Path) -> None:
    pytest.importorskip("fsspec")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run_batch([EXAMPLES], str(a), workers=1, progress=False)
    s = run_batch([EXAMPLES.as_uri() + "/", EXAMPLES.as_uri() + "/missing.txt"], str(b),
                  workers=2, progress=False)
    assert _read(a) == _read(b)
    assert s.errors == [f"{EXAMPLES.as_uri()}/missing.txt: no such file"]


def test_cross_document_findings_equal_one_call_over_the_corpus(tmp_path: Path, corpus) -> None:
    """The batch runs the cross-document checks per company bucket in the workers; the result
    is what one call over every document gives."""
    from extractor.batch import read_facts, to_csv_text
    from extractor.checks import run_corpus_checks
    from extractor.schemas.findings import COLUMNS

    out = tmp_path / "o"
    run_batch([corpus / "seeds", EXAMPLES], str(out / "facts.csv"), str(out / "findings.csv"),
              workers=2, progress=False)
    facts = read_facts(str(out / "facts.csv"))
    company = {r["doc_id"]: r["company"] for r in _manifest(out / "facts.csv.manifest.csv")}
    once = run_corpus_checks((company[d], g.reset_index(drop=True))
                             for d, g in facts.groupby("doc_id", sort=True))
    expected = to_csv_text(once, COLUMNS).splitlines()[1:]
    written = [ln for ln in (out / "findings.csv").read_text(encoding="utf-8").splitlines()
               if ln.startswith("*,")]
    assert written == expected and len(written) >= 3
    assert {ln.split(",")[2] for ln in written} >= {"XC-901"}


def test_cross_document_findings_same_bytes_with_many_buckets_and_merge_rounds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small buckets and a merge of two files at a time (several rounds) give the bytes of
    the default run: the buckets' sorted findings merge into the one global order and ids."""
    src = _corpus(tmp_path)
    runs = []
    for name in ("default", "small"):
        if name == "small":
            monkeypatch.setattr(batch, "BUCKET_ROWS", 20)
            monkeypatch.setattr(batch, "MERGE_FAN_IN", 2)
        out = tmp_path / name
        s = run_batch([src], str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
                      progress=False)
        runs.append((out / "findings.csv").read_bytes())
    corpus_rows = [ln for ln in runs[0].decode().splitlines() if ln.startswith("*,")]
    assert len(corpus_rows) >= 10 and s.facts >= 600
    assert {ln.split(",")[2] for ln in corpus_rows} >= {"XC-901"}
    assert runs[0] == runs[1]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2,
                    reason="needs CPU affinity (Linux) and two cores")
def test_default_workers_are_the_cores_this_process_may_use() -> None:
    """``taskset -c 0 figures extract ...`` (or a container limited to one CPU) gets one worker,
    not one per core of the host."""
    code = ("import os; from extractor.settings import Settings; "
            "print(Settings().effective_workers(), Settings(workers=3).effective_workers()); "
            "os.sched_setaffinity(0, {0}); print(Settings().effective_workers())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(len(os.sched_getaffinity(0))), "3", "1"]
