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


def test_rules_kind_must_be_a_kind_of_the_rules() -> None:
    run = _figures("rules", "--kind", "bogus")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines()[-1] == ("Error: --kind takes one of money, per_share, "
                                           "percent, runway (got 'bogus')")
    assert _figures("rules", "--kind", "runway").stdout.splitlines()[0].startswith("RUNWAY-001 ")


def test_score_refuses_a_file_that_is_not_an_annotation_in_one_line(tmp_path: Path) -> None:
    import pytest

    from extractor.annotation import load_annotation
    from extractor.errors import FiguresError

    cases = {
        "docs.yaml": ("documents: []\n", "not an annotation: expected a mapping with a 'facts' "
                      "list"),
        "text.yaml": ("just a sentence\n", "not an annotation: expected a mapping with a "
                      "'facts' list"),
        "broken.yaml": ("{{{: bad", "not valid YAML (expected the node content, but found "
                        "':' at line 1, column 4)"),
        "short.yaml": ("facts:\n  - {id: F1, doc: a.txt, kind: money, line: 3}\n",
                       "fact F1: no key col, quote, unit, metric"),
        "item.yaml": ("facts:\n  - 12\n", "fact 1 is not a mapping"),
    }
    for name, (text, problem) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(FiguresError) as info:
            load_annotation(path)
        assert str(info.value) == f"{path}: {problem}"
    (tmp_path / "latin.yaml").write_bytes(b"facts: [\xe9]\n")
    with pytest.raises(FiguresError, match=r"latin\.yaml: not UTF-8 text$"):
        load_annotation(tmp_path / "latin.yaml")
    facts = tmp_path / "facts.csv"
    run_batch([str(EXAMPLES / "ex01_pellucid_q3.txt")], str(facts), progress=False, workers=1)
    run = _figures("score", str(facts), str(tmp_path / "broken.yaml"), "--texts", str(EXAMPLES))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"figures: {tmp_path / 'broken.yaml'}: {cases['broken.yaml'][1]}\n"


def test_a_file_that_is_not_a_facts_table_is_one_line(tmp_path: Path) -> None:
    import pytest

    from extractor.errors import FiguresError

    good = tmp_path / "facts.csv"
    run_batch([str(EXAMPLES / "ex01_pellucid_q3.txt")], str(good), progress=False, workers=1)
    header = good.read_text(encoding="utf-8").splitlines()[0]
    files = {
        "other.csv": (b"a,b\n1,2\n", "not a facts table: no column doc_id, fact_id, kind, "
                      "start, end and 4 more"),
        "nounit.csv": (b"doc_id,fact_id,kind,start,end,line,text,value\n",
                       "not a facts table: no column unit"),
        "empty.csv": (b"", "cannot read it as a facts table (No columns to parse from file)"),
        "utf16.csv": (b"\xff\xfe\x00", "cannot read it as a facts table ('utf-8' codec can't "
                      "decode byte 0xff in position 0: invalid start byte)"),
        "badint.csv": ((header + "\n" + ",".join("x" * len(header.split(",")))
                        + "\n").encode(),
                       "a value does not fit the facts contract (Unable to parse string 'x' "
                       "at position 0)"),
    }
    for name, (data, problem) in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(FiguresError) as info:
            read_facts(str(path))
        assert str(info.value).split(": ", 1) == [str(path), problem], name
    (tmp_path / "bad.parquet").write_bytes(b"x")
    with pytest.raises(FiguresError) as info:  # pyarrow's own words follow: not pinned
        read_facts(str(tmp_path / "bad.parquet"))
    assert str(info.value).startswith(f"{tmp_path / 'bad.parquet'}: cannot read it as a facts "
                                      "table (Could not open Parquet input source ")
    assert "\n" not in str(info.value)
    with pytest.raises(FiguresError, match=r"nope\.csv: no such file$"):
        read_facts(str(tmp_path / "nope.csv"))
    assert len(read_facts(str(good))) == 28
