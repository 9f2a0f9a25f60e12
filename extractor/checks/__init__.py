"""Cross-checks: named, coded checks declared in rules/checks.yaml, one module per family.

``run_document_checks`` runs the within-document families on one processed document;
``run_corpus_checks`` runs the cross-document family over the documents of each company.
Findings are plain rows of the findings table, sorted and numbered deterministically.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import internal_problem
from ..numbering import input_finding, number_rows
from ..schemas.columns import FINDINGS as COLUMNS
from . import bridges, changes, crossdoc, labels, percentages, restatements, runway, shares
from .base import context, records

if TYPE_CHECKING:
    import pandas as pd


def _frame(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd

    from ..validate import empty_findings, number_findings

    if not rows:
        return empty_findings()
    return number_findings(pd.DataFrame(rows, columns=COLUMNS))


def run_document_checks(result, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Findings of the within-document checks for one processed document (a DataFrame)."""
    return _frame(document_findings(result, table))


def document_findings(result, table: pd.DataFrame | None = None) -> list[dict]:
    """The same findings as plain rows, without pandas on the way (the batch's hot path)."""
    from ..facts import fact_row

    if table is not None:
        facts = records(table)
    else:
        rows = [fact_row(f) for f in result.facts]
        rows.sort(key=lambda r: (r["start"], r["end"]))
        facts = records(rows)
    if not facts:
        return []
    ctx = context()
    doc = result.document
    text = doc.text
    known = {doc.metadata.company_slug} | {f.entity for f in facts} | \
        {f.scope.removeprefix("excl_") for f in facts if f.scope.startswith("excl_")}
    rows: list[dict] = []
    rows += changes.check(ctx, facts)
    rows += bridges.cash_bridge(ctx, facts)
    rows += bridges.parts_total(ctx, facts)
    rows += bridges.drivers(ctx, facts)
    rows += bridges.subsidiary_cash(ctx, facts, doc.metadata)
    rows += shares.check(ctx, facts)
    rows += restatements.conflicts(ctx, facts)
    rows += restatements.qualifier_mismatch(ctx, facts)
    rows += restatements.magnitude(ctx, facts)
    rows += runway.conflicts(ctx, facts)
    rows += runway.plausibility(ctx, facts)
    rows += labels.per_share(ctx, facts)
    rows += labels.unknown_change_label(ctx, facts)
    rows += labels.scope_label(ctx, facts, known)
    rows += labels.income_or_loss(ctx, facts)
    rows += percentages.growth(ctx, facts, text)
    differences = percentages.difference(ctx, facts, text)
    explained = {i for r in differences for i in r["fact_ids"].split(";")}
    rows += [r for r in percentages.ratio(ctx, facts, text) if r["fact_ids"] not in explained]
    rows += differences
    return number_rows(rows)


def run_corpus_checks(tables: Iterable[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Cross-document findings: ``tables`` yields (company, facts of one document)."""
    return _frame(corpus_findings((company, df.to_dict("records")) for company, df in tables))


def corpus_findings(documents: Iterable[tuple[str, list[dict]]]) -> list[dict]:
    """The same findings as plain rows: ``documents`` yields (company, fact rows of one
    document); no pandas on the way (the batch's workers)."""
    ctx = context()
    by_company: dict[str, list[list[dict]]] = {}
    for company, rows in documents:
        if company and rows:
            by_company.setdefault(company, []).append(rows)
    found: list[dict] = []
    for company, docs in sorted(by_company.items()):
        if len(docs) < 2:
            continue
        try:
            found += crossdoc.check(ctx, records([r for rows in docs for r in rows]))
        except Exception as err:  # an engine bug: this company's checks, not the batch
            found.append(_stopped(company, sorted(rows[0]["doc_id"] for rows in docs), err))
    return number_rows(found)


def _stopped(company: str, doc_ids: list[str], err: Exception) -> dict:
    """The one ``INPUT-INTERNAL`` finding of a company whose cross-document checks raised: on
    its first document (so that its id is unique across the batch's buckets), naming the
    company, its documents and the error."""
    return input_finding(doc_ids[0], f"the cross-document checks of {company} "
                         f"({len(doc_ids)} documents, {doc_ids[0]} to {doc_ids[-1]}) stopped: "
                         f"{internal_problem(err)}", "internal", company)
