"""Spreadsheet formula-injection guard for the CSV the engine writes (``--excel-safe``).

The engine copies text it did not write into its tables: speaker names, sentences, the
literal figure, finding messages. A transcript line such as ``=HYPERLINK("http://evil", "x")``
or ``@SUM(1+1)*cmd|' /C calc'!A0`` becomes a *formula* when the CSV is opened in Excel,
LibreOffice or Google Sheets (CWE-1236). With ``--excel-safe``, every cell of a **text** column
that begins with one of ``= + - @``, a tab or a carriage return (or their full-width forms) is
prefixed with a single quote, which spreadsheets read as "this cell is text" and do not show.

What it does not touch, so that the data stays right for pandas and every other reader:

* numeric columns (:data:`NUMERIC_COLUMNS`: ``value``, ``low``, ``high``, ``start``, ``end``,
  ``line``): ``-3.4`` is a negative number, not a formula;
* a text cell that is a plain number (``-3.81``, ``+12``, ``-0.5%``): it cannot run anything;
* the default output: without the flag the CSV holds the exact text.

A cell that already begins with a quote gets a second one, so :func:`unescape_cell` (or
:func:`unescape_frame` for a DataFrame read with ``dtype=str``) recovers the original text
exactly: ``unescape_cell(escape_cell(x)) == x`` for every string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: first characters that make a spreadsheet read a cell as a formula (OWASP's list, with the
#: full-width forms some locales accept)
TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
#: the prefix that marks a cell as text in a spreadsheet
QUOTE = "'"
#: columns whose cells are numbers (never escaped): facts' value, interval, span and line
NUMERIC_COLUMNS = frozenset({"value", "low", "high", "start", "end", "line"})


def is_plain_number(cell: str) -> bool:
    """``-3.4``, ``+12``, ``.5``, ``-0.5%``: an optional sign, ASCII digits with at most one
    point, an optional percent sign. Such a cell is data, never a formula."""
    body = cell[1:] if cell[:1] in ("-", "+") else cell
    if body.endswith("%"):
        body = body[:-1]
    digits = body.replace(".", "", 1)
    return bool(digits) and digits.isascii() and digits.isdigit()


def needs_escape(cell: str) -> bool:
    """True when a spreadsheet could run ``cell`` as a formula (or it starts with a quote,
    which is doubled so that the escape can be undone)."""
    if not cell:
        return False
    first = cell[0]
    if first == QUOTE:
        return True
    return first in TRIGGERS and not is_plain_number(cell)


def escape_cell(cell: str) -> str:
    """``cell`` made safe to open in a spreadsheet: a quote before a formula trigger."""
    return QUOTE + cell if needs_escape(cell) else cell


def unescape_cell(cell: str) -> str:
    """The text :func:`escape_cell` was given (one leading quote removed)."""
    return cell[1:] if cell.startswith(QUOTE) else cell


def text_columns(columns: Iterable[str],
                 numeric: Iterable[str] = NUMERIC_COLUMNS) -> list[str]:
    """The columns of ``columns`` that hold text (all but the numeric ones)."""
    skip = set(numeric)
    return [c for c in columns if c not in skip]


def escape_row(row: Mapping[str, Any], numeric: Iterable[str] = NUMERIC_COLUMNS
               ) -> dict[str, Any]:
    """A copy of ``row`` with every string cell of a text column escaped."""
    skip = set(numeric)
    return {k: escape_cell(v) if isinstance(v, str) and k not in skip else v
            for k, v in row.items()}


def escape_cells(cells: Sequence[str], columns: Sequence[str],
                 numeric: Iterable[str] = NUMERIC_COLUMNS) -> list[str]:
    """``cells`` (rendered strings, in ``columns`` order) with the text cells escaped."""
    skip = set(numeric)
    return [c if col in skip else escape_cell(c) for c, col in zip(cells, columns, strict=True)]


def unescape_frame(df: Any, numeric: Iterable[str] = NUMERIC_COLUMNS) -> Any:
    """A DataFrame read (``dtype=str``) from an ``--excel-safe`` CSV, with the text restored."""
    out = df.copy()
    for col in text_columns(out.columns, numeric):
        out[col] = out[col].map(lambda v: unescape_cell(v) if isinstance(v, str) else v)
    return out


__all__ = ["NUMERIC_COLUMNS", "QUOTE", "TRIGGERS", "escape_cell", "escape_cells", "escape_row",
           "is_plain_number", "needs_escape", "text_columns", "unescape_cell", "unescape_frame"]
