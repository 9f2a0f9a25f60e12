"""The inputs of a batch, sorted by document id, in memory that does not grow with the corpus.

A decade of earnings calls is hundreds of thousands of files, and a list of them in the writing
process costs about 250 bytes a file (plus twice that while it is built): 60 MB for 250,000
files. :class:`Listing` walks the inputs as a stream, sorts them in runs of :data:`RUN` entries
spilled to a temporary folder, merges the runs (``heapq.merge``) into one sorted file and reads
that back as often as the batch needs it. A batch of fewer than :data:`RUN` files is sorted in
memory and never touches the disk. The order and the entries are those of
:func:`~extractor.sources.expand_inputs`.
"""

from __future__ import annotations

import heapq
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator

from .runs import merge_rounds, read_entries, write_blocks
from .sources import walk_inputs

#: entries sorted in memory at once (about 1.5 MB)
RUN = 5_000
#: entries per pickled block of a run file (what one open run holds in memory while merging)
BLOCK = 256
#: run files merged at once; more are merged in rounds
FAN_IN = 64


class Listing:
    """(path, doc_id, skip) of every input, sorted by doc_id then path, each path once; ``skip``
    is the reason a file is not processed (a second file with a doc_id already seen), else "".

    Iterate it as often as needed; ``len()`` is the number of entries. :meth:`close` (or the
    ``with`` block) removes its temporary files."""

    def __init__(self, paths: Iterable[str | os.PathLike]) -> None:
        self._dir: str | None = None
        self._memory: list[tuple[str, str, str]] | None = None
        self._count = 0
        try:
            self._build(paths)
        except BaseException:
            self.close()
            raise

    def _build(self, paths: Iterable[str | os.PathLike]) -> None:
        runs: list[str] = []
        it = walk_inputs(paths)
        while raw := list(itertools.islice(it, RUN)):
            last = len(raw) < RUN
            block = sorted({(doc_id, path) for path, doc_id in raw})
            del raw
            if not runs and last:  # the whole batch: no disk
                self._memory = list(_marked(block))
                self._count = len(self._memory)
                return
            if self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="figures-listing-")
            runs.append(os.path.join(self._dir, f"run-{len(runs):06d}.bin"))
            write_blocks(runs[-1], block, BLOCK)
        if not runs:
            self._memory = []
            return
        assert self._dir is not None
        spool = self._dir
        runs = merge_rounds(  # at most FAN_IN files open at once
            runs, FAN_IN, lambda group, _stack: heapq.merge(*map(read_entries, group)),
            lambda path, entries: write_blocks(path, entries, BLOCK),
            lambda level, i: os.path.join(spool, f"merge-{level}-{i:06d}.bin"))
        self._sorted = os.path.join(self._dir, "listing.bin")
        self._count = write_blocks(self._sorted, _marked(heapq.merge(*map(read_entries, runs))),
                                   BLOCK)
        for r in runs:
            os.remove(r)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        if self._memory is not None:
            return iter(self._memory)
        return read_entries(self._sorted)

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _marked(entries: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    """Sorted (doc_id, path) entries -> (path, doc_id, skip): the same path once; a doc_id's
    first path processed, the others skipped (two files with one doc_id would mix their
    facts)."""
    prev: tuple[str, str] | None = None
    first = ""
    for doc_id, path in entries:
        if (doc_id, path) == prev:
            continue
        if prev is not None and doc_id == prev[0]:
            yield path, doc_id, f"duplicate doc_id (same as {first})"
        else:
            first = path
            yield path, doc_id, ""
        prev = (doc_id, path)
