"""Bounded time: the budget of one document, and guarded regex calls on document text.

Every pattern of ``rules/`` is data the engine did not write, run on text it did not write. Two
limits keep a hostile pair of them from stalling a batch:

* **per search**: every regex call on document text goes through the helpers of this module
  (:func:`finditer`, :func:`search`, :func:`match`, :func:`fullmatch`, :func:`split`,
  :func:`sub`), which pass the ``regex`` package's ``timeout=``: ``Settings.regex_timeout``
  for a search over up to :data:`TIMEOUT_SPAN` characters, proportionally more for a longer
  span (a linear scan of a 20 MB line is not a runaway pattern), never more than what is left
  of the document's budget;
* **per document**: :func:`budget` opens the time budget of one document
  (``Settings.doc_timeout``, ``--doc-timeout``). The guarded calls check it between matches,
  the stages check it in their loops (:func:`check`), and, in the main thread of a process
  (the CLI, every batch worker), a ``SIGALRM`` timer stops pure-Python work that would overrun
  it. Either way the document ends in :class:`BudgetExceeded` (a
  :class:`~extractor.errors.DocumentTimeout`): one line naming the document, the budget and the
  rule (or the stage) that ran long. A batch turns it into an error row and goes on.

Outside :func:`budget` (a stage called on its own), the helpers still bound each search by
``Settings.regex_timeout``.

Usage in a stage::

    from . import guard
    for m in guard.finditer(entry.regex, text, s, e, rule=entry.id):
        ...
    if guard.search(metric.requires, sentence_text, rule=metric.id):
        ...
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import regex

from .errors import DocumentTimeout
from .settings import DEFAULT, Settings

#: how many loop iterations :func:`tick` lets pass between two clock reads
TICK_EVERY = 1024
#: the shortest timeout handed to the regex engine (a budget that is all but spent)
_MIN_TIMEOUT = 0.001
#: ``Settings.regex_timeout`` is the time allowed for a search over this many characters
TIMEOUT_SPAN = 1_000_000


class BudgetExceeded(DocumentTimeout):
    """A document ran past its time budget (or one search past the per-search timeout).

    ``rule_id`` is the rule whose pattern was running, when one was; ``stage`` the pipeline
    stage (documents, recognize, attribute); ``last_rule`` the last rule run before pure-Python
    work overran the budget."""

    def __init__(self, doc_id: str, seconds: float, rule_id: str | None, stage: str = "",
                 last_rule: str | None = None, per_search: bool = False) -> None:
        super().__init__(doc_id, seconds, rule_id)
        self.doc_id = doc_id
        self.seconds = seconds
        self.stage = stage
        self.last_rule = last_rule
        self.per_search = per_search
        if per_search:
            msg = (f"{doc_id}: a search of rule {rule_id} ran longer than the per-search "
                   f"timeout of {seconds:g} s")
        elif rule_id:
            msg = f"{doc_id}: exceeded the time budget of {seconds:g} s while running rule " \
                  f"{rule_id}" + (f" ({stage} stage)" if stage else "")
        else:
            msg = f"{doc_id}: exceeded the time budget of {seconds:g} s" + \
                  (f" in the {stage} stage" if stage else "") + \
                  (f" (last rule run: {last_rule})" if last_rule else "")
        self.args = (msg,)

    def __reduce__(self) -> tuple:  # picklable (a batch worker may send it to the parent)
        return (BudgetExceeded, (self.doc_id, self.seconds, self.rule_id, self.stage,
                                 self.last_rule, self.per_search))


class Budget:
    """The time budget of one document: a deadline, the per-search timeout, what is running."""

    __slots__ = ("_ticks", "active", "deadline", "doc_id", "last_rule", "regex_timeout", "rule",
                 "seconds", "stage")

    def __init__(self, doc_id: str = "<text>", seconds: float = 0.0,
                 regex_timeout: float = DEFAULT.regex_timeout,
                 deadline: float | None = None) -> None:
        self.doc_id = doc_id
        self.seconds = seconds
        self.regex_timeout = regex_timeout
        if deadline is None and seconds:
            deadline = time.monotonic() + seconds
        self.deadline = deadline
        self.rule: str | None = None  # the rule whose pattern runs now
        self.last_rule: str | None = None
        self.stage = ""
        self.active = False  # True inside :func:`budget`
        self._ticks = 0

    # -- clock ---------------------------------------------------------------------------
    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def exceeded(self, rule: str | None = None) -> BudgetExceeded:
        """The error for a document past its deadline."""
        rule = rule or self.rule
        return BudgetExceeded(self.doc_id, self.seconds, rule, self.stage,
                              None if rule else self.last_rule)

    def timed_out(self, rule: str | None, by_deadline: bool,
                  limit: float) -> BudgetExceeded:
        """The error for a regex call that hit its ``timeout=`` (``limit``)."""
        if by_deadline:
            return self.exceeded(rule)
        return BudgetExceeded(self.doc_id, limit, rule, self.stage, per_search=True)

    def check(self, rule: str | None = None) -> None:
        """Raise :class:`BudgetExceeded` when the deadline has passed."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise self.exceeded(rule)

    def tick(self) -> None:
        """:meth:`check`, reading the clock only every :data:`TICK_EVERY` calls (hot loops)."""
        self._ticks += 1
        if self._ticks >= TICK_EVERY:
            self._ticks = 0
            self.check()


_CURRENT: ContextVar[Budget | None] = ContextVar("figures_budget", default=None)
_IDLE = Budget()  # outside any budget: no deadline, searches bounded by the default timeout


def _open() -> Budget:
    b = _CURRENT.get()
    return b if b is not None and b.active else _IDLE


def current() -> Budget:
    """The budget of the document being processed; outside one, a budget without deadline
    whose searches are still bounded by ``Settings.regex_timeout``."""
    return _open()


def check(rule: str | None = None) -> None:
    """Raise :class:`BudgetExceeded` when the open budget's deadline has passed."""
    current().check(rule)


def tick() -> None:
    """:func:`check` for hot loops (reads the clock every :data:`TICK_EVERY` calls)."""
    current().tick()


def set_stage(stage: str) -> None:
    """Name the stage that runs now (documents, recognize, attribute) for timeout messages."""
    b = current()
    b.stage = stage
    b.last_rule = None  # a rule of the stage before is not what runs long in this one
    b.check()


# -- the budget of one document ------------------------------------------------------------
class _Alarm:
    """A one-shot SIGALRM timer at a budget's deadline; restores what it replaced."""

    def __init__(self, b: Budget, seconds: float) -> None:
        self.budget = b
        self.started = time.monotonic()
        self.old_handler: Any = signal.signal(signal.SIGALRM, _on_alarm)
        self.old_timer = signal.setitimer(signal.ITIMER_REAL, max(seconds, _MIN_TIMEOUT))
        self.armed = True
        _ALARMS.append(self)

    def disarm(self) -> None:
        """Idempotent; safe to call from the signal handler itself."""
        if not self.armed:
            return
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self in _ALARMS:
            _ALARMS.remove(self)
        signal.signal(signal.SIGALRM, self.old_handler)
        if self.old_timer[0] > 0:  # re-arm a timer that was running before
            later = self.old_timer[0] - (time.monotonic() - self.started)
            signal.setitimer(signal.ITIMER_REAL, max(later, _MIN_TIMEOUT), self.old_timer[1])


_ALARMS: list[_Alarm] = []  # armed timers, innermost last


def _on_alarm(signum: int, frame: Any) -> None:
    alarm = _ALARMS[-1] if _ALARMS else None
    if alarm is None or not alarm.budget.active:
        return  # the document has just finished: nothing to stop
    alarm.budget.active = False
    alarm.disarm()  # clean up here: the exception may unwind past the budget's own cleanup
    raise alarm.budget.exceeded()


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and \
        threading.current_thread() is threading.main_thread()


@contextmanager
def budget(doc_id: str, settings: Settings = DEFAULT, *, deadline: float | None = None,
           hard: bool = True) -> Iterator[Budget]:
    """Run the body under the time budget of document ``doc_id``.

    With ``settings.doc_timeout`` 0 (and no ``deadline``) there is no deadline; searches keep
    their own timeout. ``hard`` arms a ``SIGALRM`` timer at the deadline when running in the
    main thread, so that pure-Python work cannot overrun it either; the previous handler and
    timer are restored. Inside an open budget (a nested call) the open budget stays in force."""
    outer = _CURRENT.get()
    if outer is not None and outer.active:
        yield outer
        return
    b = Budget(doc_id, settings.doc_timeout, settings.regex_timeout, deadline)
    b.active = True
    token = _CURRENT.set(b)
    left = b.remaining()
    alarm = _Alarm(b, left) if hard and left is not None and _can_alarm() else None
    try:
        yield b
    finally:
        b.active = False  # first: from here on the alarm handler does nothing
        if alarm is not None:
            alarm.disarm()
        _CURRENT.reset(token)


# -- guarded regex calls ---------------------------------------------------------------------
# These run thousands of times a document: the common path reads the context variable and the
# clock once and sets two attributes.
def _span(string: str, pos: int | None, endpos: int | None) -> int:
    n = len(string)
    lo = 0 if pos is None else min(max(pos if pos >= 0 else pos + n, 0), n)
    hi = n if endpos is None else min(max(endpos if endpos >= 0 else endpos + n, 0), n)
    return hi - lo


def _limit(b: Budget, rule: str | None, span: int) -> tuple[float, bool]:
    """(timeout=, whether the deadline sets it) for a search over ``span`` characters;
    raises when the budget is spent."""
    limit = b.regex_timeout if span <= TIMEOUT_SPAN else b.regex_timeout * span / TIMEOUT_SPAN
    if b.deadline is None:
        return limit, False
    left = b.deadline - time.monotonic()
    if left <= 0:
        raise b.exceeded(rule)
    if left >= limit:
        return limit, False
    return max(_MIN_TIMEOUT, left), True


def finditer(pattern: regex.Pattern, string: str, pos: int | None = None,
             endpos: int | None = None, *, rule: str | None = None,
             overlapped: bool = False) -> Iterator[regex.Match]:
    """``pattern.finditer(string, pos, endpos, overlapped=...)`` under the per-search timeout
    and the budget (checked before each match); a timeout raises :class:`BudgetExceeded`
    naming ``rule``."""
    b = _open()
    limit, by_deadline = _limit(b, rule, _span(string, pos, endpos))
    it = pattern.finditer(string, pos, endpos, overlapped=overlapped, timeout=limit)
    while True:
        prev, b.rule, b.last_rule = b.rule, rule, rule
        try:
            if b.deadline is not None and time.monotonic() > b.deadline:
                raise b.exceeded(rule)
            m = next(it)
        except StopIteration:
            return
        except TimeoutError:
            raise b.timed_out(rule, by_deadline, limit) from None
        finally:
            b.rule = prev
        yield m


def _call(b: Budget, rule: str | None, span: int, method: Any, *args: Any) -> Any:
    limit, by_deadline = _limit(b, rule, span)
    prev, b.rule, b.last_rule = b.rule, rule, rule
    try:
        return method(*args, timeout=limit)
    except TimeoutError:
        raise b.timed_out(rule, by_deadline, limit) from None
    finally:
        b.rule = prev


def search(pattern: regex.Pattern, string: str, pos: int | None = None,
           endpos: int | None = None, *, rule: str | None = None) -> regex.Match | None:
    """``pattern.search(string, pos, endpos)``, bounded (see :func:`finditer`)."""
    return _call(_open(), rule, _span(string, pos, endpos), pattern.search, string, pos,
                 endpos)


def match(pattern: regex.Pattern, string: str, pos: int | None = None,
          endpos: int | None = None, *, rule: str | None = None) -> regex.Match | None:
    """``pattern.match(string, pos, endpos)``, bounded."""
    return _call(_open(), rule, _span(string, pos, endpos), pattern.match, string, pos,
                 endpos)


def fullmatch(pattern: regex.Pattern, string: str, pos: int | None = None,
              endpos: int | None = None, *, rule: str | None = None) -> regex.Match | None:
    """``pattern.fullmatch(string, pos, endpos)``, bounded."""
    return _call(_open(), rule, _span(string, pos, endpos), pattern.fullmatch, string, pos,
                 endpos)


def split(pattern: regex.Pattern, string: str, maxsplit: int = 0, *,
          rule: str | None = None) -> list[str]:
    """``pattern.split(string, maxsplit)``, bounded."""
    return _call(_open(), rule, len(string), pattern.split, string, maxsplit)


def sub(pattern: regex.Pattern, repl: Any, string: str, count: int = 0, *,
        rule: str | None = None) -> str:
    """``pattern.sub(repl, string, count)``, bounded."""
    return _call(_open(), rule, len(string), pattern.sub, repl, string, count)


__all__ = ["Budget", "BudgetExceeded", "budget", "check", "current", "finditer", "fullmatch",
           "match", "search", "set_stage", "split", "sub", "tick"]
