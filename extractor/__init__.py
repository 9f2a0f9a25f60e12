"""figures: extract and cross-check financial figures in earnings-call transcripts.

Public API::

    from extractor import extract_document, run_batch
    facts = extract_document(text, doc_id="acme_q3")      # a pandas DataFrame
    summary = run_batch(["transcripts/"], out="facts.csv")

The names are imported on first use (PEP 562), so that a batch's worker processes, which import
``extractor.chunks``, never load pandas or pandera.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "Fact": "attribute", "BatchSummary": "batch", "run_batch": "batch",
    "Document": "documents", "Metadata": "documents", "Turn": "documents",
    "FiguresError": "errors", "InputFileError": "errors", "RuleFileError": "errors",
    "DocumentResult": "pipeline", "extract_document": "pipeline", "process_file": "pipeline",
    "process_text": "pipeline", "Settings": "settings",
}

__all__ = [
    "BatchSummary", "Document", "DocumentResult", "Fact", "FiguresError", "InputFileError",
    "Metadata", "RuleFileError", "Settings", "Turn", "extract_document", "process_file",
    "process_text", "run_batch",
]

if TYPE_CHECKING:
    from .attribute import Fact
    from .batch import BatchSummary, run_batch
    from .documents import Document, Metadata, Turn
    from .errors import FiguresError, InputFileError, RuleFileError
    from .pipeline import DocumentResult, extract_document, process_file, process_text
    from .settings import Settings


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'extractor' has no attribute {name!r}")
