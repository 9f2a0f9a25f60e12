"""The facts table: one row per monetary amount, per-share figure, percent or runway."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pandas as pd
import pandera.pandas as pa

KINDS = ["money", "per_share", "percent", "runway"]
QUALIFIERS = ["none", "up_to", "over", "approximately", "at_least", "between"]
SECTIONS = ["header", "prepared", "qa"]
ROLES = ["", "executive", "analyst", "operator"]
PERIOD_RE = r"^$|^(?:Q[1-4]|H[12]|9M|YTD|FY)-(?:FY)?\d{4}$|^FY\d{4}$"
DATE_RE = r"^$|^\d{4}-\d{2}-\d{2}$"
DECIMAL_RE = r"^$|^-?\d+(?:\.\d+)?$"


def _dec(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


@pa.extensions.register_check_method(statistics=[])
def plain_decimal(series: pd.Series) -> pd.Series:
    """Decimal columns are plain decimal strings (no exponent, no float noise) or empty."""
    return series.str.fullmatch(DECIMAL_RE)


@pa.extensions.register_check_method(statistics=[])
def pint_unit(series: pd.Series) -> pd.Series:
    """Every unit is one the process-wide pint registry parses (USD, EUR/share, percent, date)."""
    from extractor.quantities import is_valid_unit

    cache: dict[str, bool] = {}
    return series.map(lambda u: cache.setdefault(u, is_valid_unit(u)))


def span_is_ordered(df: pd.DataFrame) -> pd.Series:
    """start < end and the text length equals the span."""
    return (df["start"] < df["end"]) & (df["text"].str.len() == df["end"] - df["start"])


def value_within_interval(df: pd.DataFrame) -> pd.Series:
    """low <= value <= high wherever the three are stated."""
    def ok(v: Decimal | None, lo: Decimal | None, hi: Decimal | None) -> bool:
        if v is None:
            return lo is None or hi is None or lo <= hi
        return (lo is None or lo <= v) and (hi is None or v <= hi)
    cols = [[_dec(x) for x in df[c].tolist()] for c in ("value", "low", "high")]
    return pd.Series([ok(*t) for t in zip(*cols, strict=True)], index=df.index, dtype=bool)


def balance_or_flow(df: pd.DataFrame) -> pd.Series:
    """A figure has a period or an as-of date, not both."""
    return (df["period"] == "") | (df["as_of"] == "")


def runway_has_horizon(df: pd.DataFrame) -> pd.Series:
    """Runway statements carry a horizon start."""
    return (df["kind"] != "runway") | (df["horizon_start"] != "")


#: Contract of ``facts.csv``: every figure with its context and exact span. A schema object,
#: not a ``DataFrameModel`` class: building a model's schema makes pandera import its Dask
#: integration when Dask is installed (about 60 MB in the writing process of a batch).
FACTS = pa.DataFrameSchema(
    {
        "doc_id": pa.Column(pd.StringDtype(),
                            description="file name without .txt"),
        "fact_id": pa.Column(pd.StringDtype(), unique=True,
                            description="stable id: doc:start-end"),
        "kind": pa.Column(pd.StringDtype(), [pa.Check.isin(KINDS)],
                            description="money | per_share | percent | runway"),
        "metric": pa.Column(pd.StringDtype(), [pa.Check.str_matches(r"^[a-z][a-z0-9_]*$")],
                            description="snake_case metric id from rules/metrics.yaml"),
        "entity": pa.Column(pd.StringDtype(),
                            description="slug of the party the figure belongs to"),
        "scope": pa.Column(pd.StringDtype(), [pa.Check.str_matches(r"^$|^consolidated$|^excl_[a-z0-9]+$")],
                            description="consolidated, excl_<subsidiary> or empty"),
        "period": pa.Column(pd.StringDtype(), [pa.Check.str_matches(PERIOD_RE)],
                            description="flows: Q3-2021, 9M-2021, FY-2020, Q3-FY2025 ..."),
        "as_of": pa.Column(pd.StringDtype(), [pa.Check.str_matches(DATE_RE)],
                            description="balances and runways: YYYY-MM-DD"),
        "value": pa.Column(pd.StringDtype(), [pa.Check.plain_decimal()],
                            description="exact value in base units"),
        "unit": pa.Column(pd.StringDtype(), [pa.Check.pint_unit()],
                            description="pint-parsable unit"),
        "low": pa.Column(pd.StringDtype(), [pa.Check.plain_decimal()],
                            description="low end of the rounding interval"),
        "high": pa.Column(pd.StringDtype(), [pa.Check.plain_decimal()],
                            description="high end of the rounding interval"),
        "qualifier": pa.Column(pd.StringDtype(), [pa.Check.isin(QUALIFIERS)],
                            description="stated bound or approximation"),
        "guidance": pa.Column(bool,
                            description="true for outlook figures"),
        "direction": pa.Column(pd.StringDtype(), [pa.Check.isin(["", "increase", "decrease"])],
                            description="stated changes: the direction word"),
        "comparison_period": pa.Column(pd.StringDtype(), [pa.Check.str_matches(PERIOD_RE)],
                            description="stated changes: the period compared with"),
        "compared_to": pa.Column(pd.StringDtype(),
                            description="fact_id of the figure it is compared with"),
        "horizon_start": pa.Column(pd.StringDtype(), [pa.Check.str_matches(DATE_RE)],
                            description="runway horizon start"),
        "horizon_end": pa.Column(pd.StringDtype(), [pa.Check.str_matches(DATE_RE)],
                            description="runway horizon end (empty: open)"),
        "uncertain": pa.Column(bool,
                            description="the transcript marks the figure or its label as unsure"),
        "label": pa.Column(pd.StringDtype(),
                            description="the label as stated when it differs from the metric"),
        "text": pa.Column(pd.StringDtype(), [pa.Check.str_length(**{"min_value": 1})],
                            description="literal figure = document[start:end]"),
        "start": pa.Column(int, [pa.Check.ge(0)],
                            description="character offset (inclusive)"),
        "end": pa.Column(int, [pa.Check.gt(0)],
                            description="character offset (exclusive)"),
        "line": pa.Column(int, [pa.Check.ge(1)],
                            description="1-based line of start"),
        "speaker": pa.Column(pd.StringDtype(),
                            description="who said it (name and title)"),
        "role": pa.Column(pd.StringDtype(), [pa.Check.isin(ROLES)],
                            description="executive | analyst | operator"),
        "section": pa.Column(pd.StringDtype(), [pa.Check.isin(SECTIONS)],
                            description="header | prepared | qa"),
        "sentence": pa.Column(pd.StringDtype(),
                            description="the sentence the figure is in"),
        "rule_id": pa.Column(pd.StringDtype(), [pa.Check.str_matches(r"^(?:MONEY|PS|PCT|RUNWAY)-\d{3}$")],
                            description="the recogniser that found it"),
    },
    checks=[pa.Check(f, name=f.__name__, description=f.__doc__)
            for f in (span_is_ordered, value_within_interval, balance_or_flow,
                      runway_has_horizon)],
    strict=True, ordered=True, coerce=False, name="facts",
)
