"""The facts table: one row per figure, columns as in DESIGN.md's data contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from .attribute import Fact
from .quantities import plain

if TYPE_CHECKING:
    import pandas as pd

COLUMNS: list[str] = [
    "doc_id", "fact_id", "kind", "metric", "entity", "scope", "period", "as_of", "value", "unit",
    "low", "high", "qualifier", "guidance", "direction", "comparison_period", "compared_to",
    "horizon_start", "horizon_end", "uncertain", "label", "text", "start", "end", "line",
    "speaker", "role", "section", "sentence", "rule_id",
]
STRING_COLUMNS = [c for c in COLUMNS if c not in ("guidance", "uncertain", "start", "end", "line")]


def _date(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def fact_row(f: Fact) -> dict[str, object]:
    """A fact as a row of plain values: decimals as plain strings, dates as ISO strings."""
    return {
        "doc_id": f.doc_id, "fact_id": f.fact_id, "kind": f.kind, "metric": f.metric,
        "entity": f.entity, "scope": f.scope, "period": f.period, "as_of": _date(f.as_of),
        "value": plain(f.value), "unit": f.unit, "low": plain(f.low), "high": plain(f.high),
        "qualifier": f.qualifier or "none", "guidance": bool(f.guidance),
        "direction": f.direction, "comparison_period": f.comparison_period,
        "compared_to": f.compared_to, "horizon_start": _date(f.horizon_start),
        "horizon_end": _date(f.horizon_end), "uncertain": bool(f.uncertain), "label": f.label,
        "text": f.text, "start": f.start, "end": f.end, "line": f.line, "speaker": f.speaker,
        "role": f.role, "section": f.section, "sentence": f.sentence, "rule_id": f.rule_id,
    }


def facts_frame(facts: list[Fact] | list[dict[str, object]]) -> pd.DataFrame:
    """The facts table with stable dtypes (strings, booleans, integers), sorted by position."""
    import pandas as pd

    rows = [fact_row(f) if isinstance(f, Fact) else f for f in facts]
    df = pd.DataFrame(rows, columns=COLUMNS)
    return typed(df)


def rows_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Fact rows (as :func:`fact_row` makes them) as :func:`columns_frame` makes them."""
    return columns_frame({c: [r.get(c) for r in rows] for c in COLUMNS})


def columns_frame(columns: dict[str, list]) -> pd.DataFrame:
    """Facts by column (values as :func:`fact_row` makes them) as a table with the contract
    dtypes, in the given order: what the batch validates, without the casts and the sort of
    :func:`typed` (a value of the wrong type is then a schema failure, not cast away)."""
    import pandas as pd

    data = {}
    for c in COLUMNS:
        values = columns.get(c, [])
        if c in STRING_COLUMNS:
            data[c] = pd.array(["" if v is None else v for v in values], dtype="string")
        else:
            try:
                data[c] = pd.Series(values, dtype="bool" if c in ("guidance", "uncertain")
                                    else "int64")
            except (TypeError, ValueError):  # kept as they are: a dtype failure to report
                data[c] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Cast a facts table (possibly read back from CSV) to its contract dtypes."""
    import pandas as pd

    df = df.reindex(columns=COLUMNS, fill_value="")
    for c in STRING_COLUMNS:
        df[c] = df[c].fillna("").astype("string")
    for c in ("guidance", "uncertain"):
        df[c] = df[c].map(lambda v: str(v).strip().lower() in ("true", "1")).astype("bool")
    for c in ("start", "end", "line"):
        df[c] = pd.to_numeric(df[c]).astype("int64")
    return df.sort_values(["doc_id", "start", "end"], kind="stable").reset_index(drop=True)


def decimal(value: str) -> Decimal | None:
    return Decimal(value) if value not in ("", None) else None
