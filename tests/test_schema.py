"""The pandera contract of the facts table; failures become findings, never a crash."""

from __future__ import annotations

from conftest import EXAMPLES, processed
from extractor.validate import validate_facts


def _table():
    return processed(str(EXAMPLES / "ex01_pellucid_q3.txt")).table.copy()


def test_extracted_facts_satisfy_the_contract() -> None:
    assert len(validate_facts(_table())) == 0


def test_each_failure_is_a_finding_citing_its_fact() -> None:
    df = _table()
    df.loc[0, "unit"] = "dollars"
    df.loc[1, "value"] = "2.8e9"
    df.loc[2, "period"] = "Q5-2021"
    df.loc[3, "low"] = "999999999999"
    findings = validate_facts(df)
    got = {(r.check_id, r.fact_ids) for r in findings.itertuples()}
    assert got == {
        ("SCHEMA-PINT-UNIT", df.loc[0, "fact_id"]),
        ("SCHEMA-PLAIN-DECIMAL", df.loc[1, "fact_id"]),
        ("SCHEMA-VALUE-WITHIN-INTERVAL", df.loc[1, "fact_id"]),
        ("SCHEMA-STR-MATCHES", df.loc[2, "fact_id"]),
        ("SCHEMA-VALUE-WITHIN-INTERVAL", df.loc[3, "fact_id"]),
    }
    assert set(findings["severity"]) == {"error"}


def test_span_text_matches_the_document() -> None:
    result = processed(str(EXAMPLES / "ex02_harrowgate_h1.txt"))
    for f in result.facts:
        assert result.document.text[f.start:f.end] == f.text


def test_findings_table_contract() -> None:
    import pandas as pd

    from extractor.checks import run_document_checks
    from extractor.validate import validate_findings

    findings = run_document_checks(processed(str(EXAMPLES / "ex01_pellucid_q3.txt")))
    assert len(findings) and len(validate_findings(findings)) == 0
    bad = findings.copy()
    bad.loc[0, "severity"] = "fatal"
    bad.loc[1, "check_id"] = "XC-1"
    got = validate_findings(pd.DataFrame(bad))
    assert sorted(got["check_id"]) == ["SCHEMA-ISIN", "SCHEMA-STR-MATCHES"]
    assert sorted(got["observed"]) == ["XC-1", "fatal"]


def test_batch_validation_frame_reports_wrong_types_as_findings() -> None:
    """The batch validates fact rows as they are (rows_frame): a start that is not an integer
    is a schema finding on the dtype, not a crash or a silent cast."""
    from extractor.facts import fact_row, rows_frame

    rows = [fact_row(f) for f in processed(str(EXAMPLES / "ex01_pellucid_q3.txt")).facts]
    assert len(validate_facts(rows_frame(rows))) == 0
    rows[0] = {**rows[0], "start": "twelve"}
    findings = validate_facts(rows_frame(rows))
    dtype = findings[findings["check_id"] == "SCHEMA-DTYPE"]
    assert list(zip(dtype["fact_ids"], dtype["observed"], strict=True)) == [
        (rows[0]["fact_id"], "twelve")]
    assert set(findings["severity"]) == {"error"}
