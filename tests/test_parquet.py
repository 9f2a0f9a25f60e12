"""Parquet output: chosen by extension, typed columns, the same values as the CSV when read back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import EXAMPLES
from extractor import sinks
from extractor.batch import read_facts, run_batch
from extractor.parquet import read_table
from extractor.validate import validate_facts


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pq")
    run_batch([EXAMPLES], str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
              progress=False)
    run_batch([EXAMPLES], str(out / "facts.parquet"), str(out / "findings.parquet"), workers=1,
              progress=False)
    return out


def test_column_types(both: Path) -> None:
    schema = pq.read_schema(both / "facts.parquet")
    types = {f.name: f.type for f in schema}
    assert types["value"] == types["low"] == types["high"] == pa.string()  # exact decimals
    assert types["as_of"] == types["horizon_start"] == types["horizon_end"] == pa.date32()
    assert types["guidance"] == types["uncertain"] == pa.bool_()
    assert types["start"] == types["end"] == types["line"] == pa.int64()
    assert [f.name for f in schema] == list(read_facts(str(both / "facts.csv")).columns)
    assert set(pq.read_schema(both / "findings.parquet").types) == {pa.string()}


def test_values_in_the_file(both: Path) -> None:
    t = pq.read_table(both / "facts.parquet").to_pylist()
    row = next(r for r in t if r["doc_id"] == "ex01_pellucid_q3" and r["text"] == "$192 million")
    assert (row["kind"], row["metric"], row["as_of"], row["value"], row["low"], row["high"],
            row["guidance"], row["period"]) == (
        "money", "cash_position", dt.date(2025, 9, 30), "192000000", "191500000", "192500000",
        False, "")
    assert Decimal(row["high"]) - Decimal(row["low"]) == Decimal(1000000)
    runway = next(r for r in t if r["doc_id"] == "ex01_pellucid_q3" and r["kind"] == "runway")
    assert (runway["text"], runway["as_of"], runway["horizon_start"], runway["horizon_end"],
            runway["value"], runway["unit"], runway["guidance"]) == (
        "into early 2027", dt.date(2025, 9, 30), dt.date(2027, 1, 1), dt.date(2027, 4, 30), "",
        "date", True)


def test_reads_back_equal_to_the_csv_and_valid(both: Path) -> None:
    a, b = read_facts(str(both / "facts.csv")), read_facts(str(both / "facts.parquet"))
    assert a.equals(b) and len(a) > 200
    assert len(validate_facts(b)) == 0
    fa = read_table(str(both / "findings.csv"), "findings")
    fb = read_table(str(both / "findings.parquet"), "findings")
    assert fa.equals(fb) and len(fa) > 0


def test_same_bytes_whatever_workers_and_row_group_cut(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sinks, "PART_ROWS", 7)  # many small spool parts ...
    monkeypatch.setattr(sinks, "ROW_GROUP", 50)  # ... merged into fixed row groups
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    run_batch([EXAMPLES], str(a), workers=1, progress=False, chunk=3)
    run_batch([EXAMPLES], str(b), workers=2, progress=False, chunk=1)
    assert a.read_bytes() == b.read_bytes()
    meta = pq.ParquetFile(a).metadata
    assert meta.num_row_groups == -(-meta.num_rows // 50)
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups - 1)] == \
        [50] * (meta.num_row_groups - 1)
    assert not list(tmp_path.glob("*.partial*"))


def test_empty_corpus_writes_a_valid_empty_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    out = tmp_path / "facts.parquet"
    s = run_batch([tmp_path / "in"], str(out), str(tmp_path / "findings.parquet"), workers=1,
                  progress=False)
    assert (s.failed, s.facts, s.findings) == (1, 0, 1)
    assert pq.read_table(out).num_rows == 0
    f = pq.read_table(tmp_path / "findings.parquet").to_pylist()
    assert [(r["doc_id"], r["check_id"], r["message"]) for r in f] == [
        ("empty", "INPUT-EMPTY", f"{tmp_path / 'in' / 'empty.txt'}: empty file")]
