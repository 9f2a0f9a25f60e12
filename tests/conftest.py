"""Shared fixtures: the corpus beside the clone, golden-file options, processed documents."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "golden"
CORPUS = Path(os.environ.get("FIGURES_CORPUS", ROOT.parent / "shared" / "corpus"))
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden/ from the current output and report what moved")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def corpus_available() -> bool:
    return (CORPUS / "seeds").is_dir() and (CORPUS / "seeds-expected.yaml").is_file()


def require_corpus() -> Path:
    """The corpus folder; in CI its absence is a failure, in a user's clone a skip."""
    if corpus_available():
        return CORPUS
    msg = (f"the reviewed corpus is not at {CORPUS} (it lives in ../shared beside the project "
           "clone; set FIGURES_CORPUS to point elsewhere)")
    if IN_CI:
        pytest.fail(f"CI=true but {msg}")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def corpus() -> Path:
    return require_corpus()


@cache
def processed(path: str):
    from extractor.pipeline import process_file

    return process_file(path)


def seed_paths() -> list[Path]:
    return sorted((CORPUS / "seeds").glob("*.txt")) if corpus_available() else []


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.txt"))


def copied_examples(tmp: Path, copies: int, unreadable: str) -> Path:
    """A batch's input folder ``tmp/in``: the examples ``copies`` times over under new names
    (``<stem>_<k>.txt``), and one unreadable file ``<unreadable>.txt`` placed among them."""
    import shutil

    src = tmp / "in"
    src.mkdir()
    for k in range(copies):
        for f in example_paths():
            shutil.copy(f, src / f"{f.stem}_{k}.txt")
    (src / f"{unreadable}.txt").write_bytes(b"\x00\x01")
    return src
