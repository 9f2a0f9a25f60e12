"""Every example of every rule file, run by one generic test (ids like MONEY-003[2]).

Recognisers and metrics: each `match` example goes through the whole pipeline and must yield a
fact with the given text (and value, unit, metric, horizon when given) from that rule; each
`no_match` example must yield no fact of that rule's kind. Cue, period, scope, layout and
metadata entries: each `match` example must match the entry's pattern, each `no_match` must not
(a metadata entry with a `lines` filter: searched through it too).
Known gaps are data: an example under `xfail` with a `reason` is expected to fail.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractor.pipeline import process_text
from extractor.ruleset import load_rules

RS = load_rules()


def _cases():
    for e in RS.recognizers:
        ex = e.get("examples") or {}
        for i, item in enumerate(ex.get("match") or []):
            yield pytest.param("recognizer", e, item, True, id=f"{e.id}[{i}]")
        for i, item in enumerate(ex.get("no_match") or []):
            yield pytest.param("recognizer", e, item, False, id=f"{e.id}[no{i}]")
        for i, item in enumerate(ex.get("xfail") or []):
            yield pytest.param("recognizer", e, item, True, id=f"{e.id}[xfail{i}]",
                               marks=pytest.mark.xfail(reason=item.get("reason", "known gap"),
                                                       strict=True))
    for m in RS.metrics.values():
        for i, item in enumerate(m.examples):
            yield pytest.param("metric", m, item, True, id=f"metric:{m.id}[{i}]")
    metadata = [e for group in RS.metadata.values() for e in group]
    for section, entries in [*RS.sections.items(), ("metadata", metadata)]:
        if section in ("rules", "checks"):
            continue
        for e in entries:
            ex = e.get("examples") or {}
            if isinstance(ex, list):
                ex = {"match": ex}
            for i, item in enumerate(ex.get("match") or []):
                yield pytest.param("pattern", e, item, True, id=f"{e.id}[{i}]")
            for i, item in enumerate(ex.get("no_match") or []):
                yield pytest.param("pattern", e, item, False, id=f"{e.id}[no{i}]")


@pytest.mark.parametrize(("what", "entry", "item", "should"), list(_cases()))
def test_rule_example(what: str, entry, item, should: bool) -> None:
    if what == "pattern":
        text = item if isinstance(item, str) else item["text"]
        found = entry.regex.search(text) is not None
        assert found == should, f"{entry.id}: {'no match' if should else 'unexpected match'} in {text!r}"
        if entry.get("_lines") is not None:  # a metadata entry's line filter: the same answer
            from extractor.documents import _search_entry

            assert (_search_entry(entry, text) is not None) == should, entry.id
        return
    text = item if isinstance(item, str) else item["text"]
    facts = process_text(text, "example").facts
    if what == "recognizer" and not should:
        hits = [f for f in facts if f.kind == entry.get("kind")]
        assert not hits, f"{entry.id}: unexpected {[(f.text, f.rule_id) for f in hits]} in {text!r}"
        return
    rule_id = entry.id if what == "recognizer" else None
    cands = [f for f in facts if f.text == item["fig"]]
    assert cands, (f"{entry.id}: no match for {item['fig']!r} in {text!r}; found "
                   f"{[(f.text, f.rule_id) for f in facts]}")
    f = cands[0]
    if rule_id:
        assert f.rule_id == rule_id, f"{entry.id}: {item['fig']!r} came from {f.rule_id}"
    if "value" in item:
        assert f.value == Decimal(item["value"]), f"{entry.id}: value {f.value} != {item['value']}"
    if "unit" in item:
        assert f.unit == item["unit"], f"{entry.id}: unit {f.unit} != {item['unit']}"
    if "metric" in item:
        assert f.metric == item["metric"], f"{entry.id}: metric {f.metric} != {item['metric']}"
    for key in ("horizon_start", "horizon_end"):
        if key in item:
            got = getattr(f, key)
            assert (got.isoformat() if got else "") == item[key], f"{entry.id}: {key} {got}"
