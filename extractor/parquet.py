"""Parquet form of the facts and findings tables (pyarrow), and reading either format back.

Types in the file:

* text columns: ``string`` (an empty cell stays ``""``, never null);
* ``as_of``, ``horizon_start``, ``horizon_end``: ``date32`` (null where there is no date);
* ``guidance``, ``uncertain``: ``bool``; ``start``, ``end``, ``line``: ``int64``;
* ``value``, ``low``, ``high``: **exact decimal strings**, as in the CSV. A fixed-scale
  ``decimal128`` cannot hold every value exactly: a fraction such as "a third" is
  ``33.33333333333333333333333333`` percent (26 places) while money in base units reaches
  13 integer digits, 39 digits in all, past decimal128's 38; rounding would change the value
  and the rounding interval the checks rely on. ``Decimal(cell)`` (or a cast in Arrow, DuckDB,
  Spark) gives the number back exactly.

Reading a file back (:func:`read_table`) gives the contract dtypes of ``schemas/`` whatever the
format, so a CSV and a Parquet file of the same run read back equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from .errors import FiguresError, first_line
from .facts import COLUMNS as FACT_COLUMNS
from .schemas.columns import FINDINGS as FINDING_COLUMNS

DATE_COLUMNS = ("as_of", "horizon_start", "horizon_end")
BOOL_COLUMNS = ("guidance", "uncertain")
INT_COLUMNS = ("start", "end", "line")
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv",)


def _type(column: str) -> pa.DataType:
    if column in DATE_COLUMNS:
        return pa.date32()
    if column in BOOL_COLUMNS:
        return pa.bool_()
    if column in INT_COLUMNS:
        return pa.int64()
    return pa.string()


FACTS_SCHEMA = pa.schema([pa.field(c, _type(c), nullable=c in DATE_COLUMNS)
                          for c in FACT_COLUMNS])
FINDINGS_SCHEMA = pa.schema([pa.field(c, pa.string(), nullable=False) for c in FINDING_COLUMNS])


def output_format(path: str) -> str:
    """'csv' or 'parquet' from the file name; anything else is a one-line error."""
    suffix = Path(path).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise FiguresError(f"{path}: unknown output format {suffix or '(no extension)'!r} "
                       "(use .csv or .parquet)")


def _date(value: object) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rows_to_table(rows: Sequence[dict], schema: pa.Schema) -> pa.Table:
    """Rows of plain values (as the CSV writer gets them) -> an Arrow table of ``schema``."""
    arrays = []
    for f in schema:
        col = [r.get(f.name) for r in rows]
        if pa.types.is_date32(f.type):
            arrays.append(pa.array([_date(v) for v in col], f.type))
        elif pa.types.is_boolean(f.type):
            arrays.append(pa.array([bool(v) if not isinstance(v, str) else v == "true"
                                    for v in col], f.type))
        elif pa.types.is_int64(f.type):
            arrays.append(pa.array([int(v) for v in col], f.type))
        else:
            arrays.append(pa.array([_text(v) for v in col], f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def table_to_frame(table: pa.Table, columns: list[str]):
    """Arrow table -> DataFrame of strings / bools / ints with dates as ISO strings."""
    import pandas as pd

    data = {}
    for name in columns:
        col = table.column(name)
        if pa.types.is_date32(col.type):
            data[name] = pd.array([d.isoformat() if d is not None else ""
                                   for d in col.to_pylist()], dtype="string")
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            data[name] = pd.array(col.to_pylist(), dtype="string")
        else:
            data[name] = col.to_pandas()
    return pd.DataFrame(data, columns=columns)


#: the columns without which a file is not a table of that kind; the others may be left out
#: and are read as empty (the golden files of the real calls leave out the sentence, an older
#: findings file has fewer columns)
KEY_COLUMNS = {"facts": ("doc_id", "fact_id", "kind", "start", "end", "line", "text", "value",
                         "unit"),
               "findings": ("doc_id", "check_id", "severity")}


def read_table(path: str, table: str = "facts"):
    """A facts or findings file (CSV or Parquet, by extension) with its contract dtypes.

    A file that cannot be read as such a table (missing, not CSV or Parquet, a column missing,
    a value of the wrong type) raises a one-line :class:`~extractor.errors.FiguresError`."""
    import pandas as pd

    columns = FACT_COLUMNS if table == "facts" else FINDING_COLUMNS
    try:
        if output_format(path) == "parquet":
            import pyarrow.parquet as pq

            df = table_to_frame(pq.read_table(path), columns)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise FiguresError(f"{path}: no such file") from None
    except (OSError, ValueError, pa.ArrowException, pd.errors.EmptyDataError) as exc:
        # ParserError and UnicodeDecodeError are ValueErrors
        raise FiguresError(f"{path}: cannot read it as a {table} table "
                           f"({first_line(exc)})") from None
    missing = [c for c in KEY_COLUMNS[table] if c not in df.columns]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise FiguresError(f"{path}: not a {table} table: no column {', '.join(missing[:5])}"
                           f"{more}")
    if table == "facts":
        from .facts import typed

        try:
            return typed(df)
        except (ValueError, TypeError) as exc:
            raise FiguresError(f"{path}: a value does not fit the facts contract "
                               f"({first_line(exc)})") from None
    return df.reindex(columns=columns).fillna("").astype("string")

