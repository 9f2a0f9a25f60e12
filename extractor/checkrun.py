"""``figures check``: extract, cross-check and write a validation report per document.

Runs the batch (extraction, within-document checks, schema validation, cross-document checks),
then writes each document's report (Markdown, HTML, JSON) and a corpus summary page. The exit
status follows linters: 0 clean, 1 when a finding at or above ``fail_on`` exists, 2 for usage
or input errors.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .batch import expand_inputs, read_facts, run_batch
from .documents import read_document
from .errors import InputFileError
from .settings import DEFAULT, Settings

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
FAIL_ON = ("error", "warning", "never")


@dataclass
class CheckSummary:
    documents: int = 0
    processed: int = 0
    failed: int = 0
    findings: dict[str, int] = field(default_factory=lambda: {"error": 0, "warning": 0,
                                                                "info": 0})
    reports: list[str] = field(default_factory=list)

    def line(self) -> str:
        f = self.findings
        return (f"figures check: {self.documents} documents, {self.processed} checked, "
                f"{self.failed} failed; {f['error']} errors, {f['warning']} warnings, "
                f"{f['info']} info")

    def exit_status(self, fail_on: str) -> int:
        if self.failed:
            return 2
        if fail_on == "never":
            return 0
        worst = [s for s, n in self.findings.items() if n and not s.startswith("INPUT")]
        threshold = SEVERITY_RANK[fail_on]
        return 1 if any(SEVERITY_RANK[s] >= threshold for s in worst) else 0


def read_findings(path: str) -> pd.DataFrame:
    from .schemas.findings import COLUMNS

    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return df.reindex(columns=COLUMNS).fillna("").astype("string")


def run_check(paths: Iterable[str | os.PathLike], report_dir: str | None,
              formats: Sequence[str] = ("md", "html", "json"), settings: Settings = DEFAULT,
              workers: int | None = None, progress: bool | None = None,
              facts_out: str | None = None, findings_out: str | None = None,
              on_error: Callable[[str], None] | None = None) -> CheckSummary:
    """Check every transcript under ``paths``; reports go to ``report_dir`` (None: none)."""
    from .report import write_corpus_summary, write_reports

    paths = list(paths)
    with tempfile.TemporaryDirectory(prefix="figures-check-") as tmp:
        facts_path = facts_out or os.path.join(tmp, "facts.csv")
        findings_path = findings_out or os.path.join(tmp, "findings.csv")
        batch = run_batch(paths, facts_path, findings_path, settings, workers, progress,
                          on_error, manifest=os.path.join(tmp, "manifest.csv"))
        facts = read_facts(facts_path)
        findings = read_findings(findings_path)
    summary = CheckSummary(documents=batch.documents, processed=batch.processed,
                           failed=batch.failed)
    for sev in ("error", "warning", "info"):
        summary.findings[sev] = int((findings["severity"] == sev).sum())
    if report_dir is None:
        return summary
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    docs: list[tuple[str, pd.DataFrame]] = []
    done = set(facts["doc_id"].unique()) | set(findings["doc_id"].unique())
    for path, doc_id in expand_inputs(paths):
        if doc_id not in done or doc_id in {d for d, _ in docs}:
            continue
        try:
            document = read_document(path, settings, doc_id=doc_id)
        except InputFileError:
            continue  # reported as an INPUT finding in the summary page
        mine = facts[facts["doc_id"] == doc_id]
        written = write_reports(document, facts, findings, out, formats)
        summary.reports += [str(p) for p in written]
        docs.append((doc_id, mine))
    summary.reports.append(str(write_corpus_summary(docs, findings, out, formats)))
    return summary
