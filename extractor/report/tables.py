"""A batch's facts and findings files read back as streams, for the reports.

``figures check`` writes a report per document of a corpus. Reading the whole facts table for
each report made the reports quadratic in the corpus (each one turned every row of the corpus
into records again) and held the table in memory. :func:`fact_groups` streams the file instead:
the batch writes each document's rows together, documents in doc_id order. The findings are
read the same way (:func:`finding_rows`) into a
:class:`~extractor.report.store.ReportStore`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from ..facts import COLUMNS as FACT_COLUMNS
from ..parquet import output_format
from ..schemas.columns import FINDINGS as FINDING_COLUMNS
from .model import fact_record, fact_sort_key, finding_record

_Row = TypeVar("_Row")

#: Parquet rows converted at once
BATCH_ROWS = 4096


def _rows(path: str, columns: list[str], record: Callable[[Mapping[str, object]], _Row]
          ) -> Iterator[_Row]:
    """The rows of a CSV or Parquet table file, in file order, each made a ``record``."""
    if output_format(path) == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..parquet import table_to_frame

        with pq.ParquetFile(path) as pf:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=columns):
                frame = table_to_frame(pa.Table.from_batches([batch]), columns)
                for raw in frame.to_dict("records"):
                    yield record(raw)
        return
    with open(path, encoding="utf-8", newline="") as fh:
        for raw in csv.DictReader(fh):
            yield record(raw)


def finding_rows(path: str) -> Iterator[dict[str, str]]:
    """The findings rows of a CSV or Parquet findings file, in file order, as
    :func:`~extractor.report.model.finding_record` makes them."""
    return _rows(path, FINDING_COLUMNS, finding_record)


def fact_groups(path: str) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """(doc_id, its facts records by position) for each document of a facts file written by the
    batch, in doc_id order. A file whose documents are not in that order (not the batch's) is a
    ValueError naming the file: the reports would otherwise miss rows."""
    doc: str | None = None
    group: list[dict[str, object]] = []
    for row in _rows(path, FACT_COLUMNS, fact_record):
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
