"""Validation reports: per document (Markdown, HTML, JSON) and a corpus summary.

::

    from extractor.report import write_reports, write_corpus_summary
    paths = write_reports(document, facts, findings, "out/reports")   # list[Path]
    path = write_corpus_summary([(doc_id, facts), ...], findings, "out/reports")

A document's reports are ``<out_dir>/<doc_id>.md``, ``.html`` and ``.json``; the corpus summary
is ``<out_dir>/index.md``, ``.html`` and ``.json`` (``corpus-index.*`` when a document is
itself called ``index``). Output is deterministic: no timestamps, no absolute paths, sorted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..documents import Document
from .corpus import CorpusSummary
from .htmlpage import render_html
from .jsondoc import render_json
from .markdown import render_markdown
from .model import Report, build_report, report_name

if TYPE_CHECKING:  # pandas is imported where a table is read, not by the renderers
    import pandas as pd

FORMATS: tuple[str, ...] = ("md", "html", "json")

__all__ = ["FORMATS", "CorpusSummary", "Report", "build_report", "render_html", "render_json",
           "render_markdown", "report_formats", "report_name", "report_paths",
           "write_corpus_summary",
           "write_report", "write_reports", "write_summary"]


def report_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """``formats`` checked and normalised (lower case, no dot, each once)."""
    if isinstance(formats, str):
        formats = (formats,)
    out = tuple(dict.fromkeys(f.lower().lstrip(".") for f in formats))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ValueError(f"unknown report format(s) {bad or list(formats)}: choose from "
                         f"{', '.join(FORMATS)}")
    return out


def _write(path: Path, text: str | Iterable[str]) -> Path:
    """Write ``text`` (UTF-8, LF; a string or its pieces) under a temporary name, then rename
    it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_reports(document: Document, facts: pd.DataFrame | None,
                  findings: pd.DataFrame | None, out_dir: str | os.PathLike,
                  formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write the reports of ``document`` into ``out_dir``; return their paths (in the order of
    ``formats``).

    ``facts`` is a facts table (it may hold other documents' rows, which are used to quote the
    evidence of cross-document findings); ``findings`` a findings table (it may hold the whole
    corpus's findings: those of this document and those citing its facts are reported).
    """
    return write_report(build_report(document, facts, findings), out_dir, formats)


def write_report(report: Report, out_dir: str | os.PathLike,
                 formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write a built :class:`Report` in each of ``formats``; return the paths."""
    render = {"md": render_markdown, "html": render_html, "json": render_json}
    return [_write(path, render[path.suffix[1:]](report))
            for path in report_paths(report.doc_id, out_dir, formats)]


def report_paths(doc_id: str, out_dir: str | os.PathLike,
                 formats: Sequence[str] = FORMATS) -> list[Path]:
    """Where :func:`write_report` writes the reports of ``doc_id`` (in the order of
    ``formats``)."""
    stem = report_name(doc_id)
    return [Path(out_dir) / f"{stem}.{ext}" for ext in report_formats(formats)]


def write_corpus_summary(docs: Sequence[tuple[str, pd.DataFrame]],
                         findings_all: pd.DataFrame | None, out_dir: str | os.PathLike,
                         formats: Sequence[str] = FORMATS) -> Path:
    """Write the corpus summary (per-document counts, cross-document findings, input errors)
    in each of ``formats``; return the path of the first format's file."""
    fmts = report_formats(formats)
    summary = CorpusSummary.from_tables(docs, findings_all, fmts)
    try:
        return write_summary(summary, out_dir)
    finally:
        summary.store.close()


def write_summary(summary: CorpusSummary, out_dir: str | os.PathLike) -> Path:
    """Write a built :class:`CorpusSummary` in each of its formats; return the first path."""
    stem = summary.stem()
    render = {"md": summary.markdown, "html": summary.html, "json": summary.json_chunks}
    paths = [_write(Path(out_dir) / f"{stem}.{ext}", render[ext]())
             for ext in report_formats(summary.formats)]
    return paths[0]
