"""Hostile and pathological transcripts: each finishes within the engine's default budgets
(``Settings()``: a document that overran its budget would raise DocumentTimeout and fail the
test), never crashes, and yields exactly the figures a reader sees in it."""

from __future__ import annotations

import contextlib
import os
import tracemalloc
from pathlib import Path

import pytest

from extractor import extract_document
from extractor.batch import run_batch
from extractor.documents import decode, parse, read_bytes, read_document, read_text
from extractor.errors import InputFileError
from extractor.pipeline import process_file, process_text
from extractor.settings import Settings

BUDGET = Settings()  # the defaults: 60 s a document, 5 s a search (a MB), 20 MiB a file
HEAD = "Jane Roe - CFO\n"


def _facts(text: str, doc_id: str = "hostile") -> list[tuple[str, str, int, int, str, int]]:
    """(text, value, start, end, unit, line) of every fact, checking each span."""
    df = extract_document(text, doc_id, settings=BUDGET)
    rows = []
    for r in df.itertuples():
        assert text[r.start:r.end] == r.text
        rows.append((r.text, r.value, r.start, r.end, r.unit, r.line))
    return rows


def _filler_line(size: int) -> str:
    """One line of ``size`` characters: prose without figures, three figures in it."""
    prose = "The team reviewed the outlook and the pipeline with the board in detail. "
    body = prose * (size // len(prose) // 2)
    return ("Revenue was $12.5 million in the quarter. " + body + "Net loss was $3.4 million. "
            + body + "Cash was EUR 1\u202f234.5 million.")


def _check_filler(text: str) -> None:
    mid = text.index("$3.4 million")
    end = text.index("EUR 1\u202f234.5 million")
    assert _facts(text) == [
        ("$12.5 million", "12500000", 12, 25, "USD", 1),
        ("$3.4 million", "3400000", mid, mid + 12, "USD", 1),
        ("EUR 1\u202f234.5 million", "1234500000", end, end + 19, "EUR", 1)]


def test_two_megabyte_single_line() -> None:
    _check_filler(_filler_line(2_000_000))


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("FIGURES_HEAVY"),
                    reason="heavy (about 25 s): `make fuzz` (FIGURES_HEAVY=1)")
def test_twenty_megabyte_single_line() -> None:
    text = _filler_line(20_000_000)
    assert len(text.encode("utf-8")) < BUDGET.max_doc_bytes
    _check_filler(text)


def test_dollar_comma_repeated() -> None:
    # "$1,$1,...": a comma glued to the next dollar sign makes those not figures; the first is
    text = HEAD + "Revenue was $5 million. " + "$1," * 100_000 + "\nNet loss was $2.1 million.\n"
    last = text.index("$2.1 million")
    assert _facts(text) == [("$5 million", "5000000", 27, 37, "USD", 2),
                            ("$1", "1", 39, 41, "USD", 2),
                            ("$2.1 million", "2100000", last, last + 12, "USD", 3)]
    assert _facts("$1, " * 4) == [("$1", "1", k, k + 2, "USD", 1) for k in (0, 4, 8, 12)]


def test_a_million_dollar_signs() -> None:
    text = "$" * 1_000_000 + " Revenue was $7 million."
    assert _facts(text) == [("$7 million", "7000000", 1_000_013, 1_000_023, "USD", 1)]


def test_a_million_one_commas() -> None:
    text = "1," * 1_000_000 + " Revenue was $7 million."
    assert _facts(text) == [("$7 million", "7000000", 2_000_013, 2_000_023, "USD", 1)]


def test_very_long_speaker_names() -> None:
    text = "Jane " + "Roe" * 50_000 + " - CFO\nRevenue was $5 million.\n"
    assert _facts(text) == [("$5 million", "5000000", 150_024, 150_034, "USD", 2)]
    text = "A" * 300_000 + ": Revenue was $5 million.\n"
    assert _facts(text) == [("$5 million", "5000000", 300_014, 300_024, "USD", 1)]


def test_millions_of_blank_lines() -> None:
    text = HEAD + "\n" * 2_000_000 + "Revenue was $5 million.\n\n\nNet loss was $1.2 million.\n"
    first = text.index("$5 million")
    last = text.index("$1.2 million")
    assert _facts(text) == [("$5 million", "5000000", first, first + 10, "USD", 2_000_002),
                            ("$1.2 million", "1200000", last, last + 12, "USD", 2_000_005)]
    doc = parse(text, "blank")
    assert len(doc.line_starts) == 2_000_006 and doc.line_of(last) == 2_000_005
    assert [t.speaker for t in doc.turns] == ["Jane Roe (CFO)"]


def test_deeply_nested_brackets() -> None:
    text = "[" * 100_000 + "$5 million" + "]" * 100_000 + "(" * 100_000 + "$6 million" + \
        ")" * 100_000
    # the innermost bracket pair is a transcriber's mark: the figure is uncertain
    assert _facts(text) == [("[$5 million]", "5000000", 99_999, 100_011, "USD", 1),
                            ("$6 million", "6000000", 300_010, 300_020, "USD", 1)]
    df = extract_document(text, "nest", settings=BUDGET)
    assert list(df["uncertain"]) == [True, False]


def test_a_long_run_of_dashes_and_a_spoken_correction() -> None:
    text = "Revenue was $5 million " + "-" * 500_000 + " $6 million -- sorry, $7 million."
    last = text.index("$7 million")
    assert _facts(text) == [("$5 million", "5000000", 12, 22, "USD", 1),
                            ("$7 million", "7000000", last, last + 10, "USD", 1)]


def test_nul_bytes(tmp_path: Path) -> None:
    p = tmp_path / "nul.txt"
    p.write_bytes(b"\x00" * 1_000_000)
    with pytest.raises(InputFileError) as info:
        process_file(p, settings=BUDGET)
    assert info.value.code == "binary"
    # a NUL past the sniffed head is kept as a character and does not break anything
    text = HEAD + "Revenue was $5 million.\n" + "x" * 70_000 + "\x00\nNet loss was $2 million.\n"
    data = text.encode("utf-8")
    assert decode(data)[0] == text
    last = text.index("$2 million")
    assert _facts(text)[-1] == ("$2 million", "2000000", last, last + 10, "USD", 4)


def test_mixed_line_endings() -> None:
    # CRLF and LF end lines; a lone CR does not (lines are counted as editors on Unix do)
    text = HEAD.replace("\n", "\r\n") + "Revenue was $5 million.\rNet loss was $2 million.\n" \
        "Cash was $3 million.\r\n"
    assert _facts(text) == [("$5 million", "5000000", 28, 38, "USD", 2),
                            ("$2 million", "2000000", 53, 63, "USD", 2),
                            ("$3 million", "3000000", 74, 84, "USD", 3)]
    doc = parse(text, "nl")
    assert doc.turns[0].speaker == "Jane Roe (CFO)"


def test_byte_order_mark(tmp_path: Path) -> None:
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbf" + (HEAD + "Revenue was $5 million.\n").encode("utf-8"))
    result = process_file(p, settings=BUDGET)
    text = result.document.text
    assert not text.startswith("\ufeff")
    [f] = result.facts
    assert (f.text, f.start, f.end, text[f.start:f.end]) == ("$5 million", 27, 37, "$5 million")
    p.write_bytes("\ufeff".encode("utf-16-le").join([b"", (HEAD + "Revenue was $5 million.\n")
                                                     .encode("utf-16-le")]))
    assert [(f.text, f.start) for f in process_file(p, settings=BUDGET).facts] == \
        [("$5 million", 27)]


def test_right_to_left_marks() -> None:
    text = HEAD + "\u200fRevenue was \u200f$5 million\u200f.\u202bNet loss was $2 million.\u202c\n"
    assert _facts(text) == [("$5 million", "5000000", 29, 39, "USD", 2),
                            ("$2 million", "2000000", 55, 65, "USD", 2)]


def test_no_break_and_thin_spaces_in_numbers() -> None:
    text = HEAD + "Capex came in at $1\u202f234.5 million and $1\u00a0234.5 million, and " \
        "$1\u2009234.5 million.\n"
    assert _facts(text) == [("$1\u202f234.5 million", "1234500000", 32, 48, "USD", 2),
                            ("$1\u00a0234.5 million", "1234500000", 53, 69, "USD", 2),
                            ("$1\u2009234.5 million", "1234500000", 75, 91, "USD", 2)]
    # a plain space is not a thousands separator: "$1 234.5 million" is "$1" and a number
    assert _facts("Capex was $1 234.5 million.") == [("$1", "1", 10, 12, "USD", 1)]


def test_unicode_digits_are_not_numbers() -> None:
    """Decision: digits are ASCII. Arabic-Indic, Devanagari and full-width digits are not read
    as numbers, so a figure always means what a reader of the ASCII transcript sees."""
    text = HEAD + "Revenue was $\u0661\u0662 million, $\uff11\uff12 million, \u0967\u0968% and " \
        "12\u0663 million euros.\n"
    assert _facts(text) == []
    assert _facts("Revenue was $12 million (\u0661\u0662).") == [
        ("$12 million", "12000000", 12, 23, "USD", 1)]


def test_control_characters_do_not_crash() -> None:
    text = HEAD + "Revenue\x0b was\x0c $5\x1b million.\x07\n\x1f Net loss was $2 million.\n"
    assert _facts(text) == [("$5", "5", 29, 31, "USD", 2), ("$2 million", "2000000", 58, 68, "USD", 3)]


# -- size limits ---------------------------------------------------------------------------
def test_max_bytes_is_configurable(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_text(HEAD + "Revenue was $5 million.\n" * 100, encoding="utf-8")
    size = p.stat().st_size
    with pytest.raises(InputFileError) as info:
        read_document(p, Settings(max_doc_bytes=size - 1))
    assert (info.value.code, str(info.value)) == (
        "too_large", f"{p}: file too large ({size} bytes > the limit of {size - 1}; "
        "see --max-bytes)")
    assert len(read_bytes(p, Settings(max_doc_bytes=size))) == size


def test_max_bytes_holds_for_a_file_that_grows_while_read(tmp_path: Path) -> None:
    """A pipe (or a file still being written) reports a size of 0: reading stops at the limit."""
    import os
    import threading

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as fh, contextlib.suppress(BrokenPipeError):
            fh.write(b"Revenue was $5 million.\n" * 1000)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with pytest.raises(InputFileError) as info:
            read_bytes(fifo, Settings(max_doc_bytes=1000))
    finally:
        writer.join(timeout=10)
    assert info.value.code == "too_large"
    assert str(info.value) == (f"{fifo}: file too large (more than the limit of 1000 bytes; "
                               "see --max-bytes)")


def test_max_bytes_from_the_command_line(tmp_path: Path) -> None:
    from extractor.cli import main

    (tmp_path / "a.txt").write_text(HEAD + "Revenue was $5 million.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text(HEAD + "Revenue was $5 million.\n" * 50, encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["extract", str(tmp_path), "--out", str(tmp_path / "o" / "facts.csv"),
              "--workers", "1", "--max-bytes", "200", "--no-progress"])
    assert info.value.code == 2
    facts = (tmp_path / "o" / "facts.csv").read_text(encoding="utf-8").splitlines()
    assert len(facts) == 2 and facts[1].startswith("a,a:27-37,money,revenue")


def test_a_large_file_is_not_copied_while_read(tmp_path: Path) -> None:
    """Reading and decoding hold the bytes once and then the text once: no third copy."""
    p = tmp_path / "large.txt"
    text = HEAD + ("Revenue was $5 million in the quarter, up from last year. " * 40 + "\n") \
        * 4000
    p.write_text(text, encoding="utf-8")
    size = p.stat().st_size
    assert size > 9_000_000
    tracemalloc.start()
    try:
        got, enc = read_text(p, BUDGET)
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (got == text, enc) == (True, "utf-8")
    assert peak < 2.3 * size  # bytes + str (+ slack), not three copies


def test_batch_with_hostile_files_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a_good.txt").write_text(HEAD + "Revenue was $5 million.\n", encoding="utf-8")
    (src / "b_nul.txt").write_bytes(b"\x00" * 4096)
    (src / "c_blank.txt").write_text("\n" * 100_000, encoding="utf-8")
    (src / "d_brackets.txt").write_text("[" * 50_000 + "$5 million" + "]" * 50_000,
                                        encoding="utf-8")
    (src / "e_bom_crlf.txt").write_bytes(b"\xef\xbb\xbf" + (HEAD + "Net loss was $2 million.\n")
                                         .replace("\n", "\r\n").encode("utf-8"))
    out = tmp_path / "o"
    s = run_batch([src], str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
                  progress=False)
    assert (s.documents, s.processed, s.failed, s.facts) == (5, 3, 2, 3)
    findings = (out / "findings.csv").read_text(encoding="utf-8")
    assert "INPUT-BINARY" in findings and "INPUT-EMPTY" in findings


def test_process_text_budget_is_released() -> None:
    """After a document, no budget or timer is left behind for the next one."""
    import signal

    from extractor import guard

    before = signal.getsignal(signal.SIGALRM)
    process_text(HEAD + "Revenue was $5 million.\n", "x", settings=BUDGET)
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert guard.current().deadline is None


# -- acceptance: a batch with broken documents -------------------------------------------
HEAVY = pytest.mark.skipif(not os.environ.get("FIGURES_HEAVY"),
                           reason="heavy acceptance run: `make fuzz` (FIGURES_HEAVY=1)")
#: the acceptance settings: 4 MB a file, 2 s a document (the examples take ~20 ms each)
ACCEPT = Settings(max_doc_bytes=4_000_000, doc_timeout=2.0)
#: broken kinds -> (how to write one, the reason its error row must give)
BROKEN: dict[str, str] = {
    "binary": "binary file (contains NUL bytes), not a text transcript",
    "nul": "binary file (contains NUL bytes), not a text transcript",
    "latin1": "not valid UTF-8 (byte 0xe9 at offset",
    "truncated": "not valid UTF-8 (byte 0xe2 at offset",
    "empty": "empty file",
    "blank": "empty file (only whitespace)",
    "oversize": "file too large (4000001 bytes > the limit of 4000000; see --max-bytes)",
    "control": "binary file (too many control characters), not a text transcript",
    "dense": "exceeded the time budget of 2 s",
    "missing": "no such file",
}


def _write_broken(path: Path, kind: str) -> None:
    if kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    elif kind == "nul":
        path.write_bytes(b"\x00" * 1_000_000)
    elif kind == "latin1":
        path.write_bytes((HEAD + "Revenue was 12 million euros, caf\xe9.\n").encode("latin-1"))
    elif kind == "truncated":
        path.write_bytes((HEAD + "Revenue was $5 million.\n").encode("utf-8") + b"\xe2\x82")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "blank":
        path.write_bytes(b"\n" * 1_000_000)
    elif kind == "oversize":  # sparse: the size is checked before a byte is read
        with path.open("wb") as fh:
            fh.truncate(ACCEPT.max_doc_bytes + 1)
    elif kind == "control":
        path.write_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 65]) * 5000)
    elif kind == "dense":  # 3.9 MB of figures on one line: far more than 2 s for any engine
        path.write_text("Revenue was $1.5 million, " * 150_000, encoding="utf-8")
    elif kind == "missing":
        pass  # named on the command line, never written
    else:
        raise AssertionError(kind)


def _acceptance(tmp_path: Path, total: int, per_kind: int) -> None:
    from conftest import EXAMPLES

    src = tmp_path / "in"
    src.mkdir()
    examples = sorted(EXAMPLES.glob("*.txt"))
    variants: dict[tuple[str, int], bytes] = {}
    for ex in examples:
        text = ex.read_text(encoding="utf-8")
        variants[(ex.stem, 0)] = text.encode("utf-8")
        variants[(ex.stem, 1)] = text.replace("\n", "\r\n").encode("utf-8")
        variants[(ex.stem, 2)] = b"\xef\xbb\xbf" + text.encode("utf-8")
    expected_facts: dict[tuple[str, int], int] = {}
    for key, data in variants.items():
        p = tmp_path / f"{key[0]}_{key[1]}.txt"
        p.write_bytes(data)
        expected_facts[key] = len(process_file(p, settings=ACCEPT).facts)
    broken = [(kind, k) for kind in BROKEN for k in range(per_kind)]
    good = total - len(broken)
    facts = 0
    for k in range(good):
        key = (examples[k % len(examples)].stem, k % 3)
        (src / f"doc{k:04d}_{key[0]}.txt").write_bytes(variants[key])
        facts += expected_facts[key]
    paths: list[str | Path] = [src]
    bad_paths: dict[str, str] = {}
    for kind, k in broken:
        p = src / f"bad_{kind}_{k}.txt"
        _write_broken(p, kind)
        bad_paths[str(p)] = kind
        if kind == "missing":
            paths.append(p)
    errors: list[str] = []
    out = tmp_path / "out"
    s = run_batch(paths, str(out / "facts.csv"), str(out / "findings.csv"), settings=ACCEPT,
                  workers=2, progress=False, on_error=errors.append)
    assert (s.documents, s.processed, s.failed) == (total, good, len(broken))
    assert s.facts == facts
    # every failure is one line naming its file and the right reason
    assert len(errors) == len(broken)
    by_path = {}
    for e in errors:
        assert "\n" not in e
        path, reason = e.split(": ", 1)
        by_path[path] = reason
    assert set(by_path) == set(bad_paths)
    for path, kind in bad_paths.items():
        assert by_path[path].startswith(BROKEN[kind]), (kind, by_path[path])
    findings = (out / "findings.csv").read_text(encoding="utf-8")
    for code in ("INPUT-BINARY", "INPUT-ENCODING", "INPUT-EMPTY", "INPUT-TOO_LARGE",
                 "INPUT-TIMEOUT", "INPUT-MISSING"):
        assert code in findings
    written = (out / "facts.csv").read_text(encoding="utf-8").count("\n") - 1
    assert written >= facts  # rows; a sentence cell may hold no newline, so equal in practice


def test_batch_of_100_with_10_broken(tmp_path: Path) -> None:
    _acceptance(tmp_path, total=100, per_kind=1)


@pytest.mark.slow
@HEAVY
def test_batch_of_1000_with_50_broken(tmp_path: Path) -> None:
    _acceptance(tmp_path, total=1000, per_kind=5)
