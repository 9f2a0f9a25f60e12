"""The Markdown report of one document: plain text that reads well in a terminal."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from urllib.parse import quote as quote_url

from .model import (
    CORPUS_DOC,
    Evidence,
    FindingView,
    Report,
    count_kinds,
    report_name,
)

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|])|(?<!\w)_|_(?!\w)")
_BACKTICKS = re.compile(r"`+")
_SPACES = re.compile(r"\s+")
HEADINGS = {"error": "Errors", "warning": "Warnings", "info": "Notes (info)"}


def md_text(text: str) -> str:
    """Transcript (or any untrusted) text for Markdown: characters that would start markup
    are backslash-escaped, so that ``<script>`` stays text in any Markdown renderer."""
    text = _SPACES.sub(" ", text)
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds."""
    text = " ".join(text.split())
    if not text:
        return ""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def text_chunks(lines: Iterable[str]) -> Iterator[str]:
    r"""``"\n".join(lines).rstrip("\n") + "\n"`` in pieces, the lines read as they are
    written (a page too large to hold): the newlines at the end are held back until text
    follows them."""
    pending, first = "", True
    for line in lines:
        piece = line if first else "\n" + line
        first = False
        body = piece.rstrip("\n")
        if body:
            yield pending + body
            pending = piece[len(body):]
        else:
            pending += piece
    yield "\n"


def counts_line(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    return f"{total} ({', '.join(f'{k} {v}' for k, v in counts.items())})"


def quote(ev: Evidence) -> str:
    """The evidence sentence with the figure in bold."""
    if not ev.figure:
        return ""
    return f"{md_text(ev.before)}**{md_text(ev.figure)}**{md_text(ev.after)}".strip()


def evidence_item(ev: Evidence, n: int, other: str = "in another document, ") -> list[str]:
    where = []
    if ev.line is not None:
        where.append(f"line {ev.line}" + (f", col {ev.column}" if ev.column else ""))
    head = f"{n}. {code(ev.fact_id)}"
    if not ev.local:
        head += f" {other}{code(ev.doc_id) if ev.doc_id else 'an unknown document'}"
        if ev.doc_id and ev.found:  # a fact not given: its document may have no report
            head += f" ([report]({report_link(ev.doc_id)}))"
    if where:
        head += " — " + ", ".join(where)
    if ev.found:
        head += " — " + md_text(ev.label())
    else:
        head += " — not in the facts table given to the report"
    lines = [head]
    q = quote(ev)
    if q:
        lines.append(f"   > {q}")
    return lines


def report_link(doc_id: str, ext: str = "md") -> str:
    """A relative link to a document's report, safe inside Markdown link parentheses."""
    return quote_url(f"{report_name(doc_id)}.{ext}")


def finding_block(f: FindingView, doc_id: str, other: str = "in another document, ",
                  extra: Sequence[str] = ()) -> list[str]:
    row = f.row
    title = f"#### {row['check_id']} · {row['severity'] or 'unknown'}"
    if f.cross_document:
        title += " · across documents"
    out = [title, "", md_text(row["message"]), ""]
    facts = [("Finding", code(row["finding_id"])), ("Arithmetic", code(row["arithmetic"])),
             ("Expected", md_text(row["expected"])), ("Observed", md_text(row["observed"]))]
    if row["doc_id"] not in (doc_id, CORPUS_DOC):
        facts.insert(1, ("Reported for", code(row["doc_id"])))
    for name, value in facts:
        if value:
            out.append(f"- {name}: {value}")
    if f.evidence:
        out.append("- Evidence:")
        out.append("")
        for n, ev in enumerate(f.evidence, 1):
            out.extend("  " + line if line else "" for line in evidence_item(ev, n, other))
    out.extend(extra)
    out.append("")
    return out


def facts_table(facts: Sequence[Mapping[str, object]], cited: Mapping[str, list[FindingView]],
                document_column_of) -> list[str]:
    head = ["line:col", "span", "kind", "metric", "entity/scope", "period / as of", "value",
            "unit", "qualifier", "text", "rule", "cited by"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for f in facts:
        fid = str(f["fact_id"])
        when = str(f["period"]) or (f"as of {f['as_of']}" if f["as_of"] else "")
        entity = str(f["entity"]) + (f"/{f['scope']}" if f["scope"] else "")
        checks = sorted({v.row["check_id"] for v in cited.get(fid, [])})
        cells = [f"{f['line']}:{document_column_of(int(f['start']))}",  # type: ignore[call-overload]
                 f"{f['start']}-{f['end']}", str(f["kind"]), str(f["metric"]), entity, when,
                 str(f["value"]), str(f["unit"]), str(f["qualifier"]), str(f["text"]),
                 str(f["rule_id"]), ", ".join(checks)]
        out.append("| " + " | ".join(md_text(c) for c in cells) + " |")
    return out


def render_markdown(report: Report) -> str:
    meta = report.metadata
    out = [f"# Validation report: {md_text(report.doc_id)}", ""]
    for label, key in (("Document", "doc_id"), ("Company", "company"), ("Ticker", "ticker"),
                       ("Fiscal period", "fiscal_period"), ("Period end", "period_end"),
                       ("Call date", "call_date")):
        value = meta[key]
        shown = code(value) if key == "doc_id" else md_text(value)
        out.append(f"- {label}: {shown or 'not stated'}")
    out += ["", "## Summary", ""]
    out.append(f"- Facts: {counts_line(count_kinds(report.facts))}")
    checks = report.group("check")
    out.append(f"- Findings: {counts_line(report.findings_by_severity())}")
    out.append(f"- Cross-checks: {len(checks)}; schema failures: {len(report.group('schema'))}; "
               f"input errors: {len(report.group('input'))}")
    crossing = sum(1 for f in report.findings if f.cross_document)
    if crossing:
        out.append(f"- Across documents: {crossing}")
    out += ["", "## Findings", ""]
    groups = report.checks_by_severity()
    for severity, items in groups.items():
        heading = HEADINGS.get(severity, f"Severity {severity}")
        out += [f"### {heading} ({len(items)})", ""]
        if not items:
            out += ["None.", ""]
        for f in items:
            out += finding_block(f, report.doc_id)
    out += ["## Schema failures", ""]
    schema = report.group("schema")
    if not schema:
        out += ["None: the facts table meets its contract.", ""]
    for f in schema:
        out += finding_block(f, report.doc_id)
    inputs = report.group("input")
    if inputs:
        out += ["## Input errors", ""]
        for f in inputs:
            out += finding_block(f, report.doc_id)
    out += [f"## Facts ({len(report.facts)})", ""]
    if report.facts:
        out += facts_table(report.facts, report.cited_by, report.document.column_of)
    else:
        out.append("No figures found.")
    out.append("")
    return "\n".join(out)
