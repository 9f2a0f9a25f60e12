"""docs/rules.md is generated from rules/*.yaml and must stay in sync with it."""

from __future__ import annotations

import difflib

from conftest import ROOT
from extractor.report.rulesdoc import COMMAND, main, render_rules_doc
from extractor.ruleset import load_rules

DOC = ROOT / "docs" / "rules.md"


def current() -> str:
    return render_rules_doc(load_rules(str(ROOT / "rules")))


def test_docs_rules_md_is_in_sync_with_the_rule_files() -> None:
    expected = current()
    actual = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if actual != expected:
        diff = "".join(list(difflib.unified_diff(
            actual.splitlines(keepends=True), expected.splitlines(keepends=True),
            "docs/rules.md", "generated from rules/"))[:60])
        raise AssertionError(f"docs/rules.md is out of sync with rules/*.yaml; regenerate it "
                             f"with:\n    {COMMAND}\n{diff}")


def test_the_page_lists_every_rule_metric_and_check_with_an_example() -> None:
    rs = load_rules(str(ROOT / "rules"))
    page = current()
    for e in rs.recognizers:
        assert f"#### {e.id} · {e.get('name')}" in page
        first = e.get("examples")["match"][0]
        text = first["text"] if isinstance(first, dict) else first
        section = page.split(f"#### {e.id} ·")[1].split("####")[0]
        assert f"- Example: “{' '.join(text.split())}”" in section.replace("\\", "")
    for m in rs.metrics.values():
        assert f"| `{m.id}` | {m.type} |" in page
    for c in rs.entries("checks"):
        section = page.split(f"### {c.id} · {c.get('name')}")[1].split("\n### ")[0]
        assert f"default severity: **{c.get('severity')}**" in section
        assert "Raises on:" in section
    for entries in rs.sections.values():
        for e in entries:
            assert e.id in page
    # the money example of MONEY-001 with its value and unit
    assert ("- Example: “Total bookings were $201 million in the quarter.” → `$201 million` "
            "= 201000000 USD") in page


def test_check_mode_reports_a_stale_page(tmp_path, capsys) -> None:
    stale = tmp_path / "rules.md"
    stale.write_text("# Rules\n", encoding="utf-8")
    assert main(["--rules-dir", str(ROOT / "rules"), "--check", str(stale)]) == 1
    assert COMMAND in capsys.readouterr().err
    assert main(["--rules-dir", str(ROOT / "rules"), "-o", str(stale)]) == 0
    assert main(["--rules-dir", str(ROOT / "rules"), "--check", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == current()
