"""The findings table: one row per inconsistency, schema failure or note."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .columns import FINDINGS as COLUMNS

SEVERITIES = ["error", "warning", "info"]


class FindingsModel(pa.DataFrameModel):
    """Contract of ``findings.csv``."""

    doc_id: Series[pd.StringDtype] = pa.Field(description="document id, or '*' for a corpus-level finding")
    finding_id: Series[pd.StringDtype] = pa.Field(unique=True, description="stable id: check:doc:facts")
    check_id: Series[pd.StringDtype] = pa.Field(str_matches=r"^(?:XC-\d{3}|SCHEMA-[A-Z0-9-]+|INPUT-[A-Z]+)$",
                                                description="stable code of the check")
    severity: Series[pd.StringDtype] = pa.Field(isin=SEVERITIES, description="error | warning | info")
    message: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1}, description="one-line explanation")
    fact_ids: Series[pd.StringDtype] = pa.Field(description="';'-separated fact ids cited as evidence")
    expected: Series[pd.StringDtype] = pa.Field(description="what the other figures imply")
    observed: Series[pd.StringDtype] = pa.Field(description="what the text states")
    arithmetic: Series[pd.StringDtype] = pa.Field(description="the arithmetic written out")

    class Config:
        strict = True
        ordered = True
