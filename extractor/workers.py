"""Local worker processes that return results in task order from a bounded window.

``LocalRunner.ordered(fn, tasks)`` keeps at most ``window`` tasks submitted and not yet handed
back, and yields the results in the order of ``tasks`` whatever order they complete in: the
writer never waits on more than the window, and memory does not grow with the number of tasks.
The same pool serves every phase of a batch (the chunks of documents, then the cross-document
checks). A worker that dies (killed, out of memory) is a one-line :class:`FiguresError`; an
interrupted or abandoned run stops the workers at once.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import FiguresError


def _init_worker(rules_dir: str | None) -> None:
    import signal

    from .ruleset import load_rules

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    load_rules(rules_dir)


#: tasks a worker process runs before a fresh one replaces it (about 0.3 s of start-up): the
#: heap of a long-lived process grows with fragmentation, a fresh one starts at ~30 MB
TASKS_PER_CHILD = 40


class LocalRunner:
    """``workers`` spawned processes (none: run in this process when ``workers <= 1``)."""

    def __init__(self, workers: int, window: int | None = None) -> None:
        self.workers = workers
        self.window = window or 2 * workers
        self.pool: Any = None

    def _pool(self):
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(os.environ.get("FIGURES_RULES_DIR"),),
                max_tasks_per_child=TASKS_PER_CHILD)
        return self.pool

    def ordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any],
                describe: Callable[[Any], str] = lambda t: "") -> Iterator[Any]:
        if self.workers <= 1:
            for t in tasks:
                yield fn(t)
            return
        from concurrent.futures.process import BrokenProcessPool

        pool = self._pool()
        it = iter(tasks)
        pending: deque = deque()
        finished = False
        try:
            try:
                for t in it:
                    pending.append((t, pool.submit(fn, t)))
                    if len(pending) >= self.window:
                        break
                while pending:
                    res = pending[0][1].result()
                    pending.popleft()
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.append((nxt, pool.submit(fn, nxt)))
                    yield res
            except BrokenProcessPool:
                where = describe(pending[0][0]) if pending else ""
                raise FiguresError(f"a worker process died (killed, or out of memory?){where};"
                                   " the partial output is kept: run again with --resume to "
                                   "continue") from None
            finished = True
        finally:
            if not finished:  # interrupted, failed or abandoned: stop the workers now
                for _, fut in pending:
                    fut.cancel()
                self.close(abort=True)

    def fresh(self) -> None:
        """Start the next phase on new worker processes (the next call starts them): a long
        first phase leaves its heap fragmented, and the next would add to it."""
        self.close()

    def close(self, abort: bool = False) -> None:
        if self.pool is None:
            return
        if abort:
            for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
                proc.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(abort=exc[0] is not None)
