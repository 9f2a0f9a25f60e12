"""Column lists of the tables, importable without pandas or pandera (the worker processes of a
batch build plain rows and never import either)."""

from __future__ import annotations

FINDINGS: list[str] = ["doc_id", "finding_id", "check_id", "severity", "message", "fact_ids",
                       "expected", "observed", "arithmetic"]
