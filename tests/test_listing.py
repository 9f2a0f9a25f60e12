"""The inputs of a batch: sorted on disk when large, the same entries and order as in memory.

``extractor.listing.Listing`` replaces the in-memory list of a batch's files (about 250 bytes a
file in the writing process, which grew with the corpus). These tests shrink its run size so
that a handful of files goes through the on-disk path: runs, merge rounds, duplicates across
runs, and a batch whose bytes equal the in-memory one's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLES
from extractor import listing
from extractor.batch import run_batch
from extractor.listing import Listing
from extractor.sources import expand_inputs


def _tree(tmp: Path) -> Path:
    """Files at three depths, two with one doc_id, a link to a folder (not followed), a file
    that is not a transcript and a hidden transcript."""
    root = tmp / "in"
    for sub in ("b", "a/deep", "c"):
        (root / sub).mkdir(parents=True)
    for i, name in enumerate(["k", "e", "z", "m", "a", "q", "dup"]):
        (root / "b" / f"{name}.txt").write_text(f"{i}", encoding="utf-8")
    for name in ("dup", "f", "y", "n"):
        (root / "a" / "deep" / f"{name}.txt").write_text("x", encoding="utf-8")
    (root / "c" / ".hidden.txt").write_text("x", encoding="utf-8")
    (root / "c" / "notes.md").write_text("x", encoding="utf-8")
    (root / "c" / "link").symlink_to(root / "b", target_is_directory=True)
    return root


@pytest.fixture
def small_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of three entries, blocks of two, two runs merged at once: 13 files take the disk
    path with merge rounds."""
    monkeypatch.setattr(listing, "RUN", 3)
    monkeypatch.setattr(listing, "BLOCK", 2)
    monkeypatch.setattr(listing, "FAN_IN", 2)


def _expected(paths: list) -> list[tuple[str, str, str]]:
    out, first = [], {}
    for path, doc_id in expand_inputs(paths):
        skip = f"duplicate doc_id (same as {first[doc_id]})" if doc_id in first else ""
        first.setdefault(doc_id, path)
        out.append((path, doc_id, skip))
    return out


def test_a_small_listing_stays_in_memory(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    with Listing([root]) as items:
        got = list(items)
        assert items._dir is None
    assert [(Path(p).relative_to(root).as_posix(), d, s) for p, d, s in got][:3] == [
        ("c/.hidden.txt", ".hidden", ""), ("b/a.txt", "a", ""), ("a/deep/dup.txt", "dup", "")]
    dup = [e for e in got if e[1] == "dup"]
    assert dup[1] == (str(root / "b" / "dup.txt"), "dup",
                      f"duplicate doc_id (same as {root / 'a' / 'deep' / 'dup.txt'})")
    assert len(got) == 12 and not any("link" in p or p.endswith(".md") for p, _, _ in got)


def test_a_large_listing_is_sorted_on_disk_to_the_same_entries(tmp_path: Path,
                                                               small_runs: None) -> None:
    root = _tree(tmp_path)
    # the same folder twice and one file of it again: each path once, whatever run it is in
    paths = [root, root / "b", root / "b" / "k.txt", tmp_path / "missing.txt"]
    with Listing(paths) as items:
        assert items._memory is None and items._dir is not None
        spool = items._dir
        assert os.listdir(spool) == ["listing.bin"]  # the runs merged (in rounds) and removed
        got = list(items)
        assert list(items) == got  # read again from the file
        assert len(items) == len(got) == 13
    assert got == _expected(paths)
    assert (str(tmp_path / "missing.txt"), "missing", "") in got  # kept: it is an error row
    assert [d for _, d, _ in got] == [".hidden", "a", "dup", "dup", "e", "f", "k", "m",
                                      "missing", "n", "q", "y", "z"]
    assert not os.path.exists(spool)


def test_a_batch_over_a_listing_on_disk_writes_the_same_bytes(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    src = tmp_path / "in"
    shutil.copytree(EXAMPLES, src, ignore=shutil.ignore_patterns("*.yaml"))
    (src / "more").mkdir()
    shutil.copy(EXAMPLES / "ex01_pellucid_q3.txt", src / "more" / "ex01_pellucid_q3.txt")
    outs = {}
    for name, run in (("memory", 10_000), ("disk", 3)):
        monkeypatch.setattr(listing, "RUN", run)
        out = tmp_path / name
        s = run_batch([src], str(out / "facts.csv"), str(out / "findings.csv"), workers=1,
                      progress=False)
        assert (s.documents, s.processed, s.skipped) == (9, 8, 1)
        outs[name] = [(out / f).read_bytes() for f in ("facts.csv", "findings.csv",
                                                        "facts.csv.manifest.csv")]
    assert outs["memory"] == outs["disk"]
    manifest = outs["disk"][2].decode()
    assert f"duplicate doc_id (same as {src / 'ex01_pellucid_q3.txt'})" in manifest
