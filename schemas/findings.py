"""The findings table: one row per inconsistency, schema failure or note."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .columns import FINDINGS as COLUMNS

__all__ = ["COLUMNS", "FINDINGS", "SEVERITIES"]

SEVERITIES = ["error", "warning", "info"]


def _text(description: str, checks: list[pa.Check] | None = None, **kw: object) -> pa.Column:
    return pa.Column(pd.StringDtype(), checks or [], description=description, **kw)


#: Contract of ``findings.csv`` (a schema object, not a ``DataFrameModel``: see
#: ``schemas/facts.py``).
FINDINGS = pa.DataFrameSchema(
    {
        "doc_id": _text("document id, or '*' for a corpus-level finding"),
        "finding_id": _text("stable id: check:doc:facts", unique=True),
        "check_id": _text("stable code of the check", [pa.Check.str_matches(
            r"^(?:XC-\d{3}|SCHEMA-[A-Z0-9-]+|INPUT-[A-Z]+)$")]),
        "severity": _text("error | warning | info", [pa.Check.isin(SEVERITIES)]),
        "message": _text("one-line explanation", [pa.Check.str_length(min_value=1)]),
        "fact_ids": _text("';'-separated fact ids cited as evidence"),
        "expected": _text("what the other figures imply"),
        "observed": _text("what the text states"),
        "arithmetic": _text("the arithmetic written out"),
    },
    strict=True, ordered=True, name="findings",
)
