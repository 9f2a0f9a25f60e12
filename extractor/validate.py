"""Validate tables against the pandera models of ``schemas/``; failures become findings.

Validation is lazy (every failure at once) and never raises: each failure case is a finding row
with check id ``SCHEMA-<CHECK>``, citing the facts it concerns.
"""

from __future__ import annotations

import pandas as pd
import pandera.errors

from .numbering import number_rows
from .schemas.columns import FINDINGS as FINDING_COLUMNS
from .schemas.facts import FACTS
from .schemas.findings import FINDINGS

_TABLE_CHECKS = {"span_is_ordered", "value_within_interval", "balance_or_flow",
                 "runway_has_horizon"}


def _check_code(check: object) -> str:
    name = str(check).split("(")[0].strip() or "CHECK"
    return "SCHEMA-" + "".join(ch if ch.isalnum() else "-" for ch in name.upper()).strip("-")


def validate_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Findings (possibly none) for every way ``facts`` breaks the facts contract."""
    try:
        FACTS.validate(facts, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return _findings(facts, exc.failure_cases)
    except pandera.errors.SchemaError as exc:  # a single structural failure
        cases = pd.DataFrame([{"column": getattr(exc.schema, "name", ""), "check": exc.check,
                               "failure_case": str(exc), "index": None}])
        return _findings(facts, cases)
    return empty_findings()


def _findings(facts: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    rows = []
    seen: dict[tuple[str, object], int] = {}
    for case in cases.to_dict("records"):
        key = (str(case.get("check")), case.get("index"))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:  # a table-level check reports every column of a row: keep one
            continue
        if (case.get("schema_context") == "DataFrameSchema" and case.get("column") in (
                None, "")) or str(case.get("check")) in _TABLE_CHECKS:
            case = {**case, "column": "row", "failure_case": ""}
        idx = case.get("index")
        fact_id = doc_id = ""
        if idx is not None and not pd.isna(idx) and idx in facts.index:
            fact_id = str(facts.at[idx, "fact_id"])
            doc_id = str(facts.at[idx, "doc_id"])
        code = _check_code(case.get("check"))
        column = case.get("column") or "table"
        rows.append({
            "doc_id": doc_id or "*",
            "finding_id": "",
            "check_id": code,
            "severity": "error",
            "message": f"facts table: column {column} fails {case.get('check')}",
            "fact_ids": fact_id,
            "expected": str(case.get("check")),
            "observed": str(case.get("failure_case")),
            "arithmetic": "",
        })
    df = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return number_findings(df)


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="string") for c in FINDING_COLUMNS})


def number_findings(df: pd.DataFrame) -> pd.DataFrame:
    """Sort findings stably and give each an id built from its check, document and facts."""
    rows = number_rows(df.astype("string").fillna("").to_dict("records"))
    if not rows:
        return empty_findings()
    return pd.DataFrame(rows, columns=FINDING_COLUMNS).astype("string")


def validate_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings about the findings table itself (a bug guard: expected empty)."""
    try:
        FINDINGS.validate(findings, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return _findings(findings.assign(fact_id=""), exc.failure_cases)
    return empty_findings()
