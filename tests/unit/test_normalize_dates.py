"""Every date form the sources produce becomes naive UTC; naive values are Asia/Shanghai."""

from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest

from etl.normalize.dates import parse_datetimes, to_utc

MIDNIGHT_LOCAL = pd.Timestamp("2026-02-28 16:00")  # 2026-03-01 00:00 in Asia/Shanghai
EIGHT_LOCAL = pd.Timestamp("2026-03-01 00:00")  # 2026-03-01 08:00 in Asia/Shanghai


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T08:00:00+08:00", EIGHT_LOCAL),
        ("2026-03-01T08:00:00+0800", EIGHT_LOCAL),
        ("2026-03-01T00:00:00Z", EIGHT_LOCAL),
        ("2026-03-01T00:00:00 UTC", EIGHT_LOCAL),
        ("2026-03-01T03:00:00-05:00", pd.Timestamp("2026-03-01 08:00")),
        ("2026-03-01 08:00", EIGHT_LOCAL),
        ("2026-03-01 08:00:00", EIGHT_LOCAL),
        ("2026-03-01 08:00:00.250", EIGHT_LOCAL + pd.Timedelta(milliseconds=250)),
        ("2026-03-01", MIDNIGHT_LOCAL),
        ("2026年3月1日", MIDNIGHT_LOCAL),
        ("2026年03月01日 8时0分", EIGHT_LOCAL),
        ("2026/3/1", MIDNIGHT_LOCAL),
        ("2026/3/1 8:00", EIGHT_LOCAL),
        ("2026.3.1", MIDNIGHT_LOCAL),
        ("20260301", MIDNIGHT_LOCAL),
        ("２０２６－０３－０１", MIDNIGHT_LOCAL),  # full-width digits and dash
        ("２０２６年３月１日", MIDNIGHT_LOCAL),
        (46082, MIDNIGHT_LOCAL),  # Excel serial day
        (46082.0, MIDNIGHT_LOCAL),
        ("46082", MIDNIGHT_LOCAL),
        ("46082.3333333333", EIGHT_LOCAL),
        (1772323200, EIGHT_LOCAL),  # epoch seconds (UTC)
        (1772323200000, EIGHT_LOCAL),  # epoch milliseconds
        (datetime(2026, 3, 1, 8, 0), EIGHT_LOCAL),
        (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), EIGHT_LOCAL),
        (datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))), EIGHT_LOCAL),
        (date(2026, 3, 1), MIDNIGHT_LOCAL),
        (pd.Timestamp("2026-03-01 08:00"), EIGHT_LOCAL),
        ("  2026-03-01 08:00  ", EIGHT_LOCAL),
    ],
)
def test_every_form_parses_to_naive_utc(value, expected) -> None:
    parsed = parse_datetimes(pd.Series([value, None], dtype=object))
    assert parsed.iloc[0] == expected
    assert pd.isna(parsed.iloc[1])
    assert str(parsed.dtype) == "datetime64[us]"


@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026-13-01", "昨天下午", "下周三", "3/1/2026", "2026-03", "abc", "1234"]
)
def test_unparseable_values_are_nat(value) -> None:
    assert pd.isna(parse_datetimes(pd.Series([value])).iloc[0])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01", pd.Timestamp("2026-03-01 15:59:59")),  # local 23:59:59
        ("2026年3月1日", pd.Timestamp("2026-03-01 15:59:59")),
        (46082, pd.Timestamp("2026-03-01 15:59:59")),
        ("2026-03-01 00:00:00", pd.Timestamp("2026-03-01 15:59:59")),  # a spreadsheet date cell
        ("2026-03-01 18:00", pd.Timestamp("2026-03-01 10:00")),  # a real time is kept
    ],
)
def test_a_deadline_date_means_the_end_of_that_local_day(value, expected) -> None:
    assert parse_datetimes(pd.Series([value], dtype=object), end_of_day=True).iloc[0] == expected


def test_datetime_columns_are_taken_as_they_are() -> None:
    naive = pd.Series(pd.to_datetime(["2026-03-01 08:00", None]))
    assert parse_datetimes(naive).iloc[0] == EIGHT_LOCAL
    aware = naive.dt.tz_localize("Asia/Shanghai")
    assert parse_datetimes(aware).iloc[0] == EIGHT_LOCAL


def test_repeated_values_and_the_index_survive() -> None:
    values = pd.Series(["2026-03-01", "bad", "2026-03-01", None], index=[5, 6, 7, 8])
    parsed = parse_datetimes(values)
    assert list(parsed.index) == [5, 6, 7, 8]
    assert parsed[5] == parsed[7] == MIDNIGHT_LOCAL and pd.isna(parsed[6]) and pd.isna(parsed[8])


def test_to_utc() -> None:
    assert to_utc(datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=8)))) == EIGHT_LOCAL
    assert to_utc("2026-03-01 00:00") == EIGHT_LOCAL  # naive means UTC here: run boundaries are UTC


@pytest.mark.parametrize("end_of_day", [False, True])
def test_the_plain_form_shortcut_reads_every_value_as_the_general_path_does(end_of_day) -> None:
    from etl.normalize.dates import _parse_other, _parse_text
    from etl.normalize.text import arrow_text

    values = pd.Series([
        "2026-03-01 08:00:00", "2026-03-01 00:00:00", "2026-02-30 08:00:00", "2026-12-31 23:59:60",
        "2026-3-1 8:00:00", "2026-03-01 08:00:00.5", "2026-03-01T08:00:00", "2026-03-01 08:00:00Z",
        "1985-07-01 12:00:00",  # China kept summer time from 1986 to 1991; this is before it
        "1988-07-01 12:00:00", "2026-03-01 24:00:00", "1899-12-31 23:00:00", "2300-01-01 00:00:00", "46082", None,
    ], dtype="str")
    general = _parse_other(values, arrow_text(values), end_of_day=end_of_day)
    pd.testing.assert_series_equal(_parse_text(values, end_of_day=end_of_day), general)
    assert general.iloc[0] == EIGHT_LOCAL and pd.isna(general.iloc[2])
    assert general.iloc[9] == pd.Timestamp("1988-07-01 03:00")  # summer time: UTC+9
