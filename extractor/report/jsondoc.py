"""The JSON report of one document: stable, sorted, float-free, for machines.

Values stay the decimal strings of the facts table (``"201000000"``, ``"1.905"``); offsets and
line numbers are integers; keys are sorted and the layout is fixed, so the same input gives
the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from .model import Report, count_kinds

FORMAT = "figures-report/1"


def dumps(data: Any) -> str:
    """The one JSON layout of every report file: sorted keys, two-space indent, UTF-8 text."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


_ENCODER = json.JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)


class Items:
    """A list in a page given to :func:`dump_chunks`, encoded an item at a time as the items
    are produced (the documents and findings of a large corpus's summary)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def dump_chunks(data: Any) -> Iterator[str]:
    """:func:`dumps` in pieces, for a large page written as it is encoded (the same text);
    an :class:`Items` value (in dicts, at any depth) is a list read as it is written."""
    yield from _chunks(data, 0)
    yield "\n"


def _chunks(value: Any, level: int) -> Iterator[str]:
    pad = "\n" + "  " * (level + 1)
    if isinstance(value, Items):
        first = True
        for item in value.items:
            yield ("[" if first else ",") + pad
            yield from _chunks(item, level + 1)
            first = False
        yield "[]" if first else "\n" + "  " * level + "]"
    elif isinstance(value, dict) and any(isinstance(v, Items | dict) for v in value.values()):
        for i, key in enumerate(sorted(value)):
            yield ("{" if i == 0 else ",") + pad + json.dumps(key, ensure_ascii=False) + ": "
            yield from _chunks(value[key], level + 1)
        yield "\n" + "  " * level + "}"
    else:
        text = _ENCODER.encode(value)
        yield text.replace("\n", "\n" + "  " * level) if level else text


def report_data(report: Report) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "document": report.metadata,
        "summary": {
            "facts": {"total": len(report.facts), "by_kind": count_kinds(report.facts)},
            "findings": {"total": len(report.findings),
                         "by_severity": report.findings_by_severity(),
                         "checks": len(report.group("check")),
                         "schema_failures": len(report.group("schema")),
                         "input_errors": len(report.group("input")),
                         "cross_document": sum(1 for f in report.findings
                                               if f.cross_document)},
        },
        "findings": [f.as_dict() for f in report.group("check")],
        "schema_failures": [f.as_dict() for f in report.group("schema")],
        "input_errors": [f.as_dict() for f in report.group("input")],
        "facts": [{**f, "cited_by": [v.row["finding_id"]
                                     for v in report.cited_by.get(str(f["fact_id"]), [])]}
                  for f in report.facts],
    }


def render_json(report: Report) -> str:
    return dumps(report_data(report))
