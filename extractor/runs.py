"""Sorted run files on disk: entries stored as pickled blocks, and merge rounds that keep at
most a fixed number of files open. Used where a batch sorts or merges more than it should hold
in memory: the input listing (:mod:`extractor.listing`) and the findings of the cross-document
phase (:mod:`extractor.batch`)."""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any


def chunked(entries: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``entries`` in lists of ``size`` (the last one shorter), read as a stream."""
    it = iter(entries)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def write_blocks(path: str, entries: Iterable[Any], block: int) -> int:
    """Write ``entries`` to ``path`` as pickled lists of ``block`` entries; returns how many."""
    n = 0
    with open(path, "wb") as fh:
        for chunk in chunked(entries, block):
            pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
            n += len(chunk)
    return n


def read_blocks(fh: IO[bytes]) -> Iterator[list]:
    """The pickled lists of ``fh``, in order, up to its end."""
    while True:
        try:
            yield pickle.load(fh)
        except EOFError:
            return


def read_entries(path: str) -> Iterator[Any]:
    """The entries :func:`write_blocks` wrote to ``path``, one at a time."""
    with open(path, "rb") as fh:
        for chunk in read_blocks(fh):
            yield from chunk


def merge_rounds(runs: list[str], fan_in: int,
                 merged: Callable[[list[str], contextlib.ExitStack], Iterable[Any]],
                 write: Callable[[str, Iterable[Any]], object],
                 name: Callable[[int, int], str]) -> list[str]:
    """Merge sorted run files ``fan_in`` at a time, round after round, until at most ``fan_in``
    are left, and return those: no merge ever has more than ``fan_in`` files open.

    ``merged(paths, stack)`` is the sorted stream of those files (opened on ``stack``),
    ``write(path, entries)`` writes a run, ``name(round, index)`` is the path of a new run. The
    files merged into a new run are removed."""
    level = 0
    while len(runs) > fan_in:
        level += 1
        nxt = []
        for i in range(0, len(runs), fan_in):
            group = runs[i:i + fan_in]
            nxt.append(name(level, i))
            with contextlib.ExitStack() as stack:
                write(nxt[-1], merged(group, stack))
            for r in group:
                os.remove(r)
        runs = nxt
    return runs
