"""Output files that never look complete before they are: written under a temporary name and
renamed at the end, with checkpoints a resumed run can continue from.

* :class:`CsvSink` appends rendered CSV text to ``<path>.partial``; a checkpoint is the byte
  length written so far, and resuming truncates the file back to it.
* :class:`ParquetSink` spools Arrow tables as numbered part files in ``<path>.partial.d/``; a
  checkpoint is the number of parts. Closing streams the parts, in order, into one Parquet file
  of fixed-size row groups, so the file does not depend on how the run was cut into parts.

``close()`` renames the result to ``path``; ``abort()`` leaves the partial files for ``--resume``
(or removes them).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import FiguresError

ROW_GROUP = 65536  # rows per Parquet row group of the final file
PART_ROWS = 65536  # rows buffered before a part file is spooled


def render_csv(rows: Iterable[dict], columns: Sequence[str], header: bool = False) -> str:
    """CSV text of ``rows`` (missing cells empty, booleans ``true``/``false``).

    A row with a carriage return in a cell (a lone CR, a classic-Mac line break kept in a
    sentence) has every cell quoted: the csv module quotes only the characters of the line
    terminator (here \\n), and a reader would split the row at an unquoted CR."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    if header:
        w.writerow(columns)
    for r in rows:
        # most cells are strings already: cell() only for the others (a hot loop)
        cells = [v if type(v) is str else cell(v) for v in map(r.get, columns)]
        (quoted if "\r" in "".join(cells) else w).writerow(cells)
    return buf.getvalue()


def cell(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def make_folder(path: str | os.PathLike, what: str) -> Path:
    """Create the folder ``path`` (and its parents) for ``what`` is written there; a path that
    cannot be a folder (an existing file on the way, no permission) is a one-line error."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FiguresError(f"{folder}: cannot hold the {what}: a file of that name exists, "
                           "not a folder") from None
    except OSError as exc:
        raise FiguresError(f"{folder}: cannot create the folder for the {what} "
                           f"({exc.strerror or exc})") from None
    return folder


def prepare_output(path: str, what: str) -> None:
    """Before any work: ``path`` can be written as the ``what`` file (its folder exists or is
    created, and it is not itself a folder), else a one-line error."""
    if os.path.isdir(path):
        raise FiguresError(f"{path}: is a folder; give a file path for the {what}")
    make_folder(Path(path).parent, what)


class CsvSink:
    """Rendered CSV text appended to ``path + '.partial'``; renamed to ``path`` by close()."""

    format = "csv"

    def __init__(self, path: str, columns: Sequence[str], state: dict | None = None) -> None:
        self.path = path
        self.tmp = f"{path}.partial"
        self.columns = list(columns)
        make_folder(Path(path).parent, "output")
        if state is not None:
            self.fh = open(self.tmp, "r+b")  # noqa: SIM115
            self.fh.truncate(int(state["bytes"]))
            self.fh.seek(0, os.SEEK_END)
        else:
            self.fh = open(self.tmp, "wb")  # noqa: SIM115
            self.fh.write(render_csv([], self.columns, header=True).encode("utf-8"))

    def write(self, payload: str) -> None:
        if payload:
            self.fh.write(payload.encode("utf-8"))

    def checkpoint(self) -> dict[str, Any]:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        return {"bytes": self.fh.tell()}

    def close(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self, keep: bool = True) -> None:
        self.fh.close()
        if not keep and os.path.exists(self.tmp):
            os.remove(self.tmp)


class ParquetSink:
    """Arrow tables spooled as part files; close() merges them into ``path``."""

    format = "parquet"

    def __init__(self, path: str, schema, state: dict | None = None) -> None:
        import pyarrow as pa

        self.pa = pa
        self.path = path
        self.schema = schema
        self.tmp = f"{path}.partial"
        self.spool = Path(f"{path}.partial.d")
        make_folder(Path(path).parent, "output")
        self.parts = int(state["parts"]) if state is not None else 0
        if state is None and self.spool.exists():
            shutil.rmtree(self.spool)
        self.spool.mkdir(parents=True, exist_ok=True)
        for p in self.spool.glob("*.arrow"):  # parts written after the last checkpoint
            if int(p.stem) >= self.parts:
                p.unlink()
        self.buffer: list = []
        self.buffered = 0

    def write(self, payload) -> None:
        if payload is not None and payload.num_rows:
            self.buffer.append(payload)
            self.buffered += payload.num_rows
            if self.buffered >= PART_ROWS:
                self._spool()

    def _spool(self) -> None:
        if not self.buffer:
            return
        import pyarrow.ipc as ipc

        table = self.pa.concat_tables(self.buffer)
        final = self.spool / f"{self.parts:08d}.arrow"
        tmp = final.with_suffix(".tmp")
        with self.pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, self.schema) as w:
            w.write_table(table)
        os.replace(tmp, final)
        self.parts += 1
        self.buffer, self.buffered = [], 0

    def checkpoint(self) -> dict[str, Any]:
        self._spool()
        return {"parts": self.parts}

    def parts_tables(self) -> Iterable:
        """The Arrow tables spooled so far, in order (call checkpoint() first)."""
        import pyarrow.ipc as ipc

        for i in range(self.parts):
            with self.pa.OSFile(str(self.spool / f"{i:08d}.arrow"), "rb") as src:
                yield ipc.open_file(src).read_all()

    def close(self) -> None:
        import pyarrow.parquet as pq

        self._spool()
        pending: list = []
        rows = 0
        with pq.ParquetWriter(self.tmp, self.schema, compression="zstd",
                              write_statistics=True) as writer:
            for table in self.parts_tables():
                pending.append(table)
                rows += table.num_rows
                while rows >= ROW_GROUP:
                    whole = self.pa.concat_tables(pending)
                    writer.write_table(whole.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
                    rest = whole.slice(ROW_GROUP)
                    pending, rows = ([rest] if rest.num_rows else []), rest.num_rows
            if rows:
                writer.write_table(self.pa.concat_tables(pending), row_group_size=ROW_GROUP)
        os.replace(self.tmp, self.path)
        shutil.rmtree(self.spool, ignore_errors=True)

    def abort(self, keep: bool = True) -> None:
        self.buffer, self.buffered = [], 0  # not checkpointed: a resumed run redoes them
        if not keep:
            shutil.rmtree(self.spool, ignore_errors=True)
            if os.path.exists(self.tmp):
                os.remove(self.tmp)


def open_sink(path: str, table: str, state: dict | None = None) -> CsvSink | ParquetSink:
    """The sink for ``path`` (format by extension) of the ``facts`` or ``findings`` table."""
    from .parquet import FACTS_SCHEMA, FINDINGS_SCHEMA, output_format
    from .schemas.columns import FINDINGS as FINDING_COLUMNS

    if output_format(path) == "parquet":
        return ParquetSink(path, FACTS_SCHEMA if table == "facts" else FINDINGS_SCHEMA, state)
    if table == "facts":
        from .facts import COLUMNS as FACT_COLUMNS

        return CsvSink(path, FACT_COLUMNS, state)
    return CsvSink(path, FINDING_COLUMNS, state)
