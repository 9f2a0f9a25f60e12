"""Finding rows: an input error's row, and the ids (sort finding rows stably and number them,
the same way every time)."""

from __future__ import annotations

from .schemas.columns import FINDINGS as FINDING_COLUMNS


def input_finding(doc_id: str, message: str, code: str, observed: str) -> dict:
    """The error row ``INPUT-<CODE>`` of something that could not be read or checked: a
    document (``observed`` its path), or a company's cross-document checks."""
    return {"doc_id": doc_id, "finding_id": "", "check_id": f"INPUT-{code.upper()}",
            "severity": "error", "message": message, "fact_ids": "", "expected": "",
            "observed": observed, "arithmetic": ""}


def finding_order(r: dict) -> tuple[str, ...]:
    """The order of the findings table: document, check, facts, observation, message."""
    return (r["doc_id"], r["check_id"], r["fact_ids"], r["observed"], r["message"])


def number_rows(rows: list[dict]) -> list[dict]:
    """Sort finding rows stably and give each an id built from its check and first fact (or
    document): the same findings always get the same ids, in the same order."""
    rows = [{c: "" if r.get(c) is None else str(r.get(c)) for c in FINDING_COLUMNS}
            for r in rows]
    rows.sort(key=finding_order)
    seen: dict[str, int] = {}
    for r in rows:
        base = f"{r['check_id']}:{r['fact_ids'].split(';')[0] if r['fact_ids'] else r['doc_id']}"
        n = seen.get(base, 0) + 1
        seen[base] = n
        r["finding_id"] = base if n == 1 else f"{base}#{n}"
    return rows
