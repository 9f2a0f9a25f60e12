"""The HTML report of one document: one self-contained page.

Everything taken from a transcript, a facts row or a findings row goes through :func:`esc`
(``html.escape`` after making control characters visible), so a transcript holding
``<script>`` or ``<img onerror=...>`` renders as text. The page carries a Content Security
Policy that allows only its own inline style and script (by hash): no injected script could
run, no image or other resource is fetched. The script is optional; the page works without it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.resources
import itertools
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from urllib.parse import quote as url_quote

from .model import (
    CORPUS_DOC,
    Evidence,
    FindingView,
    Report,
    count_kinds,
    fact_anchor,
    fact_label,
    report_name,
    severity_rank,
)

HEADINGS = {"error": "Errors", "warning": "Warnings", "info": "Notes (info)"}
_CONTROL = {c: chr(0x2400 + c) for c in range(32) if chr(c) not in "\t\n"} | {0x7F: "\u2421"}
_CONTROL.update({c: "\ufffd" for c in range(0x80, 0xA0)})


def esc(text: object) -> str:
    """Text for HTML content or a quoted attribute: control characters made visible, then
    ``& < > " '`` escaped."""
    return html.escape(str(text).translate(_CONTROL), quote=True)


def href_to(doc_id: str, anchor: str = "", ext: str = "html") -> str:
    """A relative link to a document's report (and an anchor in it), already escaped."""
    target = url_quote(f"{report_name(doc_id)}.{ext}")
    return esc(target + (f"#{anchor}" if anchor else ""))


@cache
def asset(name: str) -> str:
    return importlib.resources.files("extractor.report").joinpath(name).read_text(
        encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def page(title: str, body: Iterable[str], script: bool = True) -> str:
    """A complete page: inline CSS (and the optional inline script), a strict CSP."""
    return "".join(page_chunks(title, body, script))


def page_chunks(title: str, body: Iterable[str], script: bool = True) -> Iterator[str]:
    """:func:`page` in pieces, ``body`` read as they are written (a page too large to hold)."""
    css = asset("report.css")
    js = asset("report.js") if script else ""
    script_src = f"'{_sha256(js)}'" if js else "'none'"
    csp = (f"default-src 'none'; style-src '{_sha256(css)}'; script-src {script_src}; "
           "img-src 'none'; base-uri 'none'; form-action 'none'")
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{css}</style>",
        "</head>",
        "<body>",
    ]
    tail = [f"<script>{js}</script>"] if js else []
    for part in itertools.chain(head, body, tail, ("</body>", "</html>")):
        yield part + "\n"


def badge(severity: str) -> str:
    return f'<span class="badge sev-{esc(severity)}">{esc(severity or "unknown")}</span>'


def quote_html(ev: Evidence) -> str:
    if not ev.figure:
        return ""
    parts = [esc(ev.before), f'<mark class="q">{esc(ev.figure)}</mark>', esc(ev.after)]
    return "<blockquote>" + "".join(parts) + "</blockquote>"


def evidence_html(ev: Evidence, other: str = "in another document, ") -> str:
    """One cited fact: a link to its figure (on this page when the fact is local, else in its
    document's report, introduced by ``other``), its label and its quote."""
    where = f"line {ev.line}" + (f", col {ev.column}" if ev.column else "") \
        if ev.line is not None else "position unknown"
    figure = esc(ev.fact["text"]) if ev.fact else esc(ev.fact_id)
    parts = []
    if ev.local:
        parts.append(f'<a href="#{esc(ev.anchor)}">{where}: {figure}</a>')
    elif ev.doc_id and ev.found:
        doc_link = f'<a href="{href_to(ev.doc_id)}">{esc(ev.doc_id)}</a>'
        parts.append(f"{esc(other)}{doc_link}, "
                     f'<a href="{href_to(ev.doc_id, ev.anchor)}">{where}: {figure}</a>')
    elif ev.doc_id:  # a fact not given: its document may have no report, so no link
        parts.append(f"{esc(other)}<code>{esc(ev.doc_id)}</code>")
    else:
        parts.append(f"{figure} (document unknown)")
    label = esc(ev.label()) if ev.found else "not in the facts table given to the report"
    parts.append(f' <span class="label">{label}</span> <code class="fact-id">'
                 f"{esc(ev.fact_id)}</code>")
    return "<li>" + "".join(parts) + quote_html(ev) + "</li>"


def finding_html(f: FindingView, doc_id: str, other: str = "in another document, ",
                 links: str = "") -> str:
    """One finding as an ``article``; ``links``: extra HTML after the evidence."""
    row = f.row
    local = [esc(e.anchor) for e in f.evidence if e.local]
    attrs = (f'class="finding sev-{esc(row["severity"])}" id="{esc(f.anchor)}" '
             f'data-check="{esc(row["check_id"])}" data-facts="{" ".join(local)}"')
    out = [f"<article {attrs}>", "<header>", badge(row["severity"]),
           f'<code class="check">{esc(row["check_id"])}</code>']
    if f.cross_document:
        out.append('<span class="badge">across documents</span>')
    out.append(f'<span class="fid">{esc(row["finding_id"])}</span>')
    out.append("</header>")
    out.append(f'<p class="message">{esc(row["message"])}</p>')
    dl = []
    if row["doc_id"] not in (doc_id, CORPUS_DOC):
        dl.append(("Reported for", f"<code>{esc(row['doc_id'])}</code>"))
    for name, key in (("Arithmetic", "arithmetic"), ("Expected", "expected"),
                      ("Observed", "observed")):
        if row[key]:
            value = esc(row[key])
            dl.append((name, f'<code class="{key}">{value}</code>' if key == "arithmetic"
                       else f'<span class="{key}">{value}</span>'))
    if dl:
        out.append("<dl>" + "".join(f"<dt>{n}</dt><dd>{v}</dd>" for n, v in dl) + "</dl>")
    if f.evidence:
        out.append('<ol class="evidence">')
        out.extend(evidence_html(e, other) for e in f.evidence)
        out.append("</ol>")
    if links:
        out.append(links)
    out.append("</article>")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
def _line_spans(text: str, line_starts: Sequence[int]) -> list[tuple[int, int]]:
    starts = list(line_starts) or [0]
    out = []
    for i, s in enumerate(starts):
        e = starts[i + 1] - 1 if i + 1 < len(starts) else len(text)
        if e > s and text[e - 1] == "\r":
            e -= 1
        out.append((s, max(s, e)))
    return out


def transcript_html(report: Report) -> str:
    """The whole transcript, one ``div`` a line, every figure in a ``mark`` (its anchor on the
    first piece), cited figures coloured by their worst finding and followed by links to the
    findings that cite them, evidence sentences shaded, speaker names in bold."""
    doc = report.document
    text = doc.text
    lines = _line_spans(text, doc.line_starts)
    n_lines = len(lines)

    def line_range(start: int, end: int) -> range:
        first = doc.line_of(start) if doc.line_starts else 1
        last = doc.line_of(max(start, end - 1)) if doc.line_starts else 1
        return range(max(first, 1) - 1, min(last, n_lines))

    # figures and evidence spans, indexed by line
    figs: list[list[dict]] = [[] for _ in lines]
    for f in report.facts:
        for i in line_range(int(f["start"]), int(f["end"])):  # type: ignore[call-overload]
            figs[i].append(f)
    evidence: dict[tuple[int, int], str] = {}
    by_id = {str(f["fact_id"]): f for f in report.facts}
    for fid in report.cited_by:
        fact = by_id[fid]
        start, end = int(fact["start"]), int(fact["end"])  # type: ignore[call-overload]
        k = doc.sentence_index(start) if doc.sentences else -1
        span = (doc.sentences[k].start, max(doc.sentences[k].end, end)) if k >= 0 \
            else (start, end)
        sev = report.worst_severity(fid)
        old = evidence.get(span)
        evidence[span] = sev if old is None or severity_rank(sev) < severity_rank(old) else old
    evs: list[list[tuple[int, int, str]]] = [[] for _ in lines]
    for (s, e), sev in sorted(evidence.items()):
        for i in line_range(s, e):
            evs[i].append((s, e, sev))

    spk: list[list[tuple[int, int]]] = [[] for _ in lines]
    for s, e in doc.speaker_lines:
        for i in line_range(s, e):
            spk[i].append((s, e))
    placed: set[str] = set()
    out = ['<div class="transcript">']
    for i, (ls, le) in enumerate(lines):
        pieces = []
        points = {ls, le}
        for f in figs[i]:
            points.update(min(max(int(f[k]), ls), le) for k in ("start", "end"))
        for s, e, _sev in evs[i]:
            points.update((min(max(s, ls), le), min(max(e, ls), le)))
        for s, e in spk[i]:
            points.update((min(max(s, ls), le), min(max(e, ls), le)))
        cuts = sorted(points)
        for a, b in itertools.pairwise(cuts):
            if a == b:
                continue
            seg = esc(text[a:b])
            here = [f for f in figs[i] if int(f["start"]) < b and int(f["end"]) > a]
            if here:
                seg = _mark(report, here, seg, placed, b)
            ev = [sev for s, e, sev in evs[i] if s < b and e > a]
            if ev:
                worst = min(ev, key=severity_rank)
                seg = f'<span class="ev sev-{esc(worst)}">{seg}</span>'
            if any(s < b and e > a for s, e in spk[i]):
                seg = f'<span class="spk">{seg}</span>'
            pieces.append(seg)
        out.append(f'<div class="ln" id="L{i + 1}" data-n="{i + 1}">{"".join(pieces)}</div>')
    out.append("</div>")
    return "\n".join(out)


def _mark(report: Report, here: list[dict], seg: str, placed: set[str], seg_end: int) -> str:
    first = here[0]
    classes = ["fig", f"kind-{esc(first['kind'])}"]
    sev = ""
    for f in here:
        s = report.worst_severity(str(f["fact_id"]))
        if s and (not sev or severity_rank(s) < severity_rank(sev)):
            sev = s
    if sev:
        classes += ["cited", f"sev-{esc(sev)}"]
    new = [f for f in here if f["fact_id"] not in placed]
    placed.update(str(f["fact_id"]) for f in new)
    ident = ""
    extra = ""
    if new:
        ident = f' id="{esc(fact_anchor(str(new[0]["fact_id"])))}"'
        extra = "".join(f'<span class="anchor" id="{esc(fact_anchor(str(f["fact_id"])))}">'
                        "</span>" for f in new[1:])
    title = " | ".join(fact_label(f) for f in here)
    facts = " ".join(str(f["fact_id"]) for f in here)
    html_ = (f'{extra}<mark class="{" ".join(classes)}"{ident} data-fact="{esc(facts)}" '
             f'title="{esc(title)}">{seg}</mark>')
    for f in here:  # after a figure's last piece: links to the findings citing it
        cites = report.cited_by.get(str(f["fact_id"]), [])
        if cites and int(f["end"]) <= seg_end:  # type: ignore[call-overload]
            links = "".join(f'<a href="#{esc(v.anchor)}" class="sev-{esc(v.row["severity"])}" '
                            f'title="{esc(v.row["message"])}">{esc(v.row["check_id"])}</a>'
                            for v in cites)
            html_ += f'<sup class="cites">{links}</sup>'
    return html_


def facts_table_html(report: Report) -> str:
    head = ["line:col", "figure", "kind", "metric", "entity", "scope", "period", "as of",
            "value", "unit", "low", "high", "qualifier", "speaker", "section", "rule",
            "cited by"]
    out = ['<table class="facts">', "<thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
           + "</tr></thead>", "<tbody>"]
    for f in report.facts:
        fid = str(f["fact_id"])
        col = report.document.column_of(int(f["start"]))  # type: ignore[call-overload]
        cites = " ".join(f'<a href="#{esc(v.anchor)}">{esc(v.row["check_id"])}</a>'
                         for v in report.cited_by.get(fid, []))
        cells = [f'<a href="#{esc(fact_anchor(fid))}">{esc(f["line"])}:{col}</a>',
                 f'<a href="#{esc(fact_anchor(fid))}">{esc(f["text"])}</a>',
                 *(esc(f[k]) for k in ("kind", "metric", "entity", "scope", "period", "as_of")),
                 f'<span class="mono">{esc(f["value"])}</span>', esc(f["unit"]),
                 f'<span class="mono">{esc(f["low"])}</span>',
                 f'<span class="mono">{esc(f["high"])}</span>',
                 esc(f["qualifier"]), esc(f["speaker"]), esc(f["section"]), esc(f["rule_id"]),
                 cites]
        out.append(f'<tr data-fact="{esc(fid)}">' + "".join(f"<td>{c}</td>" for c in cells)
                   + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def counts_html(counts: dict[str, int]) -> str:
    return ", ".join(f"{esc(k)} {v}" for k, v in counts.items())


def render_html(report: Report) -> str:
    meta = report.metadata
    title_bits = [meta["company"], meta["fiscal_period"]]
    title = f"Validation report: {report.doc_id}" + (
        f" ({' '.join(b for b in title_bits if b)})" if any(title_bits) else "")
    body = [f"<h1>Validation report: <code>{esc(report.doc_id)}</code></h1>",
            '<nav><a href="#summary">Summary</a><a href="#findings">Findings</a>'
            '<a href="#schema">Schema failures</a><a href="#transcript">Transcript</a>'
            '<a href="#facts">Facts</a></nav>',
            '<section id="summary"><h2>Summary</h2>', '<dl class="meta">']
    for label, key in (("Document", "doc_id"), ("Company", "company"), ("Ticker", "ticker"),
                       ("Fiscal period", "fiscal_period"), ("Period end", "period_end"),
                       ("Call date", "call_date")):
        value = esc(meta[key]) if meta[key] else '<span class="none">not stated</span>'
        body.append(f"<dt>{label}</dt><dd>{value}</dd>")
    facts_counts = count_kinds(report.facts)
    sev_counts = report.findings_by_severity()
    body.append(f"<dt>Facts</dt><dd>{len(report.facts)} ({counts_html(facts_counts)})</dd>")
    body.append(f"<dt>Findings</dt><dd>{len(report.findings)} ({counts_html(sev_counts)})</dd>")
    body.append(f"<dt>Schema failures</dt><dd>{len(report.group('schema'))}</dd>")
    if report.group("input"):
        body.append(f"<dt>Input errors</dt><dd>{len(report.group('input'))}</dd>")
    body += ["</dl>", "</section>", '<section id="findings"><h2>Findings</h2>']
    for severity, items in report.checks_by_severity().items():
        heading = HEADINGS.get(severity, f"Severity {severity}")
        body.append(f'<section id="sev-{esc(severity)}"><h3>{esc(heading)} ({len(items)})</h3>')
        if not items:
            body.append('<p class="none">None.</p>')
        body.extend(finding_html(f, report.doc_id) for f in items)
        body.append("</section>")
    body += ["</section>", '<section id="schema"><h2>Schema failures</h2>']
    schema = report.group("schema")
    if not schema:
        body.append('<p class="none">None: the facts table meets its contract.</p>')
    body.extend(finding_html(f, report.doc_id) for f in schema)
    body.append("</section>")
    if report.group("input"):
        body.append('<section id="input"><h2>Input errors</h2>')
        body.extend(finding_html(f, report.doc_id) for f in report.group("input"))
        body.append("</section>")
    body += ['<section id="transcript"><h2>Transcript</h2>',
             '<p class="legend"><span><mark class="fig">figure</mark></span>'
             '<span><mark class="fig cited sev-error">cited by an error</mark></span>'
             '<span><mark class="fig cited sev-warning">cited by a warning</mark></span>'
             '<span><mark class="fig cited sev-info">cited by a note</mark></span>'
             '<span class="ev">evidence sentence</span></p>',
             transcript_html(report), "</section>",
             f'<section id="facts"><h2>Facts ({len(report.facts)})</h2>']
    body.append('<div class="scroll">' + facts_table_html(report) + "</div>" if report.facts
                else '<p class="none">No figures found.</p>')
    body.append("</section>")
    return page(title, body)
