"""Where the per-document pipeline's time goes, and how fast it could be at most with the
regex engine it runs on.

    .venv/bin/python bench/profile_stages.py                          # the examples, 20 times over
    .venv/bin/python bench/profile_stages.py bench/out/corpus-5mb --limit 400
    .venv/bin/python bench/profile_stages.py ../shared/corpus/seeds --repeat 10

Runs what a batch worker runs (:func:`extractor.chunks.work`: read, parse, recognise,
attribute, rows, within-document checks, CSV text) over the transcripts under PATHS, in this
one process, first untimed (warm-up: rules compiled), then timed without a profiler, then
under ``cProfile``. It prints the throughput, each stage's share of the profiled time, and the
time spent in the matching engines: the ``regex`` package's searches and matches (its scanner
iterated by ``next()``, ``search``, ``match``, ``fullmatch``, ...) and the keyword pre-filter
(``str.find``, the Aho-Corasick pass). Those run in C, so the profiler barely inflates them;
the text's size divided by their time is a ceiling of this pipeline's throughput, reached only
if every line of Python took no time at all.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: stage -> the function whose cumulative time is that stage (inclusive)
STAGES = {
    "parse (documents)": ("documents.py", "parse"),
    "recognise": ("recognize.py", "recognize"),
    "attribute": ("attribute.py", "attribute"),
    "within-document checks": ("chunks.py", "_checks"),
    "CSV text": ("sinks.py", "render_csv"),
}


def _tasks(paths: list[Path], limit: int | None, repeat: int) -> tuple[list, float]:
    from extractor.chunks import Task
    from extractor.settings import DEFAULT

    files = sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*.txt")))
    files = files[:limit] if limit else files
    if not files:
        sys.exit(f"profile: no *.txt under {', '.join(map(str, paths))}")
    files = files * repeat
    items = [(str(f), f"d{i}", "") for i, f in enumerate(files)]
    tasks = [Task(i, tuple(items[i:i + 20]), DEFAULT) for i in range(0, len(items), 20)]
    return tasks, sum(f.stat().st_size for f in files) / 1e6


def _engine_seconds(stats: pstats.Stats) -> tuple[float, float]:
    """Seconds inside the regex engine and in the keyword pre-filter: the own time of the
    ``regex`` methods and of ``next()`` (the guarded searches iterate the regex scanner with
    it), and of ``str.find`` and ``recognize.keyword_lines`` (the Aho-Corasick iteration runs
    in its loop). A regex scanner iterated by a Python ``for`` loop is counted in that loop's
    function, not here: the regex figure is a lower bound, the ceiling an upper one."""
    regex = find = 0.0
    for (file, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        own = row[2]
        if "_regex." in name or name == "<built-in method builtins.next>":
            regex += own
        elif name == "<method 'find' of 'str' objects>" or (
                name == "keyword_lines" and file.endswith("recognize.py")):
            find += own
    return regex, find


def _stage_seconds(stats: pstats.Stats) -> dict[str, float]:
    out = dict.fromkeys(STAGES, 0.0)
    for (file, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        for stage, (where, func) in STAGES.items():
            if name == func and file.endswith(where):
                out[stage] += row[3]
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", type=Path, default=[ROOT / "examples"],
                    help="transcripts or folders of *.txt (default: examples/)")
    ap.add_argument("--limit", type=int, default=None, help="the first N files only")
    ap.add_argument("--repeat", type=int, default=None,
                    help="go through the files this many times (default: 20 for the examples, "
                         "else 1)")
    args = ap.parse_args(argv)
    repeat = args.repeat or (20 if args.paths == [ROOT / "examples"] else 1)
    from extractor.chunks import work

    tasks, mb = _tasks(args.paths, args.limit, repeat)
    work(tasks[0])  # warm-up: the rules compiled, the modules imported
    t0 = time.process_time()
    for task in tasks:
        work(task)
    plain = time.process_time() - t0
    prof = cProfile.Profile()
    prof.enable()
    for task in tasks:
        work(task)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]
    regex, find = _engine_seconds(stats)
    files = sum(len(t.items) for t in tasks)
    print(f"{files} documents, {mb:.2f} MB: {plain:.2f} CPU-s without the profiler, "
          f"{mb / plain:.2f} MB/s on one core; {total:.2f} s profiled")
    for stage, seconds in _stage_seconds(stats).items():
        print(f"  {stage:24s} {seconds:6.2f} s  {100 * seconds / total:5.1f}% of the profiled time")
    print(f"  regex engine            {regex:6.2f} s  ({mb / regex:.2f} MB/s if nothing else ran)")
    print(f"  keyword pre-filter      {find:6.2f} s")
    print(f"ceiling with zero Python time: {mb / (regex + find):.2f} MB/s on one core "
          f"(regex engine and pre-filter: {100 * (regex + find) / plain:.0f}% of the "
          "unprofiled time)")


if __name__ == "__main__":
    main()
