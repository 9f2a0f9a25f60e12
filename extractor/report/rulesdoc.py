"""docs/rules.md: every rule and check with its code, name, description and one example.

Generated from the rule files (``extractor.ruleset.load_rules``); never edit the page by hand.
Regenerate with::

    python -m extractor.report.rulesdoc > docs/rules.md

``tests/test_rules_doc.py`` fails when the page is out of sync with ``rules/``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..ruleset import Entry, RuleSet, load_rules
from .markdown import code, md_text

COMMAND = "python -m extractor.report.rulesdoc > docs/rules.md"
KIND_TITLES = {"money": "Money", "per_share": "Per-share figures", "percent": "Percentages",
               "runway": "Cash runway"}
VOCABULARY = ("relabels", "periods", "dates", "scopes", "parties", "qualifiers", "directions",
              "changes", "comparisons", "coordinations", "uncertainty", "corrections",
              "bare_amount_followers", "guidance", "modifiers", "anaphora", "non_exhaustive")
MAX_EXAMPLE = 400  # characters of an example quoted in a table cell


def _first(items: Any) -> Any:
    if isinstance(items, list):
        return items[0] if items else None
    return items


def _examples(entry_examples: Any, key: str) -> list:
    """The ``key`` list (match, no_match, raise, no_raise) of an entry's examples."""
    if isinstance(entry_examples, dict):
        value = entry_examples.get(key)
        return list(value) if isinstance(value, list) else []
    if isinstance(entry_examples, list) and key in ("match", "raise"):
        return entry_examples
    return []


def _clip(text: str, limit: int = MAX_EXAMPLE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quoted(text: str) -> str:
    return "“" + md_text(_clip(text)) + "”"


def match_example(example: Any) -> str:
    """One ``match`` example: the text, and for recognisers the figure, value, unit, metric."""
    if example is None:
        return ""
    if isinstance(example, str):
        return _quoted(example)
    if not isinstance(example, dict):
        return md_text(str(example))
    out = _quoted(str(example.get("text", "")))
    result = []
    if example.get("fig"):
        result.append(code(str(example["fig"])))
    if example.get("value") not in (None, ""):
        result.append(f"= {md_text(str(example['value']))} {md_text(str(example.get('unit', '')))}"
                      .rstrip())
    if example.get("metric"):
        result.append(f"({md_text(str(example['metric']))})")
    if result:
        out += " → " + " ".join(result)
    return out


def _block_quote(text: str) -> list[str]:
    """Each line of ``text`` its own paragraph of one block quote."""
    out: list[str] = []
    for line in text.splitlines() or [""]:
        if out:
            out.append(">")
        out.append(("> " + md_text(line)).rstrip())
    return out


def check_example(example: Any) -> list[str]:
    """A check example: a transcript text, or ``{docs: [text, text]}`` across documents."""
    if isinstance(example, dict) and isinstance(example.get("docs"), list):
        out: list[str] = []
        for n, text in enumerate(example["docs"], 1):
            out += [f"Document {n}:", "", *_block_quote(str(text)), ""]
        return out[:-1]
    if isinstance(example, dict):
        return _block_quote(str(example.get("text", example)))
    return _block_quote(str(example))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(c.replace("\n", " ") for c in row) + " |" for row in rows]
    return out


def _recognisers(rs: RuleSet) -> list[str]:
    out = ["## Recognisers", "",
           "Each recogniser finds one kind of figure; its examples run in "
           "`tests/test_rule_examples.py` (`match`: must yield the figure with this value, unit "
           "and metric; `no_match`: must yield no figure of this kind).", ""]
    kinds = list(KIND_TITLES) + sorted({str(e.get("kind")) for e in rs.recognizers}
                                       - set(KIND_TITLES))
    for kind in kinds:
        entries = [e for e in rs.recognizers if e.get("kind") == kind]
        if not entries:
            continue
        out += [f"### {KIND_TITLES.get(kind, kind)}", ""]
        for e in entries:
            ex = e.get("examples")
            out += [f"#### {e.id} · {md_text(str(e.get('name', '')))}", "",
                    md_text(e.description), "",
                    f"- File: `{e.file}`"]
            match = _first(_examples(ex, "match"))
            if match is not None:
                out.append(f"- Example: {match_example(match)}")
            no = _first(_examples(ex, "no_match"))
            if no is not None:
                out.append(f"- Not a match: {match_example(no)}")
            out.append("")
    return out


def _metrics(rs: RuleSet) -> list[str]:
    rows = []
    for m in rs.metrics.values():
        ex = _first(m.examples)
        rows.append([code(m.id), md_text(m.type), md_text(m.description), match_example(ex)])
    return ["## Metrics", "",
            "The metric vocabulary (`metrics.yaml`): a stated change of a metric is "
            "`<id>_change`.", "",
            *_table(["id", "type", "description", "example"], rows), ""]


def _checks(rs: RuleSet) -> list[str]:
    entries = rs.entries("checks")
    out = ["## Cross-checks", ""]
    if not entries:
        return [*out, "No cross-check is declared yet (`checks` section of the rule files).", ""]
    out += ["Each check compares rounding intervals; its examples (`raise`: must raise it, "
            "`no_raise`: must not) are run by the test suite.", ""]
    for e in entries:
        out += [f"### {e.id} · {md_text(str(e.get('name', '')))}", "",
                md_text(e.description), "",
                f"- Family: `{e.get('family', '')}`; default severity: "
                f"**{md_text(str(e.get('severity', '')))}**; file: `{e.file}`"]
        params = e.get("parameters") or {}
        if params:
            out.append("- Parameters:")
            for key in params:
                out.append(f"  - `{key}`: {code(str(params[key]))}")
        ex = e.get("examples")
        raise_ = _first(_examples(ex, "raise"))
        if raise_ is not None:
            out += ["", "Raises on:", "", *check_example(raise_)]
        no = _first(_examples(ex, "no_raise"))
        if no is not None:
            out += ["", "Does not raise on:", "", *check_example(no)]
        out.append("")
    return out


def _entry_row(e: Entry, extra: str = "") -> list[str]:
    ex = e.get("examples")
    return [code(e.id), md_text(e.section), md_text(e.description) + extra,
            match_example(_first(_examples(ex, "match")))]


def _vocabulary(rs: RuleSet) -> list[str]:
    rows = []
    for section in [*VOCABULARY, *sorted(set(rs.sections) - {*VOCABULARY, "rules", "checks",
                                                              "speakers"})]:
        rows += [_entry_row(e) for e in rs.entries(section)]
    return ["## Attribution vocabulary", "",
            "Cues that give a figure its metric, period, entity, scope, qualifier, direction and "
            "comparison (`cues.yaml`, `periods.yaml`, `entities.yaml`, `metrics.yaml`).", "",
            *_table(["code", "section", "description", "example"], rows), ""]


def _layout(rs: RuleSet) -> list[str]:
    rows = [_entry_row(e) for e in rs.entries("speakers")]
    for group in rs.metadata:
        rows += [_entry_row(e) for e in rs.metadata[group]]
    rows += [_entry_row(e) for e in rs.boilerplate_lines]
    rows += [_entry_row(e) for e, _s, _e in rs.boilerplate_blocks]
    return ["## Layout, metadata and boilerplate", "",
            "How a transcript's speakers, metadata and web boilerplate are recognised "
            "(`layout.yaml`).", "",
            *_table(["code", "section", "description", "example"], rows), ""]


def render_rules_doc(rs: RuleSet | None = None) -> str:
    """The Markdown of docs/rules.md (deterministic: the rule files' own order)."""
    rs = rs or load_rules()
    recognisers = rs.recognizers
    vocab = sum(len(rs.entries(s)) for s in rs.sections
                if s not in ("rules", "checks", "speakers"))
    layout = (len(rs.entries("speakers")) + sum(len(v) for v in rs.metadata.values())
              + len(rs.boilerplate_lines) + len(rs.boilerplate_blocks))
    out = [f"<!-- Generated from rules/*.yaml by `{COMMAND}`. Do not edit: "
           "tests/test_rules_doc.py fails when this page is out of sync. -->", "",
           "# Rules and checks", "",
           "Every rule and check of the engine with its stable code (never changed, never "
           "reused), what it is for and one example, generated from the rule files in `rules/`.",
           "", f"- [Recognisers](#recognisers): {len(recognisers)}",
           f"- [Metrics](#metrics): {len(rs.metrics)}",
           f"- [Cross-checks](#cross-checks): {len(rs.entries('checks'))}",
           f"- [Attribution vocabulary](#attribution-vocabulary): {vocab}",
           f"- [Layout, metadata and boilerplate](#layout-metadata-and-boilerplate): {layout}",
           ""]
    out += _recognisers(rs) + _metrics(rs) + _checks(rs) + _vocabulary(rs) + _layout(rs)
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extractor.report.rulesdoc",
                                     description="Render docs/rules.md from the rule files.")
    parser.add_argument("--rules-dir", default=None, help="rules directory (default: the "
                        "package's rules, or $FIGURES_RULES_DIR)")
    parser.add_argument("-o", "--output", default=None, help="write here instead of stdout")
    parser.add_argument("--check", metavar="FILE", default=None,
                        help="exit 1 when FILE differs from what would be generated")
    args = parser.parse_args(argv)
    text = render_rules_doc(load_rules(args.rules_dir))
    if args.check:
        path = Path(args.check)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            print(f"{path} is out of sync with the rule files; regenerate it with: {COMMAND}",
                  file=sys.stderr)
            return 1
        return 0
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="\n")
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
