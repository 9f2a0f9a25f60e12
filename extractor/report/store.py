"""What the reports of a corpus need from its findings and facts, kept on disk (SQLite).

``figures check`` writes a report per document and a corpus summary. Held in memory, the
findings (every row, grouped per document, plus the summary's views) grew with the corpus:
about 8 KB a finding, 495 MB for the 50 MB benchmark corpus, so tens of GB for a decade of
calls. :class:`ReportStore` keeps them in an SQLite file instead (the standard library's
``sqlite3``: indexed lookups and an on-disk sort, a few MB of page cache), so that the reports
and the summary are written with memory flat in the corpus:

- every findings row, in file order (``seq``), with the documents it is relevant to (its own
  and those whose facts it cites), for a report's findings;
- the facts that findings of several documents (or of the corpus, or input errors) cite, for
  the evidence quoted from another document's rows;
- per document: counts of findings by severity, schema failures, input errors and
  cross-document findings, whether a report was written (or why it could not be) and its
  facts by kind;
- the summary's findings (cross-document findings and input errors) in its order, with their
  anchors.

A fact's document is read from its id (``doc:start-end``, as the batch writes it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..schemas.columns import FINDINGS as FINDING_COLUMNS
from .model import (
    CORPUS_DOC,
    SEVERITIES,
    count_kinds,
    doc_of_fact,
    finding_anchor,
    finding_group,
    ordered_counts,
    severity_rank,
    split_ids,
)

#: rows written to the store at once
BATCH = 5_000

_SCHEMA = """
CREATE TABLE finding (seq INTEGER PRIMARY KEY, doc_id TEXT, row TEXT, sev_rank INTEGER,
                      check_id TEXT, finding_id TEXT, fact_ids TEXT, message TEXT, role TEXT,
                      docs TEXT);
CREATE TABLE rel (doc_id TEXT, seq INTEGER);
CREATE TABLE cited (fact_id TEXT PRIMARY KEY, doc_id TEXT, record TEXT,
                    quoted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE doc (doc_id TEXT PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0,
                  error INTEGER NOT NULL DEFAULT 0, warning INTEGER NOT NULL DEFAULT 0,
                  info INTEGER NOT NULL DEFAULT 0, other TEXT NOT NULL DEFAULT '{}',
                  schema INTEGER NOT NULL DEFAULT 0, input INTEGER NOT NULL DEFAULT 0,
                  cross_doc INTEGER NOT NULL DEFAULT 0, reported INTEGER NOT NULL DEFAULT 0,
                  facts INTEGER NOT NULL DEFAULT 0, kinds TEXT,
                  problem TEXT NOT NULL DEFAULT '');
CREATE TABLE view (pos INTEGER PRIMARY KEY, seq INTEGER, anchor TEXT, role TEXT);
CREATE TABLE anchor (name TEXT PRIMARY KEY);
"""

_ADD_COUNTS = """
INSERT INTO doc (doc_id, total, error, warning, info, schema, input) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (doc_id) DO UPDATE SET total = total + excluded.total,
    error = error + excluded.error, warning = warning + excluded.warning,
    info = info + excluded.info, schema = schema + excluded.schema,
    input = input + excluded.input
"""

#: a summary's finding: a cross-document finding, or an input error of one document
CROSS, INPUT = "cross", "input"

_LISTED = f"doc_id != '{CORPUS_DOC}' AND (reported = 1 OR total > 0 OR problem != '')"


class ReportStore:
    """Findings and cited facts of a corpus, for its reports (see the module docstring).

    Filled in this order: :meth:`add_findings`, :meth:`add_facts` (every document's facts, the
    cited ones are kept), then :meth:`findings_of` / :meth:`cited_facts` per report and
    :meth:`reported` once it is written; :meth:`finish` before the summary reads
    :meth:`documents` and :meth:`views`."""

    def __init__(self, path: str = ":memory:") -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.executescript(_SCHEMA)
        self.rows = 0
        self.by_severity: dict[str, int] = {s: 0 for s in SEVERITIES}
        self.checks: dict[str, dict[str, int]] = {}
        self.roles: dict[str, int] = {CROSS: 0, INPUT: 0}
        self._indexed = False
        self._finished = False

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ReportStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- filling ---------------------------------------------------------------------------
    def add_findings(self, rows: Iterable[Mapping[str, str]]) -> None:
        """Every findings row (a dict of the findings columns), in the file's order."""
        batch: list[Mapping[str, str]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._add_batch(batch)
                batch = []
        if batch:
            self._add_batch(batch)

    def _add_batch(self, batch: list[Mapping[str, str]]) -> None:
        findings, rel, cited = [], [], []
        counts: dict[str, list[int]] = {}
        others: dict[str, dict[str, int]] = {}
        for row in batch:
            self.rows += 1
            seq = self.rows
            doc, sev, check = row["doc_id"], row["severity"], row["check_id"]
            ids = [(i, doc_of_fact(i)) for i in split_ids(row["fact_ids"])]
            docs = list(dict.fromkeys(d for _, d in ids if d))  # the documents it cites
            group = finding_group(check)
            role = CROSS if doc == CORPUS_DOC or len(docs) > 1 else \
                INPUT if group == "input" else ""
            if role:
                self.roles[role] += 1
            findings.append((seq, doc, json.dumps([row[c] for c in FINDING_COLUMNS]),
                             severity_rank(sev), check, row["finding_id"], row["fact_ids"],
                             row["message"], role, json.dumps(docs)))
            rel += [(d, seq) for d in dict.fromkeys([doc, *docs])]
            if len({doc, *docs}) > 1 or doc == CORPUS_DOC or group == "input":
                cited += ids
            self.by_severity[sev] = self.by_severity.get(sev, 0) + 1
            per = self.checks.setdefault(check, {s: 0 for s in SEVERITIES})
            per[sev] = per.get(sev, 0) + 1
            c = counts.setdefault(doc, [0, 0, 0, 0, 0, 0])
            c[0] += 1
            if sev in SEVERITIES:
                c[1 + SEVERITIES.index(sev)] += 1
            else:
                o = others.setdefault(doc, {})
                o[sev] = o.get(sev, 0) + 1
            c[4] += group == "schema"
            c[5] += group == "input"
        db = self.db
        db.executemany("INSERT INTO finding VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", findings)
        db.executemany("INSERT INTO rel VALUES (?, ?)", rel)
        db.executemany("INSERT OR IGNORE INTO cited (fact_id, doc_id) VALUES (?, ?)", cited)
        db.executemany(_ADD_COUNTS, [(d, *c) for d, c in counts.items()])
        for d, o in others.items():  # severities outside the contract: rare
            (old,) = db.execute("SELECT other FROM doc WHERE doc_id = ?", (d,)).fetchone()
            merged = json.loads(old)
            for sev, n in o.items():
                merged[sev] = merged.get(sev, 0) + n
            db.execute("UPDATE doc SET other = ? WHERE doc_id = ?", (json.dumps(merged), d))

    def severities(self) -> dict[str, int]:
        """Findings by severity (those of the contract first, as
        :func:`~extractor.report.model.count_severities`)."""
        return ordered_counts(self.by_severity, SEVERITIES)

    def _index(self) -> None:
        if not self._indexed:
            self.db.execute("CREATE INDEX rel_doc ON rel (doc_id, seq)")
            self.db.execute("CREATE INDEX cited_doc ON cited (doc_id)")
            self._indexed = True

    def add_facts(self, doc_id: str, records: Iterable[Mapping[str, object]]) -> None:
        """A document's facts records: those the findings cite are kept."""
        self._index()
        wanted = {i for (i,) in self.db.execute("SELECT fact_id FROM cited WHERE doc_id = ?",
                                                (doc_id,))}
        if wanted:
            self.db.executemany("UPDATE cited SET record = ? WHERE fact_id = ?",
                                [(json.dumps(r), r["fact_id"]) for r in records
                                 if r["fact_id"] in wanted])

    # -- per report ------------------------------------------------------------------------
    def findings_of(self, doc_id: str) -> list[dict[str, str]]:
        """The findings rows of ``doc_id``'s report: its own and those citing one of its
        facts, in file order."""
        self._index()
        return [dict(zip(FINDING_COLUMNS, json.loads(r), strict=True)) for (r,) in
                self.db.execute("SELECT f.row FROM rel JOIN finding f ON f.seq = rel.seq "
                                "WHERE rel.doc_id = ? ORDER BY rel.seq", (doc_id,))]

    def has_findings(self, doc_id: str) -> bool:
        """Whether ``doc_id`` has findings of its own other than input errors (a document
        that could not be processed has only those: the summary lists them, no report)."""
        got = self.db.execute("SELECT total - input FROM doc WHERE doc_id = ?",
                              (doc_id,)).fetchone()
        return bool(got and got[0])

    def cited_facts(self, ids: Iterable[str], quoted: bool = False
                    ) -> dict[str, dict[str, object]]:
        """The kept facts records of ``ids`` (those findings of several documents cite);
        ``quoted``: only those of documents with a report (:meth:`reported`)."""
        out: dict[str, dict[str, object]] = {}
        query = "SELECT record FROM cited WHERE fact_id = ? AND " + \
            ("quoted = 1" if quoted else "record IS NOT NULL")
        for i in dict.fromkeys(ids):
            got = self.db.execute(query, (i,)).fetchone()
            if got is not None:
                out[i] = json.loads(got[0])
        return out

    def reported(self, doc_id: str, kinds: Mapping[str, int], problem: str = "") -> None:
        """A report of ``doc_id`` was written (its facts counted by kind): the summary links
        it and quotes its cited facts. With a ``problem`` (one line), it could not be
        written: the summary lists it with the problem, and counts its facts."""
        self.db.execute("INSERT INTO doc (doc_id, reported, facts, kinds, problem) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc_id) DO UPDATE SET "
                        "reported = excluded.reported, facts = excluded.facts, "
                        "kinds = excluded.kinds, problem = excluded.problem",
                        (doc_id, int(not problem), sum(kinds.values()),
                         json.dumps(dict(kinds)), problem))
        if not problem:
            self.db.execute("UPDATE cited SET quoted = 1 WHERE doc_id = ? AND "
                            "record IS NOT NULL", (doc_id,))

    def unwritten(self) -> Iterator[tuple[str, str]]:
        """(doc_id, problem) of each report that could not be written, by doc_id."""
        yield from self.db.execute("SELECT doc_id, problem FROM doc WHERE problem != '' "
                                   "ORDER BY doc_id")

    def unwritten_count(self) -> int:
        (n,) = self.db.execute("SELECT count(*) FROM doc WHERE problem != ''").fetchone()
        return n

    # -- the summary -----------------------------------------------------------------------
    def finish(self) -> None:
        """Order the summary's findings (:func:`~extractor.report.model.finding_sort_key`),
        give each its anchor and count, per document, the cross-document ones citing it."""
        if self._finished:
            return
        self._finished = True
        db = self.db
        views, cross = [], {}
        pos = 0
        order = db.execute("SELECT seq, role, finding_id, check_id, docs FROM finding "
                           "ORDER BY sev_rank, check_id, finding_id, fact_ids, doc_id, "
                           "message, seq")
        for n, (seq, role, finding_id, check_id, docs) in enumerate(order, 1):
            if not role:
                continue
            anchor = finding_anchor(finding_id or f"{check_id}-{n}")
            while db.execute("SELECT 1 FROM anchor WHERE name = ?", (anchor,)).fetchone():
                anchor += "-x"
            db.execute("INSERT INTO anchor VALUES (?)", (anchor,))
            pos += 1
            views.append((pos, seq, anchor, role))
            if role == CROSS:
                for d in json.loads(docs):
                    cross[d] = cross.get(d, 0) + 1
            if len(views) >= BATCH:
                db.executemany("INSERT INTO view VALUES (?, ?, ?, ?)", views)
                views = []
        db.executemany("INSERT INTO view VALUES (?, ?, ?, ?)", views)
        db.executemany("INSERT INTO doc (doc_id, cross_doc) VALUES (?, ?) ON CONFLICT (doc_id) "
                       "DO UPDATE SET cross_doc = excluded.cross_doc", cross.items())

    def documents(self) -> Iterator[dict[str, Any]]:
        """Each document with a report or findings of its own, by doc_id: its summary row."""
        self.finish()
        for (doc_id, reported, kinds, total, error, warning, info, other, schema, inputs,
             cross) in self.db.execute(
                "SELECT doc_id, reported, kinds, total, error, warning, info, other, schema, "
                f"input, cross_doc FROM doc WHERE {_LISTED} ORDER BY doc_id"):
            counts = json.loads(kinds) if kinds else count_kinds([])
            severities = ordered_counts({"error": error, "warning": warning, "info": info,
                                         **json.loads(other)}, SEVERITIES)
            yield {"doc_id": doc_id, "has_report": bool(reported),
                   "facts": {"total": sum(counts.values()), "by_kind": counts},
                   "findings": {"total": total, "by_severity": severities,
                                "schema_failures": schema, "input_errors": inputs,
                                "cross_document": cross}}

    def document_count(self) -> tuple[int, int]:
        """(documents listed in the summary, their facts)."""
        self.finish()
        n, facts = self.db.execute(f"SELECT count(*), sum(facts) FROM doc WHERE {_LISTED}"
                                   ).fetchone()
        return n, facts or 0

    def is_reported(self, doc_id: str) -> bool:
        got = self.db.execute("SELECT reported FROM doc WHERE doc_id = ?", (doc_id,)).fetchone()
        return bool(got and got[0])

    def views(self, role: str) -> Iterator[tuple[dict[str, str], str, list[str],
                                                 dict[str, dict[str, object]]]]:
        """The summary's findings of ``role`` (:data:`CROSS`, :data:`INPUT`) in its order:
        (row, anchor, documents cited, the quoted facts it cites by id)."""
        self.finish()
        cur = self.db.cursor()  # the facts are looked up on the connection meanwhile
        for row, anchor, docs in cur.execute(
                "SELECT f.row, v.anchor, f.docs FROM view v JOIN finding f ON f.seq = v.seq "
                "WHERE v.role = ? ORDER BY v.pos", (role,)):
            record = dict(zip(FINDING_COLUMNS, json.loads(row), strict=True))
            yield record, anchor, json.loads(docs), \
                self.cited_facts(split_ids(record["fact_ids"]), quoted=True)
