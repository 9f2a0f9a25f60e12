"""Bad input gets a one-line error naming the file and the problem; in a batch it becomes an
error row while every other document is still processed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extractor.batch import read_facts, run_batch
from extractor.documents import decode, read_document
from extractor.errors import InputFileError
from extractor.settings import Settings

GOOD = "Jane Roe - CFO\nRevenue was $12.5 million in the third quarter of 2024.\n"


DEFAULT = Settings()


def _err(path: Path, settings: Settings = DEFAULT) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        read_document(path, settings)
    assert "\n" not in str(info.value)
    return info.value


def test_binary_file(tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    e = _err(p)
    assert (e.code, str(e)) == ("binary", f"{p}: binary file (contains NUL bytes), not a text transcript")


def test_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "latin.txt"
    p.write_bytes("Revenue was 12 million euros \u2014 caf\xe9".encode("cp1252"))
    e = _err(p)
    assert e.code == "encoding"
    assert str(e).startswith(f"{p}: not valid UTF-8 (byte 0x97 at offset 29)")


def test_fallback_encoding_is_recorded(tmp_path: Path) -> None:
    p = tmp_path / "latin.txt"
    p.write_bytes("Jane Roe - CFO\nRevenue was \u20ac12.5 million.".encode("cp1252"))
    doc = read_document(p, Settings(fallback_encoding="cp1252"))
    assert doc.metadata.encoding == "cp1252"
    assert "\u20ac12.5 million" in doc.text


def test_empty_and_blank(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    assert str(_err(p)) == f"{p}: empty file"
    p.write_bytes(b"  \n\n\t\n")
    assert str(_err(p)) == f"{p}: empty file (only whitespace)"


def test_missing_and_directory(tmp_path: Path) -> None:
    assert str(_err(tmp_path / "nope.txt")) == f"{tmp_path / 'nope.txt'}: no such file"
    assert str(_err(tmp_path)) == f"{tmp_path}: is a folder with no *.txt transcript in it"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "call.txt").write_text(GOOD, encoding="utf-8")
    assert str(_err(tmp_path)) == f"{tmp_path}: is a directory, not a transcript file"


def test_too_large(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_text(GOOD * 50, encoding="utf-8")
    e = _err(p, Settings(max_doc_bytes=100))
    assert e.code == "too_large" and "bytes > the limit of 100" in str(e)


def test_bom_and_crlf_keep_spans(tmp_path: Path) -> None:
    text, enc = decode(("\ufeff" + GOOD.replace("\n", "\r\n")).encode("utf-8"))
    assert enc == "utf-8" and not text.startswith("\ufeff")
    from extractor import extract_document

    df = extract_document(text, "crlf")
    row = df.iloc[0]
    assert text[row.start:row.end] == row.text == "$12.5 million"
    assert (row.metric, row.period, row.value, row.speaker) == ("revenue", "Q3-2024", "12500000", "Jane Roe (CFO)")


def test_batch_goes_on_and_counts_errors(tmp_path: Path) -> None:
    (tmp_path / "a_good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b_binary.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / "c_empty.txt").write_bytes(b"")
    (tmp_path / "d_latin.txt").write_bytes("caf\xe9 $5 million".encode("latin-1"))
    out, fnd = tmp_path / "o" / "facts.csv", tmp_path / "o" / "findings.csv"
    errors: list[str] = []
    s = run_batch([tmp_path, tmp_path / "missing.txt"], str(out), str(fnd), workers=1,
                  progress=False, on_error=errors.append)
    assert (s.documents, s.processed, s.failed, s.facts) == (5, 1, 4, 1)
    assert len(errors) == 4 and all("\n" not in e for e in errors)
    facts = read_facts(str(out))
    assert list(facts["doc_id"]) == ["a_good"] and facts.loc[0, "value"] == "12500000"
    findings = fnd.read_text(encoding="utf-8")
    for code in ("INPUT-BINARY", "INPUT-EMPTY", "INPUT-ENCODING", "INPUT-MISSING"):
        assert code in findings
    assert not list((tmp_path / "o").glob("*.partial"))


def test_cli_exit_status_and_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x00")
    run = subprocess.run([sys.executable, "-m", "extractor.cli", "extract", str(tmp_path),
                          "--out", str(tmp_path / "f.csv"), "--workers", "1"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[0] == f"error: {tmp_path / 'bad.txt'}: binary file (contains NUL bytes), not a text transcript"
    assert lines[-1].startswith("figures: 2 documents, 1 processed, 1 failed, 1 facts")


def test_cli_bad_rules_dir_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text(GOOD, encoding="utf-8")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "money.yaml").write_text("version: 1\nrules:\n  - id: MONEY-001\n    nmae: x\n", encoding="utf-8")
    import os

    run = subprocess.run([sys.executable, "-m", "extractor.cli", "extract", str(tmp_path / "ok.txt"),
                          "--out", str(tmp_path / "f.csv"), "--workers", "1"],
                         capture_output=True, text=True, check=False,
                         env={**os.environ, "FIGURES_RULES_DIR": str(rules)})
    assert run.returncode == 2
    assert run.stderr.strip() == "figures: money.yaml: rule MONEY-001: key 'nmae': unknown key"


def test_text_with_a_lone_surrogate_is_one_line_error() -> None:
    """Text given through the API that no output can encode is refused before any stage."""
    from extractor import extract_document

    with pytest.raises(InputFileError) as info:
        extract_document("Jane Roe - CFO\nRevenue was $5 million \ud800 in Q3.\n", doc_id="api")
    assert str(info.value) == "api: not valid Unicode text: lone surrogate U+D800 at offset 38"
    assert info.value.code == "encoding"
    ok = extract_document("Jane Roe - CFO\nRevenue was €5 million in Q3 2024.\n", doc_id="eu")
    assert list(ok["text"]) == ["€5 million"]


def _locked(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` cannot be listed, as a folder without read permission (which this test
    cannot make when it runs as root, for whom permissions do not apply)."""
    import os

    scandir = os.scandir

    def refuse(path=".", *args):  # os.scandir also takes a file descriptor
        if not isinstance(path, int) and os.path.abspath(os.fspath(path)) == str(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path, *args)

    monkeypatch.setattr(os, "scandir", refuse)


def test_a_folder_that_cannot_be_listed_is_a_failed_input(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    src = tmp_path / "calls"
    (src / "2019").mkdir(parents=True)
    (src / "2019" / "hidden_call.txt").write_text(GOOD, encoding="utf-8")
    (src / "a_good.txt").write_text(GOOD, encoding="utf-8")
    _locked(monkeypatch, src / "2019")
    out = tmp_path / "o" / "facts.csv"
    errors: list[str] = []
    s = run_batch([src], str(out), str(tmp_path / "o" / "findings.csv"), workers=1,
                  progress=False, on_error=errors.append)
    assert (s.documents, s.processed, s.failed) == (2, 1, 1)
    problem = "cannot list this folder (permission denied): the transcripts in it are not processed"
    assert errors == [f"{src / '2019'}: {problem}"]
    manifest = (tmp_path / "o" / "facts.csv.manifest.csv").read_text(encoding="utf-8")
    assert f"{src / '2019'},{src / '2019'}/,,failed,{problem},0,1" in manifest.splitlines()
    assert "INPUT-UNREADABLE" in (tmp_path / "o" / "findings.csv").read_text(encoding="utf-8")


def test_a_folder_given_as_input_that_cannot_be_listed(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    _locked(monkeypatch, locked)
    err = _err(locked)
    assert str(err) == (f"{locked}: cannot list this folder (permission denied): the "
                        "transcripts in it are not processed")
    assert err.code == "unreadable"


def test_url_of_unknown_size_over_the_limit_is_refused(monkeypatch) -> None:
    """A filesystem that does not report a file's size: the limit holds once it is read."""
    import dataclasses

    fsspec = pytest.importorskip("fsspec")
    from fsspec.implementations.memory import MemoryFileSystem

    from extractor.settings import DEFAULT
    from extractor.sources import read_url

    with fsspec.open("memory://calls/long.txt", "wb") as fh:
        fh.write(b"Revenue was $5 million. " * 10)
    real = MemoryFileSystem.info
    monkeypatch.setattr(MemoryFileSystem, "info",
                        lambda self, path, **kw: {k: v for k, v in real(self, path, **kw).items()
                                                  if k != "size"})
    small = dataclasses.replace(DEFAULT, max_doc_bytes=100)
    with pytest.raises(InputFileError) as info:
        read_url("memory://calls/long.txt", small)
    assert str(info.value) == ("memory://calls/long.txt: file too large (more than the limit "
                               "of 100 bytes; see --max-bytes)")
    assert read_url("memory://calls/long.txt", DEFAULT) == b"Revenue was $5 million. " * 10


def test_a_folder_with_no_transcript_is_a_failed_input(tmp_path: Path) -> None:
    """A wrong folder, or transcripts saved as .md: an error row and exit status 2, not a
    batch of nothing that succeeds."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "call.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "o" / "facts.csv"
    run = subprocess.run([sys.executable, "-m", "extractor.cli", "extract",
                          str(tmp_path / "notes"), str(tmp_path / "good.txt"), "--out", str(out),
                          "--workers", "1"], capture_output=True, text=True, check=False)
    assert run.returncode == 2
    problem = "is a folder with no *.txt transcript in it"
    assert run.stderr.splitlines()[0] == f"error: {tmp_path / 'notes'}: {problem}"
    assert run.stderr.splitlines()[1].startswith("figures: 2 documents, 1 processed, 1 failed, ")
    manifest = (tmp_path / "o" / "facts.csv.manifest.csv").read_text(encoding="utf-8")
    assert f"{tmp_path / 'notes'},{tmp_path / 'notes'}/,,failed,{problem},0,1" in \
        manifest.splitlines()


def test_an_output_path_that_cannot_be_written_fails_before_the_batch(tmp_path: Path) -> None:
    """One line naming the path, exit status 2, nothing written (the batch does not run)."""
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    (tmp_path / "a_folder.csv").mkdir()
    src = tmp_path / "good.txt"
    src.write_text(GOOD, encoding="utf-8")

    def figures(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "extractor.cli", *args, "--workers", "1"],
                              capture_output=True, text=True, check=False)

    cases = [
        (("extract", str(src), "--out", str(blocker / "facts.csv")),
         f"figures: {blocker}: cannot hold the facts file: a file of that name exists, "
         "not a folder"),
        (("extract", str(src), "--out", str(tmp_path / "o.csv"), "--findings",
          str(blocker / "f.csv")),
         f"figures: {blocker}: cannot hold the findings file: a file of that name exists, "
         "not a folder"),
        (("extract", str(src), "--out", str(tmp_path / "a_folder.csv")),
         f"figures: {tmp_path / 'a_folder.csv'}: is a folder; give a file path for the facts "
         "file"),
        (("check", str(src), "--report-dir", str(blocker)),
         f"figures: {blocker}: cannot hold the reports: a file of that name exists, "
         "not a folder"),
    ]
    for args, message in cases:
        run = figures(*args)
        assert (run.returncode, run.stderr) == (2, message + "\n"), args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_folder.csv", "afile", "good.txt"]


def test_an_os_error_while_writing_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture) -> None:
    """The machine failing mid-run (a full disk): one line naming the file, exit status 2."""
    from extractor import cli, sinks

    def full(self, payload: str) -> None:
        raise OSError(28, "No space left on device", f"{self.tmp}")

    monkeypatch.setattr(sinks.CsvSink, "write", full)
    src = tmp_path / "good.txt"
    src.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "facts.csv"
    with pytest.raises(SystemExit) as info:
        cli.main(["extract", str(src), "--out", str(out), "--workers", "1", "--no-progress"])
    assert info.value.code == 2
    assert capsys.readouterr().err == f"figures: {out}.partial: No space left on device\n"
    assert not out.exists()
