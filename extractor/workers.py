"""Local worker processes that return results in task order from a bounded window.

``LocalRunner.ordered(fn, tasks)`` keeps at most ``window`` tasks submitted and not yet handed
back, and yields the results in the order of ``tasks`` whatever order they complete in: the
writer never waits on more than the window, and memory does not grow with the number of tasks.
``workers`` counts the calling process: it runs the next task itself whenever the result it
must hand back next is not ready, so ``workers=2`` is one worker process and this one (a worker
process costs ~35 MB; the caller would otherwise mostly wait).
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


#: tasks a worker process runs before a fresh one replaces it (about 0.55 s of start-up, 1% of
#: 100 tasks): the heap of a long-lived process grows with fragmentation, a fresh one starts
#: at ~30 MB
TASKS_PER_CHILD = 100
#: tasks a pool runs before :meth:`LocalRunner.fresh` replaces it (a pool that ran fewer has
#: little heap to fragment, and starting a worker process costs ~0.55 s)
FRESH_AFTER = 20

_END = object()


class LocalRunner:
    """``workers - 1`` spawned processes and this one (only this one when ``workers <= 1``)."""

    #: what a worker process's death message tells the user to do
    RESUME = "the partial output is kept: run again with --resume to continue"

    def __init__(self, workers: int, window: int | None = None, after_death: str = RESUME
                 ) -> None:
        self.workers = workers
        self.after_death = after_death
        self.window = window or 4 * workers
        self.pool: Any = None
        self.submitted = 0  # tasks given to the current pool

    def start(self) -> None:
        """Start the worker processes now, not at the first task: a spawned process takes about
        0.55 s to import the engine and compile the rules, which then overlaps with what this
        process does first (listing the inputs, the read-back before the cross-document
        phase) instead of delaying the worker's first task. Nothing when ``workers <= 1``."""
        if self.workers > 1 and self.pool is None:
            self._pool().submit(os.getpid)  # a pool spawns its processes on a submit

    def _pool(self):
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                max_workers=self.workers - 1, mp_context=multiprocessing.get_context("spawn"),
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
        children = self.workers - 1
        it = iter(tasks)
        # (task, future of a worker process, or None with the result computed here)
        pending: deque[tuple[Any, Any, Any]] = deque()
        exhausted = finished = False

        def take() -> Any:
            nonlocal exhausted
            t = next(it, _END) if not exhausted else _END
            exhausted = t is _END
            return t

        try:
            try:
                while True:
                    busy = sum(1 for _, f, _ in pending if f is not None and not f.done())
                    while busy < 2 * children and len(pending) < self.window:
                        t = take()  # keep every worker process fed, one task queued
                        if t is _END:
                            break
                        pending.append((t, pool.submit(fn, t), None))
                        self.submitted += 1
                        busy += 1
                    if not pending:
                        break
                    t, fut, res = pending[0]
                    if fut is None or fut.done():
                        pending.popleft()
                        yield res if fut is None else fut.result()
                        continue
                    if len(pending) < self.window:  # the next result is not ready: this
                        t = take()                  # process runs the next task meanwhile
                        if t is not _END:
                            pending.append((t, None, fn(t)))
                            continue
                    fut.result()  # nothing else to do: wait for it
            except BrokenProcessPool:
                where = next((describe(t) for t, f, _ in pending if f is not None), "")
                raise FiguresError(f"a worker process died (killed, or out of memory?){where};"
                                   f" {self.after_death}") from None
            finished = True
        finally:
            if not finished:  # interrupted, failed or abandoned: stop the workers now
                for _, fut, _ in pending:
                    if fut is not None:
                        fut.cancel()
                self.close(abort=True)

    def fresh(self) -> None:
        """Start the next phase on new worker processes (started at once, see :meth:`start`)
        when the pool ran ``FRESH_AFTER`` tasks or more: a long first phase leaves its heap
        fragmented, and the next would add to it."""
        if self.submitted >= FRESH_AFTER:
            self.close()
            self.start()

    def close(self, abort: bool = False) -> None:
        if self.pool is None:
            return
        if abort:
            for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
                proc.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None
        self.submitted = 0

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(abort=exc[0] is not None)
