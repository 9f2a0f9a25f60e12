"""Golden files: each document's facts, findings and report as sorted, stable text.

``golden/<doc_id>/facts.csv`` has every facts column except ``sentence``, rows sorted by
position; ``findings.csv`` the document's findings (within-document checks and schema);
``golden/_corpus_<set>/findings.csv`` the cross-document findings of a set of documents;
``report.json`` the JSON report, for the project's own examples only: a seed report quotes
transcript sentences, and no third-party transcript text is copied into the project.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from .batch import to_csv_text
from .facts import COLUMNS as FACT_COLUMNS

GOLDEN_FACT_COLUMNS = [c for c in FACT_COLUMNS if c != "sentence"]


def facts_text(table: pd.DataFrame) -> str:
    df = table.sort_values(["start", "end"], kind="stable")
    return to_csv_text(df, GOLDEN_FACT_COLUMNS)


def findings_text(findings: pd.DataFrame) -> str:
    from .schemas.findings import COLUMNS

    df = findings.sort_values(["check_id", "finding_id"], kind="stable")
    return to_csv_text(df, COLUMNS)


def diff(expected: str, actual: str, name: str) -> str:
    return "".join(difflib.unified_diff(expected.splitlines(keepends=True),
                                        actual.splitlines(keepends=True),
                                        fromfile=f"golden/{name}", tofile=f"current/{name}"))


def moved(expected: str, actual: str) -> tuple[int, int]:
    """(rows removed, rows added) between two golden texts."""
    a, b = set(expected.splitlines()), set(actual.splitlines())
    return len(a - b), len(b - a)


def write_if_changed(path: Path, text: str) -> str | None:
    """Write ``text``; return a one-line report of what moved (None when unchanged)."""
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    if old is None:
        return f"created {path} (review and commit)"
    removed, added = moved(old, text)
    return f"updated {path}: {removed} rows removed, {added} rows added"
