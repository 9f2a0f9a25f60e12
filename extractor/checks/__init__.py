"""Cross-checks: named, coded checks declared in rules/checks.yaml (one module per family)."""

from __future__ import annotations

import pandas as pd

from ..validate import empty_findings


def run_document_checks(result, table: pd.DataFrame) -> pd.DataFrame:
    """Findings of the within-document checks for one processed document."""
    return empty_findings()
