"""Compare findings with an annotation's findings and controls (seeds-expected/v1 format).

An annotated finding is *raised* when an engine finding cites at least two of the figures it
lists (one when it lists one). An engine finding at warning or error is *explained* when it
cites two of the figures of some annotated finding (one for a single-figure finding); every
other warning or error is *unexpected*. A control is *raised* when a warning or error cites
two of its figures and is not explained by an annotated finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .annotation import locate


@dataclass
class FindingScore:
    expected: list[str] = field(default_factory=list)  # annotated findings that cite figures
    raised: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    controls_raised: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.raised)}/{len(self.expected)} annotated findings raised, "
                f"{len(self.controls_raised)} controls raised as warning/error, "
                f"{len(self.unexpected)} other warnings/errors")


def _fact_ids(items: list[dict], facts_by_pos: dict[tuple[str, int], str],
              texts: dict[str, str]) -> set[str]:
    out = set()
    for q in items:
        if not q.get("fact_id"):
            continue
        doc = Path(q["doc"]).stem
        if doc not in texts:
            continue
        fid = facts_by_pos.get((doc, locate(texts[doc], q["line"], q["col"])))
        if fid:
            out.add(fid)
    return out


def score_findings(findings: pd.DataFrame, facts: pd.DataFrame, annotation: dict[str, Any],
                   texts: dict[str, str]) -> FindingScore:
    pos = {(r.doc_id, int(r.start)): r.fact_id for r in facts.itertuples(index=False)}
    cited = [(r.finding_id, r.severity, set(str(r.fact_ids).split(";")) - {""})
             for r in findings.itertuples(index=False)]
    sc = FindingScore()
    expected_sets = []
    for item in annotation.get("findings", []):
        want = _fact_ids(item.get("quotes", []), pos, texts)
        n_listed = sum(1 for q in item.get("quotes", []) if q.get("fact_id"))
        if not n_listed:
            continue
        sc.expected.append(item["id"])
        need = 1 if n_listed == 1 else 2
        expected_sets.append((want, need))
        if any(len(ids & want) >= need for _f, _s, ids in cited):
            sc.raised.append(item["id"])
        else:
            sc.missed.append(item["id"])
    explained = set()
    for fid, _sev, ids in cited:
        if any(len(ids & want) >= need for want, need in expected_sets):
            explained.add(fid)
    for item in annotation.get("controls", []):
        want = _fact_ids(item.get("quotes", []), pos, texts)
        for fid, sev, ids in cited:
            if sev in ("warning", "error") and fid not in explained and len(ids & want) >= 2:
                sc.controls_raised.append(f"{item['id']}: {fid}")
    for fid, sev, _ids in cited:
        if sev in ("warning", "error") and fid not in explained:
            sc.unexpected.append(fid)
    return sc
