"""The corpus summary: per-document counts, every cross-document finding, input errors, and
the reports that could not be written.

A finding is cross-document when its ``doc_id`` is ``*`` or its ``fact_ids`` cite facts of
several documents. Each is listed with its arithmetic and the evidence of every cited fact,
quoted from the facts rows (the sentence column), with links to the per-document reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from . import htmlpage, markdown
from .htmlpage import esc, href_to
from .jsondoc import Items, dump_chunks
from .model import (
    CORPUS_DOC,
    SEVERITIES,
    FindingView,
    count_kinds,
    fact_records,
    finding_group,
    finding_records,
    foreign_evidence,
    report_name,
    split_ids,
)
from .store import CROSS, INPUT, ReportStore

if TYPE_CHECKING:  # pandas is imported where a table is read, not by the renderers
    import pandas as pd

FORMAT = "figures-corpus-summary/1"


class CorpusSummary:
    """Everything the three formats of the summary show, read from a :class:`ReportStore`
    as each page is written: one document row or finding at a time in memory."""

    def __init__(self, store: ReportStore, formats: Sequence[str]) -> None:
        """``store``: the corpus's findings, cited facts and reported documents (filled);
        ``formats``: those of the reports, which the summary links to."""
        self.formats = tuple(formats)
        self.store = store
        store.finish()
        self.documents_total, self.total_facts = store.document_count()
        self.findings_total = store.rows
        self.by_severity = store.severities()
        self.checks = store.checks
        self.cross_total, self.inputs_total = store.roles[CROSS], store.roles[INPUT]
        self.unwritten_total = store.unwritten_count()

    @classmethod
    def from_tables(cls, docs: Sequence[tuple[str, pd.DataFrame]],
                    findings_all: pd.DataFrame | None,
                    formats: Sequence[str]) -> CorpusSummary:
        """The summary of reported documents given as (doc_id, facts table) pairs (held in
        an in-memory store)."""
        facts: dict[str, list[dict[str, object]]] = {}
        for doc_id, table in docs:
            facts.setdefault(doc_id, []).extend(fact_records(table))
        store = ReportStore()
        store.add_findings(finding_records(findings_all))
        for doc_id, rows in facts.items():
            store.add_facts(doc_id, rows)
        for doc_id, rows in facts.items():
            store.reported(doc_id, count_kinds(rows))
        return cls(store, formats)

    def stem(self) -> str:
        """The summary's file name: ``index``, or ``corpus-index`` when a document's reports
        are called ``index``."""
        return "corpus-index" if any(report_name(d["doc_id"]) == "index"
                                     for d in self.store.documents()) else "index"

    def views(self, role: str) -> Iterator[FindingView]:
        """The cross-document findings (``cross``) or input errors (``input``), in order,
        with their evidence."""
        for row, anchor, docs, quoted in self.store.views(role):
            yield FindingView(row, anchor, finding_group(row["check_id"]),
                              [foreign_evidence(i, quoted.get(i))
                               for i in split_ids(row["fact_ids"])], tuple(docs))

    def _reported(self, docs: Iterable[str]) -> list[str]:
        return [d for d in docs if self.store.is_reported(d)]

    # -- JSON ----------------------------------------------------------------------------------
    def json_chunks(self) -> Iterator[str]:
        """The JSON summary in pieces, the documents and findings encoded one at a time."""
        return dump_chunks({
            "format": FORMAT,
            "summary": {"documents": self.documents_total, "facts": self.total_facts,
                        "findings": {"total": self.findings_total,
                                     "by_severity": self.by_severity},
                        "cross_document": self.cross_total, "input_errors": self.inputs_total,
                        "reports_not_written": self.unwritten_total},
            "documents": Items({**d, "reports": {ext: markdown.report_link(d["doc_id"], ext)
                                                 for ext in sorted(self.formats)}
                                if d["has_report"] else {}} for d in self.store.documents()),
            "checks": {k: self.checks[k] for k in sorted(self.checks)},
            "cross_document_findings": Items(f.as_dict() for f in self.views(CROSS)),
            "input_errors": Items(f.as_dict() for f in self.views(INPUT)),
            "reports_not_written": Items({"doc_id": d, "problem": p}
                                         for d, p in self.store.unwritten()),
        })

    # -- Markdown ------------------------------------------------------------------------------
    def markdown(self) -> Iterator[str]:
        """The Markdown summary in pieces (lines)."""
        return markdown.text_chunks(self._markdown_lines())

    def _markdown_lines(self) -> Iterator[str]:
        md, code = markdown.md_text, markdown.code
        yield from ["# Corpus summary", "",
                    f"- Documents: {self.documents_total}",
                    f"- Facts: {self.total_facts}",
                    f"- Findings: {markdown.counts_line(self.by_severity)}",
                    f"- Across documents: {self.cross_total}; input errors: "
                    f"{self.inputs_total}",
                    *([f"- Reports not written: {self.unwritten_total}"]
                      if self.unwritten_total else []), "",
                    "## Documents", "",
                    "| document | facts | money | per_share | percent | runway | errors | "
                    "warnings | info | schema | across documents |", "|" + "---|" * 11]
        for d in self.store.documents():
            name = code(d["doc_id"])
            if d["has_report"] and "md" in self.formats:
                name = f"[{name}]({markdown.report_link(d['doc_id'])})"
            k, s = d["facts"]["by_kind"], d["findings"]["by_severity"]
            cells = [name, d["facts"]["total"], k["money"], k["per_share"], k["percent"],
                     k["runway"], s["error"], s["warning"], s["info"],
                     d["findings"]["schema_failures"], d["findings"]["cross_document"]]
            yield "| " + " | ".join(str(c) for c in cells) + " |"
        yield from ["", "## Findings by check", ""]
        if self.checks:
            yield from ["| check | error | warning | info |", "|---|---|---|---|"]
            for check in sorted(self.checks):
                c = self.checks[check]
                yield f"| {code(check)} | {c['error']} | {c['warning']} | {c['info']} |"
        else:
            yield "None."
        yield from ["", f"## Cross-document findings ({self.cross_total})", ""]
        if not self.cross_total:
            yield from ["None.", ""]
        for f in self.views(CROSS):
            see = [f"[{md(d)}]({markdown.report_link(d)}#{f.anchor})"
                   for d in self._reported(f.cited_docs)]
            extra = [f"- In the reports: {', '.join(see)}", ""] if see and "md" in self.formats \
                else []
            yield from markdown.finding_block(f, CORPUS_DOC, other="in ", extra=extra)
        if self.inputs_total:
            yield from [f"## Input errors ({self.inputs_total})", ""]
            for f in self.views(INPUT):
                yield from markdown.finding_block(f, CORPUS_DOC, other="in ")
        if self.unwritten_total:
            yield from [f"## Reports not written ({self.unwritten_total})", ""]
            for doc_id, problem in self.store.unwritten():
                yield f"- {code(doc_id)}: {md(problem)}"

    # -- HTML ----------------------------------------------------------------------------------
    def html(self) -> Iterator[str]:
        """The HTML summary in pieces."""
        return htmlpage.page_chunks("Corpus summary", self._html_body())

    def _html_body(self) -> Iterator[str]:
        yield from [
            "<h1>Corpus summary</h1>",
            '<nav><a href="#documents">Documents</a><a href="#checks">Findings by check</a>'
            '<a href="#cross">Cross-document findings</a>'
            + ('<a href="#input">Input errors</a>' if self.inputs_total else "")
            + ('<a href="#unwritten">Reports not written</a>' if self.unwritten_total else "")
            + "</nav>",
            '<dl class="meta">',
            f"<dt>Documents</dt><dd>{self.documents_total}</dd>",
            f"<dt>Facts</dt><dd>{self.total_facts}</dd>",
            f"<dt>Findings</dt><dd>{self.findings_total} "
            f"({htmlpage.counts_html(self.by_severity)})</dd>",
            f"<dt>Across documents</dt><dd>{self.cross_total}</dd>",
            f"<dt>Input errors</dt><dd>{self.inputs_total}</dd>",
            *([f"<dt>Reports not written</dt><dd>{self.unwritten_total}</dd>"]
              if self.unwritten_total else []), "</dl>",
            '<section id="documents"><h2>Documents</h2>', "<table>",
            "<thead><tr><th>document</th><th>facts</th><th>money</th><th>per_share</th>"
            "<th>percent</th><th>runway</th><th>errors</th><th>warnings</th><th>info</th>"
            "<th>schema</th><th>across documents</th></tr></thead>", "<tbody>"]
        for d in self.store.documents():
            name = f"<code>{esc(d['doc_id'])}</code>"
            if d["has_report"] and "html" in self.formats:
                name = f'<a href="{href_to(d["doc_id"])}">{name}</a>'
            k, s = d["facts"]["by_kind"], d["findings"]["by_severity"]
            nums = [d["facts"]["total"], k["money"], k["per_share"], k["percent"], k["runway"],
                    s["error"], s["warning"], s["info"], d["findings"]["schema_failures"],
                    d["findings"]["cross_document"]]
            yield (f'<tr id="doc-{esc(d["doc_id"])}"><td>{name}</td>'
                   + "".join(f'<td class="num">{n}</td>' for n in nums) + "</tr>")
        yield from ["</tbody>", "</table>", "</section>",
                    '<section id="checks"><h2>Findings by check</h2>']
        if self.checks:
            yield ("<table><thead><tr><th>check</th><th>error</th><th>warning</th>"
                   "<th>info</th></tr></thead><tbody>")
            for check in sorted(self.checks):
                c = self.checks[check]
                yield (f"<tr><td><code>{esc(check)}</code></td>"
                       + "".join(f'<td class="num">{c[s]}</td>' for s in SEVERITIES)
                       + "</tr>")
            yield "</tbody></table>"
        else:
            yield '<p class="none">None.</p>'
        yield from ["</section>",
                    f'<section id="cross"><h2>Cross-document findings ({self.cross_total})</h2>']
        if not self.cross_total:
            yield '<p class="none">None.</p>'
        for f in self.views(CROSS):
            see = [f'<a href="{href_to(d, f.anchor)}">{esc(d)}</a>'
                   for d in self._reported(f.cited_docs)]
            links = (f'<p class="see">In the reports: {", ".join(see)}</p>'
                     if see and "html" in self.formats else "")
            yield htmlpage.finding_html(f, CORPUS_DOC, other="in ", links=links)
        yield "</section>"
        if self.inputs_total:
            yield f'<section id="input"><h2>Input errors ({self.inputs_total})</h2>'
            for f in self.views(INPUT):
                yield htmlpage.finding_html(f, CORPUS_DOC, other="in ")
            yield "</section>"
        if self.unwritten_total:
            yield (f'<section id="unwritten"><h2>Reports not written '
                   f"({self.unwritten_total})</h2><ul>")
            for doc_id, problem in self.store.unwritten():
                yield f"<li><code>{esc(doc_id)}</code>: {esc(problem)}</li>"
            yield "</ul></section>"
