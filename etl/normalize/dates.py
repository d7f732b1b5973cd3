"""Parse every date form the sources produce into naive UTC timestamps (local Asia/Shanghai when no offset).

Forms: ISO 8601 with or without offset (`2026-03-01T08:00:00+08:00`, `2026-03-01 08:00`, `...Z`),
`2026年3月1日` (optionally `8时30分`), `2026/3/1`, `2026.3.1`, `20260301`, full-width digits, Excel serial
day numbers (`46082`, `46082.5`), Unix epoch seconds or milliseconds (taken as UTC), and datetime objects.
A value that matches none of them, or names an impossible date (2026-02-30), parses to NaT.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl import config
from etl.normalize.text import arrow_text, clean_text, per_unique

_DATETIME = (
    r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(?P<hour>\d{1,2})\s*[:时]\s*(?P<minute>\d{1,2})\s*分?"
    r"(?:\s*:?\s*(?P<second>\d{1,2})(?:[.,](?P<fraction>\d{1,9}))?\s*秒?)?)?"
    r"\s*(?P<offset>Z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)
_COMPACT_DATE = r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$"
_NUMBER = r"^[0-9]+(?:\.[0-9]+)?$"
# 1954-10-14 .. 2119-01-09 as Excel serial days; epoch values are far outside that range.
_EXCEL_RANGE = (20_000, 80_000)
_EPOCH_SECONDS = (1e9, 1e11)
_EPOCH_MILLIS = (1e12, 1e14)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_END_OF_DAY = pd.Timedelta(hours=23, minutes=59, seconds=59)
_UNIT = "datetime64[us]"
# The form most sources send, `2026-03-01 08:00:00`: read from its digits, a tenth of the general regex's
# time. Impossible values (2026-02-30, 23:59:60) and years outside _PLAIN_YEARS take the general path.
_PLAIN_SHAPE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"  # RE2: \d is ASCII, so every value is 19 bytes
_PLAIN_YEARS = (1900, 2200)


def parse_datetimes(values: pd.Series, *, end_of_day: bool = False, cleaned: bool = False) -> pd.Series:
    """Naive UTC timestamps; NaT where missing or unparseable.

    With `end_of_day`, a value without a time of day (or exactly 00:00:00, as spreadsheets store dates)
    means local 23:59:59 of that date: the contract's reading of a deadline date. `cleaned`: the values
    already went through `clean_text`.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return _from_datetime_dtype(values, end_of_day=end_of_day)
    if values.empty:
        return pd.Series([], index=values.index, dtype=_UNIT)
    prepare = (lambda u: u.astype("str")) if cleaned else clean_text
    return per_unique(values, lambda u: _parse_text(prepare(u), end_of_day=end_of_day), dtype=_UNIT)


def _field(found: pa.Array, name: str) -> pa.Array:
    """One named group of an extract_regex result; a group that did not take part is null."""
    values = pc.struct_field(found, name)
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _numbers_of(values: pa.Array) -> np.ndarray:
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)


def _parse_text(text: pd.Series, *, end_of_day: bool) -> pd.Series:
    result = pd.Series(pd.NaT, index=text.index, dtype=_UNIT)
    if text.notna().sum() == 0:
        return result
    strings = arrow_text(text)
    plain, is_plain = _parse_plain(strings)
    if is_plain.any():
        local = pd.Series(plain[is_plain], index=text.index[is_plain]).astype(_UNIT)
        if end_of_day:  # 00:00:00 is how spreadsheets store a date
            local = local.where(local != local.dt.normalize(), local + _END_OF_DAY)
        result.loc[is_plain] = _localize(local)
        if is_plain.all():
            return result
    rest = ~is_plain
    result.loc[rest] = _parse_other(text[rest], pc.filter(strings, pa.array(rest)), end_of_day=end_of_day)
    return result.astype(_UNIT)


def _parse_plain(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Local times (datetime64[s]) of the values of _PLAIN_SHAPE, and a mask of the values read this way."""
    shaped = pc.fill_null(pc.match_substring_regex(strings, _PLAIN_SHAPE), False).to_numpy(zero_copy_only=False)
    local = np.full(len(strings), np.datetime64("NaT"), dtype="datetime64[s]")
    if not shaped.any():
        return local, shaped
    chosen = pc.filter(strings, pa.array(shaped))
    n = len(chosen)
    start = np.frombuffer(chosen.buffers()[1], dtype=np.int32)[chosen.offset]
    text = np.frombuffer(chosen.buffers()[2], dtype=np.uint8)[start:start + 19 * n].reshape(n, 19)
    digits = text.astype(np.int64) - ord("0")

    def number(first: int, last: int) -> np.ndarray:
        return digits[:, first:last] @ (10 ** np.arange(last - first - 1, -1, -1))

    year, month, day = number(0, 4), number(5, 7), number(8, 10)
    hour, minute, second = number(11, 13), number(14, 16), number(17, 19)
    ok = (year >= _PLAIN_YEARS[0]) & (year <= _PLAIN_YEARS[1]) & (month >= 1) & (month <= 12)
    month_start = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]").astype("datetime64[D]")
    days_in_month = ((month_start.astype("datetime64[M]") + 1).astype("datetime64[D]") - month_start).astype(np.int64)
    ok &= (day >= 1) & (day <= days_in_month) & (hour < 24) & (minute < 60) & (second < 60)
    seconds = (day - 1) * 86_400 + hour * 3_600 + minute * 60 + second
    rows = np.flatnonzero(shaped)[ok]
    local[rows] = month_start[ok].astype("datetime64[s]") + seconds[ok]
    shaped[np.flatnonzero(shaped)[~ok]] = False
    return local, shaped


def _parse_other(text: pd.Series, strings: pa.Array, *, end_of_day: bool) -> pd.Series:
    """Every form but _PLAIN_SHAPE's: the general regex, then numbers (Excel days, epoch seconds)."""
    result = pd.Series(pd.NaT, index=text.index, dtype=_UNIT)
    found = pc.extract_regex(strings, _DATETIME)
    compact = pc.extract_regex(strings, _COMPACT_DATE)
    is_compact = pc.fill_null(pc.is_valid(compact), False)
    parts = {
        name: pc.if_else(is_compact, _field(compact, name), _field(found, name))
        for name in ("year", "month", "day")
    }
    for name in ("hour", "minute", "second", "fraction", "offset"):
        parts[name] = _field(found, name)
    matched = pd.Series(pc.is_valid(parts["year"]).to_numpy(zero_copy_only=False), index=text.index)
    if matched.any():
        local, date_only = _assemble(parts, text.index)
        if end_of_day:
            local = local.where(~date_only, local + _END_OF_DAY)
        offset = pd.Series(parts["offset"].to_numpy(zero_copy_only=False), index=text.index, dtype=object)
        result.loc[matched] = _to_utc(local[matched], offset[matched])

    is_number = pc.fill_null(pc.match_substring_regex(strings, _NUMBER), False).to_numpy(zero_copy_only=False)
    candidates = pd.Series(is_number, index=text.index) & ~matched
    if candidates.any():
        number = pd.Series(np.nan, index=text.index)
        number.loc[candidates] = pd.to_numeric(text[candidates], errors="coerce")
        result = _numbers(number, result, end_of_day=end_of_day)
    return result.astype(_UNIT)


def _assemble(parts: dict[str, pa.Array], index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Local wall-clock timestamps from extracted parts, and whether each had no time of day."""
    fraction = pc.utf8_rpad(pc.utf8_slice_codeunits(pc.fill_null(parts["fraction"], "0"), 0, 6), 6, "0")
    frame = pd.DataFrame({
        "year": _numbers_of(parts["year"]),
        "month": _numbers_of(parts["month"]),
        "day": _numbers_of(parts["day"]),
        "hour": np.nan_to_num(_numbers_of(parts["hour"])),
        "minute": np.nan_to_num(_numbers_of(parts["minute"])),
        "second": np.nan_to_num(_numbers_of(parts["second"])),
        "us": _numbers_of(fraction),
    }, index=index)
    has_time = pd.Series(pc.is_valid(parts["hour"]).to_numpy(zero_copy_only=False), index=index)
    local = pd.to_datetime(frame, errors="coerce").astype(_UNIT)
    midnight = (frame["hour"] == 0) & (frame["minute"] == 0) & (frame["second"] == 0) & (frame["us"] == 0)
    return local, ~has_time | midnight


def _to_utc(local: pd.Series, offset: pd.Series) -> pd.Series:
    """Apply an explicit offset where given, else the local zone."""
    naive = offset.isna()
    utc = pd.Series(pd.NaT, index=local.index, dtype=_UNIT)
    if naive.any():
        utc.loc[naive] = _localize(local[naive])
    if (~naive).any():
        text = offset[~naive].replace({"Z": "+00:00", "UTC": "+00:00"}).astype("str")
        sign = text.str.slice(0, 1).map({"+": 1, "-": -1}).astype("float64")
        digits = text.str.replace(":", "", regex=False).str.slice(1)
        minutes = pd.to_numeric(digits.str.slice(0, 2)) * 60 + pd.to_numeric(digits.str.slice(2, 4).replace("", "0"))
        utc.loc[~naive] = local[~naive] - pd.to_timedelta(sign * minutes, unit="min")
    return utc


def _localize(local: pd.Series) -> pd.Series:
    aware = local.dt.tz_localize(config.LOCAL_TZ, ambiguous="NaT", nonexistent="NaT")
    return aware.dt.tz_convert("UTC").dt.tz_localize(None).astype(_UNIT)


def _numbers(number: pd.Series, result: pd.Series, *, end_of_day: bool) -> pd.Series:
    """Excel serial days (local) and Unix epoch seconds / milliseconds (UTC)."""
    result = result.copy()
    excel = number.between(*_EXCEL_RANGE, inclusive="left")
    if excel.any():
        days = number[excel]
        local = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).dt.round("s").astype(_UNIT)
        if end_of_day:
            local = local.where(days != days.round(), local + _END_OF_DAY)
        result.loc[excel] = _localize(local)
    for (low, high), unit in ((_EPOCH_SECONDS, "s"), (_EPOCH_MILLIS, "ms")):
        epoch = number.between(low, high, inclusive="left")
        if epoch.any():
            result.loc[epoch] = pd.to_datetime(number[epoch], unit=unit).dt.round("s").astype(_UNIT)
    return result


def _from_datetime_dtype(values: pd.Series, *, end_of_day: bool) -> pd.Series:
    if values.dt.tz is not None:
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype(_UNIT)
    local = values.astype(_UNIT)
    if end_of_day:
        local = local.where(local != local.dt.normalize(), local + _END_OF_DAY)
    return _localize(local)


def to_utc(moment: object) -> pd.Timestamp:
    """A run boundary (aware, or naive meaning UTC) as a naive UTC timestamp."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
