"""`figures check --report-dir` over a batch: the reports read the facts file as a stream.

The reference is the report of one document built from the whole facts and findings tables
(:func:`extractor.report.write_reports`, :func:`~extractor.report.write_corpus_summary`):
the streamed reports must be the same bytes, with one document's facts in memory at a time and
each facts row read twice in all, not once per report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLES
from extractor import checkrun
from extractor.batch import read_facts, run_batch
from extractor.checkrun import write_check_reports
from extractor.documents import read_document
from extractor.parquet import read_table
from extractor.report import model, write_corpus_summary, write_reports
from extractor.report.tables import fact_groups


@pytest.fixture(scope="module", params=["csv", "parquet"])
def batch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp(f"batch-{request.param}")
    facts, findings = tmp / f"facts.{request.param}", tmp / "findings.csv"
    run_batch([str(EXAMPLES)], str(facts), str(findings), workers=1, progress=False)
    return facts, findings


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


@pytest.mark.parametrize("workers", [1, 2])
def test_streamed_reports_are_the_whole_table_reports(
        batch: tuple[Path, Path], workers: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkrun, "REPORT_CHUNK", 3)  # 8 documents: chunks of 3, 3 and 2
    facts_path, findings_path = batch
    written = write_check_reports([str(EXAMPLES)], str(facts_path), str(findings_path),
                                  str(tmp_path / "streamed"), workers=workers)
    facts = read_facts(str(facts_path))
    findings = read_table(str(findings_path), "findings")
    ref = tmp_path / "reference"
    docs = []
    for path in sorted(EXAMPLES.glob("*.txt")):
        document = read_document(str(path))
        write_reports(document, facts, findings, ref)
        docs.append((document.doc_id, facts[facts["doc_id"] == document.doc_id]))
    write_corpus_summary(docs, findings, ref)
    streamed = _files(tmp_path / "streamed")
    assert streamed == _files(ref)
    assert len(streamed) == 8 * 3 + 3 and written[-1] == str(tmp_path / "streamed/index.md")
    # a cross-document finding quotes the other call's figure from its facts row
    report = json.loads(streamed["ex05_veloran_q3.json"])
    [xc501] = [f for f in report["findings"] if f["check_id"] == "XC-501"]
    assert xc501["arithmetic"] == "2900000000 / 3000000 = 967x"
    assert {(e["doc_id"], e["text"], e["in_document"]) for e in xc501["evidence"]} == {
        ("ex05_veloran_q3", "$3 million", True), ("ex04_veloran_q2", "$2.9 billion", False)}
    summary = json.loads(streamed["index.json"])
    assert summary["summary"]["facts"] == len(facts)
    assert [d["doc_id"] for d in summary["documents"]] == [p.stem for p in
                                                          sorted(EXAMPLES.glob("*.txt"))]


def test_each_facts_row_is_read_twice_not_once_per_report(
        batch: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    facts_path, findings_path = batch
    calls = []
    real = model.fact_record
    monkeypatch.setattr("extractor.report.tables.fact_record",
                        lambda raw: calls.append(1) or real(raw))
    write_check_reports([str(EXAMPLES)], str(facts_path), str(findings_path),
                        str(tmp_path), workers=1)
    assert len(calls) == 2 * len(read_facts(str(facts_path)))


def test_fact_groups_follow_the_file_and_refuse_an_unsorted_one(
        batch: tuple[Path, Path], tmp_path: Path) -> None:
    facts_path, _ = batch
    facts = read_facts(str(facts_path))
    groups = list(fact_groups(str(facts_path)))
    assert [d for d, _ in groups] == sorted(facts["doc_id"].unique())
    assert [len(rows) for _, rows in groups] == list(facts.groupby("doc_id").size())
    _doc, rows = groups[0]
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    assert isinstance(rows[0]["start"], int) and isinstance(rows[0]["guidance"], bool)
    shuffled = tmp_path / "shuffled.csv"
    facts.iloc[::-1].to_csv(shuffled, index=False)
    with pytest.raises(ValueError, match=r"shuffled\.csv: facts are not grouped by document"):
        list(fact_groups(str(shuffled)))


def test_a_document_gone_before_its_report_is_listed_with_the_problem(tmp_path: Path) -> None:
    src = tmp_path / "calls"
    shutil.copytree(EXAMPLES, src)
    facts, findings = tmp_path / "facts.csv", tmp_path / "findings.csv"
    run_batch([str(src)], str(facts), str(findings), workers=1, progress=False)
    (src / "ex02_harrowgate_h1.txt").unlink()  # no longer listed
    changed = src / "ex06_brackenridge_fq3.txt"
    changed.write_bytes(b"\x00\x01")  # listed, unreadable
    out, errors = tmp_path / "reports", []
    written = write_check_reports([str(src)], str(facts), str(findings),
                                  str(out), formats=("json", "md"), workers=1,
                                  on_error=errors.append)
    left_out = ("ex02_harrowgate_h1: no longer among the inputs (moved or deleted since its "
                "facts were extracted)")
    binary = f"{changed}: binary file (contains NUL bytes), not a text transcript"
    assert errors == [left_out, binary]
    assert [Path(p).name for p in written if p.endswith(".json")] == [
        f"{p.stem}.json" for p in sorted(EXAMPLES.glob("*.txt"))
        if p.stem not in ("ex02_harrowgate_h1", "ex06_brackenridge_fq3")] + ["index.json"]
    summary = json.loads((out / "index.json").read_text(encoding="utf-8"))
    table = read_facts(str(facts))
    own = table[table["doc_id"] == "ex02_harrowgate_h1"]
    [ex02] = [d for d in summary["documents"] if d["doc_id"] == "ex02_harrowgate_h1"]
    # no report, but its facts still counted and the reason given
    assert ex02["has_report"] is False and ex02["reports"] == {}
    assert ex02["facts"]["total"] == len(own) == 34  # golden/ex02_harrowgate_h1/facts.csv
    assert ex02["facts"]["by_kind"] == own["kind"].value_counts().reindex(
        ["money", "per_share", "percent", "runway"], fill_value=0).to_dict()
    assert summary["summary"]["facts"] == len(table)
    assert summary["summary"]["reports_not_written"] == 2
    assert summary["reports_not_written"] == [
        {"doc_id": "ex02_harrowgate_h1", "problem": left_out},
        {"doc_id": "ex06_brackenridge_fq3", "problem": binary}]
    md = (out / "index.md").read_text(encoding="utf-8")
    assert "- Reports not written: 2\n" in md
    assert md.endswith(f"## Reports not written (2)\n\n- `ex02_harrowgate_h1`: {left_out}\n"
                       f"- `ex06_brackenridge_fq3`: {binary}\n")
    assert "](ex02_harrowgate_h1.md)" not in md and "](ex06_brackenridge_fq3.md)" not in md


def test_check_exit_status_and_line_count_unwritten_reports() -> None:
    summary = checkrun.CheckSummary(documents=8, processed=8, reports_not_written=1)
    assert summary.exit_status("never") == 2
    assert summary.line() == ("figures check: 8 documents, 8 checked, 0 failed; 0 errors, "
                              "0 warnings, 0 info; 1 reports not written")
    assert checkrun.CheckSummary(documents=8, processed=8).exit_status("error") == 0


def test_a_killed_report_worker_is_one_error(batch: tuple[Path, Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import os
    import signal

    from extractor.errors import FiguresError
    from extractor.report import tables

    facts_path, findings_path = batch
    real, calls = tables.fact_groups, []

    def kill_then_read(path: str):
        calls.append(path)
        if len(calls) == 2:  # the reports are about to be handed out
            for p in multiprocessing.active_children():
                os.kill(p.pid, signal.SIGKILL)
                p.join()
        return real(path)

    monkeypatch.setattr(tables, "fact_groups", kill_then_read)
    monkeypatch.setattr(checkrun, "REPORT_CHUNK", 1)
    with pytest.raises(FiguresError) as info:
        write_check_reports([str(EXAMPLES)], str(facts_path), str(findings_path),
                            str(tmp_path), workers=2)
    assert str(info.value) == ("a worker process died (killed, or out of memory?); the reports "
                               "written so far are kept: run again to write them all")
    assert not (tmp_path / "index.md").exists()
