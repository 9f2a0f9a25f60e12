"""`figures check`: reports per document, corpus summary, exit status as linters do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES


def _check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extractor.cli", "check", *args],
                          capture_output=True, text=True, check=False)


def test_reports_and_exit_status(tmp_path: Path) -> None:
    run = _check(str(EXAMPLES), "--report-dir", str(tmp_path), "--workers", "1")
    assert run.returncode == 1, run.stderr  # the examples hold planted errors
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("figures check: 8 documents, 8 checked, 0 failed;")
    for stem in ("ex01_pellucid_q3", "ex05_veloran_q3"):
        for ext in ("md", "html", "json"):
            assert (tmp_path / f"{stem}.{ext}").is_file()
    report = json.loads((tmp_path / "ex01_pellucid_q3.json").read_text(encoding="utf-8"))
    text = json.dumps(report)
    assert "XC-602" in text and "XC-201" in text
    md = (tmp_path / "ex01_pellucid_q3.md").read_text(encoding="utf-8")
    assert "## Findings" in md and "XC-602" in md
    assert (tmp_path / "index.html").is_file()


def test_fail_on_levels(tmp_path: Path) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text("Jane Roe - CFO\nRevenue was $12.5 million in the third quarter of 2024.\n",
                     encoding="utf-8")
    assert _check(str(clean), "--workers", "1").returncode == 0
    assert _check(str(EXAMPLES / "ex01_pellucid_q3.txt"), "--fail-on", "never",
                  "--workers", "1").returncode == 0
    info_only = tmp_path / "info.txt"
    info_only.write_text("The rate was 58.3% (7/12) versus 16.7% (2/12) in control, a 41.6% "
                         "absolute improvement.\n", encoding="utf-8")
    assert _check(str(info_only), "--fail-on", "warning", "--workers", "1").returncode == 0


def test_usage_and_input_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01")
    run = _check(str(bad), "--workers", "1")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    run = _check(str(EXAMPLES), "--format", "pdf")
    assert run.returncode == 2 and "--format takes md, html, json" in run.stderr


def test_url_inputs_get_the_reports_of_local_paths(tmp_path: Path) -> None:
    """`figures check file:///...`: each document's reports are read from the URL (they
    were left out before: only the summary was written, its documents showing 0 facts)."""
    import pytest

    pytest.importorskip("fsspec")
    local, url = tmp_path / "local", tmp_path / "url"
    a = _check(str(EXAMPLES), "--report-dir", str(local), "--workers", "1", "--fail-on", "never")
    b = _check(EXAMPLES.as_uri() + "/", "--report-dir", str(url), "--workers", "1",
               "--fail-on", "never")
    assert (a.returncode, b.returncode) == (0, 0), b.stderr
    files = sorted(p.name for p in url.iterdir())
    assert len(files) == 8 * 3 + 3 and "ex03_stellwerk_q3.html" in files
    assert files == sorted(p.name for p in local.iterdir())
    for name in files:
        assert (url / name).read_bytes() == (local / name).read_bytes(), name
