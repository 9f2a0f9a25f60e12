"""Load, validate and compile the declarative rule files of ``rules/``.

Every file is read with ``yaml.safe_load`` and checked against a strict schema: an unknown key,
a missing key, a duplicate id, an undefined ``{fragment}`` or a regex that does not compile
stops the load with a one-line :class:`RuleFileError` naming the file, the rule id and the key.
Fragments (``{number}``, ``{scale}`` ...) are declared once and composed by reference.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex
import yaml

from .errors import RuleFileError, yaml_problem

FLAGS = regex.VERBOSE | regex.IGNORECASE | regex.MULTILINE | regex.V0
_REF = regex.compile(r"(?<!\\[pPN])\{([A-Za-z_][A-Za-z0-9_]*)\}")

# ---------------------------------------------------------------------------------------------
# schema: section -> (kind, entry keys); entry keys: name -> (types, required)
STR, LIST, DICT, NUM, BOOL = (str,), (list,), (dict,), (int, float), (bool,)
EXAMPLES = (dict, list)

_ENTRY_COMMON = {"id": (STR, True), "description": (STR, True)}
_PATTERNED = {**_ENTRY_COMMON, "pattern": (STR, True), "examples": (EXAMPLES, False)}

SECTIONS: dict[str, tuple[str, dict[str, tuple[tuple[type, ...], bool]]]] = {
    "rules": ("list", {**_PATTERNED, "name": (STR, True), "kind": (STR, True),
                       "keywords": (LIST, False),
                       "range": (BOOL, False), "multiplier": (STR, False),
                       "currency": (STR, False), "fraction": (BOOL, False),
                       "tiers": (BOOL, False)}),
    "metrics": ("list", {"id": (STR, True), "description": (STR, True), "type": (STR, True),
                         "cues": (LIST, True), "result": (STR, False), "sign": (NUM, False),
                         "per_share": (BOOL, False), "per_share_only": (BOOL, False),
                         "requires": (STR, False), "excludes": (STR, False),
                         "excludes_right": (STR, False), "excludes_left": (STR, False),
                         "priority": (NUM, False),
                         "bridge": (NUM, False), "cumulative": (BOOL, False),
                         "per_share_of": (LIST, False),
                         "effect": (NUM, False), "examples": (EXAMPLES, False)}),
    "relabels": ("list", {**_PATTERNED, "metric": (STR, True)}),
    "periods": ("list", {**_PATTERNED, "span": (STR, True)}),
    "dates": ("list", {**_PATTERNED, "relative": (STR, False)}),
    "scopes": ("list", {**_PATTERNED, "scope": (STR, True)}),
    "parties": ("list", _PATTERNED),
    "qualifiers": ("list", {**_PATTERNED, "value": (STR, True)}),
    "directions": ("list", {**_PATTERNED, "value": (STR, True), "sense": (STR, True)}),
    "changes": ("list", {**_PATTERNED, "where": (STR, True), "label_right": (STR, False)}),
    "comparisons": ("list", _PATTERNED),
    "coordinations": ("list", _PATTERNED),
    "uncertainty": ("list", _PATTERNED),
    "corrections": ("list", _PATTERNED),
    "binders": ("list", _PATTERNED),
    "right_gaps": ("list", _PATTERNED),
    "name_separators": ("list", _PATTERNED),
    "clause_ends": ("list", _PATTERNED),
    "bare_amount_leads": ("list", _PATTERNED),
    "bare_amount_followers": ("list", _PATTERNED),
    "guidance": ("list", _PATTERNED),
    "modifiers": ("list", _PATTERNED),
    "anaphora": ("list", _PATTERNED),
    "non_exhaustive": ("list", _PATTERNED),
    "speakers": ("list", {**_PATTERNED, "inline": (BOOL, False), "bare": (BOOL, False)}),
    "checks": ("list", {"id": (STR, True), "name": (STR, True), "family": (STR, True),
                        "severity": (STR, True), "description": (STR, True),
                        "parameters": (DICT, False), "examples": (EXAMPLES, True)}),
    # mappings
    "fragments": ("fragments", {}),
    "tiers": ("mapping", {}),
    "horizon": ("mapping", {}),
    "stop_names": ("strings", {}),
    "not_speakers": ("patterns", {}),
    "operators": ("patterns", {}),
    "participants": ("patterns", {}),
    "roles": ("patterns", {}),
    "sections": ("patterns", {}),
    "sentences": ("patterns", {}),
    "boilerplate": ("boilerplate", {}),
    "metadata": ("metadata", {}),
    "parameters": ("mapping", {}),
    "currencies": ("mapping", {}),
    "scales": ("mapping", {}),
    "number_words": ("mapping", {}),
    "fractions": ("mapping", {}),
}
KINDS = {"money", "per_share", "percent", "runway"}
METRIC_TYPES = {"flow", "balance", "contractual", "ratio", "none"}
SEVERITIES = {"error", "warning", "info"}
ID_PREFIX = {"money": "MONEY-", "per_share": "PS-", "percent": "PCT-", "runway": "RUNWAY-"}


@dataclass(frozen=True)
class Entry:
    """One declared item: a recogniser, a cue, a check ... with its compiled pattern."""

    id: str
    file: str
    section: str
    data: dict[str, Any]
    regex: regex.Pattern | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def description(self) -> str:
        return self.data.get("description", "")


@dataclass(frozen=True)
class Metric:
    id: str
    type: str
    description: str
    result: str | None
    sign: int
    per_share: bool
    per_share_only: bool
    priority: int
    cue: regex.Pattern | None
    requires: regex.Pattern | None
    excludes: regex.Pattern | None
    excludes_right: regex.Pattern | None
    excludes_left: regex.Pattern | None
    file: str
    examples: list
    bridge: int = 0  # +1 an inflow, -1 an outflow of a cash bridge, 0 not a bridge flow
    cumulative: bool = False  # a year-to-date amount that cannot shrink within a fiscal year
    effect: int = 0  # +1 / -1: how a rise of this metric moves the net result
    per_share_of: tuple[str, ...] = ()  # the amounts a per-share metric divides (eps: net income)


@dataclass
class RuleSet:
    """Everything compiled from ``rules/``: built once per process (see :func:`load_rules`)."""

    directory: str
    fragments: dict[str, str] = field(default_factory=dict)
    sections: dict[str, list[Entry]] = field(default_factory=dict)
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    patterns: dict[str, dict[str, regex.Pattern]] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    stop_names: frozenset[str] = frozenset()
    boilerplate_lines: list[Entry] = field(default_factory=list)
    boilerplate_blocks: list[tuple[Entry, regex.Pattern, regex.Pattern]] = field(
        default_factory=list)
    metadata: dict[str, list[Entry]] = field(default_factory=dict)
    #: the recognisers' keywords (sorted) and an Aho-Corasick automaton finding them all in one
    #: pass (``pyahocorasick``): value ``(index in keywords, length)``; None when there are none
    keywords: tuple[str, ...] = ()
    keyword_automaton: Any = None

    def entries(self, section: str) -> list[Entry]:
        return self.sections.get(section, [])

    @property
    def recognizers(self) -> list[Entry]:
        return self.sections.get("rules", [])

    def by_id(self) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        for entries in self.sections.values():
            for e in entries:
                out[e.id] = e
        for entries in self.metadata.values():
            for e in entries:
                out[e.id] = e
        for e in self.boilerplate_lines:
            out[e.id] = e
        for e, _s, _e in self.boilerplate_blocks:
            out[e.id] = e
        return out

    def compile(self, source: str, file: str = "<pattern>", rule_id: str | None = None,
                key: str = "pattern", flags: int = FLAGS) -> regex.Pattern:
        return _compile(source, self.fragments, file, rule_id, key, flags)


# ---------------------------------------------------------------------------------------------
def default_rules_dir() -> str:
    """The rules directory: $FIGURES_RULES_DIR, else the installed package data."""
    env = os.environ.get("FIGURES_RULES_DIR")
    if env:
        return env
    return str(importlib.resources.files("extractor.rules"))


def load_rules(directory: str | None = None) -> RuleSet:
    """Load and compile every ``*.yaml`` of ``directory`` (default :func:`default_rules_dir`),
    cached per directory: ``load_rules()``, ``load_rules(None)`` and ``load_rules(path)`` of
    the same folder compile the rules once (a compile costs about 0.3 s)."""
    return _load(str(directory or default_rules_dir()))


@lru_cache(maxsize=8)
def _load(directory: str) -> RuleSet:
    path = Path(directory)
    if not path.is_dir():
        raise RuleFileError(str(path), "rules directory not found")
    files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise RuleFileError(str(path), "no rule files (*.yaml) in the rules directory")
    raw: list[tuple[str, dict[str, Any]]] = []
    for p in files:
        raw.append((p.name, _read_yaml(p)))
    return _build(str(path), raw)


load_rules.cache_clear = _load.cache_clear  # type: ignore[attr-defined]


def _read_yaml(p: Path) -> dict[str, Any]:
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(p.name, f"cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem, line, _col = yaml_problem(exc)
        where = f" at line {line}" if line is not None else ""
        raise RuleFileError(p.name, f"invalid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise RuleFileError(p.name, "a rule file must be a mapping of sections")
    return data


def _check_entry(file: str, section: str, item: Any, schema: dict, index: int) -> str:
    if not isinstance(item, dict):
        raise RuleFileError(file, f"{section}[{index}] must be a mapping")
    rid = item.get("id")
    if not isinstance(rid, str) or not rid:
        raise RuleFileError(file, f"{section}[{index}] has no id", key="id")
    for key, value in item.items():
        if key not in schema:
            raise RuleFileError(file, "unknown key", rule_id=rid, key=str(key))
        types, _req = schema[key]
        if value is not None and not isinstance(value, types):
            names = "/".join(t.__name__ for t in types)
            raise RuleFileError(file, f"must be {names}", rule_id=rid, key=key)
    for key, (_types, required) in schema.items():
        if required and item.get(key) in (None, ""):
            raise RuleFileError(file, "missing required key", rule_id=rid, key=key)
    return rid


def _resolve(name: str, fragments: dict[str, str], stack: tuple[str, ...], file: str,
             rule_id: str | None, key: str) -> str:
    if name in stack:
        raise RuleFileError(file, f"fragment cycle {' -> '.join((*stack, name))}",
                            rule_id=rule_id, key=key)
    if name not in fragments:
        raise RuleFileError(file, f"undefined fragment {{{name}}}", rule_id=rule_id, key=key)
    return _expand(fragments[name], fragments, (*stack, name), file, rule_id, key)


def _expand(source: str, fragments: dict[str, str], stack: tuple[str, ...], file: str,
            rule_id: str | None, key: str) -> str:
    return _REF.sub(lambda m: "(?:" + _resolve(m.group(1), fragments, stack, file, rule_id, key)
                    + ")", source)


_HSPACE = r"[\ \t\u00a0\u2009\u202f]"


def _spaces(source: str) -> str:
    """Rewrite each escaped space outside a character class as 'any horizontal space'.

    Transcripts use no-break and thin spaces where a writer typed a space; a rule's ``\\ ``
    matches all of them (inside ``[...]`` it stays a plain space)."""
    out, i, depth, n = [], 0, 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n:
            if source[i + 1] == " " and depth == 0:
                out.append(_HSPACE)
            else:
                out.append(source[i:i + 2])
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        out.append(ch)
        i += 1
    return "".join(out)


def _compile(source: str, fragments: dict[str, str], file: str, rule_id: str | None, key: str,
             flags: int = FLAGS, examples: Any = None) -> regex.Pattern:
    expanded = _spaces(_expand(source, fragments, (), file, rule_id, key))
    try:
        compiled = regex.compile(expanded, flags)
    except (regex.error, ValueError, OverflowError) as exc:
        raise RuleFileError(file, f"regex does not compile: {exc}", rule_id=rule_id,
                            key=key) from None
    _probe(compiled, file, rule_id, key, _example_text(examples))
    return compiled


# ---------------------------------------------------------------------------------------------
# Catastrophic backtracking: every compiled pattern is run on adversarial probe strings when it
# is loaded. Short runs of one character catch exponential patterns ("(a|a)+$" explodes within
# forty characters); long runs catch polynomial ones ("(a+)+$" is fine on a line and stalls on
# a 20 MB one). A pattern that does not finish a probe within PROBE_TIMEOUT is run again with
# PROBE_CONFIRM (a loaded machine is not a bad rule) and rejected if it still does not finish.
PROBE_TIMEOUT = 0.1
PROBE_CONFIRM = 1.0
_PROBE_LONG = 1000


def _probe_strings() -> list[tuple[str, str]]:
    """(description, text) of every probe, the cheap ones first. Each is a run of one unit
    followed by a tail of punctuation: the run is what nested repeats backtrack over, the tail
    holds the literal such a pattern waits for (the engine skips a text without it)."""
    tail = "!\"#$%&'*+,-./:;<=>?@\\^_`|~"
    short = [(f"{ch!r} * 40 + {tail!r}", ch * 40 + tail)
             for ch in "abcdefghijklmnopqrstuvwxyz01 $,.-([\u00a0"]
    n = _PROBE_LONG
    units = ["a", "Aa", "1", "1,", "a ", " ", "$", "a\n", "a1 ,.-$[(\u00a0"]
    long = [(f"{u!r} * {n // len(u)} + {tail!r}", u * (n // len(u)) + tail) for u in units]
    long.append((f"'[' * {n // 2} + '(' * {n // 2}", "[" * (n // 2) + "(" * (n // 2)))
    return short + long


_PROBES = _probe_strings()
_SAFE: set[tuple[str, int, str]] = set()  # (source, flags, suffix) that passed every probe
_SUFFIX_CHARS = 600


def _example_text(examples: Any) -> str:
    """The rule's own example sentences, appended to each probe: a pattern that needs a literal
    ("USD", "per share") is only tried, and can only backtrack, where that literal occurs."""
    return " ".join(_match_texts(examples))[:_SUFFIX_CHARS]


def _match_texts(examples: Any) -> list[str]:
    """The texts of an entry's ``match`` examples (``examples`` a mapping with a ``match``
    list, or a plain list; an example a string or a mapping with a ``text``)."""
    items = (examples.get("match") or []) if isinstance(examples, dict) else (examples or [])
    texts = [it.get("text") if isinstance(it, dict) else it for it in items]
    return [t for t in texts if isinstance(t, str)]


def _probe(pattern: regex.Pattern, file: str, rule_id: str | None, key: str,
           suffix: str = "") -> None:
    """Reject ``pattern`` with a one-line RuleFileError when a probe string stalls it."""
    if (pattern.pattern, pattern.flags, suffix) in _SAFE:
        return
    for desc, probe in _PROBES:
        text = f"{probe} {suffix}" if suffix else probe
        for limit in (PROBE_TIMEOUT, PROBE_CONFIRM):
            try:
                for _m in pattern.finditer(text, timeout=limit):
                    pass
                break
            except TimeoutError:
                if limit == PROBE_CONFIRM:
                    what = desc + (" + ' ' + the rule's examples" if suffix else "")
                    raise RuleFileError(
                        file, f"catastrophic backtracking on probe {what} (no result within "
                        f"{limit:g} s); rewrite the pattern without nested or overlapping "
                        "repeats", rule_id=rule_id, key=key) from None
    _SAFE.add((pattern.pattern, pattern.flags, suffix))


def _build(directory: str, raw: Iterable[tuple[str, dict[str, Any]]]) -> RuleSet:
    rs = RuleSet(directory=directory)
    raw = list(raw)
    seen: dict[str, str] = {}

    def claim(rid: str, file: str) -> None:
        if rid in seen:
            raise RuleFileError(file, f"duplicate id (also in {seen[rid]})", rule_id=rid, key="id")
        seen[rid] = file

    # pass 1: schema + fragments
    for file, data in raw:
        for top, value in data.items():
            if top == "version":
                if value != 1:
                    raise RuleFileError(file, "unsupported version (expected 1)", key="version")
                continue
            if top not in SECTIONS:
                raise RuleFileError(file, "unknown section", key=str(top))
            kind, _schema = SECTIONS[top]
            if kind == "fragments":
                if not isinstance(value, dict):
                    raise RuleFileError(file, "fragments must be a mapping", key=top)
                for name, frag in value.items():
                    if not isinstance(frag, dict) or set(frag) - {"pattern", "description"} \
                            or "pattern" not in frag:
                        raise RuleFileError(file, "a fragment needs exactly pattern and "
                                            "description", rule_id=str(name), key="pattern")
                    claim(f"fragment:{name}", file)
                    rs.fragments[name] = frag["pattern"]
    # fragments derived from cue lists: {direction}, {qualifier}
    for _file, data in raw:
        for section, frag_name in (("directions", "direction"), ("qualifiers", "qualifier")):
            items = data.get(section) or []
            if items:
                alts = "|".join(f"(?:{it.get('pattern', '')})" for it in items
                                if isinstance(it, dict))
                rs.fragments[frag_name] = f"(?<![\\w-])(?:{alts})(?![\\w-])"

    # pass 2: entries
    for file, data in raw:
        for top, value in data.items():
            if top in ("version", "fragments"):
                continue
            kind, schema = SECTIONS[top]
            if kind == "list":
                if not isinstance(value, list):
                    raise RuleFileError(file, "must be a list", key=top)
                for i, item in enumerate(value):
                    rid = _check_entry(file, top, item, schema, i)
                    claim(rid, file)
                    if top == "metrics":
                        rs.metrics[rid] = _metric(rs, file, item)
                        continue
                    _validate_semantics(file, top, item)
                    pattern = item.get("pattern")
                    compiled = _compile(pattern, rs.fragments, file, rid, "pattern",
                                        examples=item.get("examples")) if pattern else None
                    extra = {}
                    if item.get("label_right"):
                        extra["label_right"] = _compile(item["label_right"], rs.fragments,
                                                        file, rid, "label_right")
                    if top == "rules":
                        extra["keywords"] = _keywords(file, item)
                    entry = Entry(rid, file, top, {**item, **{f"_{k}": v for k, v in
                                                                extra.items()}}, compiled)
                    rs.sections.setdefault(top, []).append(entry)
            elif kind == "mapping":
                if not isinstance(value, dict):
                    raise RuleFileError(file, "must be a mapping", key=top)
                rs.mappings.setdefault(top, {}).update(value)
            elif kind == "strings":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise RuleFileError(file, "must be a list of strings", key=top)
                rs.stop_names = frozenset(rs.stop_names | set(value))
            elif kind == "patterns":
                rs.patterns[top] = _pattern_map(rs, file, top, value)
            elif kind == "boilerplate":
                _boilerplate(rs, file, value, claim)
            elif kind == "metadata":
                _metadata(rs, file, value, claim)
    _check_rules(rs)
    rs.keywords = tuple(sorted({kw for e in rs.recognizers for kw in e.get("_keywords") or ()}))
    if rs.keywords:
        import ahocorasick

        rs.keyword_automaton = ahocorasick.Automaton()
        for k, kw in enumerate(rs.keywords):
            rs.keyword_automaton.add_word(kw, (k, len(kw)))
        rs.keyword_automaton.make_automaton()
    return rs


def _pattern_map(rs: RuleSet, file: str, top: str, value: Any) -> dict[str, regex.Pattern]:
    if isinstance(value, str):
        value = {"pattern": value}
    if not isinstance(value, dict):
        raise RuleFileError(file, "must be a mapping of name: pattern", key=top)
    out = {}
    for name, pat in value.items():
        if not isinstance(pat, str):
            raise RuleFileError(file, "pattern must be a string", key=f"{top}.{name}")
        out[name] = _compile(pat, rs.fragments, file, None, f"{top}.{name}")
    return out


def _boilerplate(rs: RuleSet, file: str, value: Any, claim) -> None:
    if not isinstance(value, dict) or set(value) - {"lines", "blocks"}:
        raise RuleFileError(file, "boilerplate has lines and blocks only", key="boilerplate")
    for i, item in enumerate(value.get("lines") or []):
        rid = _check_entry(file, "boilerplate.lines", item, SECTIONS["uncertainty"][1], i)
        claim(rid, file)
        rs.boilerplate_lines.append(Entry(rid, file, "boilerplate", item,
                                          _compile(item["pattern"], rs.fragments, file, rid,
                                                   "pattern")))
    schema = {**_ENTRY_COMMON, "start": (STR, True), "end": (STR, True)}
    for i, item in enumerate(value.get("blocks") or []):
        rid = _check_entry(file, "boilerplate.blocks", item, schema, i)
        claim(rid, file)
        rs.boilerplate_blocks.append((Entry(rid, file, "boilerplate", item),
                                      _compile(item["start"], rs.fragments, file, rid, "start"),
                                      _compile(item["end"], rs.fragments, file, rid, "end")))


def _metadata(rs: RuleSet, file: str, value: Any, claim) -> None:
    if not isinstance(value, dict):
        raise RuleFileError(file, "metadata must be a mapping", key="metadata")
    schema = {**_PATTERNED, "scale": (NUM, False), "lines": (STR, False)}
    for group, items in value.items():
        if not isinstance(items, list):
            raise RuleFileError(file, "must be a list", key=f"metadata.{group}")
        for i, item in enumerate(items):
            rid = _check_entry(file, f"metadata.{group}", item, schema, i)
            claim(rid, file)
            data = dict(item)
            if "lines" in item:
                data["_lines"] = _lines_filter(rs, file, item)
            rs.metadata.setdefault(group, []).append(
                Entry(rid, file, f"metadata.{group}", data,
                      _compile(item["pattern"], rs.fragments, file, rid, "pattern")))


def _lines_filter(rs: RuleSet, file: str, item: dict[str, Any]) -> regex.Pattern:
    """A metadata entry's ``lines``: a cheap pattern that finds something on every line
    holding a match of the entry (whose matches never cross a newline); the entry's own
    pattern then runs on those lines only. Each ``match`` example must hold a match of it,
    which catches a filter that misses a form."""
    rid = item["id"]
    compiled = _compile(item["lines"], rs.fragments, file, rid, "lines")
    for text in _match_texts(item.get("examples")):
        if compiled.search(text) is None:
            raise RuleFileError(file, f"match example {text!r} holds no match of 'lines'",
                                rule_id=rid, key="lines")
    return compiled


def _metric(rs: RuleSet, file: str, item: dict[str, Any]) -> Metric:
    rid = item["id"]
    if not regex.fullmatch(r"[a-z][a-z0-9_]*", rid):
        raise RuleFileError(file, "metric ids are snake_case", rule_id=rid, key="id")
    if item["type"] not in METRIC_TYPES:
        raise RuleFileError(file, f"type must be one of {sorted(METRIC_TYPES)}", rule_id=rid,
                            key="type")
    cues = item.get("cues") or []
    for i, c in enumerate(cues):
        if not isinstance(c, str):
            raise RuleFileError(file, "cues must be strings", rule_id=rid, key=f"cues[{i}]")
        _compile(c, rs.fragments, file, rid, f"cues[{i}]", examples=item.get("examples"))
    cue = None
    if cues:
        alts = "|".join(f"(?:{c})" for c in cues)
        cue = _compile(f"(?<![\\w&-])(?:{alts})(?![\\w&])", rs.fragments, file, rid, "cues")
    def opt(key: str) -> regex.Pattern | None:
        return _compile(item[key], rs.fragments, file, rid, key) if item.get(key) else None
    return Metric(
        id=rid, type=item["type"], description=item["description"],
        result=item.get("result"), sign=int(item.get("sign", 1)),
        per_share=bool(item.get("per_share", False)),
        per_share_only=bool(item.get("per_share_only", False)),
        priority=int(item.get("priority", 0)), cue=cue, requires=opt("requires"),
        excludes=opt("excludes"), excludes_right=opt("excludes_right"),
        excludes_left=opt("excludes_left"), file=file,
        examples=_example_list(item.get("examples")), bridge=int(item.get("bridge", 0)),
        cumulative=bool(item.get("cumulative", False)), effect=int(item.get("effect", 0)),
        per_share_of=tuple(item.get("per_share_of") or ()))


def _example_list(ex: Any) -> list:
    if ex is None:
        return []
    if isinstance(ex, list):
        return ex
    return list(ex.get("match") or [])


def _validate_semantics(file: str, section: str, item: dict[str, Any]) -> None:
    rid = item["id"]
    if section == "rules":
        kind = item["kind"]
        if kind not in KINDS:
            raise RuleFileError(file, f"kind must be one of {sorted(KINDS)}", rule_id=rid,
                                key="kind")
        if not rid.startswith(ID_PREFIX[kind]):
            raise RuleFileError(file, f"a {kind} rule id starts with {ID_PREFIX[kind]}",
                                rule_id=rid, key="id")
        if "multiplier" in item:
            try:
                Decimal(item["multiplier"])
            except ArithmeticError:
                raise RuleFileError(file, "not a decimal", rule_id=rid,
                                    key="multiplier") from None
        ex = item.get("examples")
        if not isinstance(ex, dict) or not ex.get("match"):
            raise RuleFileError(file, "a recogniser needs examples with at least one match",
                                rule_id=rid, key="examples")
        if set(ex) - {"match", "no_match", "xfail"}:
            raise RuleFileError(file, "examples take match, no_match and xfail",
                                rule_id=rid, key="examples")
    if section == "checks":
        if item["severity"] not in SEVERITIES:
            raise RuleFileError(file, f"severity must be one of {sorted(SEVERITIES)}",
                                rule_id=rid, key="severity")
        if not regex.fullmatch(r"XC-[0-9]{3}", rid):
            raise RuleFileError(file, "check ids are XC-nnn", rule_id=rid, key="id")
    if section == "changes" and item["where"] not in ("left", "right", "both"):
        raise RuleFileError(file, "where is left, right or both", rule_id=rid, key="where")
    if section == "directions" and item["sense"] not in ("magnitude", "result"):
        raise RuleFileError(file, "sense is magnitude or result", rule_id=rid, key="sense")


#: what keyword matching ignores: case (``str.lower`` plus the two letters that the ``regex``
#: case-insensitive match pairs with an ASCII letter and ``lower`` does not: long s with S,
#: dotless i with I; dotted capital I lowers to two characters, see below) and the kind of
#: horizontal space (``\ `` in a rule matches all of them). Length-preserving, so offsets in the
#: folded text are offsets in the text. tests/test_recognize_prefilter.py derives the letters
#: from ``regex`` itself.
KEYWORD_FOLD = {0x17F: "s", 0x131: "i", 0x09: " ", 0xA0: " ", 0x2009: " ", 0x202F: " "}


def fold_for_keywords(text: str) -> str | None:
    """``text`` folded for the keyword pre-filter, or None where folding would move offsets
    (a letter whose lower case is two characters, such as dotted capital I)."""
    folded = text.lower()
    if len(folded) != len(text):
        return None
    if not folded.isascii():  # str.replace per character: translate() is ten times slower
        for code, to in KEYWORD_FOLD.items():
            if chr(code) in folded:
                folded = folded.replace(chr(code), to)
    elif "\t" in folded:
        folded = folded.replace("\t", " ")
    return folded


def _keywords(file: str, item: dict[str, Any]) -> tuple[str, ...] | None:
    """A recogniser's ``keywords``: literal strings of which every match contains one (folded
    as :func:`fold_for_keywords`); the rule then runs only on the lines holding one. Each
    ``match`` example must contain one, which catches a keyword list that misses a form."""
    rid = item["id"]
    words = item.get("keywords")
    if words is None:
        return None
    if not words or not all(isinstance(w, str) and w.strip() for w in words):
        raise RuleFileError(file, "must be a non-empty list of non-empty strings",
                            rule_id=rid, key="keywords")
    folded = tuple(dict.fromkeys(w.lower().translate(KEYWORD_FOLD) for w in words))
    for text in _match_texts(item.get("examples")):
        low = text.lower().translate(KEYWORD_FOLD)
        if not any(w in low for w in folded):
            raise RuleFileError(file, f"match example {text!r} contains none of the keywords",
                                rule_id=rid, key="keywords")
    return folded


def _check_rules(rs: RuleSet) -> None:
    kinds = {e.get("kind") for e in rs.recognizers}
    missing = KINDS - kinds
    if rs.recognizers and missing:
        raise RuleFileError(rs.directory, f"no recogniser for kind(s) {sorted(missing)}")
