"""The ``figures`` command line."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from .errors import FiguresError
from .settings import Settings

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def _settings(workers: int, max_bytes: int | None, doc_timeout: float | None,
              fallback: str | None, excel_safe: bool = False) -> Settings:
    kw: dict = {"workers": workers, "excel_safe": excel_safe}
    if max_bytes is not None:
        kw["max_doc_bytes"] = max_bytes
    if doc_timeout is not None:
        kw["doc_timeout"] = doc_timeout
    if fallback:
        kw["fallback_encoding"] = fallback
    try:
        return Settings(**kw)
    except (ValueError, LookupError) as exc:
        raise click.UsageError(str(exc)) from None


_common = [
    click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
                 help="processes working on documents, this one included (0: one per core this "
                      "process may use, a container's CPU limit included)"),
    click.option("--max-bytes", type=click.IntRange(min=1), default=None,
                 help="largest transcript accepted, in bytes"),
    click.option("--doc-timeout", type=click.FloatRange(min=0), default=None,
                 help="time budget of one document in seconds (0: none)"),
    click.option("--fallback-encoding", default=None,
                 help="encoding to try when a file is not UTF-8 (e.g. cp1252); recorded"),
    click.option("--progress/--no-progress", default=None,
                 help="progress bar (default: when stderr is a terminal)"),
    click.option("--excel-safe", is_flag=True, default=False,
                 help="CSV for spreadsheets: text cells starting with = + - @ get a leading "
                      "quote (see extractor.csvsafe; off by default: exact text for pandas)"),
]


def common(f):
    for opt in reversed(_common):
        f = opt(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="figures-extractor")
def cli() -> None:
    """Extract and cross-check financial figures in earnings-call transcripts."""
    # pandas keeps its strings in Arrow arrays; Arrow's default allocator (mimalloc) holds on
    # to freed pages, about 15 MB in a batch's writing process that validates table after
    # table. The system allocator gives them back. A user's own setting wins.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


scheduler_option = click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="run on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786)")


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "out", required=True,
              help="facts file to write: .csv or .parquet (chosen by extension)")
@click.option("--findings", "findings", default=None,
              help="findings file to write: .csv or .parquet")
@click.option("--manifest", "manifest", default=None,
              help="manifest CSV, one row per input (default: <out>.manifest.csv)")
@click.option("--resume", is_flag=True, default=False,
              help="continue an interrupted run with the same inputs and outputs")
@scheduler_option
@common
def extract(paths: tuple[str, ...], out: str, findings: str | None, manifest: str | None,
            resume: bool, scheduler: str | None, workers: int, max_bytes: int | None,
            doc_timeout: float | None, fallback_encoding: str | None,
            progress: bool | None, excel_safe: bool) -> None:
    """Extract every figure of the transcripts under PATHS (files or folders of *.txt, or
    fsspec URLs such as s3://bucket/calls/)."""
    from .batch import run_batch

    settings = _settings(workers, max_bytes, doc_timeout, fallback_encoding, excel_safe)
    with _stopped_by_user("the partial output is kept: run again with --resume to continue"):
        summary = run_batch(paths, out, findings, settings, progress=progress,
                            on_error=lambda msg: click.echo(f"error: {msg}", err=True),
                            manifest=manifest, resume=resume, scheduler=scheduler)
    click.echo(summary.line(), err=True)
    sys.exit(EXIT_INPUT if summary.failed else EXIT_OK)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--report-dir", default=None, help="write a report per document here")
@click.option("--format", "formats", default="md,html,json", show_default=True,
              help="report formats, comma-separated: md, html, json")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error",
              show_default=True, help="exit 1 when a finding at or above this severity exists")
@click.option("--out", "facts_out", default=None, help="also write the facts table here")
@click.option("--findings", "findings_out", default=None, help="also write the findings here")
@click.option("--manifest", "manifest", default=None,
              help="manifest CSV, one row per input (default: <out>.manifest.csv when --out "
                   "is given)")
@click.option("--resume", is_flag=True, default=False,
              help="continue an interrupted run with the same inputs and options (needs "
                   "--out and --findings)")
@scheduler_option
@common
def check(paths: tuple[str, ...], report_dir: str | None, formats: str, fail_on: str,
          facts_out: str | None, findings_out: str | None, manifest: str | None, resume: bool,
          scheduler: str | None, workers: int, max_bytes: int | None,
          doc_timeout: float | None, fallback_encoding: str | None, progress: bool | None,
          excel_safe: bool) -> None:
    """Cross-check the figures of PATHS and write a validation report per document.

    With --scheduler the extraction and the checks run on the Dask cluster; the reports are
    written here, by --workers processes.

    A check with --out and --findings interrupted (Ctrl-C, killed) continues with --resume:
    the documents and reports already written are kept.

    Exit status: 0 clean, 1 a finding at or above --fail-on, 2 usage or input errors."""
    from .checkrun import run_check

    fmts = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = [f for f in fmts if f not in ("md", "html", "json")]
    if bad or not fmts:
        raise click.UsageError(f"--format takes md, html, json (got {formats!r})")
    if resume and not (facts_out and findings_out):
        raise click.UsageError("--resume needs the --out and --findings of the interrupted "
                               "run")
    settings = _settings(workers, max_bytes, doc_timeout, fallback_encoding, excel_safe)
    kept = "run again with --resume to continue" if facts_out and findings_out else \
        "give --out and --findings to make a check that can be resumed"
    with _stopped_by_user(kept):
        summary = run_check(paths, report_dir, fmts, settings, progress=progress,
                            facts_out=facts_out, findings_out=findings_out,
                            scheduler=scheduler, resume=resume, manifest=manifest,
                            on_error=lambda msg: click.echo(f"error: {msg}", err=True))
    click.echo(summary.line() + (f" -> {report_dir}" if report_dir else ""), err=True)
    sys.exit(summary.exit_status(fail_on))


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stopped_by_user(hint: str) -> Iterator[None]:
    """A run that SIGTERM stops as Ctrl-C does (its workers stopped, its partial files kept);
    either ends it with "figures: interrupted; <hint>" and exit status 130."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"figures: interrupted; {hint}", err=True)
        sys.exit(130)


@cli.command("rules")
@click.option("--kind", default=None, help="only recognisers of this kind")
def rules_cmd(kind: str | None) -> None:
    """List every rule and check: id, name, description."""
    from .ruleset import load_rules

    rs = load_rules()
    kinds = sorted({str(e.get("kind")) for e in rs.recognizers})
    if kind is not None and kind not in kinds:
        raise click.UsageError(f"--kind takes one of {', '.join(kinds)} (got {kind!r})")
    for e in rs.recognizers:
        if kind and e.get("kind") != kind:
            continue
        click.echo(f"{e.id:<11} {e.get('name'):<24} {e.description}")
    if kind:
        return
    for m in rs.metrics.values():
        click.echo(f"{'metric':<11} {m.id:<24} {m.description}")
    for e in rs.entries("checks"):
        click.echo(f"{e.id:<11} {e.get('name'):<24} {e.description}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--line", type=int, default=None, help="only figures on this line")
def explain(file: str, line: int | None) -> None:
    """Show, for each figure of FILE, the rule and cues behind its value, metric and period."""
    from .pipeline import process_file

    result = process_file(file)
    for f in result.facts:
        if line is not None and f.line != line:
            continue
        where = f.period or (f"as of {f.as_of}" if f.as_of else "")
        click.echo(f"{f.line}:{result.document.column_of(f.start)} {f.text!r} -> {f.kind} "
                   f"{f.metric} {f.entity}{'/' + f.scope if f.scope else ''} {where}".rstrip())
        for step in f.explain:
            click.echo(f"    {step}")


@cli.command()
@click.argument("facts_csv", type=click.Path(exists=True, dir_okay=False))
@click.argument("annotation", type=click.Path(exists=True, dir_okay=False))
@click.option("--texts", "texts_dir", required=True, type=click.Path(exists=True,
              file_okay=False), help="folder of the annotated transcripts")
@click.option("--verbose", "-v", is_flag=True, help="list every miss")
def score(facts_csv: str, annotation: str, texts_dir: str, verbose: bool) -> None:
    """Score a facts CSV against a reviewed annotation (seeds-expected/v1 format)."""
    from .annotation import load_annotation
    from .annotation import score as do_score
    from .batch import read_facts
    from .documents import decode

    ann = load_annotation(annotation)
    texts = {}
    for p in sorted(Path(texts_dir).glob("*.txt")):
        texts[p.stem] = decode(p.read_bytes(), str(p))[0]
    sc = do_score(read_facts(facts_csv), ann, texts)
    click.echo(sc.summary())
    if verbose:
        for m in sc.misses:
            click.echo(f"  {m}")
        for e in sc.extra:
            click.echo(f"  extra: {e}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors are one line on stderr and exit status 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="figures", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("figures: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_INPUT)
    except FiguresError as exc:
        click.echo(f"figures: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        click.echo("figures: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        os._exit(0)
    except OSError as exc:  # the machine, not the engine: a full disk, a folder made read-only
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"figures: {where}{exc.strerror or exc}", err=True)
        sys.exit(EXIT_INPUT)


if __name__ == "__main__":
    main()
