"""The facts table: one row per monetary amount, per-share figure, percent or runway."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

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


class FactsModel(pa.DataFrameModel):
    """Contract of ``facts.csv``: every figure with its context and exact span."""

    doc_id: Series[pd.StringDtype] = pa.Field(description="file name without .txt")
    fact_id: Series[pd.StringDtype] = pa.Field(unique=True, description="stable id: doc:start-end")
    kind: Series[pd.StringDtype] = pa.Field(isin=KINDS, description="money | per_share | percent | runway")
    metric: Series[pd.StringDtype] = pa.Field(str_matches=r"^[a-z][a-z0-9_]*$",
                                              description="snake_case metric id from rules/metrics.yaml")
    entity: Series[pd.StringDtype] = pa.Field(description="slug of the party the figure belongs to")
    scope: Series[pd.StringDtype] = pa.Field(str_matches=r"^$|^consolidated$|^excl_[a-z0-9]+$",
                                             description="consolidated, excl_<subsidiary> or empty")
    period: Series[pd.StringDtype] = pa.Field(str_matches=PERIOD_RE,
                                              description="flows: Q3-2021, 9M-2021, FY-2020, Q3-FY2025 ...")
    as_of: Series[pd.StringDtype] = pa.Field(str_matches=DATE_RE, description="balances and runways: YYYY-MM-DD")
    value: Series[pd.StringDtype] = pa.Field(plain_decimal=(), description="exact value in base units")
    unit: Series[pd.StringDtype] = pa.Field(pint_unit=(), description="pint-parsable unit")
    low: Series[pd.StringDtype] = pa.Field(plain_decimal=(), description="low end of the rounding interval")
    high: Series[pd.StringDtype] = pa.Field(plain_decimal=(), description="high end of the rounding interval")
    qualifier: Series[pd.StringDtype] = pa.Field(isin=QUALIFIERS, description="stated bound or approximation")
    guidance: Series[bool] = pa.Field(description="true for outlook figures")
    direction: Series[pd.StringDtype] = pa.Field(isin=["", "increase", "decrease"],
                                                 description="stated changes: the direction word")
    comparison_period: Series[pd.StringDtype] = pa.Field(str_matches=PERIOD_RE,
                                                         description="stated changes: the period compared with")
    compared_to: Series[pd.StringDtype] = pa.Field(description="fact_id of the figure it is compared with")
    horizon_start: Series[pd.StringDtype] = pa.Field(str_matches=DATE_RE, description="runway horizon start")
    horizon_end: Series[pd.StringDtype] = pa.Field(str_matches=DATE_RE, description="runway horizon end (empty: open)")
    uncertain: Series[bool] = pa.Field(description="the transcript marks the figure or its label as unsure")
    label: Series[pd.StringDtype] = pa.Field(description="the label as stated when it differs from the metric")
    text: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1}, description="literal figure = document[start:end]")
    start: Series[int] = pa.Field(ge=0, description="character offset (inclusive)")
    end: Series[int] = pa.Field(gt=0, description="character offset (exclusive)")
    line: Series[int] = pa.Field(ge=1, description="1-based line of start")
    speaker: Series[pd.StringDtype] = pa.Field(description="who said it (name and title)")
    role: Series[pd.StringDtype] = pa.Field(isin=ROLES, description="executive | analyst | operator")
    section: Series[pd.StringDtype] = pa.Field(isin=SECTIONS, description="header | prepared | qa")
    sentence: Series[pd.StringDtype] = pa.Field(description="the sentence the figure is in")
    rule_id: Series[pd.StringDtype] = pa.Field(str_matches=r"^(?:MONEY|PS|PCT|RUNWAY)-\d{3}$",
                                               description="the recogniser that found it")

    class Config:
        strict = True
        ordered = True
        coerce = False

    @pa.dataframe_check
    def span_is_ordered(cls, df: pd.DataFrame) -> pd.Series:
        """start < end and the text length equals the span."""
        return (df["start"] < df["end"]) & (df["text"].str.len() == df["end"] - df["start"])

    @pa.dataframe_check
    def value_within_interval(cls, df: pd.DataFrame) -> pd.Series:
        """low <= value <= high wherever the three are stated."""
        def ok(v: Decimal | None, lo: Decimal | None, hi: Decimal | None) -> bool:
            if v is None:
                return lo is None or hi is None or lo <= hi
            return (lo is None or lo <= v) and (hi is None or v <= hi)
        cols = [[_dec(x) for x in df[c].tolist()] for c in ("value", "low", "high")]
        return pd.Series([ok(*t) for t in zip(*cols, strict=True)], index=df.index, dtype=bool)

    @pa.dataframe_check
    def balance_or_flow(cls, df: pd.DataFrame) -> pd.Series:
        """A figure has a period or an as-of date, not both."""
        return (df["period"] == "") | (df["as_of"] == "")

    @pa.dataframe_check
    def runway_has_horizon(cls, df: pd.DataFrame) -> pd.Series:
        """Runway statements carry a horizon start."""
        return (df["kind"] != "runway") | (df["horizon_start"] != "")
