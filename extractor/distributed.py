"""Run a batch on a Dask distributed cluster (``figures extract ... --scheduler ADDRESS``).

Dask does the distribution: each chunk of inputs is one task running the same pure function as
the local worker processes (:func:`extractor.chunks.work`, then the cross-document checks by
company); the client keeps a bounded window of tasks in flight and hands results back in input
order, so the output is byte-identical to a local
run and memory stays flat. The workers need the engine installed (``pip install
'figures-extractor[dask]'``) and must be able to open the inputs: a path on a filesystem they
share, or an fsspec URL (``s3://bucket/calls/``) with its filesystem package (``s3fs``)
installed on them.
"""

from __future__ import annotations

import os
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from .errors import FiguresError
from .sources import is_url


def _client(scheduler: str):
    try:
        from distributed import Client
    except ImportError:
        raise FiguresError("--scheduler needs Dask: pip install 'figures-extractor[dask]'"
                           ) from None
    try:
        # connect timeout: dask config distributed.comm.timeouts.connect (30 s by default)
        return Client(scheduler, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise FiguresError(f"cannot reach the Dask scheduler at {scheduler} "
                           f"({' '.join(str(exc).split())})") from None


def with_sources(task):
    """Workers may run in another directory: give them absolute paths to open. The display
    path (manifest, messages) stays as given, so the output equals a local run's."""
    return replace(task, sources=tuple(p if is_url(p) else os.path.abspath(p)
                                       for p, _, _ in task.items))


class DaskRunner:
    """Tasks on the cluster at ``scheduler``, results in task order from a bounded window."""

    def __init__(self, scheduler: str, window: int | None = None) -> None:
        self.client = _client(scheduler)
        self.window = window or 2 * (sum(self.client.nthreads().values()) or 1)

    def ordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any],
                describe: Callable[[Any], str] = lambda t: "") -> Iterator[Any]:
        it = iter(tasks)
        pending: deque = deque()

        def submit(task: Any) -> None:
            key = f"figures-{fn.__name__.strip('_')}-{uuid.uuid4().hex}"
            pending.append((task, self.client.submit(fn, task, pure=False, key=key)))

        try:
            for t in it:
                submit(t)
                if len(pending) >= self.window:
                    break
            while pending:
                task, fut = pending[0]
                try:
                    res = fut.result()
                except Exception as exc:
                    raise FiguresError(
                        f"a Dask task failed{describe(task)} ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())}); the partial output is kept: run "
                        "again with --resume to continue") from None
                pending.popleft()
                nxt = next(it, None)
                if nxt is not None:
                    submit(nxt)
                yield res
        finally:
            for _, fut in pending:
                fut.cancel()

    def fresh(self) -> None:
        """The cluster's workers stay as they are between phases (Dask manages them)."""

    def close(self, abort: bool = False) -> None:
        self.client.close()

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
