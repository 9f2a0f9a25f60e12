"""Property-based tests (Hypothesis): on arbitrary text and on adversarial transcript-like text
the engine never crashes, every fact is well formed, results are deterministic, independent of
the order of documents, and survive a CSV round trip unchanged.

Profiles: ``ci`` (default, a few dozen examples a property, seconds), ``dev`` and ``fuzz``
(thousands: ``make fuzz``). Choose with ``FIGURES_HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import bisect
import io
import itertools
import os
from decimal import Decimal
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor import csvsafe, guard
from extractor.batch import read_facts, run_batch, to_csv_text
from extractor.documents import _Lines, _lines_in, parse
from extractor.facts import COLUMNS as FACT_COLUMNS
from extractor.pipeline import process_text
from extractor.quantities import is_valid_unit
from extractor.recognize import _Taken
from extractor.ruleset import load_rules
from extractor.settings import Settings

_COMMON = {"deadline": None, "derandomize": False, "print_blob": True,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much]}
settings.register_profile("ci", max_examples=25, **_COMMON)
settings.register_profile("dev", max_examples=200, **_COMMON)
settings.register_profile("fuzz", max_examples=3000, **_COMMON)
PROFILE = settings.get_profile(os.environ.get("FIGURES_HYPOTHESIS_PROFILE", "ci"))
#: properties that run a whole batch per example get a tenth of the budget
BATCH_PROFILE = settings(PROFILE, max_examples=max(3, PROFILE.max_examples // 10))

BUDGET = Settings()

# -- strategies ------------------------------------------------------------------------------
NAMES = ["Jane Roe", "Tom Reyes", "Mary O'Neil-Smith", "André Choulika", "Dr. Wei Zhang",
         "A" * 300]
TITLES = ["CFO", "Chief Executive Officer", "Analyst, Baird", "Baird -- Analyst", "$5 million",
          "Head of Investor Relations", ""]
SPACES = [" ", " ", " ", "\u00a0", "\u2009", "\u202f", "\t", "  "]
BREAKS = ["\n", "\n", "\r\n", "\r", "\n\n", "\n \n", "\u2028"]
CURRENCY = ["$", "US$", "C$", "€", "£", "¥", "USD ", "EUR ", "GBP ", "", "$$"]
SCALES = ["", " million", " billion", "m", "M", "bn", " thousand", "k", " MM", " Million",
          " million euros", " dollars", " cents per share", " per share", " per diluted share",
          "%", " percent", " per cent", "p"]
WORDS = ["revenue", "net loss", "net income", "cash", "was", "were", "of", "compared to",
         "up from", "down", "increased by", "a decrease of", "between", "and", "to", "from",
         "sorry", "--", "—", "–", "-", "(", ")", "[", "]", "[indiscernible]", "[Phonetic]",
         "approximately", "up to", "over", "in the third quarter of 2021", "for fiscal 2025",
         "as of September 30, 2021", "sufficient to fund operations into early 2023",
         "our cash runway extends into the second half of 2024", "for at least the next 12 months",
         "three hundred million dollars", "half a billion dollars", "one-third", "two-thirds",
         "low double-digit royalties", "EPS", "per share", "\u200f", "\u202b", "\ufeff", "Q3",
         "H1", "9M", "FY2024", "Operator", "Read more", "\u0661\u0662", "\uff11\uff12", ".", ",",
         ";", "?", "!", "%", "$", "1,", "0.", "Inc.", "U.S.", "e.g."]


@st.composite
def numbers(draw: st.DrawFn) -> str:
    whole = draw(st.integers(0, 10**13))
    style = draw(st.sampled_from(["plain", "comma", "nbsp", "thin", "narrow", "space"]))
    sep = {"plain": "", "comma": ",", "nbsp": "\u00a0", "thin": "\u2009", "narrow": "\u202f",
           "space": " "}[style]
    digits = f"{whole:,}".replace(",", sep) if sep else str(whole)
    if draw(st.booleans()):
        digits += "." + draw(st.from_regex(r"\A[0-9]{1,4}\Z"))
    if draw(st.integers(0, 9)) == 0:
        digits = draw(st.sampled_from(["-", "+", "\u2212", "(", "."])) + digits
    return digits


@st.composite
def money(draw: st.DrawFn) -> str:
    amount = draw(st.sampled_from(CURRENCY)) + draw(numbers()) + draw(st.sampled_from(SCALES))
    shape = draw(st.integers(0, 6))
    if shape == 0:
        return f"[{amount}]"
    if shape == 1:
        return f"between {amount} and {draw(st.sampled_from(CURRENCY))}{draw(numbers())}" \
            f"{draw(st.sampled_from(SCALES))}"
    if shape == 2:
        return f"{amount} to {draw(st.sampled_from(CURRENCY))}{draw(numbers())}"
    if shape == 3:
        return f"$({draw(numbers())}){draw(st.sampled_from(SCALES))}"
    return amount


@st.composite
def sentences(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(WORDS), money(), numbers()),
                          min_size=1, max_size=25))
    seps = draw(st.lists(st.sampled_from(SPACES), min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps, strict=True)) + \
        draw(st.sampled_from([".", ".", "?", "!", "", "..."]))


@st.composite
def speaker_lines(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    form = draw(st.integers(0, 6))
    if form == 0:
        return f"{name} - {draw(st.sampled_from(TITLES))}"
    if form == 1:
        return f"{name} -- {draw(st.sampled_from(TITLES))}"
    if form == 2:
        return f"{name.upper()}: {draw(sentences())}"
    if form == 3:
        return f"{name}: {draw(sentences())}"
    if form == 4:
        return draw(st.sampled_from(["Operator", "Participants", "Company Participants",
                                     "Questions and Answers", "Prepared Remarks"]))
    if form == 5:
        return f"Speaker {draw(st.integers(0, 999))}: {draw(sentences())}"
    return f"{draw(st.sampled_from(['Q', 'A']))}: {draw(sentences())}"


@st.composite
def transcripts(draw: st.DrawFn) -> str:
    """Transcript-like text: speaker lines, sentences with money phrases, odd breaks."""
    lines = draw(st.lists(st.one_of(speaker_lines(), sentences(), sentences(),
                                    st.just(""), st.just("   ")), min_size=1, max_size=20))
    breaks = draw(st.lists(st.sampled_from(BREAKS), min_size=len(lines), max_size=len(lines)))
    return "".join(line + br for line, br in zip(lines, breaks, strict=True))


@st.composite
def adversarial(draw: st.DrawFn) -> str:
    """Repetitions of the units that break naive patterns: "$1,", "$$", brackets, dashes."""
    unit = draw(st.sampled_from(["$1,", "$", "1,", "[", "(", "-", "--", " ", "\n", "\r\n", "$1 ",
                                 "1.", "1,000,", "[$", "million ", "per share ", "% ", "\u00a0"]))
    reps = draw(st.integers(1, 3000))
    return draw(transcripts()) + unit * reps + draw(transcripts())


ANY_TEXT = st.text(max_size=1500)
HOSTILE = st.one_of(ANY_TEXT, transcripts(), adversarial())


# -- invariants ------------------------------------------------------------------------------
def _check(text: str, doc_id: str = "prop") -> pd.DataFrame:
    """Process ``text`` and check every fact; returns the facts table."""
    result = process_text(text, doc_id, settings=BUDGET)
    doc = result.document
    for f in result.facts:
        assert 0 <= f.start < f.end <= len(text)
        assert f.text == text[f.start:f.end]
        if f.value is not None and f.low is not None and f.high is not None:
            assert f.low <= f.value <= f.high, (f.text, f.low, f.value, f.high)
        if f.low is not None and f.high is not None:
            assert f.low <= f.high
        assert is_valid_unit(f.unit), f.unit
        assert f.line == doc.line_of(f.start)
        assert f.fact_id == f"{doc_id}:{f.start}-{f.end}"
    spans = [(f.start, f.end) for f in result.facts]
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # no overlaps
    return result.table


@PROFILE
@given(HOSTILE)
def test_never_crashes_and_every_fact_is_well_formed(text: str) -> None:
    _check(text)


@PROFILE
@given(transcripts())
def test_deterministic(text: str) -> None:
    assert _check(text).equals(_check(text))


@PROFILE
@given(st.lists(HOSTILE, min_size=2, max_size=4))
def test_independent_of_document_order(texts: list[str]) -> None:
    forward = [_check(t, f"d{k}") for k, t in enumerate(texts)]
    backward = [_check(t, f"d{k}") for k, t in reversed(list(enumerate(texts)))][::-1]
    for a, b in zip(forward, backward, strict=True):
        assert a.equals(b)


@PROFILE
@given(st.one_of(transcripts(), adversarial()))
def test_csv_round_trip_is_identity(text: str) -> None:
    table = _check(text)
    csv_text = to_csv_text(table, FACT_COLUMNS)
    back = read_facts_text(csv_text)
    pd.testing.assert_frame_equal(back, table)
    assert to_csv_text(back, FACT_COLUMNS) == csv_text


def test_csv_round_trip_with_a_lone_carriage_return() -> None:
    """Found by test_csv_round_trip_is_identity: a lone CR (a classic-Mac line break) stays in
    the sentence and speaker cells; sinks.render_csv quotes such a row."""
    text = "Jane Roe - CFO\nRevenue was $5 million.\rNet loss was $2 million.\n"
    table = _check(text)
    assert len(table) == 2
    back = read_facts_text(to_csv_text(table, FACT_COLUMNS))
    pd.testing.assert_frame_equal(back, table)


def read_facts_text(csv_text: str) -> pd.DataFrame:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "facts.csv"
        p.write_text(csv_text, encoding="utf-8", newline="")
        return read_facts(str(p))


@BATCH_PROFILE
@given(st.lists(st.one_of(transcripts(), adversarial()), min_size=2, max_size=4),
       st.randoms(use_true_random=False))
def test_batch_output_independent_of_input_order(texts: list[str], rnd) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "in"
        src.mkdir()
        paths = []
        for k, t in enumerate(texts):
            p = src / f"doc{k}.txt"
            p.write_text(t, encoding="utf-8", newline="")
            paths.append(str(p))
        outs = []
        for name, order in (("a", paths), ("b", rnd.sample(paths, len(paths)))):
            out = Path(d) / name
            run_batch(order, str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
                      progress=False)
            outs.append(((out / "facts.csv").read_bytes(), (out / "findings.csv").read_bytes()))
        assert outs[0] == outs[1]


# -- the engine's own helpers against their plain definitions ----------------------------------
def _lines_reference(text: str) -> list[tuple[int, int]]:
    out, pos, n = [], 0, len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        e = end - 1 if end > pos and text[end - 1] == "\r" else end
        out.append((pos, e))
        if nl < 0:
            break
        pos = nl + 1
    return out


@PROFILE
@given(st.one_of(ANY_TEXT, transcripts(), st.text(alphabet="\n\r \t\u00a0\u2028x", max_size=60)))
def test_lines_match_their_definition(text: str) -> None:
    ref = _lines_reference(text)
    lines = _Lines(text)
    assert list(lines) == ref and len(lines) == len(ref)
    assert [lines[i] for i in range(-len(ref), 0)] == ref
    assert list(lines.nonblank()) == [i for i, (s, e) in enumerate(ref) if text[s:e].strip()]
    spans = sorted({(min(a, b), max(a, b)) for a, b in zip(
        [s for s, _ in ref][::2], [e for _, e in ref][1::2], strict=False)})
    assert _lines_in(spans, lines) == {i for i, (s, _e) in enumerate(ref)
                                       if any(a <= s < b for a, b in spans)}


@PROFILE
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 8)), max_size=40),
       st.lists(st.tuples(st.integers(0, 60), st.integers(0, 8)), max_size=40))
def test_overlap_index_matches_the_plain_test(taken: list[tuple[int, int]],
                                              queries: list[tuple[int, int]]) -> None:
    index = _Taken(80)
    spans = []
    for s, n in taken:
        index.add(s, s + n)
        spans.append((s, s + n))
    for a, n in queries:
        b = a + n
        assert index.overlaps(a, b) == any(s < b and a < e for s, e in spans)


@PROFILE
@given(st.text(alphabet="ab$1, \n", max_size=200), st.integers(0, 50), st.integers(0, 250))
def test_guarded_calls_match_the_regex_module(text: str, pos: int, endpos: int) -> None:
    rs = load_rules()
    for e in rs.recognizers[:6]:
        assert [m.span() for m in guard.finditer(e.regex, text, pos, endpos, rule=e.id)] == \
            [m.span() for m in e.regex.finditer(text, pos, endpos)]
        got = guard.search(e.regex, text, pos, endpos, rule=e.id)
        want = e.regex.search(text, pos, endpos)
        assert (got and got.span()) == (want and want.span())


@PROFILE
@given(transcripts())
def test_document_structure_is_consistent(text: str) -> None:
    doc = parse(text, "s")
    assert doc.line_starts[0] == 0 and list(doc.line_starts) == sorted(doc.line_starts)
    for s in doc.sentences:
        assert 0 <= s.start < s.end <= len(text)
        assert not text[s.start].isspace() and not text[s.end - 1].isspace()
    starts = [t.start for t in doc.turns]
    assert starts == sorted(starts)
    for k, line_start in enumerate(doc.line_starts):
        assert bisect.bisect_right(doc.line_starts, line_start) == k + 1


# -- CSV formula-injection guard -------------------------------------------------------------
CELLS = st.one_of(st.text(max_size=30),
                  st.from_regex(r"\A[=+\-@\t\r'＝＋－＠][^\n]{0,20}\Z"),
                  st.from_regex(r"\A[-+]?[0-9]{1,6}(\.[0-9]{1,3})?%?\Z"))


@PROFILE
@given(CELLS)
def test_excel_safe_cells_round_trip_and_never_start_a_formula(cell: str) -> None:
    safe = csvsafe.escape_cell(cell)
    assert csvsafe.unescape_cell(safe) == cell
    assert not safe or safe[0] not in csvsafe.TRIGGERS or csvsafe.is_plain_number(safe)
    if csvsafe.is_plain_number(cell):
        assert safe == cell  # numbers stay numbers
        Decimal(cell.rstrip("%"))  # and they are numbers


@PROFILE
@given(st.dictionaries(st.sampled_from(FACT_COLUMNS), CELLS, max_size=12))
def test_excel_safe_rows_leave_numeric_columns_alone(row: dict[str, str]) -> None:
    safe = csvsafe.escape_row(row)
    for k, v in row.items():
        if k in csvsafe.NUMERIC_COLUMNS:
            assert safe[k] == v
        else:
            assert safe[k] == csvsafe.escape_cell(v)
    frame = pd.DataFrame([safe], dtype="string")
    restored = csvsafe.unescape_frame(frame)
    assert restored.iloc[0].to_dict() == row if row else True


def test_excel_safe_examples() -> None:
    assert csvsafe.escape_cell('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert csvsafe.escape_cell("@SUM(1+1)*cmd|' /C calc'!A0") == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert csvsafe.escape_cell("+1+cmd") == "'+1+cmd"
    assert csvsafe.escape_cell("-3.4") == "-3.4"
    assert csvsafe.escape_cell("-3.81%") == "-3.81%"
    assert csvsafe.escape_cell("-1+2") == "'-1+2"
    assert csvsafe.escape_cell("'quoted") == "''quoted"
    assert csvsafe.escape_cell("\tTab") == "'\tTab"
    assert csvsafe.escape_cell("Revenue was $5 million") == "Revenue was $5 million"
    row = {"value": "-3400000", "low": "-3450000", "text": "-$3.4 million", "speaker": "=cmd"}
    assert csvsafe.escape_row(row) == {"value": "-3400000", "low": "-3450000",
                                       "text": "'-$3.4 million", "speaker": "'=cmd"}
    cells = ["=1+1", "-3.4", "ok"]
    assert csvsafe.escape_cells(cells, ["speaker", "value", "text"]) == ["'=1+1", "-3.4", "ok"]


def test_excel_safe_csv_reads_back_with_pandas() -> None:
    import csv

    rows = [{"doc_id": "d", "value": "-3.4", "text": "=2+5", "speaker": "@evil"}]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(csvsafe.escape_row(r) for r in rows)
    assert buf.getvalue() == "doc_id,value,text,speaker\nd,-3.4,'=2+5,'@evil\n"
    df = pd.read_csv(io.StringIO(buf.getvalue()), dtype=str, keep_default_na=False)
    assert csvsafe.unescape_frame(df).to_dict("records") == rows


@PROFILE
@given(st.one_of(transcripts(), adversarial(), ANY_TEXT))
def test_recogniser_keywords_find_what_a_full_scan_finds(text: str) -> None:
    """The keyword pre-filter (rules' ``keywords``, recognize.candidate_ranges) is exact."""
    from extractor.recognize import _recognize

    rs = load_rules()
    doc = parse(text, "a", rs)
    with guard.budget("a", BUDGET):
        fast = _recognize(doc, rs, prefilter=True)
        full = _recognize(doc, rs, prefilter=False)
    assert [(m.rule_id, m.start, m.end, str(m.value), m.unit) for m in fast] == \
        [(m.rule_id, m.start, m.end, str(m.value), m.unit) for m in full]
