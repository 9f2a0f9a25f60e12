"""Periods, as-of dates and runway horizons, resolved against the document's own dates.

Never reads the clock: "the third quarter" is the third quarter of the call's fiscal year,
"into early 2023" is 2023-01-01..2023-04-30, "at least the next 12 months" counts from the
as-of date of the cash it refers to.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex

from .documents import Metadata, parse_date
from .ruleset import RuleSet

_WORD_NUM = {"three": 3, "six": 6, "nine": 9, "twelve": 12, "3": 3, "6": 6, "9": 9, "12": 12,
             "one": 1, "two": 2, "four": 4, "five": 5, "eighteen": 18, "twenty-four": 24}
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3,
        "4th": 4}


@dataclass(frozen=True)
class PeriodMention:
    start: int
    end: int
    span: str  # Q1..Q4, H1, H2, 9M, FY, YTD, CURRENT_Q, PRIOR, YEAR
    year: int | None
    rule_id: str
    text: str
    prior: bool = False  # "... of last year": one year before the stated or call year


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    date: dt.date
    rule_id: str
    text: str


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    raw = raw.strip("'")
    if len(raw) == 2 and raw.isdigit():
        return 2000 + int(raw)
    return int(raw) if raw.isdigit() else None


#: ``finditer(pattern, start, end)``: the matches of ``pattern`` in the text between the offsets
#: (in text order, as ``pattern.finditer(text, start, end)`` gives them)
Finditer = Callable[[regex.Pattern, int, int], Iterable[regex.Match]]


def find_periods(rs: RuleSet, text: str, start: int, end: int,
                 finditer: Finditer | None = None) -> list[PeriodMention]:
    """Period mentions in text[start:end]; ``finditer`` runs the patterns (a pre-filtered
    scan of ``text``), by default ``pattern.finditer``."""
    out: list[PeriodMention] = []
    for entry in rs.entries("periods"):
        found = finditer(entry.regex, start, end) if finditer is not None else \
            entry.regex.finditer(text, start, end)
        for m in found:
            gd = m.groupdict()
            span = entry.get("span")
            year = _year(gd.get("year2") if span == "YEAR" and gd.get("year2") else None) \
                or _year(gd.get("year")) or _year(gd.get("year2")) or _year(gd.get("year3")) \
                or _year(gd.get("year4"))
            if span == "NM":
                n = _WORD_NUM.get((gd.get("n") or "").lower(), 0)
                span = {3: "Q1", 6: "H1", 9: "9M", 12: "FY"}.get(n, "")
                if not span:
                    continue
            elif span == "H":
                h = gd.get("h") or str(_ORD.get((gd.get("hw") or "").lower(), 1))
                span = f"H{h}"
            elif span == "Q":
                q = gd.get("q") or str(_ORD.get((gd.get("qw") or gd.get("qw2") or "").lower(), 0))
                if q == "0":
                    continue
                span = f"Q{q}"
            if span == "MONTH":
                span = "M:" + (gd.get("month") or "")[:3].lower()
            out.append(PeriodMention(m.start(), m.end(), span, year, entry.id, m.group(),
                                     bool(gd.get("prior"))))
    return _leftmost_longest(out)


def find_dates(rs: RuleSet, text: str, start: int, end: int, meta: Metadata,
               finditer: Finditer | None = None) -> list[DateMention]:
    """Dates in text[start:end] (``finditer`` as in :func:`find_periods`)."""
    out: list[DateMention] = []
    for entry in rs.entries("dates"):
        found = finditer(entry.regex, start, end) if finditer is not None else \
            entry.regex.finditer(text, start, end)
        for m in found:
            gd = m.groupdict()
            rel = entry.get("relative")
            date = None
            if gd.get("date"):
                date = parse_date(gd["date"])
            elif rel == "quarter_end":
                date = meta.period_end
            elif rel == "year_end":
                y = _year(gd.get("year3")) or _year(gd.get("year")) or _year(gd.get("year2")) \
                    or meta.fiscal_year
                if y:
                    date = _month_end(y, meta.fye_month)
            elif rel == "prior_year_end":
                y = meta.fiscal_year
                if y:
                    date = _month_end(y - 1, meta.fye_month)
            elif rel == "named_quarter_end":
                q = _ORD.get((gd.get("qw") or "").lower())
                y = meta.fiscal_year
                if q and y:
                    from .documents import _quarter_end

                    date = _quarter_end(y, q, meta.fye_month)
            elif rel == "month_day":
                date = _month_day(gd, meta)
            if date:
                out.append(DateMention(m.start(), m.end(), date, entry.id, m.group()))
    return _leftmost_longest(out)


def _leftmost_longest(items: list) -> list:
    """Non-overlapping mentions: at each place the one starting first, the longest of those."""
    items.sort(key=lambda x: (x.start, -(x.end - x.start)))
    kept: list = []
    for x in items:
        if kept and x.start < kept[-1].end:
            continue
        kept.append(x)
    return kept


def _month_day(gd: dict, meta: Metadata) -> dt.date | None:
    """'31 December' / 'the end of June': the latest such date not after the period end."""
    ref = meta.period_end or meta.call_date
    if ref is None:
        return None
    name = gd.get("month_end") or gd.get("month") or gd.get("month2") or ""
    probe = parse_date(f"1 {name} 2000")
    if probe is None:
        return None
    month = probe.month
    for year in (ref.year, ref.year - 1):
        if gd.get("month_end"):
            d = _month_end(year, month)
        else:
            day = int(gd.get("day") or gd.get("day2") or 0)
            try:
                d = dt.date(year, month, day)
            except ValueError:
                return None
        if d <= ref:
            return d
    return None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def fmt(span: str, year: int, meta: Metadata) -> str:
    """Period text: 'Q3-2021', '9M-2021', 'FY-2020'; fiscal years: 'Q3-FY2025', 'FY2025'."""
    if meta.fiscal_calendar:
        return f"FY{year}" if span == "FY" else f"{span}-FY{year}"
    return f"{span}-{year}"


def split(period: str) -> tuple[str, int] | None:
    """'9M-2021' -> ('9M', 2021); 'Q3-FY2025' -> ('Q3', 2025); 'FY2025' -> ('FY', 2025)."""
    if not period:
        return None
    if period.startswith("FY") and "-" not in period:
        return ("FY", int(period[2:])) if period[2:].isdigit() else None
    span, _, year = period.partition("-")
    year = year.removeprefix("FY")
    return (span, int(year)) if year.isdigit() else None


def resolve(pm: PeriodMention, meta: Metadata, ref: str | None = None) -> str:
    """The period a mention names; ``ref`` is the period of the figure it is compared with."""
    fy = meta.fiscal_year
    if pm.span == "CURRENT_Q":
        if meta.half and fy:
            return fmt("H1", fy, meta)
        if meta.quarter and fy:
            return fmt(f"Q{meta.quarter}", fy, meta)
        return fmt("FY", fy, meta) if fy else ""
    if pm.span == "RATE":
        return ""
    if pm.span == "FY_CURRENT":
        return fmt("FY", fy, meta) if fy else ""
    if pm.span == "PRIOR":
        base = split(ref) if ref else None
        if base:
            return fmt(base[0], base[1] - 1, meta)
        if meta.quarter and fy:
            return fmt(f"Q{meta.quarter}", fy - 1, meta)
        return ""
    if pm.span == "YEAR":
        y = pm.year
        base = split(ref) if ref else None
        if base and y:
            return fmt(base[0], y, meta)
        if y and fy and y == fy and meta.quarter and meta.quarter < 4:
            return fmt("YTD", y, meta)
        return fmt("FY", y, meta) if y else ""
    if pm.span.startswith("M:"):
        ref_date = meta.call_date or meta.period_end
        probe = parse_date(f"1 {pm.span[2:]} 2000")
        if ref_date is None or probe is None:
            return ""
        year = ref_date.year if probe.month <= ref_date.month else ref_date.year - 1
        q = ((probe.month - meta.fye_month - 1) % 12) // 3 + 1
        return fmt(f"Q{q}", year if meta.fye_month == 12 else year + (probe.month > meta.fye_month),
                   meta)
    y = pm.year or fy
    if not y:
        return ""
    if pm.prior and not pm.year:
        y -= 1
    if pm.span == "YTD":
        # "year to date" in a quarterly call is its cumulative span (Q3 call: 9M)
        if y == fy and meta.quarter:
            return fmt({1: "Q1", 2: "H1", 3: "9M", 4: "FY"}[meta.quarter], y, meta)
        return fmt("YTD", y, meta)
    return fmt(pm.span, y, meta)


def period_between(d0: dt.date, d1: dt.date, meta: Metadata) -> str:
    """The flow period from one balance date to a later one (a cash bridge)."""
    months = (d1.year - d0.year) * 12 + d1.month - d0.month
    if months <= 0:
        return ""
    fye = meta.fye_month
    # fiscal quarter index of the end month
    q = ((d1.month - fye - 1) % 12) // 3 + 1
    fiscal_year = d1.year if d1.month <= fye else d1.year + 1
    if not meta.fiscal_calendar:
        fiscal_year = d1.year
    if months == 12 and q == 4:
        return fmt("FY", fiscal_year, meta)
    if months == 9 and q == 3:
        return fmt("9M", fiscal_year, meta)
    if months == 6 and q == 2:
        return fmt("H1", fiscal_year, meta)
    if months == 6 and q == 4:
        return fmt("H2", fiscal_year, meta)
    if months == 3:
        return fmt(f"Q{q}", fiscal_year, meta)
    return ""


def add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    y = d.year + m // 12
    m = m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def horizon(rs: RuleSet, groups: dict[str, str], as_of: dt.date | None
            ) -> tuple[dt.date | None, dt.date | None]:
    """(horizon_start, horizon_end) of a runway mention; None where open or unknown."""
    table = {str(k).lower(): v for k, v in rs.mappings.get("horizon", {}).items()}
    span = groups.get("span")
    if span:
        words = span.lower().replace("-", " ").split()
        n = next((int(w) for w in words if w.isdigit()), None)
        if n is None:
            n = next((_WORD_NUM[w] for w in words if w in _WORD_NUM), None)
        if n is None or as_of is None:
            return None, None
        months = n * 12 if any(w.startswith("year") for w in words) else \
            n * 3 if any(w.startswith("quarter") for w in words) else n
        end = add_months(as_of, months)
        return end, (None if groups.get("atleast") else end)
    time = (groups.get("time") or "").lower().strip()
    year = next((int(w) for w in time.replace("-", " ").split() if w.isdigit() and len(w) == 4),
                None)
    if year is None:
        return None, None
    before = time[: time.rfind(str(year))].strip().rstrip("-").strip()
    m0, m1 = 1, 12
    if before:
        key = max((k for k in table if before.endswith(k) or before == k), key=len, default=None)
        if key is not None:
            m0, m1 = table[key]
    start, end = dt.date(year, m0, 1), _month_end(year, m1)
    prep = (groups.get("prep") or "").lower()
    if "through" in prep or "until" in prep or "till" in prep or "end of" in prep:
        return end, end
    if "beyond" in prep:
        return add_months(end, 0) + dt.timedelta(days=1), None
    return start, end
