"""The corpus summary: per-document counts, every cross-document finding, input errors.

A finding is cross-document when its ``doc_id`` is ``*`` or its ``fact_ids`` cite facts of
several documents. Each is listed with its arithmetic and the evidence of every cited fact,
quoted from the facts rows (the sentence column), with links to the per-document reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from . import htmlpage, markdown
from .htmlpage import esc, href_to
from .jsondoc import dump_chunks, dumps
from .model import (
    CORPUS_DOC,
    SEVERITIES,
    FindingView,
    count_kinds,
    count_severities,
    doc_of_fact,
    fact_records,
    finding_anchor,
    finding_group,
    finding_records,
    finding_sort_key,
    foreign_evidence,
    split_ids,
)

FORMAT = "figures-corpus-summary/1"


class CorpusSummary:
    """Everything the three formats of the summary show."""

    def __init__(self, kinds: Mapping[str, Mapping[str, int]],
                 cited: Mapping[str, Mapping[str, object]], rows: Iterable[dict[str, str]],
                 formats: Sequence[str]) -> None:
        """``kinds``: each reported document's fact counts by kind (:func:`count_kinds`);
        ``cited``: the facts records that findings may cite, by fact id (others are quoted as
        not found); ``rows``: every findings record (:func:`finding_records`)."""
        self.formats = tuple(formats)
        self.rows = sorted(rows, key=finding_sort_key)

        def doc_of(fid: str) -> str:
            got = cited.get(fid)
            return str(got["doc_id"]) if got is not None else doc_of_fact(fid)

        ids = sorted(set(kinds) | {r["doc_id"] for r in self.rows if r["doc_id"] != CORPUS_DOC})
        self.documents: list[dict[str, Any]] = []
        self.cross: list[FindingView] = []
        self.inputs: list[FindingView] = []
        cross_by_doc: dict[str, int] = {}
        used: set[str] = set()
        for n, row in enumerate(self.rows, 1):
            fact_ids = split_ids(row["fact_ids"])
            docs_cited = tuple(dict.fromkeys(d for d in (doc_of(i) for i in fact_ids) if d))
            group = finding_group(row["check_id"])
            if row["doc_id"] != CORPUS_DOC and len(docs_cited) <= 1 and group != "input":
                continue
            anchor = finding_anchor(row["finding_id"] or f"{row['check_id']}-{n}")
            while anchor in used:
                anchor += "-x"
            used.add(anchor)
            view = FindingView(row, anchor, group,
                               [foreign_evidence(i, cited.get(i)) for i in fact_ids], docs_cited)
            if view.cross_document:
                self.cross.append(view)
                for d in docs_cited:
                    cross_by_doc[d] = cross_by_doc.get(d, 0) + 1
            elif group == "input":
                self.inputs.append(view)
        per_doc: dict[str, list[dict[str, str]]] = {}
        for r in self.rows:
            per_doc.setdefault(r["doc_id"], []).append(r)
        for doc_id in ids:
            mine = per_doc.get(doc_id, [])
            counts = dict(kinds.get(doc_id) or count_kinds([]))
            self.documents.append({
                "doc_id": doc_id,
                "has_report": doc_id in kinds,
                "facts": {"total": sum(counts.values()), "by_kind": counts},
                "findings": {"total": len(mine), "by_severity": count_severities(mine),
                             "schema_failures": sum(finding_group(r["check_id"]) == "schema"
                                                    for r in mine),
                             "input_errors": sum(finding_group(r["check_id"]) == "input"
                                                 for r in mine),
                             "cross_document": cross_by_doc.get(doc_id, 0)},
            })
        self.checks: dict[str, dict[str, int]] = {}
        for r in self.rows:
            per = self.checks.setdefault(r["check_id"], {s: 0 for s in SEVERITIES})
            per[r["severity"]] = per.get(r["severity"], 0) + 1
        self.total_facts = sum(d["facts"]["total"] for d in self.documents)

    @classmethod
    def from_tables(cls, docs: Sequence[tuple[str, pd.DataFrame]],
                    findings_all: pd.DataFrame | None,
                    formats: Sequence[str]) -> CorpusSummary:
        """The summary of reported documents given as (doc_id, facts table) pairs."""
        facts: dict[str, list[dict[str, object]]] = {}
        for doc_id, table in docs:
            facts.setdefault(doc_id, []).extend(fact_records(table))
        by_id = {str(f["fact_id"]): f for rows in facts.values() for f in rows}
        return cls({d: count_kinds(rows) for d, rows in facts.items()}, by_id,
                   finding_records(findings_all), formats)

    # -- JSON ----------------------------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "summary": {"documents": len(self.documents), "facts": self.total_facts,
                        "findings": {"total": len(self.rows),
                                     "by_severity": count_severities(self.rows)},
                        "cross_document": len(self.cross), "input_errors": len(self.inputs)},
            "documents": [{**d, "reports": {ext: markdown.report_link(d["doc_id"], ext)
                                            for ext in sorted(self.formats)}
                           if d["has_report"] else {}} for d in self.documents],
            "checks": {k: self.checks[k] for k in sorted(self.checks)},
            "cross_document_findings": [f.as_dict() for f in self.cross],
            "input_errors": [f.as_dict() for f in self.inputs],
        }

    # -- Markdown ------------------------------------------------------------------------------
    def markdown(self) -> str:
        md, code = markdown.md_text, markdown.code
        out = ["# Corpus summary", "",
               f"- Documents: {len(self.documents)}",
               f"- Facts: {self.total_facts}",
               f"- Findings: {markdown.counts_line(count_severities(self.rows))}",
               f"- Across documents: {len(self.cross)}; input errors: {len(self.inputs)}", "",
               "## Documents", "",
               "| document | facts | money | per_share | percent | runway | errors | warnings "
               "| info | schema | across documents |", "|" + "---|" * 11]
        for d in self.documents:
            name = code(d["doc_id"])
            if d["has_report"] and "md" in self.formats:
                name = f"[{name}]({markdown.report_link(d['doc_id'])})"
            k, s = d["facts"]["by_kind"], d["findings"]["by_severity"]
            cells = [name, d["facts"]["total"], k["money"], k["per_share"], k["percent"],
                     k["runway"], s["error"], s["warning"], s["info"],
                     d["findings"]["schema_failures"], d["findings"]["cross_document"]]
            out.append("| " + " | ".join(str(c) for c in cells) + " |")
        out += ["", "## Findings by check", ""]
        if self.checks:
            out += ["| check | error | warning | info |", "|---|---|---|---|"]
            for check in sorted(self.checks):
                c = self.checks[check]
                out.append(f"| {code(check)} | {c['error']} | {c['warning']} | {c['info']} |")
        else:
            out.append("None.")
        out += ["", f"## Cross-document findings ({len(self.cross)})", ""]
        if not self.cross:
            out += ["None.", ""]
        with_report = {d["doc_id"] for d in self.documents if d["has_report"]}
        for f in self.cross:
            see = [f"[{md(d)}]({markdown.report_link(d)}#{f.anchor})" for d in f.cited_docs
                   if d in with_report]
            extra = [f"- In the reports: {', '.join(see)}", ""] if see and "md" in self.formats \
                else []
            out += markdown.finding_block(f, CORPUS_DOC, other="in ", extra=extra)
        if self.inputs:
            out += [f"## Input errors ({len(self.inputs)})", ""]
            for f in self.inputs:
                out += markdown.finding_block(f, CORPUS_DOC, other="in ")
        return "\n".join(out).rstrip("\n") + "\n"

    # -- HTML ----------------------------------------------------------------------------------
    def html(self) -> str:
        body = ["<h1>Corpus summary</h1>",
                '<nav><a href="#documents">Documents</a><a href="#checks">Findings by check</a>'
                '<a href="#cross">Cross-document findings</a>'
                + ('<a href="#input">Input errors</a>' if self.inputs else "") + "</nav>",
                '<dl class="meta">',
                f"<dt>Documents</dt><dd>{len(self.documents)}</dd>",
                f"<dt>Facts</dt><dd>{self.total_facts}</dd>",
                f"<dt>Findings</dt><dd>{len(self.rows)} "
                f"({htmlpage.counts_html(count_severities(self.rows))})</dd>",
                f"<dt>Across documents</dt><dd>{len(self.cross)}</dd>",
                f"<dt>Input errors</dt><dd>{len(self.inputs)}</dd>", "</dl>",
                '<section id="documents"><h2>Documents</h2>', "<table>",
                "<thead><tr><th>document</th><th>facts</th><th>money</th><th>per_share</th>"
                "<th>percent</th><th>runway</th><th>errors</th><th>warnings</th><th>info</th>"
                "<th>schema</th><th>across documents</th></tr></thead>", "<tbody>"]
        for d in self.documents:
            name = f"<code>{esc(d['doc_id'])}</code>"
            if d["has_report"] and "html" in self.formats:
                name = f'<a href="{href_to(d["doc_id"])}">{name}</a>'
            k, s = d["facts"]["by_kind"], d["findings"]["by_severity"]
            nums = [d["facts"]["total"], k["money"], k["per_share"], k["percent"], k["runway"],
                    s["error"], s["warning"], s["info"], d["findings"]["schema_failures"],
                    d["findings"]["cross_document"]]
            body.append(f'<tr id="doc-{esc(d["doc_id"])}"><td>{name}</td>'
                        + "".join(f'<td class="num">{n}</td>' for n in nums) + "</tr>")
        body += ["</tbody>", "</table>", "</section>",
                 '<section id="checks"><h2>Findings by check</h2>']
        if self.checks:
            body.append("<table><thead><tr><th>check</th><th>error</th><th>warning</th>"
                        "<th>info</th></tr></thead><tbody>")
            for check in sorted(self.checks):
                c = self.checks[check]
                body.append(f"<tr><td><code>{esc(check)}</code></td>"
                            + "".join(f'<td class="num">{c[s]}</td>' for s in SEVERITIES)
                            + "</tr>")
            body.append("</tbody></table>")
        else:
            body.append('<p class="none">None.</p>')
        body += ["</section>",
                 f'<section id="cross"><h2>Cross-document findings ({len(self.cross)})</h2>']
        if not self.cross:
            body.append('<p class="none">None.</p>')
        with_report = {d["doc_id"] for d in self.documents if d["has_report"]}
        for f in self.cross:
            see = [f'<a href="{href_to(d, f.anchor)}">{esc(d)}</a>' for d in f.cited_docs
                   if d in with_report]
            links = (f'<p class="see">In the reports: {", ".join(see)}</p>'
                     if see and "html" in self.formats else "")
            body.append(htmlpage.finding_html(f, CORPUS_DOC, other="in ", links=links))
        body.append("</section>")
        if self.inputs:
            body.append(f'<section id="input"><h2>Input errors ({len(self.inputs)})</h2>')
            body.extend(htmlpage.finding_html(f, CORPUS_DOC, other="in ") for f in self.inputs)
            body.append("</section>")
        return htmlpage.page("Corpus summary", body)

    def json(self) -> str:
        return dumps(self.data())

    def json_chunks(self) -> Iterator[str]:
        """:meth:`json` in pieces (the summary of a large corpus is tens of MB)."""
        return dump_chunks(self.data())
