"""Run a batch on a Dask distributed cluster (``figures extract ... --scheduler ADDRESS``).

Dask does the distribution: each chunk of inputs is one task running the same pure function as
the local worker processes (:func:`extractor.batch._work`); the client keeps a bounded window of
tasks in flight and hands results back in input order, so the output is byte-identical to a local
run and memory stays flat. The workers need the engine installed (``pip install
'figures-extractor[dask]'``) and must be able to open the inputs: a path on a filesystem they
share, or an fsspec URL (``s3://bucket/calls/``) with its filesystem package (``s3fs``)
installed on them.
"""

from __future__ import annotations

import os
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace

from .batch import _work
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


def _with_sources(task):
    """Workers may run in another directory: give them absolute paths to open. The display
    path (manifest, messages) stays as given, so the output equals a local run's."""
    return replace(task, sources=tuple(p if is_url(p) else os.path.abspath(p)
                                       for p, _, _ in task.items))


def iter_dask(tasks: Iterable, scheduler: str, window: int | None = None) -> Iterator:
    """Chunk results in input order from the cluster at ``scheduler``."""
    client = _client(scheduler)
    pending: deque = deque()
    try:
        threads = sum(client.nthreads().values()) or 1
        window = window or 2 * threads
        it = iter(tasks)

        def submit(task) -> None:
            t = _with_sources(task)
            pending.append((t, client.submit(_work, t, pure=False,
                                             key=f"figures-chunk-{t.first}-{uuid.uuid4().hex}")))

        for t in it:
            submit(t)
            if len(pending) >= window:
                break
        while pending:
            task, fut = pending.popleft()
            try:
                res = fut.result()
            except Exception as exc:
                raise FiguresError(
                    f"the Dask task for {task.items[0][0]} .. {task.items[-1][0]} failed "
                    f"({type(exc).__name__}: {' '.join(str(exc).split())}); the partial "
                    "output is kept: run again with --resume to continue") from None
            nxt = next(it, None)
            if nxt is not None:
                submit(nxt)
            yield res
    finally:
        for _, fut in pending:
            fut.cancel()
        client.close()
