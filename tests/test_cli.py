"""The command line, end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES
from extractor.batch import read_facts, run_batch


def _figures(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True,
                          text=True, check=False)


def test_extract_examples(tmp_path: Path) -> None:
    run = _figures("extract", str(EXAMPLES), "--out", str(tmp_path / "facts.csv"), "--findings",
                   str(tmp_path / "findings.csv"), "--workers", "2")
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("figures: 8 documents, 8 processed, 0 failed")
    facts = read_facts(str(tmp_path / "facts.csv"))
    row = facts[(facts.doc_id == "ex01_pellucid_q3") & (facts.text == "$192 million")].iloc[0]
    assert (row.kind, row.metric, row.as_of, row.value, row.unit, row.low, row.high) == (
        "money", "cash_position", "2025-09-30", "192000000", "USD", "191500000", "192500000")


def test_output_is_identical_whatever_the_worker_count(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run_batch([EXAMPLES], str(a), workers=1, progress=False)
    run_batch([EXAMPLES], str(b), workers=2, progress=False)
    assert a.read_bytes() == b.read_bytes()


def test_rules_lists_every_rule() -> None:
    run = _figures("rules")
    assert run.returncode == 0
    ids = {line.split()[0] for line in run.stdout.splitlines()}
    assert {"MONEY-001", "MONEY-006", "PS-003", "PCT-003", "RUNWAY-004"} <= ids


def test_explain_shows_rule_and_cues() -> None:
    run = _figures("explain", str(EXAMPLES / "ex01_pellucid_q3.txt"), "--line", "7")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "'$192 million' -> money cash_position pellucid/excl_corvane as of 2025-09-30" in out
    assert "MONEY-001 recognised '$192 million'" in out


def test_usage_error_is_one_line(tmp_path: Path) -> None:
    run = _figures("extract", str(EXAMPLES), "--out", str(tmp_path / "f.csv"), "--workers", "-3")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr


def test_excel_safe_escapes_text_cells_only(tmp_path: Path) -> None:
    doc = tmp_path / "inj.txt"
    doc.write_text("Jane Roe - CFO\n=HYPERLINK(\"x\") other expense came to $(3.4) million in "
                   "the third quarter of 2024.\n", encoding="utf-8")
    plain, safe = tmp_path / "plain.csv", tmp_path / "safe.csv"
    assert _figures("extract", str(doc), "--out", str(plain), "--workers", "1").returncode == 0
    assert _figures("extract", str(doc), "--out", str(safe), "--workers", "1",
                    "--excel-safe").returncode == 0
    p, s = read_facts(str(plain)).iloc[0], read_facts(str(safe)).iloc[0]
    assert p.value == s.value == "-3400000"  # numeric columns are never changed
    assert p.sentence.startswith("=HYPERLINK") and s.sentence.startswith("'=HYPERLINK")
    assert p.speaker == s.speaker == "Jane Roe (CFO)"
