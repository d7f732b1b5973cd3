"""Text cleaning shared by every source: NFKC (full-width to half-width), trimmed, blank as missing."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime

import pandas as pd
from pandas.api.extensions import take

# A leading parenthesised qualifier, e.g. "(圭峰)会城街道": operators type the old name before the new one.
_PAREN_PREFIX = re.compile(r"^\s*\([^()]*\)\s*")


def _scalar_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        # Spreadsheets turn integer ids into floats (101 -> 101.0).
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if pd.isna(value):
        return None
    return str(value)


def per_unique(values: pd.Series, transform: Callable[[pd.Series], pd.Series], dtype: str = "str") -> pd.Series:
    """Apply a column transform once per distinct value and spread the results back (missing stays missing).

    Most columns repeat a handful of values (district, status, category), so this is where the speed is.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        return pd.Series(pd.array([None] * len(values), dtype=dtype), index=values.index)
    done = transform(pd.Series(uniques, dtype=object if dtype == "str" else None)).astype(dtype)
    return pd.Series(take(done.array, codes, allow_fill=True), index=values.index)


def as_text(values: pd.Series) -> pd.Series:
    """Values as received turned into text (integral floats without ".0"), missing kept missing."""
    if values.empty:
        return pd.Series([], index=values.index, dtype="str")
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "integer", "empty"):
        return values.astype("str").where(values.notna())
    return per_unique(values, lambda u: u.map(_scalar_text))


def _clean_uniques(uniques: pd.Series) -> pd.Series:
    # NFKC needs Python's unicodedata (Arrow's utf8_normalize does not compose); once per distinct value.
    texts = as_text(uniques).to_numpy(dtype=object, na_value=None)
    return pd.Series([None if t is None else _clean_str(t) for t in texts], index=uniques.index, dtype="str")


def _clean_str(text: str) -> str | None:
    if not text.isascii():  # ASCII is already NFKC
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split()) or None


def clean_text(values: pd.Series) -> pd.Series:
    """NFKC-normalize, collapse whitespace and trim a column; blank strings become missing."""
    if values.empty:
        return pd.Series([], index=values.index, dtype="str")
    return per_unique(values, _clean_uniques)


def clean_value(value: object) -> str | None:
    """`clean_text` for one value."""
    text = _scalar_text(value)
    return None if text is None else _clean_str(text)


def match_key(value: object) -> str | None:
    """The form names and aliases are matched on: cleaned, no spaces, no leading "(...)", lower case."""
    text = clean_value(value)
    if text is None:
        return None
    text = _PAREN_PREFIX.sub("", text)
    return text.replace(" ", "").lower() or None


def match_keys(values: pd.Series) -> pd.Series:
    """`match_key` over a column, computed once per distinct value."""
    return per_unique(values, lambda u: u.map(match_key))
