"""Compare extracted facts with a reviewed annotation (the seeds-expected/v1 format).

Used by the corpus tests, the golden checks and ``figures score``. An annotated fact is matched
to an extracted one by position (line, column) and literal text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .errors import FiguresError, yaml_problem

SCORED_KINDS = ("money", "per_share", "runway")


@dataclass
class Score:
    annotated: int = 0
    found: int = 0  # right span, value and unit
    metric_ok: int = 0
    period_ok: int = 0  # period or as-of (and horizon for runways)
    both_ok: int = 0  # metric and period/as-of
    extra: list[dict[str, Any]] = field(default_factory=list)  # money/per-share rows not annotated
    misses: list[str] = field(default_factory=list)

    def ratio(self, n: int) -> float:
        return n / self.annotated if self.annotated else 1.0

    def summary(self) -> str:
        return (f"{self.found}/{self.annotated} found with value and unit "
                f"({100 * self.ratio(self.found):.1f}%), {self.both_ok}/{self.annotated} with "
                f"metric and period/as-of ({100 * self.ratio(self.both_ok):.1f}%), "
                f"{len(self.extra)} money/per-share rows not in the annotation")


#: the keys :func:`score` reads from every annotated fact
FACT_KEYS = ("id", "doc", "kind", "line", "col", "quote", "unit", "metric")


def load_annotation(path: str | Path) -> dict[str, Any]:
    """A reviewed annotation (``seeds-expected/v1``: a mapping with a ``facts`` list); a file
    that is not one is a one-line :class:`~extractor.errors.FiguresError` naming the problem."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        raise FiguresError(f"{path}: no such file") from None
    except OSError as exc:
        raise FiguresError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise FiguresError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        problem, line, col = yaml_problem(exc)
        where = f" at line {line}, column {col}" if line is not None else ""
        raise FiguresError(f"{path}: not valid YAML ({problem}{where})") from None
    if not isinstance(data, dict) or not isinstance(data.get("facts"), list):
        raise FiguresError(f"{path}: not an annotation: expected a mapping with a 'facts' list")
    for n, item in enumerate(data["facts"], 1):
        if not isinstance(item, dict):
            raise FiguresError(f"{path}: fact {n} is not a mapping")
        missing = [k for k in FACT_KEYS if k not in item]
        if missing:
            name = item.get("id", n)
            raise FiguresError(f"{path}: fact {name}: no key {', '.join(missing)}")
    return data


def entity_key(entity: str, scope: str) -> str:
    """Our (entity, scope) in the annotation's combined vocabulary."""
    if "+" in entity:
        return "partners_aggregate"
    if scope.startswith("excl_"):
        return f"{entity}_{scope}"
    if scope == "consolidated":
        return f"{entity}_consolidated"
    return entity


def expected_period(item: dict[str, Any]) -> tuple[str, str]:
    """(period, as_of) the annotation expects."""
    period = item.get("period") or ""
    as_of = str(item.get("as_of") or "")
    if period.startswith("as_of:"):
        as_of, period = period.removeprefix("as_of:"), ""
    return period, as_of


def locate(text: str, line: int, col: int) -> int:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts[line - 1] + col - 1


def _close(a: float | None, b: str) -> bool:
    if a is None:
        return b == ""
    if b == "":
        return False
    return math.isclose(float(Decimal(b)), float(a), rel_tol=1e-9, abs_tol=1e-9)


def score(facts: pd.DataFrame, annotation: dict[str, Any], texts: dict[str, str],
          kinds: tuple[str, ...] = SCORED_KINDS) -> Score:
    """Score facts (all documents) against an annotation; texts maps doc_id -> document text."""
    sc = Score()
    matched: set[tuple[str, int]] = set()
    by_key = {(r.doc_id, int(r.start)): r for r in facts.itertuples(index=False)}
    for item in annotation.get("facts", []):
        if item.get("kind") not in kinds:
            continue
        doc = Path(item["doc"]).stem
        sc.annotated += 1
        if doc not in texts:
            sc.misses.append(f"{item['id']}: document {doc} not processed")
            continue
        start = locate(texts[doc], item["line"], item["col"])
        row = by_key.get((doc, start))
        if row is None or row.text != item["quote"]:
            sc.misses.append(f"{item['id']}: {item['quote']!r} not found")
            continue
        matched.add((doc, start))
        if not (_close(item.get("value"), row.value) and row.unit == item["unit"]):
            sc.misses.append(f"{item['id']}: value/unit {row.value} {row.unit} != "
                             f"{item.get('value')} {item['unit']}")
            continue
        sc.found += 1
        metric_ok = row.metric == item["metric"]
        period, as_of = expected_period(item)
        period_ok = row.period == period and row.as_of == as_of
        if item.get("kind") == "runway":
            period_ok = period_ok and row.horizon_start == str(item.get("horizon_start") or "") \
                and row.horizon_end == str(item.get("horizon_end") or "")
        sc.metric_ok += metric_ok
        sc.period_ok += period_ok
        sc.both_ok += metric_ok and period_ok
        if not metric_ok:
            sc.misses.append(f"{item['id']}: metric {row.metric} != {item['metric']}")
        if not period_ok:
            want = f"{period or '-'} {as_of or '-'} " \
                f"{item.get('horizon_start')}..{item.get('horizon_end')}"
            sc.misses.append(f"{item['id']}: period {row.period or '-'} as_of {row.as_of or '-'}"
                             f" h {row.horizon_start}..{row.horizon_end} != {want}")
    docs = {Path(i["doc"]).stem for i in annotation.get("documents", [])} or \
        {Path(i["doc"]).stem for i in annotation.get("facts", [])}
    for r in facts.itertuples(index=False):
        if r.doc_id in docs and r.kind in ("money", "per_share") and \
                (r.doc_id, int(r.start)) not in matched:
            sc.extra.append({"doc_id": r.doc_id, "line": r.line, "text": r.text})
    return sc
