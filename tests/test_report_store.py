"""The corpus summary written from an on-disk store, a piece at a time.

`figures check` keeps a corpus's findings in an SQLite file (:class:`ReportStore`) and writes
the summary pages as it reads them, so that memory stays flat in the corpus. These tests pin
what the summary says on a small hand-made corpus (every value worked out by hand), and that
the streamed encoders write exactly the text of the whole-page ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from conftest import EXAMPLES
from extractor.report import write_corpus_summary
from extractor.report.jsondoc import Items, dump_chunks, dumps
from extractor.report.markdown import text_chunks
from extractor.report.store import ReportStore
from extractor.schemas.findings import COLUMNS as FINDING_COLUMNS

# -- the streamed encoders ---------------------------------------------------------------------
_leaf = st.none() | st.booleans() | st.integers() | st.text(alphabet="ab\n\"\\é ", max_size=6)
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(alphabet="kz\n", max_size=3), inner, max_size=3),
                     max_leaves=12)


def _streamed(value: object, draw_items: list[bool]) -> object:
    """``value`` with its lists made :class:`Items` (as the flags say) inside dicts."""
    if isinstance(value, dict):
        return {k: _streamed(v, draw_items) for k, v in value.items()}
    if isinstance(value, list) and draw_items and draw_items.pop():
        return Items(iter([_streamed(v, draw_items) for v in value]))
    return value


@given(st.dictionaries(st.text(alphabet="kz", max_size=3), _json, max_size=4),
       st.lists(st.booleans(), max_size=8))
def test_dump_chunks_writes_the_text_of_dumps(data: dict, flags: list[bool]) -> None:
    assert "".join(dump_chunks(_streamed(data, list(flags)))) == dumps(data)


def test_dump_chunks_of_items_by_hand() -> None:
    page = {"b": Items(iter([{"x": 1}, []])), "a": Items(iter([])), "c": {"d": [1]}}
    assert "".join(dump_chunks(page)) == (
        '{\n  "a": [],\n  "b": [\n    {\n      "x": 1\n    },\n    []\n  ],\n'
        '  "c": {\n    "d": [\n      1\n    ]\n  }\n}\n')


@given(st.lists(st.text(alphabet="a\n ", max_size=4), max_size=8))
def test_text_chunks_is_the_joined_text(lines: list[str]) -> None:
    assert "".join(text_chunks(iter(lines))) == "\n".join(lines).rstrip("\n") + "\n"


# -- the summary of a hand-made corpus ---------------------------------------------------------
def _fact(doc: str, start: int, text: str, sentence: str) -> dict[str, object]:
    return {"doc_id": doc, "fact_id": f"{doc}:{start}-{start + len(text)}", "kind": "money",
            "metric": "revenue", "value": "2900000000", "unit": "USD", "text": text,
            "sentence": sentence, "start": start, "end": start + len(text), "line": 3}


def _finding(doc: str, fid: str, check: str, severity: str, ids: list[str]) -> dict[str, str]:
    row = dict.fromkeys(FINDING_COLUMNS, "")
    row.update(doc_id=doc, finding_id=fid, check_id=check, severity=severity,
               message=f"{check} of {doc}", fact_ids=";".join(ids))
    return row


A1, A2 = "acme_q1:10-22", "acme_q1:40-44"
B1 = "acme_q2:7-17"
C1 = "acme_q3:5-9"  # a fact of a document without a report: quoted as not found


def _summary(tmp_path: Path) -> tuple[dict, str, str]:
    facts = {"acme_q1": pd.DataFrame([_fact("acme_q1", 10, "$2.9 billion",
                                            "Bookings were $2.9 billion."),
                                      _fact("acme_q1", 40, "$12m", "Capex was $12m.")]),
             "acme_q2": pd.DataFrame([_fact("acme_q2", 7, "$3 million",
                                            "Bookings were $3 million.")])}
    findings = pd.DataFrame([
        _finding("acme_q1", "XC-101:acme_q1:10-22", "XC-101", "error", [A1]),
        _finding("acme_q1", "XC-102:acme_q1:40-44", "XC-102", "critical", [A2]),
        # two documents' facts: cross-document, although it is acme_q2's
        _finding("acme_q2", "XC-501:acme_q2:7-17", "XC-501", "warning", [B1, A1]),
        # the corpus's, with an id whose anchor the next one's takes too
        _finding("*", "XC-902:acme_q1:10-22", "XC-902", "warning", [A1, C1]),
        _finding("*", "XC-902:acme_q1-10-22", "XC-902", "warning", [A1, C1]),
        _finding("acme_q3", "INPUT-001:acme_q3", "INPUT-001", "error", []),
    ])
    path = write_corpus_summary(list(facts.items()), findings, tmp_path)
    assert path == tmp_path / "index.md"
    return (json.loads((tmp_path / "index.json").read_text(encoding="utf-8")),
            path.read_text(encoding="utf-8"), (tmp_path / "index.html").read_text("utf-8"))


def test_summary_counts_documents_checks_and_severities(tmp_path: Path) -> None:
    data, md, _html = _summary(tmp_path)
    assert data["summary"] == {
        "documents": 3, "facts": 3, "cross_document": 3, "input_errors": 1,
        "reports_not_written": 0,
        "findings": {"total": 6,
                     "by_severity": {"error": 2, "warning": 3, "info": 0, "critical": 1}}}
    docs = {d["doc_id"]: d for d in data["documents"]}
    assert list(docs) == ["acme_q1", "acme_q2", "acme_q3"]
    assert docs["acme_q1"]["findings"] == {
        "total": 2, "by_severity": {"error": 1, "warning": 0, "info": 0, "critical": 1},
        "schema_failures": 0, "input_errors": 0, "cross_document": 3}
    assert docs["acme_q2"]["findings"]["cross_document"] == 1
    assert docs["acme_q3"] == {
        "doc_id": "acme_q3", "has_report": False, "reports": {},
        "facts": {"total": 0, "by_kind": {"money": 0, "per_share": 0, "percent": 0,
                                          "runway": 0}},
        "findings": {"total": 1, "by_severity": {"error": 1, "warning": 0, "info": 0},
                     "schema_failures": 0, "input_errors": 1, "cross_document": 2}}
    assert docs["acme_q1"]["reports"] == {"html": "acme_q1.html", "json": "acme_q1.json",
                                          "md": "acme_q1.md"}
    assert data["checks"]["XC-902"] == {"error": 0, "warning": 2, "info": 0}
    assert data["checks"]["XC-102"] == {"error": 0, "warning": 0, "info": 0, "critical": 1}
    assert "| `acme_q1` " not in md and "| [`acme_q1`](acme_q1.md) | 2 | 2 | 0 | 0 | 0 | 1 | 0 " \
        "| 0 | 0 | 3 |" in md
    assert "| `acme_q3` | 0 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 2 |" in md


def test_summary_lists_cross_document_findings_in_order_with_evidence(tmp_path: Path) -> None:
    data, md, html = _summary(tmp_path)
    cross = data["cross_document_findings"]
    # warnings, by check then finding id; colliding anchors get a suffix
    assert [(f["finding_id"], f["anchor"]) for f in cross] == [
        ("XC-501:acme_q2:7-17", "finding-XC-501-acme_q2-7-17"),
        ("XC-902:acme_q1-10-22", "finding-XC-902-acme_q1-10-22"),
        ("XC-902:acme_q1:10-22", "finding-XC-902-acme_q1-10-22-x")]
    assert cross[0]["documents"] == ["acme_q2", "acme_q1"]
    assert [(e["fact_id"], e["found"], e["quote"]) for e in cross[1]["evidence"]] == [
        (A1, True, "Bookings were $2.9 billion."), (C1, False, "")]
    [inp] = data["input_errors"]
    assert (inp["finding_id"], inp["anchor"], inp["documents"]) == (
        "INPUT-001:acme_q3", "finding-INPUT-001-acme_q3", [])
    assert "## Cross-document findings (3)" in md and "## Input errors (1)" in md
    # links only to the reports that exist
    see = [line for line in md.splitlines() if line.startswith("- In the reports:")]
    assert see == [
        "- In the reports: [acme_q2](acme_q2.md#finding-XC-501-acme_q2-7-17), "
        "[acme_q1](acme_q1.md#finding-XC-501-acme_q2-7-17)",
        "- In the reports: [acme_q1](acme_q1.md#finding-XC-902-acme_q1-10-22)",
        "- In the reports: [acme_q1](acme_q1.md#finding-XC-902-acme_q1-10-22-x)"]
    assert 'href="acme_q1.html#finding-XC-902-acme_q1-10-22-x"' in html
    assert not [p for p in html.split('<p class="see">')[1:] if "acme_q3" in p.split("</p>")[0]]
    assert md.endswith("\n") and not md.endswith("\n\n")
    assert html.endswith("</html>\n")


def test_a_report_reads_its_own_findings_and_those_citing_its_facts() -> None:
    with ReportStore() as store:
        store.add_findings([
            _finding("acme_q1", "f1", "XC-101", "error", [A1]),
            _finding("acme_q2", "f2", "XC-501", "warning", [B1, A1]),
            _finding("acme_q2", "f3", "XC-101", "info", [B1]),
            _finding("acme_q3", "f4", "INPUT-001", "error", []),
        ])
        store.add_facts("acme_q1", [_fact("acme_q1", 10, "$2.9 billion", "s"),
                                    _fact("acme_q1", 40, "$12m", "t")])
        assert [r["finding_id"] for r in store.findings_of("acme_q1")] == ["f1", "f2"]
        assert [r["finding_id"] for r in store.findings_of("acme_q2")] == ["f2", "f3"]
        # only the facts a finding of several documents cites are kept
        assert list(store.cited_facts([A1, A2, B1])) == [A1]
        assert store.cited_facts([A1])[A1]["start"] == 10
        assert store.has_findings("acme_q1") and not store.has_findings("acme_q9")
        assert not store.has_findings("acme_q3")  # only an input error: no report


def test_check_reads_parquet_findings(tmp_path: Path) -> None:
    """`--findings f.parquet` (and Parquet facts) give the reports of the CSV default."""
    def check(*extra: str, out: Path) -> None:
        run = subprocess.run([sys.executable, "-m", "extractor.cli", "check", str(EXAMPLES),
                              "--report-dir", str(out), "--workers", "1", "--fail-on", "never",
                              *extra], capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        assert run.stderr.strip().splitlines()[-1].startswith(
            "figures check: 8 documents, 8 checked, 0 failed; 12 errors, 6 warnings, 2 info")

    check("--findings", str(tmp_path / "f.parquet"), "--out", str(tmp_path / "facts.parquet"),
          out=tmp_path / "parquet")
    check(out=tmp_path / "csv")
    files = sorted(p.name for p in (tmp_path / "csv").iterdir())
    assert len(files) == 27
    for name in files:
        assert (tmp_path / "parquet" / name).read_bytes() == \
            (tmp_path / "csv" / name).read_bytes(), name
