"""Rule files are untrusted input: a bad one stops the load with file, rule id and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extractor.errors import RuleFileError
from extractor.ruleset import default_rules_dir, load_rules


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), dst, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _load_error(d: Path) -> str:
    load_rules.cache_clear()
    with pytest.raises(RuleFileError) as info:
        load_rules(str(d))
    load_rules.cache_clear()
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_unknown_key(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", "    name: code_amount\n", "    name: code_amount\n    pattren: x\n")
    assert _load_error(rules_copy) == "money.yaml: rule MONEY-002: key 'pattren': unknown key"


def test_duplicate_id(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", "  - id: MONEY-002", "  - id: MONEY-001")
    assert _load_error(rules_copy).startswith("money.yaml: rule MONEY-001: key 'id': duplicate id")


def test_undefined_fragment(rules_copy: Path) -> None:
    _edit(rules_copy / "per_share.yaml", "{per_share}\n      )", "{per_shares}\n      )")
    assert _load_error(rules_copy) == ("per_share.yaml: rule PS-001: key 'pattern': "
                                       "undefined fragment {per_shares}")


def test_regex_that_does_not_compile(rules_copy: Path) -> None:
    _edit(rules_copy / "percent.yaml", "(?P<fig>\n        (?P<num>{signed_number})",
          "(?P<fig>\n        (?P<num>{signed_number}")
    msg = _load_error(rules_copy)
    assert msg.startswith("percent.yaml: rule PCT-001: key 'pattern': regex does not compile")


def test_missing_required_key(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", "    kind: money\n    range: true\n    description: A range \"between",
          "    range: true\n    description: A range \"between")
    assert _load_error(rules_copy) == "money.yaml: rule MONEY-004: key 'kind': missing required key"


def test_invalid_yaml(rules_copy: Path) -> None:
    (rules_copy / "broken.yaml").write_text("rules: [\n  - id: X\n", encoding="utf-8")
    assert _load_error(rules_copy).startswith("broken.yaml: invalid YAML at line")


def test_unknown_section(rules_copy: Path) -> None:
    (rules_copy / "extra.yaml").write_text("version: 1\nmoney_rules: []\n", encoding="utf-8")
    assert _load_error(rules_copy) == "extra.yaml: key 'money_rules': unknown section"


def test_recogniser_needs_examples(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", """      no_match:
        - "The USD strengthened against the EUR in the quarter."
""", "")
    _edit(rules_copy / "money.yaml", """    examples:
      match:
        - {text: "Orders totalled USD 340 million.", fig: "USD 340 million", value: "340000000", unit: USD}
        - {text: "The grant was EUR 12.3m in total.", fig: "EUR 12.3m", value: "12300000", unit: EUR}
        - {text: "Free cash flow was GBP 6.2 million.", fig: "GBP 6.2 million", value: "6200000", unit: GBP}
""", "")
    assert _load_error(rules_copy) == ("money.yaml: rule MONEY-002: key 'examples': a recogniser "
                                       "needs examples with at least one match")


def test_yaml_is_loaded_safely(rules_copy: Path) -> None:
    (rules_copy / "evil.yaml").write_text("version: !!python/object/apply:os.system ['echo hi']\n",
                                          encoding="utf-8")
    assert "invalid YAML" in _load_error(rules_copy)


def test_missing_rules_directory(tmp_path: Path) -> None:
    assert _load_error(tmp_path / "nope") == f"{tmp_path / 'nope'}: rules directory not found"


def test_keywords_that_miss_a_match_example(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", "    keywords: [between]", "    keywords: [betwixt]")
    assert _load_error(rules_copy) == (
        "money.yaml: rule MONEY-004: key 'keywords': match example 'We expect revenue between "
        "$410 and $425 million.' contains none of the keywords")


def test_keywords_must_be_strings(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", "    keywords: [between]", "    keywords: [between, '']")
    assert _load_error(rules_copy) == ("money.yaml: rule MONEY-004: key 'keywords': must be a "
                                       "non-empty list of non-empty strings")


def test_a_lines_filter_that_misses_a_match_example(rules_copy: Path) -> None:
    _edit(rules_copy / "layout.yaml", "      lines: '{year},?\\ (?:at\\ )?[0-9]'",
          "      lines: '{year}\\ [0-9]'")
    assert _load_error(rules_copy) == (
        "layout.yaml: rule META-031: key 'lines': match example '24 July 2025, 09:00 BST' holds "
        "no match of 'lines'")


def test_a_lines_filter_that_does_not_compile(rules_copy: Path) -> None:
    _edit(rules_copy / "layout.yaml", "      lines: '\\('", "      lines: '(('")
    error = _load_error(rules_copy)
    assert error.startswith("layout.yaml: rule META-001: key 'lines': "), error
    assert "\n" not in error


def test_metadata_lines_filters_give_the_first_match_of_a_plain_search() -> None:
    """The header searches through a ``lines`` filter find what a search of the whole text
    finds, on headers where the first line that holds the filter's match does not hold the
    entry's (so that the search goes on), and where no line does."""
    from extractor.documents import _search_entry
    from extractor.ruleset import load_rules

    rs = load_rules()
    (ticker,) = rs.metadata["company_ticker"]
    (date, _) = rs.metadata["call_date"]
    head = ("Acme Robotics (the company) reports\n"
            "Acme Robotics Inc. (NASDAQ:ACME) Q3 2024 Earnings Call\n"
            "Revenue grew in 2024 8 percent\n"
            "October 24, 2024 5:00 PM ET\n"
            "Globex (NYSE:GBX) on October 25, 2024 at 9 a.m.\n")
    m = _search_entry(ticker, head)
    assert (m.start(), m["company"], m["exchange"], m["ticker"]) == (
        36, "Acme Robotics Inc.", "NASDAQ", "ACME")
    assert m.span() == ticker.regex.search(head).span()
    m = _search_entry(date, head)
    assert (m.start(), m["date"]) == (head.index("October 24"), "October 24, 2024")
    assert m.span() == date.regex.search(head).span()
    later = head.replace("5:00 PM ET", "")  # the filter's first line fails, the last holds it
    m = _search_entry(date, later)
    assert (m.start(), m["date"]) == (later.index("October 25"), "October 25, 2024")
    assert m.span() == date.regex.search(later).span()
    no_time = "Acme Robotics Inc. (NASDAQ:ACME)\nOctober 24, 2024\nin 2024 8 times\n"
    assert _search_entry(date, no_time) is None is date.regex.search(no_time)


def test_one_compile_per_rules_folder_however_it_is_named(rules_copy: Path) -> None:
    from extractor.checks.base import context

    load_rules.cache_clear()
    context.cache_clear()
    rs = load_rules()
    assert load_rules(None) is rs and load_rules(default_rules_dir()) is rs
    assert context().rs is rs  # the checks use the batch's rule set, not a second compile
    assert load_rules(rules_copy) is load_rules(str(rules_copy)) is not rs
