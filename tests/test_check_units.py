"""Checks never do arithmetic across currencies, and a check that fails on one document costs
that document its findings, not the batch."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from extractor.batch import run_batch
from extractor.checks import document_findings
from extractor.pipeline import process_text

HEAD = "Jane Roe - CFO\n"
CHANGE = ("Net loss was {c}75 million in the third quarter of 2021, compared to {c}21 million "
          "in the third quarter of 2020. This $50 million increase in the net loss was driven "
          "by research.\n")


def _findings(text: str) -> list[dict]:
    return document_findings(process_text(text, "doc"))


def test_a_stated_change_is_checked_against_figures_of_its_own_currency() -> None:
    (f,) = _findings(HEAD + CHANGE.format(c="$"))
    assert (f["check_id"], f["fact_ids"]) == ("XC-101", "doc:28-39;doc:82-93;doc:129-140")
    assert f["arithmetic"] == ("75 - 21 = 53..55 (net loss, USD million) vs stated increase "
                               "of 50 != 50")


def test_a_stated_change_in_usd_is_not_checked_against_figures_in_cad() -> None:
    """C$75 million and C$21 million say nothing of a $50 million change (before: XC-101 with
    the CAD figures read as 'USD million')."""
    result = process_text(HEAD + CHANGE.format(c="C$"), "doc")
    assert [(f.metric, f.value, f.unit) for f in result.facts] == [
        ("net_loss", 75000000, "CAD"), ("net_loss", 21000000, "CAD"),
        ("net_loss_change", 50000000, "USD")]
    assert document_findings(result) == []


def test_figures_of_two_currencies_around_a_change_raise_nothing() -> None:
    """Found by Hypothesis (tests/test_properties.py): a change whose two figures were in USD
    and CAD stopped the whole batch with pint's DimensionalityError."""
    text = HEAD + "$1,between C$0 and $0 down in the third quarter of 2021 .\n"
    result = process_text(text, "doc")
    assert [(f.text, f.unit, f.metric) for f in result.facts] == [
        ("$1", "USD", "other"), ("C$0", "CAD", "other"), ("$0", "USD", "other_change")]
    # the change has no metric label ("third"): XC-702 says so; no arithmetic across the two
    assert [f["check_id"] for f in document_findings(result)] == ["XC-702"]


def test_a_check_that_fails_is_one_finding_of_its_document(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine bug in a check: the document keeps its facts and gets one INPUT-INTERNAL
    finding naming the error; the other documents are checked as usual."""
    from extractor.checks import changes

    real = changes.check

    def broken(ctx, facts):
        if len(facts) == 4:  # document b
            raise ArithmeticError("a bug\nover two lines")
        return real(ctx, facts)

    monkeypatch.setattr(changes, "check", broken)
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        more = "Revenue was $9 million.\n" if name == "b" else ""
        (src / f"{name}.txt").write_text(HEAD + CHANGE.format(c="$") + more, encoding="utf-8")
    out = tmp_path / "o"
    s = run_batch([src], str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
                  progress=False)
    assert (s.documents, s.processed, s.failed, s.facts, s.findings) == (3, 3, 0, 10, 3)
    rows = (out / "findings.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split(",")[:3] for r in rows] == [
        ["a", "XC-101:a:28-39", "XC-101"], ["b", "INPUT-INTERNAL:b", "INPUT-INTERNAL"],
        ["c", "XC-101:c:28-39", "XC-101"]]
    assert (f"{src / 'b.txt'}: the within-document checks stopped: internal error "
            "(ArithmeticError: a bug over two lines)") in rows[1]


def test_cross_document_checks_that_fail_are_one_finding_of_that_company(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine bug in the cross-document checks of one company: one INPUT-INTERNAL finding
    on its first document naming the company, its documents and the error; every other row
    of the batch (facts, within-document findings) is what a clean run writes."""
    from conftest import EXAMPLES
    from extractor.checks import crossdoc

    clean = tmp_path / "clean"
    run_batch([EXAMPLES], str(clean / "facts.csv"), str(clean / "findings.csv"), workers=1,
              progress=False)

    def broken(ctx, facts):
        raise KeyError("a bug")

    monkeypatch.setattr(crossdoc, "check", broken)
    out = tmp_path / "o"
    s = run_batch([EXAMPLES], str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
                  progress=False)
    assert (s.documents, s.processed, s.failed) == (8, 8, 0)
    assert (out / "facts.csv").read_bytes() == (clean / "facts.csv").read_bytes()
    before = (clean / "findings.csv").read_text(encoding="utf-8").splitlines()
    after = (out / "findings.csv").read_text(encoding="utf-8").splitlines()
    lost = [r for r in before if r not in after]
    assert [r.split(",")[2] for r in lost] == ["XC-501", "XC-901", "XC-901", "XC-902"]
    assert all(r.startswith("*,") for r in lost)  # the cross-document rows, no other
    (new,) = csv.DictReader([after[0], *(r for r in after if r not in before)])
    assert new == {
        "doc_id": "ex04_veloran_q2", "finding_id": "INPUT-INTERNAL:ex04_veloran_q2",
        "check_id": "INPUT-INTERNAL", "severity": "error",
        "message": "the cross-document checks of veloran (2 documents, ex04_veloran_q2 to "
                   "ex05_veloran_q3) stopped: internal error (KeyError: 'a bug')",
        "fact_ids": "", "expected": "", "observed": "veloran", "arithmetic": ""}
    assert s.findings == len(after) - 1
