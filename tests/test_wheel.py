"""rules/ and schemas/ ship in the wheel: a non-editable install runs the engine on its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_wheel_carries_rules_and_schemas_and_runs(tmp_path: Path) -> None:
    # build from a clean copy: a build/ cache in the working tree must not leak into the wheel
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "out", "golden", "bench", "*.egg-info", "__pycache__",
        ".pytest_cache", ".ruff_cache", ".hypothesis"))
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "--no-build-isolation", "-w", str(dist), str(src)],
                           capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = {p.name for p in (ROOT / "rules").glob("*.yaml")}
    assert {f"extractor/rules/{n}" for n in rule_files} <= names
    assert {"extractor/schemas/facts.py", "extractor/schemas/findings.py"} <= names
    site = tmp_path / "site"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                           "--target", str(site), str(wheel)], capture_output=True, text=True,
                          check=False)
    assert inst.returncode == 0, inst.stderr
    probe = (
        "import extractor, extractor.ruleset as r, extractor.schemas.facts as s\n"
        f"assert extractor.__file__.startswith({str(site)!r}), extractor.__file__\n"
        "df = extractor.extract_document('Jane Roe - CFO\\nRevenue was $12.5 million in the "
        "third quarter of 2024.', 'w')\n"
        "print(r.default_rules_dir(), df.loc[0, 'value'], df.loc[0, 'metric'], "
        "len(s.FACTS.validate(df)))\n")
    env = {k: v for k, v in os.environ.items() if k != "FIGURES_RULES_DIR"}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=False, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    rules_dir, value, metric, rows = run.stdout.split()
    assert rules_dir.startswith(str(site)) and (value, metric, rows) == ("12500000", "revenue", "1")
