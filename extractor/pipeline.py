"""The pipeline for one document: documents -> recognize -> attribute -> facts (-> validate)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import guard
from .attribute import Fact, attribute
from .documents import Document, parse, read_text
from .errors import InputFileError
from .facts import facts_frame
from .recognize import recognize
from .ruleset import RuleSet, load_rules
from .settings import DEFAULT, Settings
from .sources import doc_id_of

if TYPE_CHECKING:
    import pandas as pd


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
    """Process one transcript's text under its time budget (``settings.doc_timeout``): a
    document that overruns it raises DocumentTimeout naming the rule or stage that ran long."""
    rs = rules or load_rules()
    t0 = time.monotonic()
    _check_text(text, doc_id)
    with guard.budget(doc_id, settings):
        doc = parse(text, doc_id, rs, settings)
        mentions = recognize(doc, rs, settings)
        guard.set_stage("attribute")
        facts = attribute(doc, mentions, rs)
    return DocumentResult(doc_id, doc, facts, time.monotonic() - t0)


def _check_text(text: str, doc_id: str) -> None:
    """Text handed over by a caller (not decoded from a file here) must be Unicode text: a
    lone surrogate (a half-decoded UTF-16 pair, ``surrogateescape`` bytes) cannot be written to
    any output. One line naming the document and the offset."""
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InputFileError(doc_id, f"not valid Unicode text: lone surrogate "
                             f"U+{ord(text[err.start]):04X} at offset {err.start}",
                             "encoding") from None


def process_file(path: str | os.PathLike, rules: RuleSet | None = None,
                 settings: Settings = DEFAULT, doc_id: str | None = None) -> DocumentResult:
    """Read, decode and process one transcript file, a local path or an fsspec URL (errors:
    InputFileError, one line)."""
    text, encoding = read_text(path, settings)
    name = doc_id or doc_id_of(os.fspath(path))
    result = process_text(text, name, rules, settings)
    result.document.metadata.encoding = encoding
    return result


def extract_document(text: str, doc_id: str = "doc", rules: RuleSet | None = None,
                     settings: Settings = DEFAULT) -> pd.DataFrame:
    """The facts of one transcript's text as a DataFrame (columns of the facts contract)."""
    return process_text(text, doc_id, rules, settings).table
