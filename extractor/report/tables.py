"""A batch's facts file read back one document at a time, for the reports.

``figures check`` writes a report per document of a corpus. Reading the whole facts table for
each report made the reports quadratic in the corpus (each one turned every row of the corpus
into records again) and held the table in memory. :func:`fact_groups` streams the file instead:
the batch writes each document's rows together, documents in doc_id order.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from ..facts import COLUMNS as FACT_COLUMNS
from ..parquet import output_format
from .model import fact_record, fact_sort_key

#: Parquet rows converted at once
BATCH_ROWS = 4096


def _rows(path: str) -> Iterator[dict[str, object]]:
    """The facts records of a CSV or Parquet facts file, in file order."""
    if output_format(path) == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..parquet import table_to_frame

        with pq.ParquetFile(path) as pf:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=FACT_COLUMNS):
                frame = table_to_frame(pa.Table.from_batches([batch]), FACT_COLUMNS)
                for raw in frame.to_dict("records"):
                    yield fact_record(raw)
        return
    with open(path, encoding="utf-8", newline="") as fh:
        for raw in csv.DictReader(fh):
            yield fact_record(raw)


def fact_groups(path: str) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """(doc_id, its facts records by position) for each document of a facts file written by the
    batch, in doc_id order. A file whose documents are not in that order (not the batch's) is a
    ValueError naming the file: the reports would otherwise miss rows."""
    doc: str | None = None
    group: list[dict[str, object]] = []
    for row in _rows(path):
        d = str(row["doc_id"])
        if d != doc:
            if doc is not None:
                if d < doc:
                    raise ValueError(f"{path}: facts are not grouped by document in doc_id "
                                     f"order ({d!r} after {doc!r})")
                yield doc, sorted(group, key=fact_sort_key)
            doc, group = d, []
        group.append(row)
    if doc is not None:
        yield doc, sorted(group, key=fact_sort_key)
