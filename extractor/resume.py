"""Checkpoints of a batch, so that ``--resume`` continues an interrupted run.

While a batch runs, ``<out>.checkpoint.json`` says how many inputs (a prefix, in input order)
are completely written to the ``.partial`` outputs, where each output stood at that moment, and
the summary counts so far. It is replaced atomically after the outputs are flushed, and removed
when the run completes. A resumed run truncates the partial outputs back to the checkpoint and
processes the remaining inputs only; since rows are written in input order the final files equal
those of an uninterrupted run byte for byte.

The checkpoint carries a fingerprint of everything the output depends on (the input list, the
outputs, the settings, the rule files and the engine's source); resuming with any of them
changed is refused with a one-line error rather than mixing two runs in one file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import FiguresError
from .settings import Settings

VERSION = 1
SUFFIX = ".checkpoint.json"


@dataclass
class Checkpoint:
    fingerprint: str
    done: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    sinks: dict[str, dict] = field(default_factory=dict)


def checkpoint_path(anchor: str) -> str:
    return anchor + SUFFIX


def fingerprint(items: Iterable[tuple[str, str]], settings: Settings,
                outputs: dict[str, str | None], rules_dir: str) -> str:
    """A digest of what the output of a batch depends on."""
    h = hashlib.sha256()
    h.update(f"v{VERSION}\n".encode())
    for path, doc_id in items:
        h.update(f"{path}\t{doc_id}\n".encode())
    fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)
              if f.name != "workers"}
    h.update(repr(sorted(fields.items())).encode())
    h.update(repr(sorted(outputs.items())).encode())
    for folder, pattern in ((Path(rules_dir), "*.y*ml"), (Path(__file__).parent, "**/*.py")):
        for p in sorted(folder.glob(pattern)):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def save(path: str, cp: Any) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(dataclasses.asdict(cp), fh, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load(path: str, expected: str, kind: Any = Checkpoint,
         what: str = "the inputs, outputs, settings, rules or engine") -> Any:
    """The checkpoint at ``path`` (None when there is none), a ``kind`` (a dataclass with a
    ``fingerprint``); a different run (``what`` changed) is an error."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            cp = kind(**json.load(fh))
    except (OSError, ValueError, TypeError) as exc:
        raise FiguresError(f"{path}: unreadable checkpoint ({exc}); run without --resume"
                           ) from None
    if cp.fingerprint != expected:
        raise FiguresError(f"{path}: {what} changed since the interrupted run; run without "
                           "--resume")
    return cp


def remove(path: str) -> None:
    for p in (path, f"{path}.tmp"):
        if os.path.exists(p):
            os.remove(p)
