"""The pipeline for one document: documents -> recognize -> attribute -> facts (-> validate)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pandas as pd

from .attribute import Fact, attribute
from .documents import Document, decode, parse, read_bytes
from .facts import facts_frame
from .recognize import recognize
from .ruleset import RuleSet, load_rules
from .settings import DEFAULT, Settings


@dataclass
class DocumentResult:
    """What the engine found in one document."""

    doc_id: str
    document: Document
    facts: list[Fact] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def table(self) -> pd.DataFrame:
        return facts_frame(self.facts)


def process_text(text: str, doc_id: str, rules: RuleSet | None = None,
                 settings: Settings = DEFAULT) -> DocumentResult:
    rs = rules or load_rules()
    t0 = time.monotonic()
    deadline = t0 + settings.doc_timeout if settings.doc_timeout else None
    doc = parse(text, doc_id, rs)
    mentions = recognize(doc, rs, settings, deadline)
    facts = attribute(doc, mentions, rs)
    return DocumentResult(doc_id, doc, facts, time.monotonic() - t0)


def process_file(path: str | os.PathLike, rules: RuleSet | None = None,
                 settings: Settings = DEFAULT, doc_id: str | None = None) -> DocumentResult:
    """Read, decode and process one transcript file (errors: InputFileError, one line)."""
    data = read_bytes(path, settings)
    text, encoding = decode(data, str(path), settings)
    name = doc_id or os.path.splitext(os.path.basename(os.fspath(path)))[0]
    result = process_text(text, name, rules, settings)
    result.document.metadata.encoding = encoding
    return result


def extract_document(text: str, doc_id: str = "doc", rules: RuleSet | None = None,
                     settings: Settings = DEFAULT) -> pd.DataFrame:
    """The facts of one transcript's text as a DataFrame (columns of the facts contract)."""
    return process_text(text, doc_id, rules, settings).table
