"""Every check of rules/checks.yaml, run on its own examples (ids like XC-201[raise0]).

A `raise` passage must produce a finding with that check id; a `no_raise` look-alike must not.
An example with `docs:` is a set of documents of one company (cross-document checks).
"""

from __future__ import annotations

import pytest

from extractor.checks import run_corpus_checks, run_document_checks
from extractor.pipeline import process_text
from extractor.ruleset import load_rules

RS = load_rules()


def _cases():
    for e in RS.entries("checks"):
        ex = e.get("examples") or {}
        for key in ("raise", "no_raise"):
            for i, item in enumerate(ex.get(key) or []):
                yield pytest.param(e.id, item, key == "raise", id=f"{e.id}[{key}{i}]")


def _findings(item) -> list[dict]:
    texts = item["docs"] if isinstance(item, dict) else [item]
    results = [process_text(t, f"example{i}") for i, t in enumerate(texts)]
    rows = []
    for r in results:
        rows += run_document_checks(r).to_dict("records")
    if len(results) > 1:
        corpus = run_corpus_checks([(r.document.metadata.company_slug or "company", r.table)
                                    for r in results])
        rows += corpus.to_dict("records")
    return rows


def test_every_check_has_both_kinds_of_example() -> None:
    for e in RS.entries("checks"):
        ex = e.get("examples") or {}
        assert ex.get("raise") and ex.get("no_raise"), f"{e.id} needs raise and no_raise examples"


@pytest.mark.parametrize(("check_id", "item", "should"), list(_cases()))
def test_check_example(check_id: str, item, should: bool) -> None:
    rows = _findings(item)
    hits = [r for r in rows if r["check_id"] == check_id]
    if should:
        assert hits, f"{check_id} not raised; findings: {[(r['check_id'], r['message']) for r in rows]}"
        assert all(r["fact_ids"] and r["arithmetic"] for r in hits), hits
    else:
        assert not hits, f"{check_id} raised on a look-alike: {[r['message'] for r in hits]}"
