"""Validation reports (Markdown, HTML, JSON, corpus summary) built from real pipeline output.

The engine does not produce cross-check findings yet, so the findings here are written by hand
after ``examples/expected.yaml``: each cites the real facts found at the (line, column) the
annotation gives, so a report that loses, misplaces or mis-quotes a figure fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

from conftest import EXAMPLES, example_paths, processed
from extractor.pipeline import DocumentResult, process_text
from extractor.report import write_corpus_summary, write_reports
from extractor.report.model import fact_anchor, finding_anchor
from extractor.ruleset import load_rules
from extractor.validate import number_findings

DOCS = ("ex01_pellucid_q3", "ex04_veloran_q2", "ex05_veloran_q3")

# (doc_id, check_id, severity, message, [(doc, line, col, figure)], expected, observed, arithmetic)
HAND_MADE = [
    ("ex01_pellucid_q3", "XC-201", "warning",
     "Stand-alone cash bridge does not close: 'mainly reflects' leaves 7 million unexplained",
     [("ex01_pellucid_q3", 7, 235, "$262 million"), ("ex01_pellucid_q3", 7, 297, "$104 million"),
      ("ex01_pellucid_q3", 7, 413, "$41 million"), ("ex01_pellucid_q3", 7, 211, "$192 million")],
     "199000000", "192000000", "262 - 104 + 41 = 199 != 192"),
    ("ex01_pellucid_q3", "XC-102", "error",
     "A 12.5 million rise in the net loss is called 'a decrease in the net loss'",
     [("ex01_pellucid_q3", 10, 111, "$71.4 million"), ("ex01_pellucid_q3", 10, 140, "$58.9 million"),
      ("ex01_pellucid_q3", 10, 193, "$12.5 million")],
     "increase", "decrease", "71.4 - 58.9 = +12.5"),
    ("ex01_pellucid_q3", "XC-601", "error",
     "Two runways for the same cash: 'into early 2027' vs 'well into 2028'",
     [("ex01_pellucid_q3", 7, 591, "into early 2027"), ("ex01_pellucid_q3", 25, 157, "well into 2028")],
     "2027-01-01..2027-04-30", "2028-01-01..2028-12-31", "2027-04-30 < 2028-01-01"),
    ("ex01_pellucid_q3", "XC-204", "info",
     "Consolidated cash bridge leaves the same residual as the stand-alone one",
     [("ex01_pellucid_q3", 8, 95, "$301 million"), ("ex01_pellucid_q3", 8, 153, "$5 million"),
      ("ex01_pellucid_q3", 8, 59, "$226 million")],
     "233000000", "226000000", "301 - (104 + 5) + 41 = 233 != 226"),
    ("ex01_pellucid_q3", "SCHEMA-VALUE-WITHIN-INTERVAL", "error",
     "facts table: column row fails value_within_interval",
     [("ex01_pellucid_q3", 8, 153, "$5 million")], "value_within_interval", "", ""),
    ("*", "XC-901", "warning",
     "Cash at December 31, 2023 restated: $418.6 million (Q2 call) vs $416.8 million (Q3 call)",
     [("ex04_veloran_q2", 50, 112, "$418.6 million"), ("ex05_veloran_q3", 20, 105, "$416.8 million")],
     "418600000", "416800000", "418.6 - 416.8 = 1.8 != 0"),
    ("ex05_veloran_q3", "XC-503", "error",
     "Same deal, magnitude changed: 'up to $3 million' vs 'up to $2.9 billion'",
     [("ex05_veloran_q3", 28, 160, "$3 million"), ("ex04_veloran_q2", 31, 134, "$2.9 billion")],
     "2900000000", "3000000", "2900000000 / 3000000 = 967x"),
    ("latin1_call", "INPUT-ENCODING", "error",
     "latin1_call.txt: not valid UTF-8 (byte 0xe9 at offset 120)", [], "", "", ""),
]


def result(doc_id: str) -> DocumentResult:
    return processed(str(EXAMPLES / f"{doc_id}.txt"))


def fact_at(doc_id: str, line: int, col: int, figure: str) -> str:
    """The fact id of the figure at (line, col) of an example, checked against its text."""
    r = result(doc_id)
    t = r.table
    rows = t[(t.line == line) & (t.start.map(r.document.column_of) == col)]
    assert list(rows.text) == [figure], f"{doc_id}:{line}:{col} is {list(rows.text)}"
    return str(rows.fact_id.iloc[0])


def findings_frame() -> pd.DataFrame:
    rows = []
    for doc_id, check, sev, msg, refs, expected, observed, arithmetic in HAND_MADE:
        rows.append({"doc_id": doc_id, "finding_id": "", "check_id": check, "severity": sev,
                     "message": msg, "fact_ids": ";".join(fact_at(*ref) for ref in refs),
                     "expected": expected, "observed": observed, "arithmetic": arithmetic})
    return number_findings(pd.DataFrame(rows))


def all_facts() -> pd.DataFrame:
    return pd.concat([result(d).table for d in DOCS], ignore_index=True)


@dataclass
class Built:
    out: Path
    findings: pd.DataFrame
    paths: dict[str, list[Path]]
    summary: Path

    def text(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")


def build(out: Path) -> Built:
    findings = findings_frame()
    facts = all_facts()
    paths = {d: write_reports(result(d).document, facts, findings, out) for d in DOCS}
    summary = write_corpus_summary([(d, result(d).table) for d in DOCS], findings, out,
                                   formats=("md", "html", "json"))
    return Built(out, findings, paths, summary)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("reports"))


def findings_of(built: Built, doc_id: str) -> list[dict[str, str]]:
    """The hand-made findings a document's report must show: its own and those citing it."""
    out = []
    for row in built.findings.to_dict("records"):
        docs = {f.rsplit(":", 1)[0] for f in row["fact_ids"].split(";") if f}
        if row["doc_id"] == doc_id or doc_id in docs:
            out.append(row)
    return out


# ---------------------------------------------------------------------------------------------
class Dom(HTMLParser):
    """A small DOM summary: elements by id (tag, attributes, text) and every link."""

    VOID: ClassVar[set[str]] = {"meta", "br", "img", "input", "link", "hr", "wbr", "source", "area", "col"}

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict] = {}
        self.links: list[tuple[str, str]] = []  # (href, id of the nearest ancestor with one)
        self.tags: dict[str, int] = {}
        self.lines: dict[int, str] = {}  # transcript line -> its text without the cite links
        self._stack: list[dict] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "a" and "href" in a:
            owner = next((e["id"] for e in reversed(self._stack) if e["id"]), "")
            self.links.append((a["href"], owner))
        if tag in self.VOID:
            return
        el = {"tag": tag, "attrs": a, "id": a.get("id", ""), "text": [],
              "classes": a.get("class", "").split()}
        if el["id"]:
            self.by_id[el["id"]] = el
        self._stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        while self._stack:
            el = self._stack.pop()
            if el["tag"] == tag:
                break

    def handle_data(self, data: str) -> None:
        in_cites = any("cites" in e["classes"] for e in self._stack)
        for e in self._stack:
            e["text"].append(data)
            if "ln" in e["classes"] and not in_cites:
                n = int(e["attrs"]["data-n"])
                self.lines[n] = self.lines.get(n, "") + data

    def text(self, ident: str) -> str:
        return "".join(self.by_id[ident]["text"])


def doc_lines(text: str) -> list[str]:
    return [line.rstrip("\r") for line in text.split("\n")]


# ---------------------------------------------------------------------------------------------
def test_write_reports_returns_the_files_in_format_order(built: Built) -> None:
    assert built.paths["ex01_pellucid_q3"] == [built.out / "ex01_pellucid_q3.md",
                                               built.out / "ex01_pellucid_q3.html",
                                               built.out / "ex01_pellucid_q3.json"]
    assert built.summary == built.out / "index.md"
    assert all((built.out / f"index.{ext}").is_file() for ext in ("md", "html", "json"))
    only = write_reports(result("ex01_pellucid_q3").document, result("ex01_pellucid_q3").table,
                         None, built.out / "only-html", formats=("html",))
    assert only == [built.out / "only-html" / "ex01_pellucid_q3.html"]
    with pytest.raises(ValueError, match="unknown report format"):
        write_reports(result("ex01_pellucid_q3").document, None, None, built.out, ("pdf",))


def test_markdown_has_the_sections_and_every_finding(built: Built) -> None:
    md = built.text("ex01_pellucid_q3.md")
    t = result("ex01_pellucid_q3").table
    kinds = t.kind.value_counts()
    for heading in ("# Validation report: ex01_pellucid_q3", "## Summary", "## Findings",
                    "### Errors (2)", "### Warnings (1)", "### Notes (info) (1)",
                    "## Schema failures", f"## Facts ({len(t)})"):
        assert f"\n{heading}\n" in f"\n{md}", heading
    assert "- Company: Pellucid Therapeutics" in md
    assert "- Fiscal period: Q3-2025" in md
    assert "- Call date: not stated" in md
    assert (f"- Facts: {len(t)} (money {kinds['money']}, per_share {kinds['per_share']}, "
            f"percent {kinds['percent']}, runway {kinds['runway']})") in md
    assert "- Findings: 5 (error 3, warning 1, info 1)" in md
    # sections in order; the schema failure is in its own section, not among the errors
    order = [md.index(h) for h in ("### Errors", "### Warnings", "### Notes", "## Schema failures",
                                   "## Facts")]
    assert order == sorted(order)
    errors = md[md.index("### Errors"):md.index("### Warnings")]
    assert "XC-102" in errors and "XC-601" in errors and "SCHEMA-" not in errors
    schema = md[md.index("## Schema failures"):md.index("## Facts")]
    assert "#### SCHEMA-VALUE-WITHIN-INTERVAL · error" in schema
    assert "**$5 million**" in schema
    for row in findings_of(built, "ex01_pellucid_q3"):
        assert f"#### {row['check_id']} · {row['severity']}" in md
        assert row["message"] in md
        if row["arithmetic"]:
            assert f"- Arithmetic: `{row['arithmetic']}`" in md
        if row["expected"]:
            assert f"- Expected: {row['expected']}" in md
    # the evidence: position from the annotation, the figure in bold inside its sentence
    assert ("1. `ex01_pellucid_q3:1324-1336` — line 7, col 235 — money · cash_position · "
            "pellucid/excl_corvane · as of 2024-12-31 · 262000000 USD") in md
    assert ("> For the first nine months of 2025, the net loss attributable to Pellucid "
            "shareholders, excluding Corvane, was **$71.4 million**, compared with $58.9 million "
            "in 2024, a decrease in the net loss of $12.5 million.") in md
    assert "**well into 2028**" in md
    # the facts table: one row per fact, with the checks citing it
    assert "| 7:235 | 1324-1336 | money | cash_position | pellucid/excl_corvane | as of " \
           "2024-12-31 | 262000000 | USD | none | $262 million | MONEY-001 | XC-201 |" in md
    assert "| 8:153 | 1887-1897 | money |" in md and "| SCHEMA-VALUE-WITHIN-INTERVAL, XC-204 |" in md
    assert md.count("\n| ") == len(t) + 1


def test_markdown_cross_document_evidence_names_the_other_document(built: Built) -> None:
    md = built.text("ex04_veloran_q2.md")
    assert "#### XC-901 · warning · across documents" in md
    assert "#### XC-503 · error · across documents" in md
    assert "- Reported for: `ex05_veloran_q3`" in md
    assert ("2. `ex05_veloran_q3:2387-2401` in another document, `ex05_veloran_q3` "
            "([report](ex05_veloran_q3.md)) — line 20") in md
    assert "**$416.8 million**" in md and "**$418.6 million**" in md
    # ex01's findings are not in ex04's report
    assert "XC-102" not in md and "XC-201" not in md


def test_html_shows_every_finding_with_links_to_its_highlighted_figures(built: Built) -> None:
    for doc_id in DOCS:
        page = built.text(f"{doc_id}.html")
        dom = Dom(page)
        r = result(doc_id)
        own = set(r.table.fact_id)
        for row in findings_of(built, doc_id):
            art = finding_anchor(row["finding_id"])
            assert dom.by_id[art]["tag"] == "article"
            text = dom.text(art)
            for key in ("check_id", "message", "arithmetic", "expected", "observed"):
                assert row[key] in text, (doc_id, key)
            links = {href for href, owner in dom.links if owner == art}
            for fid in row["fact_ids"].split(";"):
                other = fid.rsplit(":", 1)[0]
                if fid in own:  # a figure of this page: highlighted, linked both ways
                    mark = dom.by_id[fact_anchor(fid)]
                    assert mark["tag"] == "mark"
                    assert "cited" in mark["classes"]
                    assert any(c.startswith("sev-") for c in mark["classes"])
                    assert dom.text(fact_anchor(fid)) == r.table.set_index("fact_id").at[fid, "text"]
                    assert f"#{fact_anchor(fid)}" in links
                    # and the figure links back to the finding, from its transcript line
                    line = r.table.set_index("fact_id").at[fid, "line"]
                    assert (f"#{art}", f"L{line}") in dom.links
                else:  # another document's figure: a link into its report
                    assert f"{other}.html#{fact_anchor(fid)}" in links
                    assert "in another document" in text


def test_html_highlights_every_figure_and_keeps_all_the_text(built: Built) -> None:
    doc_id = "ex01_pellucid_q3"
    r = result(doc_id)
    dom = Dom(built.text(f"{doc_id}.html"))
    for f in r.table.itertuples():
        mark = dom.by_id[fact_anchor(f.fact_id)]
        assert mark["tag"] == "mark" and "fig" in mark["classes"]
        assert dom.text(fact_anchor(f.fact_id)) == r.document.text[f.start:f.end] == f.text
        assert f"#{fact_anchor(f.fact_id)}" in {href for href, _ in dom.links}
    lines = doc_lines(r.document.text)
    assert [dom.lines.get(n, "") for n in range(1, len(lines) + 1)] == lines
    # uncited figures are highlighted but not marked as cited
    assert dom.by_id[fact_anchor("ex01_pellucid_q3:3775-3787")]["classes"] == ["fig", "kind-money"]
    # the evidence severity: $5 million is cited by an info and a schema error -> error
    assert "sev-error" in dom.by_id[fact_anchor(fact_at(doc_id, 8, 153, "$5 million"))]["classes"]
    assert "sev-info" in dom.by_id[fact_anchor(fact_at(doc_id, 8, 59, "$226 million"))]["classes"]


def test_html_is_self_contained_and_deterministic(built: Built, tmp_path: Path) -> None:
    page = built.text("ex01_pellucid_q3.html")
    dom = Dom(page)
    assert dom.tags.get("script") == 1 and dom.tags.get("style") == 1
    assert dom.tags.get("link", 0) == 0 and dom.tags.get("img", 0) == 0
    csp = page.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]
    assert csp.replace("&#x27;", "'").startswith("default-src 'none'; style-src 'sha256-")
    hrefs = [h for h, _ in dom.links]
    assert all(h.startswith("#") or h.split("#")[0].endswith((".html", ".md")) for h in hrefs)
    again = build(tmp_path)
    for name in sorted(p.name for p in built.out.iterdir() if p.is_file()):
        first, second = (built.out / name).read_bytes(), (tmp_path / name).read_bytes()
        assert first == second, name
        assert str(built.out).encode() not in first and str(tmp_path).encode() not in second
    assert again.summary == tmp_path / "index.md"


def test_transcript_markup_renders_as_text(tmp_path: Path) -> None:
    hostile = ("Acme Corp Q3 2024 Earnings Call\nJane Roe - CFO\n"
               "Revenue was $12 million <script>alert(1)</script> in the quarter.\n"
               "See <img src=x onerror=alert(1)> and <a href=\"javascript:alert(1)\">here</a> "
               "& \"quotes\" 'too'.\n")
    r = process_text(hostile, 'evil"<b>doc')
    [html_path] = write_reports(r.document, r.table, None, tmp_path, formats=("html",))
    assert html_path.name == "evil__b_doc.html"
    page = html_path.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img" not in page and "<a href=\"javascript" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;a href=&quot;javascript:alert(1)&quot;&gt;here&lt;/a&gt;" in page
    assert "evil&quot;&lt;b&gt;doc" in page
    dom = Dom(page)
    assert dom.tags.get("script") == 1 and dom.tags.get("img", 0) == 0 and dom.tags.get("b", 0) == 0
    assert doc_lines(hostile)[2] in dom.lines.values()
    cite = number_findings(pd.DataFrame([{
        "doc_id": r.doc_id, "finding_id": "", "check_id": "XC-101", "severity": "error",
        "message": "<i>revenue</i> quoted", "fact_ids": r.table.fact_id.iloc[0], "expected": "",
        "observed": "<img src=y>", "arithmetic": "1 < 2"}]))
    md = write_reports(r.document, r.table, cite, tmp_path, formats=("md",))[0].read_text()
    assert not re.search(r"(?<!\\)<(?:script|img|i)\b", md)  # only escaped markup
    assert "**$12 million** \\<script\\>alert(1)\\</script\\> in the quarter." in md
    assert "- Observed: \\<img src=y\\>" in md
    assert "\\<i\\>revenue\\</i\\> quoted" in md and "- Arithmetic: `1 < 2`" in md
    assert "**$12 million** \\<script\\>alert(1)\\</script\\>" in md


def test_json_is_sorted_float_free_and_round_trips(built: Built) -> None:
    raw = built.text("ex01_pellucid_q3.json")
    data = json.loads(raw)
    assert json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n" == raw

    def walk(v: object) -> None:
        assert not isinstance(v, float)
        if isinstance(v, dict):
            [walk(x) for x in v.values()]
        elif isinstance(v, list):
            [walk(x) for x in v]
    walk(data)
    t = result("ex01_pellucid_q3").table
    assert data["document"]["company"] == "Pellucid Therapeutics"
    assert data["document"]["fiscal_period"] == "Q3-2025"
    assert data["summary"]["facts"]["total"] == len(t)
    assert data["summary"]["findings"]["by_severity"] == {"error": 3, "info": 1, "warning": 1}
    assert [f["fact_id"] for f in data["facts"]] == list(t.fact_id)
    by_id = {f["fact_id"]: f for f in data["facts"]}
    f192 = by_id["ex01_pellucid_q3:1300-1312"]
    assert (f192["value"], f192["low"], f192["high"], f192["unit"]) == (
        "192000000", "191500000", "192500000", "USD")
    assert f192["cited_by"] == ["XC-201:ex01_pellucid_q3:1324-1336"]
    assert {f["check_id"] for f in data["findings"]} == {"XC-102", "XC-201", "XC-204", "XC-601"}
    assert [f["check_id"] for f in data["schema_failures"]] == ["SCHEMA-VALUE-WITHIN-INTERVAL"]
    bridge = next(f for f in data["findings"] if f["check_id"] == "XC-201")
    assert bridge["arithmetic"] == "262 - 104 + 41 = 199 != 192"
    assert bridge["fact_ids"] == ["ex01_pellucid_q3:1324-1336", "ex01_pellucid_q3:1386-1398",
                                  "ex01_pellucid_q3:1502-1513", "ex01_pellucid_q3:1300-1312"]
    for ev in bridge["evidence"]:
        a, b = ev["quote_figure"]
        assert ev["quote"][a:b] == ev["text"] == by_id[ev["fact_id"]]["text"]
        assert ev["in_document"] and ev["line"] == 7
    assert [e["column"] for e in bridge["evidence"]] == [235, 297, 413, 211]


def test_corpus_summary_lists_counts_and_cross_document_findings(built: Built) -> None:
    md = built.text("index.md")
    for d in DOCS:
        t = result(d).table
        assert f"| [`{d}`]({d}.md) | {len(t)} | {(t.kind == 'money').sum()} |" in md
    assert "| `latin1_call` | 0 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 |" in md
    assert "## Cross-document findings (2)" in md
    assert "#### XC-901 · warning · across documents" in md
    assert "#### XC-503 · error · across documents" in md
    assert "- Arithmetic: `418.6 - 416.8 = 1.8 != 0`" in md
    assert "`ex04_veloran_q2:3587-3601` in `ex04_veloran_q2` ([report](ex04_veloran_q2.md))" in md
    assert "## Input errors (1)" in md and "latin1_call.txt: not valid UTF-8" in md
    assert "XC-102" in md and "XC-102 · error" not in md  # counted by check, not listed

    dom = Dom(built.text("index.html"))
    hrefs = {h for h, _ in dom.links}
    for d in DOCS:
        assert f"{d}.html" in hrefs
    cross = [r for r in built.findings.to_dict("records") if r["check_id"] in ("XC-901", "XC-503")]
    for row in cross:
        art = finding_anchor(row["finding_id"])
        assert row["message"] in dom.text(art) and row["arithmetic"] in dom.text(art)
        for fid in row["fact_ids"].split(";"):
            assert f"{fid.rsplit(':', 1)[0]}.html#{fact_anchor(fid)}" in hrefs
        for d in ("ex04_veloran_q2", "ex05_veloran_q3"):
            assert f"{d}.html#{art}" in hrefs

    data = json.loads(built.text("index.json"))
    assert data["summary"] == {"cross_document": 2, "documents": 4,
                               "facts": sum(len(result(d).table) for d in DOCS),
                               "findings": {"by_severity": {"error": 5, "info": 1, "warning": 2},
                                            "total": 8},
                               "input_errors": 1, "reports_not_written": 0}
    assert [f["check_id"] for f in data["cross_document_findings"]] == ["XC-503", "XC-901"]
    ex04 = next(d for d in data["documents"] if d["doc_id"] == "ex04_veloran_q2")
    assert ex04["findings"]["cross_document"] == 2
    assert ex04["reports"] == {"html": "ex04_veloran_q2.html", "json": "ex04_veloran_q2.json",
                               "md": "ex04_veloran_q2.md"}


def test_unknown_fact_ids_are_reported_not_fatal(tmp_path: Path) -> None:
    r = result("ex01_pellucid_q3")
    findings = number_findings(pd.DataFrame([{
        "doc_id": "ex01_pellucid_q3", "finding_id": "", "check_id": "XC-701", "severity": "error",
        "message": "cites a fact of a document that was not given",
        "fact_ids": "ex01_pellucid_q3:1300-1312;ex99_gone:10-20", "expected": "", "observed": "",
        "arithmetic": ""}]))
    md_path, html_path = write_reports(r.document, r.table, findings, tmp_path, ("md", "html"))
    md = md_path.read_text(encoding="utf-8")
    # named, not linked: a document whose fact was not given may have no report at all
    assert ("2. `ex99_gone:10-20` in another document, `ex99_gone` — "
            "not in the facts table given to the report") in md
    assert "ex99_gone.md" not in md
    html = html_path.read_text(encoding="utf-8")
    assert ('<li>in another document, <code>ex99_gone</code> <span class="label">not in the '
            'facts table given to the report</span> <code class="fact-id">ex99_gone:10-20'
            '</code></li>') in html
    assert "ex99_gone.html" not in html


def test_reports_of_the_engine_findings_on_every_example(tmp_path: Path) -> None:
    """The real cross-checks over all the examples: every finding they raise is in the reports
    of the documents it concerns, with its arithmetic and its figures highlighted."""
    from extractor.checks import run_corpus_checks, run_document_checks
    from extractor.report.markdown import code, md_text

    results = [processed(str(p)) for p in example_paths()]
    findings = pd.concat(
        [run_document_checks(r) for r in results]
        + [run_corpus_checks((r.document.metadata.company_slug, r.table) for r in results)],
        ignore_index=True)
    assert len(findings) > 0 and set(findings.check_id) <= {
        e.id for e in load_rules().entries("checks")}
    facts = pd.concat([r.table for r in results], ignore_index=True)
    seen: set[str] = set()
    for r in results:
        write_reports(r.document, facts, findings, tmp_path)
        md = (tmp_path / f"{r.doc_id}.md").read_text(encoding="utf-8")
        dom = Dom((tmp_path / f"{r.doc_id}.html").read_text(encoding="utf-8"))
        own = set(r.table.fact_id)
        for row in findings.to_dict("records"):
            cited = [f for f in row["fact_ids"].split(";") if f]
            if row["doc_id"] != r.doc_id and not own & set(cited):
                continue
            seen.add(row["finding_id"])
            assert f"#### {row['check_id']} · {row['severity']}" in md
            assert md_text(row["message"]) in md
            assert code(row["arithmetic"]) in md
            art = finding_anchor(row["finding_id"])
            assert row["arithmetic"] in dom.text(art)
            for fid in own & set(cited):
                assert "cited" in dom.by_id[fact_anchor(fid)]["classes"]
                assert (f"#{fact_anchor(fid)}", art) in dom.links
    assert seen == set(findings.finding_id)  # every finding is in some document's report
    summary = write_corpus_summary([(r.doc_id, r.table) for r in results], findings, tmp_path)
    md = summary.read_text(encoding="utf-8")
    crossing = [row for row in findings.to_dict("records") if row["doc_id"] == "*"
                or len({f.rsplit(":", 1)[0] for f in row["fact_ids"].split(";") if f}) > 1]
    assert f"## Cross-document findings ({len(crossing)})" in md
    for row in crossing:
        assert md_text(row["message"]) in md and code(row["arithmetic"]) in md
    for r in results:
        assert f"| [`{r.doc_id}`]({r.doc_id}.md) | {len(r.table)} |" in md
