"""Findings measured against the reviewed annotations' findings and controls."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import EXAMPLES, example_paths, processed, seed_paths
from extractor.annotation import load_annotation
from extractor.annotation_findings import score_findings
from extractor.checks import run_corpus_checks, run_document_checks


def _run(paths):
    results = [processed(str(p)) for p in paths]
    facts = pd.concat([r.table for r in results], ignore_index=True)
    findings = pd.concat([run_document_checks(r) for r in results]
                         + [run_corpus_checks([(r.document.metadata.company_slug, r.table)
                                               for r in results])], ignore_index=True)
    texts = {r.doc_id: r.document.text for r in results}
    return facts, findings, texts


@pytest.mark.corpus
def test_seed_findings(corpus) -> None:
    facts, findings, texts = _run(seed_paths())
    sc = score_findings(findings, facts, load_annotation(corpus / "seeds-expected.yaml"), texts)
    assert len(sc.expected) == 22
    assert sc.missed == [], sc.missed
    assert sc.controls_raised == [], sc.controls_raised
    assert sc.unexpected == [], findings[findings.finding_id.isin(sc.unexpected)].to_string()


@pytest.mark.corpus
def test_seed_finding_arithmetic(corpus) -> None:
    _facts, findings, _texts = _run(seed_paths())
    by_check = {}
    for r in findings.itertuples():
        by_check.setdefault(r.check_id, []).append(r)
    bridges = sorted(r.arithmetic.split(" (")[0] for r in by_check["XC-201"])
    assert bridges == ["244 - 59 + 46 + 11 = 242 != 238", "244 - 92 + 45 + 10 = 207 != 201",
                       "304 + 28 + 21 - 102 = 251 != 244"]
    assert all(r.severity == "warning" for r in by_check["XC-201"])
    (shares,) = by_check["XC-301"]
    assert shares.arithmetic.startswith("81 / 1.91 = 42.41M; 67 / 1.77 = 37.85M")
    (direction,) = by_check["XC-102"]
    assert (direction.severity, direction.expected, direction.observed) == ("error", "increase",
                                                                            "decrease")
    (runway,) = by_check["XC-602"]
    assert "burn = 92 / 9 = 10.22 USD million/month; 201 / 10.22 = 19.7 months" in runway.arithmetic
    magnitudes = by_check["XC-501"]
    assert [r.arithmetic for r in magnitudes] == ["2800000000 / 3000000 = 933x"]
    assert {r.severity for r in by_check["XC-902"]} == {"warning"}


def test_example_findings() -> None:
    facts, findings, texts = _run(example_paths())
    sc = score_findings(findings, facts, load_annotation(EXAMPLES / "expected.yaml"), texts)
    assert len(sc.expected) == 19
    # floors that only move up
    assert len(sc.raised) >= 18, sc.missed
    assert sc.controls_raised == [], sc.controls_raised
    assert sc.unexpected == [], findings[findings.finding_id.isin(sc.unexpected)].to_string()
