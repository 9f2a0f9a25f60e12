"""User-facing errors: each renders as one line naming the file and the problem."""

from __future__ import annotations


class FiguresError(Exception):
    """Base class of every error caused by user input (files, rules, options).

    ``str(err)`` is a single line meant for the terminal; no traceback is shown for these.
    """


class InputFileError(FiguresError):
    """A transcript that cannot be read: missing, binary, wrongly encoded, empty or too large."""

    def __init__(self, path: str, problem: str, code: str = "input") -> None:
        self.path = path
        self.problem = problem
        self.code = code
        super().__init__(f"{path}: {problem}")


class RuleFileError(FiguresError):
    """A rule file that does not load: bad YAML, unknown key, duplicate id, bad regex ..."""

    def __init__(self, file: str, problem: str, rule_id: str | None = None,
                 key: str | None = None) -> None:
        self.file = file
        self.rule_id = rule_id
        self.key = key
        self.problem = problem
        where = file
        if rule_id:
            where += f": rule {rule_id}"
        if key:
            where += f": key '{key}'"
        super().__init__(f"{where}: {problem}")


class DocumentTimeout(FiguresError):
    """A document exceeded its time budget (``--doc-timeout``)."""

    def __init__(self, path: str, seconds: float, rule_id: str | None) -> None:
        self.path = path
        self.rule_id = rule_id
        detail = f" while running rule {rule_id}" if rule_id else ""
        super().__init__(f"{path}: exceeded the time budget of {seconds:g} s{detail}")


def internal_problem(exc: BaseException) -> str:
    """An engine bug named on one line: ``internal error (Type: message)``."""
    return f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())})"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def yaml_problem(exc: BaseException) -> tuple[str, int | None, int | None]:
    """(problem, line, column) of a YAML parse error, line and column counted from 1 (None
    when the parser gave no position)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or first_line(exc)
    if mark is None:
        return problem, None, None
    return problem, mark.line + 1, mark.column + 1
