"""Bounded time: a catastrophic rule is refused at load; a document that overruns its budget
becomes a one-line DocumentTimeout naming the rule (or stage) that ran long; a batch goes on.

Every limit here is the engine's own (``Settings.regex_timeout``, ``Settings.doc_timeout``,
the rule probes): no test measures time itself."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractor import guard
from extractor.batch import run_batch
from extractor.errors import DocumentTimeout, RuleFileError
from extractor.pipeline import process_text
from extractor.ruleset import default_rules_dir, load_rules
from extractor.settings import Settings

# A recogniser that is linear on a sentence and quadratic on a long run of words: at every
# letter its lookahead scans the rest of the run for three digits. It passes the load-time
# probes (a 1,000-character probe costs it a millisecond) and stalls on a 240,000-character
# line (about 30 s): the case the per-search timeout and the document budget are for. The
# limits below leave the legitimate searches of that document (under 0.1 s each, 0.12 s to
# parse it) a margin of ten times and more.
SLOW_RULE = r"""
  - id: MONEY-099
    name: slow_lookahead
    kind: money
    description: Test rule, quadratic on long runs of words.
    pattern: '(?=[a-z\ ]*[0-9]{3})(?P<fig>[a-z]+\ (?P<num>[0-9]{3}))'
    examples:
      match:
        - {text: "abc 123", fig: "abc 123", value: "123", unit: USD}
"""
PROBE_TAIL = "!\"#$%&'*+,-./:;<=>?@\\^_`|~"
LONG_LINE = "Jane Roe - CFO\nRevenue was $5 million. " + "lorem ipsum " * 20_000 + "\n"


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Iterator[Path]:
    dst = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), dst, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    load_rules.cache_clear()
    yield dst
    load_rules.cache_clear()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _load_error(d: Path) -> str:
    load_rules.cache_clear()
    with pytest.raises(RuleFileError) as info:
        load_rules(str(d))
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# -- rule files: catastrophic patterns are refused at load ---------------------------------
def test_catastrophic_recogniser_is_refused(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", "(?<![\\w])\n      (?P<fig>\n        (?P<code>",
          "(?<![\\w])\n      (?: (?:\\w+\\s?)+ \\# )?\n      (?P<fig>\n        (?P<code>")
    assert _load_error(rules_copy) == (
        f"money.yaml: rule MONEY-002: key 'pattern': catastrophic backtracking on probe "
        f"'a' * 40 + {PROBE_TAIL!r} + ' ' + the rule's examples (no result within 1 s); "
        "rewrite the pattern without nested or overlapping repeats")


def test_exponential_cue_is_refused(rules_copy: Path) -> None:
    _edit(rules_copy / "cues.yaml", "pattern: '(?:up\\ to|", "pattern: '(?:(?:a|a)+$|up\\ to|")
    msg = _load_error(rules_copy)
    assert msg.startswith("cues.yaml: rule QUAL-001: key 'pattern': catastrophic backtracking "
                          "on probe 'a' * 40 + ")


def test_catastrophic_metric_cue_is_refused(rules_copy: Path) -> None:
    _edit(rules_copy / "metrics.yaml", "'net\\ sales'", "'net\\ sales', '(?:[0-9]+,?)+%'")
    msg = _load_error(rules_copy)
    assert msg.startswith("metrics.yaml: rule revenue: key 'cues[2]': catastrophic backtracking "
                          "on probe '1' * 1000 + ")


def test_the_shipped_rules_pass_the_probes() -> None:
    load_rules.cache_clear()
    rs = load_rules()
    assert len(rs.recognizers) >= 16


# -- documents: a rule that runs long ------------------------------------------------------
def test_slow_rule_hits_the_per_search_timeout(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", "\nrules:\n", "\nrules:\n" + SLOW_RULE.lstrip("\n"))
    rs = load_rules(str(rules_copy))
    # on a sentence the rule is fine
    facts = process_text("Jane Roe - CFO\nRevenue was $5 million.\n", "ok", rs, Settings()).facts
    assert [(f.text, f.rule_id) for f in facts] == [("$5 million", "MONEY-001")]
    with pytest.raises(DocumentTimeout) as info:
        process_text(LONG_LINE, "long", rs, Settings(regex_timeout=1.0))
    assert info.value.rule_id == "MONEY-099"
    assert str(info.value) == ("long: a search of rule MONEY-099 ran longer than the "
                               "per-search timeout of 1 s")


def test_slow_rule_hits_the_document_budget(rules_copy: Path) -> None:
    _edit(rules_copy / "money.yaml", "\nrules:\n", "\nrules:\n" + SLOW_RULE.lstrip("\n"))
    rs = load_rules(str(rules_copy))
    with pytest.raises(DocumentTimeout) as info:
        process_text(LONG_LINE, "long", rs, Settings(doc_timeout=3.0, regex_timeout=600))
    assert info.value.rule_id == "MONEY-099"
    assert str(info.value) == ("long: exceeded the time budget of 3 s while running rule "
                               "MONEY-099 (recognize stage)")


def test_batch_turns_a_timeout_into_an_error_row(rules_copy: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _edit(rules_copy / "money.yaml", "\nrules:\n", "\nrules:\n" + SLOW_RULE.lstrip("\n"))
    monkeypatch.setenv("FIGURES_RULES_DIR", str(rules_copy))
    load_rules.cache_clear()
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Jane Roe - CFO\nRevenue was $5 million.\n", encoding="utf-8")
    (src / "b_long.txt").write_text(LONG_LINE, encoding="utf-8")
    (src / "c.txt").write_text("Jane Roe - CFO\nNet loss was $2 million.\n", encoding="utf-8")
    errors: list[str] = []
    out = tmp_path / "o"
    s = run_batch([src], str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
                  progress=False, on_error=errors.append,
                  settings=Settings(doc_timeout=3.0, regex_timeout=600))
    assert (s.documents, s.processed, s.failed, s.facts) == (3, 2, 1, 2)
    assert errors == [f"{src / 'b_long.txt'}: exceeded the time budget of 3 s while running "
                      "rule MONEY-099 (recognize stage)"]
    findings = (out / "findings.csv").read_text(encoding="utf-8")
    assert "INPUT-TIMEOUT" in findings and "MONEY-099" in findings


def test_within_document_checks_run_inside_the_document_budget(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks that overrun what is left of the budget stop with one INPUT-TIMEOUT finding
    naming the checks; the document's facts are kept and the batch goes on."""
    import extractor.checks

    def stuck(result, facts):
        if result.doc_id == "b":
            while True:
                pass
        return []

    monkeypatch.setattr(extractor.checks, "document_findings", stuck)
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        (src / f"{name}.txt").write_text("Jane Roe - CFO\nRevenue was $5 million.\n",
                                         encoding="utf-8")
    out = tmp_path / "o"
    s = run_batch([src], str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
                  progress=False, settings=Settings(doc_timeout=1.0))
    assert (s.documents, s.processed, s.failed, s.facts, s.findings) == (3, 3, 0, 3, 1)
    (row,) = [ln for ln in (out / "findings.csv").read_text(encoding="utf-8").splitlines()
              if ",INPUT-TIMEOUT," in ln]
    assert row.startswith("b,INPUT-TIMEOUT:b,INPUT-TIMEOUT,error,")
    assert (f"{src / 'b.txt'}: the within-document checks stopped: exceeded the time budget "
            "of 1 s in the checks stage") in row


# -- the budget itself ---------------------------------------------------------------------
def test_pure_python_work_is_stopped_at_the_deadline() -> None:
    """Work that runs no regex (a loop in a stage) is stopped by the budget's timer."""
    before = signal.getsignal(signal.SIGALRM)
    money = load_rules().recognizers[0].regex  # loaded before the clock starts
    with pytest.raises(DocumentTimeout) as info, \
            guard.budget("loop", Settings(doc_timeout=0.2)):
        guard.set_stage("attribute")
        guard.search(money, "Revenue was $5 million.", rule="MONEY-001")
        while True:
            pass
    assert str(info.value) == ("loop: exceeded the time budget of 0.2 s in the attribute "
                               "stage (last rule run: MONEY-001)")
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert guard.current().deadline is None  # the budget is closed


def test_budget_checks_are_cooperative_without_a_timer() -> None:
    """In a thread (Dask) there is no SIGALRM: the guarded calls and ticks check the clock."""
    with pytest.raises(DocumentTimeout) as info, \
            guard.budget("coop", Settings(doc_timeout=0.05), hard=False) as b:
        guard.set_stage("documents")
        while True:
            guard.tick()
    assert b.active is False
    assert str(info.value) == "coop: exceeded the time budget of 0.05 s in the documents stage"


def test_budgets_nest_and_restore_an_outer_timer() -> None:
    old = signal.signal(signal.SIGALRM, lambda *_: None)
    signal.setitimer(signal.ITIMER_REAL, 100.0)
    try:
        with guard.budget("outer", Settings(doc_timeout=30)) as outer:
            with guard.budget("inner", Settings(doc_timeout=1)) as inner:
                assert inner is outer  # a document's stages share its budget
            assert guard.current() is outer
        remaining, _interval = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 100.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_a_disabled_budget_still_bounds_each_search() -> None:
    import regex

    slow = regex.compile(r"(?=[a-z\ ]*[0-9]{3})[a-z]+\ [0-9]")
    with pytest.raises(DocumentTimeout) as info, \
            guard.budget("nobudget", Settings(doc_timeout=0, regex_timeout=0.1)):
        list(guard.finditer(slow, "lorem ipsum " * 20_000, rule="X-1"))
    assert str(info.value) == "nobudget: a search of rule X-1 ran longer than the per-search " \
        "timeout of 0.1 s"


def test_a_timeout_survives_pickling() -> None:
    """A worker process (or a Dask task) may hand the error to its parent."""
    import pickle

    err = guard.BudgetExceeded("b_long", 60.0, "MONEY-099", "recognize")
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.rule_id, back.stage) == (
        guard.BudgetExceeded,
        "b_long: exceeded the time budget of 60 s while running rule MONEY-099 (recognize stage)",
        "MONEY-099", "recognize")
