"""bench/profile_stages.py: the stages it names are the engine's (a renamed stage function
would show 0 s), and what it prints holds together."""

from __future__ import annotations

import re
import sys

import pytest

from conftest import ROOT


def test_profile_attributes_the_time_to_every_stage_and_the_regex_engine(
        capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import profile_stages as bench_profile
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert bench_profile.__file__ == str(ROOT / "bench" / "profile_stages.py")
    bench_profile.main([str(ROOT / "examples" / "ex01_pellucid_q3.txt"), "--repeat", "3"])
    out = capsys.readouterr().out
    head = re.match(r"3 documents, (\d+\.\d\d) MB: (\d+\.\d\d) CPU-s .*; (\d+\.\d\d) s profiled",
                    out)
    assert head, out
    mb, total = float(head[1]), float(head[3])
    assert mb == round(3 * (ROOT / "examples" / "ex01_pellucid_q3.txt").stat().st_size / 1e6, 2)
    shares = dict(re.findall(r"^  (\S.*?) +\d+\.\d\d s +(\d+\.\d)% of the profiled", out, re.M))
    assert set(shares) == set(bench_profile.STAGES)
    assert all(float(v) > 0 for v in shares.values()), shares
    assert 70 < sum(float(v) for v in shares.values()) <= 100.5, shares
    regex = float(re.search(r"regex engine +(\d+\.\d\d) s", out)[1])
    find = float(re.search(r"keyword pre-filter +(\d+\.\d\d) s", out)[1])
    assert 0 < regex < total and 0 <= find < total
    assert "ceiling with zero Python time" in out
