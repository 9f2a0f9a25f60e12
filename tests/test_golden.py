"""Golden-file regression tests: every example and seed document against golden/<doc_id>/.

`pytest --update-golden` rewrites the files and reports what moved. A missing golden fails
("created, review and commit"), and so does a golden folder whose document no longer exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOLDEN, corpus_available, example_paths, processed, require_corpus, seed_paths
from extractor import golden

DOCS = [pytest.param(p, id=p.stem) for p in example_paths()] + \
    [pytest.param(p, id=p.stem, marks=pytest.mark.corpus) for p in seed_paths()]


def _check(path: Path, name: str, text: str, update: bool) -> None:
    target = GOLDEN / path.stem / name
    if update:
        msg = golden.write_if_changed(target, text)
        if msg:
            print(msg)
        return
    if not target.exists():
        golden.write_if_changed(target, text)
        pytest.fail(f"golden {target} was missing: created, review and commit it")
    expected = target.read_text(encoding="utf-8")
    if expected != text:
        pytest.fail(f"{target} differs from the current output "
                    f"(run pytest --update-golden to accept):\n"
                    + golden.diff(expected, text, f"{path.stem}/{name}"))


@pytest.mark.parametrize("path", DOCS)
def test_facts_golden(path: Path, update_golden: bool) -> None:
    result = processed(str(path))
    _check(path, "facts.csv", golden.facts_text(result.table), update_golden)


def test_no_orphan_goldens() -> None:
    names = {p.stem for p in example_paths()}
    if corpus_available():
        names |= {p.stem for p in seed_paths()}
    orphans = []
    for d in sorted(GOLDEN.iterdir()) if GOLDEN.exists() else []:
        if not d.is_dir() or d.name in names or d.name == "_corpus_examples":
            continue
        if d.name == "_corpus_seeds" and not corpus_available():
            continue
        if (d.name[:3].isdigit() or d.name == "_corpus_seeds") and corpus_available():
            names.add("_corpus_seeds")
        if d.name in names:
            continue
        if d.name[:3].isdigit() and not corpus_available():
            continue  # a seed golden: its input is in ../shared, checked when present
        orphans.append(d.name)
    assert not orphans, f"golden folders with no input document: {orphans}"


def test_seed_goldens_present_with_corpus() -> None:
    require_corpus()
    missing = [p.stem for p in seed_paths() if not (GOLDEN / p.stem / "facts.csv").exists()]
    assert not missing, f"seed documents without golden facts: {missing}"


@pytest.mark.parametrize("path", DOCS)
def test_findings_golden(path: Path, update_golden: bool) -> None:
    from extractor.checks import run_document_checks

    result = processed(str(path))
    _check(path, "findings.csv", golden.findings_text(run_document_checks(result)),
           update_golden)


def _corpus(paths: list[Path]):
    import pandas as pd

    from extractor.checks import run_corpus_checks, run_document_checks

    results = [processed(str(p)) for p in paths]
    corpus = run_corpus_checks([(r.document.metadata.company_slug, r.table) for r in results])
    facts = pd.concat([r.table for r in results], ignore_index=True)
    findings = pd.concat([run_document_checks(r) for r in results] + [corpus],
                         ignore_index=True)
    return results, corpus, facts, findings


def test_corpus_findings_golden_examples(update_golden: bool) -> None:
    _results, corpus, _f, _g = _corpus(example_paths())
    _check(Path("_corpus_examples"), "findings.csv", golden.findings_text(corpus), update_golden)


@pytest.mark.corpus
def test_corpus_findings_golden_seeds(corpus, update_golden: bool) -> None:
    _results, found, _f, _g = _corpus(seed_paths())
    _check(Path("_corpus_seeds"), "findings.csv", golden.findings_text(found), update_golden)


def test_json_report_golden_examples(tmp_path: Path, update_golden: bool) -> None:
    from extractor.report import write_reports

    results, _corpus_findings, facts, findings = _corpus(example_paths())
    for r in results:
        (path,) = write_reports(r.document, facts, findings, tmp_path, formats=("json",))
        _check(Path(r.doc_id), "report.json", path.read_text(encoding="utf-8"), update_golden)
