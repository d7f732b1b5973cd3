"""The shared HTTP helper's pure parts: times, Retry-After, redaction, record mapping, de-duplication, backoff."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from etl.config import ConfigError, SourceConfig
from etl.sources.base import (
    HttpSource,
    SourceError,
    Stream,
    _RedactSecrets,
    _Versions,
    parse_retry_after,
    parse_source_time,
    redact_url,
    require_aware,
)
from etl.sources.events import EVENTS
from etl.sources.hotline import NATIVE, OPEN311, HotlineClient


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-09-07 08:00:00", datetime(2026, 9, 7, 0, 0, tzinfo=UTC)),  # naive means Asia/Shanghai
        ("2026-09-07T08:00:00+08:00", datetime(2026, 9, 7, 0, 0, tzinfo=UTC)),
        ("2026-09-07T00:00:00Z", datetime(2026, 9, 7, 0, 0, tzinfo=UTC)),
        ("2026-09-07", datetime(2026, 9, 6, 16, 0, tzinfo=UTC)),
        ("yesterday", None), ("", None), (None, None), (1757203200, None),
    ],
)
def test_source_times_for_paging(value, expected):
    assert parse_source_time(value) == expected


@pytest.mark.parametrize(("value", "seconds"), [("3", 3.0), ("0", 0.0), ("1.5", 1.5), (None, None), ("soon", None)])
def test_retry_after_seconds(value, seconds):
    assert parse_retry_after(value) == seconds


def test_retry_after_http_date():
    now = datetime(2026, 9, 7, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 07 Sep 2026 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 07 Sep 2026 00:00:00 GMT", now=now + timedelta(minutes=1)) == 0.0


def test_urls_lose_credentials_and_secret_parameters():
    url = redact_url("https://etl:pw@api.example.cn:8443/open311/v2/requests.json",
                     {"start_date": "2026-09-07", "api_key": "k-123", "page": 2, "token": "t", "status": None})
    assert url == "https://api.example.cn:8443/open311/v2/requests.json?start_date=2026-09-07&page=2"


def test_library_logs_are_scrubbed_of_secrets():
    record = logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1,
                               '%s "GET %s"', ("http://h", "/x?page=1&api_key=k-123&token=abc"), None)
    _RedactSecrets().filter(record)
    assert record.getMessage() == 'http://h "GET /x?page=1&api_key=***&token=***"'


def test_streams_map_fields_to_the_contract_and_keep_raw():
    raw = {"service_request_id": "7", "status": "open", "service_name": "违停", "service_code": "JM001",
           "updated_datetime": "2026-09-07T08:00:00+08:00", "lat": 22.5}
    record = OPEN311.to_record(raw)
    assert record["ticket_id"] == "7" and record["category"] == "违停" and record["channel"] == "open311"
    assert record["district"] is None and record["raw"] is raw
    assert set(NATIVE.to_record({})) == set(OPEN311.to_record({}))
    assert EVENTS.to_record({"activity_id": "HD1", "street": "会城"})["town"] == "会城"


def test_versions_are_new_once_and_forgotten_below_the_floor():
    versions = _Versions()
    t0 = datetime(2026, 9, 7, tzinfo=UTC)
    assert versions.is_new(("A", t0), t0)
    assert not versions.is_new(("A", t0), t0)
    assert versions.is_new(("B", t0), t0)
    versions.raise_floor(t0 + timedelta(seconds=1))
    assert not versions.is_new(("C", t0), t0)  # behind the floor: the server was not asked for it again
    assert versions.is_new(("C", t0 + timedelta(seconds=1)), t0 + timedelta(seconds=1))
    assert versions.n_repeated == 2


def test_windows_must_be_timezone_aware():
    assert require_aware("since", datetime(2026, 9, 7, 8, tzinfo=timezone(timedelta(hours=8)))) == datetime(
        2026, 9, 7, tzinfo=UTC)
    with pytest.raises(ValueError, match="since must be timezone-aware"):
        require_aware("since", datetime(2026, 9, 7))


def test_options_come_from_extra_as_strings_too():
    source = HttpSource(SourceConfig("x", host="h", extra={"max_attempts": "7", "backoff_seconds": "0.2",
                                                           "connect_timeout": "1", "read_timeout": "9"}))
    assert (source.max_attempts, source.backoff_seconds, source.connect_timeout, source.read_timeout) == (7, 0.2, 1, 9)


def test_backoff_doubles_with_jitter_and_is_capped():
    source = HttpSource(SourceConfig("x", host="h", extra={"backoff_seconds": 1, "backoff_max_seconds": 5}))
    for attempt, (low, high) in enumerate([(0.5, 1), (1, 2), (2, 4), (2.5, 5), (2.5, 5)], start=1):
        assert all(low <= source._backoff(attempt) <= high for _ in range(50))


def test_unknown_profile_and_missing_token_are_configuration_errors():
    with pytest.raises(ConfigError, match="profile"):
        HotlineClient(SourceConfig("h", host="x", extra={"profile": "soap"}))
    with pytest.raises(SourceError, match="no password"):
        HotlineClient(SourceConfig("h", host="x", extra={"auth": "bearer"})).__enter__()


def test_using_a_client_outside_its_context_is_an_error():
    client = HotlineClient(SourceConfig("h", host="127.0.0.1", port=9))
    with pytest.raises(RuntimeError, match="context manager"):
        next(client.iter_pages(datetime(2026, 9, 7, tzinfo=UTC), datetime(2026, 9, 8, tzinfo=UTC)))


def test_stream_declarations_are_data():
    assert isinstance(NATIVE, Stream) and NATIVE.path == "/api/v1/tickets" and OPEN311.records_key is None
