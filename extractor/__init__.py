"""figures: extract and cross-check financial figures in earnings-call transcripts.

Public API::

    from extractor import extract_document, run_batch
    facts = extract_document(text, doc_id="acme_q3")      # a pandas DataFrame
    summary = run_batch(["transcripts/"], out="facts.csv")
"""

from __future__ import annotations

from .attribute import Fact
from .batch import BatchSummary, run_batch
from .documents import Document, Metadata, Turn
from .errors import FiguresError, InputFileError, RuleFileError
from .pipeline import DocumentResult, extract_document, process_file, process_text
from .settings import Settings

__all__ = [
    "BatchSummary", "Document", "DocumentResult", "Fact", "FiguresError", "InputFileError",
    "Metadata", "RuleFileError", "Settings", "Turn", "extract_document", "process_file",
    "process_text", "run_batch",
]
