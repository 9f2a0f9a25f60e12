"""`figures check --resume`: a check interrupted in its batch or in its reports continues where
it stopped and ends with the files of one clean run, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import EXAMPLES, copied_examples
from extractor import batch, checkrun
from extractor.checkrun import REPORTS_CHECKPOINT, run_check
from extractor.cli import cli
from extractor.errors import FiguresError

FORMATS = ("md", "json")


def _corpus(tmp: Path) -> Path:
    """The examples twice under new names, and an unreadable file after 12 of them."""
    return copied_examples(tmp, 2, "ex06_zz_binary")


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _check(src: Path, out: Path, **kw) -> checkrun.CheckSummary:
    return run_check([str(src)], str(out / "reports"), FORMATS, workers=1, progress=False,
                     facts_out=str(out / "facts.csv"), findings_out=str(out / "findings.csv"),
                     **kw)


def _same(summary: checkrun.CheckSummary, ref: checkrun.CheckSummary, out: Path,
          ref_out: Path) -> bool:
    """The same counts and reports (in the same order) as the clean run's."""
    assert [Path(p).relative_to(out) for p in summary.reports] == \
        [Path(p).relative_to(ref_out) for p in ref.reports]
    assert summary.line() == ref.line() == ("figures check: 17 documents, 16 checked, 1 "
                                            "failed; 24 errors, 14 warnings, 4 info")
    return True


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, checkrun.CheckSummary]:
    tmp = tmp_path_factory.mktemp("clean")
    src = _corpus(tmp)
    summary = _check(src, tmp / "out")
    return src, tmp / "out", summary


def test_a_clean_check_keeps_its_manifest_and_no_checkpoint(clean) -> None:
    _, out, summary = clean
    assert sorted(p.name for p in out.iterdir()) == [
        "facts.csv", "facts.csv.manifest.csv", "findings.csv", "reports"]
    manifest = (out / "facts.csv.manifest.csv").read_text(encoding="utf-8").splitlines()
    assert len(manifest) == 1 + 17  # a row per input
    assert (summary.documents, summary.processed, summary.failed) == (17, 16, 1)
    # the 16 readable documents get a md and a json report each, the summary two more
    assert len(list((out / "reports").iterdir())) == 16 * 2 + 2


def test_interrupted_in_the_batch_resumes_to_the_bytes_of_a_clean_run(
        clean, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, ref, ref_summary = clean
    monkeypatch.setattr(batch, "CHECKPOINT_SECONDS", 0.0)  # a checkpoint after every chunk
    out = tmp_path / "out"

    def interrupt(msg: str) -> None:  # the unreadable file comes after 12 documents
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _check(src, out, on_error=interrupt)
    assert (out / "facts.csv.checkpoint.json").exists()
    assert not (out / "facts.csv").exists() and not (out / f"facts.csv{REPORTS_CHECKPOINT}"
                                                     ).exists()

    resumed = []
    real = checkrun.run_batch

    def spy(*args, **kw):
        s = real(*args, **kw)
        resumed.append((kw["resume"], s.resumed))
        return s

    monkeypatch.setattr(checkrun, "run_batch", spy)
    summary = _check(src, out, resume=True)
    # the 8 documents of the last checkpoint (at the end of a group of 4 one-document chunks)
    # before the interrupt are not redone
    assert resumed == [(True, 8)]
    assert _same(summary, ref_summary, out, ref)
    assert _files(out) == _files(ref)


def test_interrupted_in_the_reports_keeps_the_batch_and_the_reports_written(
        clean, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, ref, ref_summary = clean
    monkeypatch.setattr(batch, "CHECKPOINT_SECONDS", 0.0)
    monkeypatch.setattr(checkrun, "REPORT_CHUNK", 2)
    real_write, docs_written, interrupted = checkrun._write_chunk, [], []

    def write_three_chunks(task):
        if len(docs_written) == 6 and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        docs_written.extend(doc_id for _, doc_id, _, _ in task[0])
        return real_write(task)

    monkeypatch.setattr(checkrun, "_write_chunk", write_three_chunks)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        _check(src, out)
    assert (out / "facts.csv").read_bytes() == (ref / "facts.csv").read_bytes()
    assert (out / f"facts.csv{REPORTS_CHECKPOINT}").exists()
    assert len(list((out / "reports").iterdir())) == 6 * 2  # no summary yet

    def no_batch(*args, **kw):
        raise AssertionError("the batch is complete: not run again")

    monkeypatch.setattr(checkrun, "run_batch", no_batch)
    before = list(docs_written)
    summary = _check(src, out, resume=True)
    assert docs_written[:6] == before
    assert len(docs_written) == 16 and sorted(docs_written) == sorted(set(docs_written))
    assert _same(summary, ref_summary, out, ref)
    assert _files(out) == _files(ref)
    assert not (out / f"facts.csv{REPORTS_CHECKPOINT}").exists()


def test_resume_refuses_findings_changed_since_the_interrupted_reports(
        clean, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, _, _ = clean
    monkeypatch.setattr(checkrun, "REPORT_CHUNK", 2)

    def interrupt(task):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkrun, "_write_chunk", interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        _check(src, out)
    with (out / "findings.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    cp = out / f"facts.csv{REPORTS_CHECKPOINT}"
    with pytest.raises(FiguresError, match=r"^.*facts\.csv\.reports\.checkpoint\.json: the "
                       r"inputs, outputs, facts, findings, report options, settings, rules "
                       r"or engine changed since the interrupted run; run without --resume$"):
        _check(src, out, resume=True)
    assert cp.exists()


def test_cli_resume_needs_out_and_findings(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["check", str(EXAMPLES), "--resume", "--out",
                                   str(tmp_path / "f.csv")])
    assert res.exit_code == 2
    assert res.output.splitlines()[-1] == ("Error: --resume needs the --out and --findings "
                                           "of the interrupted run")
    assert not (tmp_path / "f.csv").exists()


@pytest.mark.parametrize(("args", "hint"), [
    (["--out", "f.csv", "--findings", "g.csv"], "run again with --resume to continue"),
    (["--out", "f.csv"], "give --out and --findings to make a check that can be resumed"),
])
def test_cli_interrupted_check_says_how_to_go_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 args: list[str], hint: str) -> None:
    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkrun, "run_check", interrupted)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["check", str(EXAMPLES), *args])
    assert res.exit_code == 130
    assert res.output.splitlines()[-1] == f"figures: interrupted; {hint}"
