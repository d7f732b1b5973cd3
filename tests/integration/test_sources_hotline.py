"""HotlineClient against the simulator over real HTTP on 127.0.0.1: both profiles, every fault kind."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from etl.config import SourceConfig
from etl.sources.base import SourceError
from etl.sources.hotline import CONTRACT_FIELDS, HotlineClient
from simulator.generator import generate
from simulator.reference import write_sample_reference
from simulator.server import Auth, Faults, SimulatorServer

SINCE = datetime(2026, 9, 6, 16, 0, tzinfo=UTC)  # Monday 2026-09-07 00:00 in Shanghai
UNTIL = SINCE + timedelta(weeks=4)
MIDDLE = SINCE + timedelta(days=6)
TOKEN = "s3cr3t-token-value"
API_KEY = "k-9f8e7d6c5b4a"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    reference = write_sample_reference(tmp_path_factory.mktemp("reference"))
    return generate(3, reference=reference, weeks=2, n_tickets=300, n_events=40, n_findings=16)


def config(srv: SimulatorServer, **extra) -> SourceConfig:
    return SourceConfig(
        "hotline_12345", host=srv.base_url, password=TOKEN,
        extra={"auth": "bearer", "backoff_seconds": 0.01, "page_size": 50, "read_timeout": 2, **extra},
    )


def open311_config(srv: SimulatorServer, **extra) -> SourceConfig:
    return SourceConfig(
        "hotline_open311", host=srv.base_url,
        extra={"profile": "open311", "api_key": API_KEY, "jurisdiction_id": "jiangmen", "backoff_seconds": 0.01,
               "page_size": 40, **extra},
    )


def pull(cfg: SourceConfig, since=SINCE, until=UNTIL) -> list[dict]:
    with HotlineClient(cfg) as client:
        return [record for page in client.iter_pages(since, until) for record in page]


def keys(records: list[dict]) -> list[tuple[str, str]]:
    return [(r["ticket_id"], r["updated_at"]) for r in records]


def serve(dataset, **kwargs) -> SimulatorServer:
    return SimulatorServer(dataset, auth=Auth(token=TOKEN, api_key=API_KEY, jurisdiction_id="jiangmen"), **kwargs)


def test_native_pull_yields_every_version_once_in_the_contract_shape(dataset):
    with serve(dataset) as srv:
        records = pull(config(srv))
    truth = dataset.hotline_versions(SINCE, UNTIL)
    assert len(records) == len(truth) > 1000
    assert set(keys(records)) == truth
    assert all(set(r) == {*CONTRACT_FIELDS, "raw"} for r in records)
    first = records[0]
    assert first["raw"]["ticket_id"] == first["ticket_id"] and first["raw"]["caller_phone"] == first["caller_phone"]
    assert {r["status"] for r in records} >= {"received", "dispatched", "in_progress", "closed", "reopened"}
    assert {r["channel"] for r in records} == {"12345", "app", "patrol", "media"}


def test_incremental_windows_split_the_history_without_gap_or_overlap(dataset):
    cut = SINCE + timedelta(days=5, hours=7, minutes=13)
    with serve(dataset) as srv:
        first = pull(config(srv), SINCE, cut)
        second = pull(config(srv), cut, UNTIL)
    assert set(keys(first)).isdisjoint(keys(second))
    assert set(keys(first)) | set(keys(second)) == dataset.hotline_versions(SINCE, UNTIL)
    local_cut = (cut + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert all(r["updated_at"] >= local_cut for r in second) and all(r["updated_at"] < local_cut for r in first)


@pytest.mark.parametrize("script", [["500", "503", "502"], ["truncate", "truncate"], ["504", "truncate", "500"]])
def test_server_errors_and_truncated_bodies_are_retried(dataset, script):
    with serve(dataset, faults=Faults(script=list(script))) as srv:
        records = pull(config(srv))
        assert sum(v for k, v in srv.stats.items() if k.startswith("fault:")) == len(script)
    assert set(keys(records)) == dataset.hotline_versions(SINCE, UNTIL)
    assert len(records) == len(set(keys(records)))


def test_429_waits_as_long_as_retry_after_says(dataset):
    with serve(dataset, faults=Faults(script=["ok", "429"], retry_after=1)) as srv:
        started = time.perf_counter()
        records = pull(config(srv))
        elapsed = time.perf_counter() - started
    assert elapsed >= 1.0
    assert set(keys(records)) == dataset.hotline_versions(SINCE, UNTIL)


def test_a_long_retry_after_is_capped(dataset):
    with serve(dataset, faults=Faults(script=["429"], retry_after=3600)) as srv:
        started = time.perf_counter()
        records = pull(config(srv, retry_after_max_seconds=0.2))
    assert time.perf_counter() - started < 10
    assert len(records) == len(dataset.hotline_versions(SINCE, UNTIL))


def test_a_response_slower_than_the_read_timeout_is_retried(dataset):
    with serve(dataset, faults=Faults(script=["ok", "slow"], slow_seconds=1.0)) as srv:
        started = time.perf_counter()
        records = pull(config(srv, read_timeout=0.25))
        elapsed = time.perf_counter() - started
    assert 0.25 <= elapsed < 5
    assert set(keys(records)) == dataset.hotline_versions(SINCE, UNTIL)


def test_versions_appearing_while_paging_are_not_skipped(dataset):
    # Every page request moves the clock on an hour: new versions arrive behind the cursor's back.
    with serve(dataset, now=MIDDLE, faults=Faults(shift_rate=1.0, shift_seconds=3600)) as srv:
        records = pull(config(srv, page_size=30))
        final_now = srv.now
    assert final_now > MIDDLE + timedelta(hours=10)
    assert len(records) == len(set(keys(records)))
    assert set(keys(records)) == dataset.hotline_versions(SINCE, UNTIL, now=final_now)


def test_rows_repeated_across_pages_are_yielded_once(dataset):
    with serve(dataset, faults=Faults(duplicate_rate=1.0)) as srv:
        records = pull(config(srv))
        assert srv.stats["fault:duplicate"] > 10
    assert len(records) == len(set(keys(records)))
    assert set(keys(records)) == dataset.hotline_versions(SINCE, UNTIL)


def test_exhausted_retries_raise_source_error_naming_source_url_and_status(dataset, caplog):
    caplog.set_level(logging.DEBUG)
    with serve(dataset, faults=Faults(script=["503"] * 3)) as srv:
        with pytest.raises(SourceError) as caught:
            pull(config(srv, max_attempts=3))
    error = caught.value
    assert error.source == "hotline_12345" and error.status == 503 and error.attempts == 3
    message = str(error)
    assert "hotline_12345" in message and "/api/v1/tickets" in message and "503" in message
    assert srv.base_url in error.url
    assert TOKEN not in message and TOKEN not in caplog.text
    assert "attempt 2/3 failed (HTTP 503)" in caplog.text


def test_open311_profile_comes_from_extra_only(dataset, caplog):
    caplog.set_level(logging.DEBUG)
    with serve(dataset) as srv:
        records = pull(open311_config(srv))
    truth = dataset.hotline_versions(SINCE, UNTIL, profile="open311")
    assert set(keys(records)) == truth and len(records) == len(truth)
    record = records[0]
    assert set(record) == {*CONTRACT_FIELDS, "raw"}
    assert record["channel"] == "open311" and record["status"] in ("open", "closed")
    assert record["district"] is None and record["caller_phone"] is None
    assert record["category"] == record["raw"]["service_name"] and "service_code" in record["raw"]
    assert record["ticket_id"] == record["raw"]["service_request_id"]
    assert all(API_KEY not in str(r["raw"]) for r in records)
    assert API_KEY not in caplog.text


@pytest.mark.parametrize("script", [["500", "503"], ["429"], ["slow"], ["truncate"], ["duplicate"] * 5])
def test_open311_survives_each_fault_kind(dataset, script):
    faults = Faults(script=list(script), retry_after=0.3, slow_seconds=0.8)
    with serve(dataset, faults=faults) as srv:
        started = time.perf_counter()
        records = pull(open311_config(srv, read_timeout=0.25))
        elapsed = time.perf_counter() - started
    assert set(keys(records)) == dataset.hotline_versions(SINCE, UNTIL, profile="open311")
    assert len(records) == len(set(keys(records)))
    if script == ["429"]:
        assert elapsed >= 0.3


def test_open311_status_filter_and_incremental_windows(dataset):
    cut = SINCE + timedelta(days=9)
    with serve(dataset) as srv:
        closed = pull(open311_config(srv, status="closed"))
        first = pull(open311_config(srv), SINCE, cut)
        second = pull(open311_config(srv), cut, UNTIL)
    assert closed and all(r["status"] == "closed" for r in closed)
    assert set(keys(first)).isdisjoint(keys(second))
    assert set(keys(first)) | set(keys(second)) == dataset.hotline_versions(SINCE, UNTIL, profile="open311")


def test_open311_requests_that_change_while_paging_are_not_skipped(dataset):
    faults = Faults(shift_rate=1.0, shift_seconds=4 * 3600)
    with serve(dataset, now=MIDDLE, faults=faults) as srv:
        records = pull(open311_config(srv, page_size=20))
        final_now = srv.now
    got = set(keys(records))
    assert len(records) == len(got)
    assert dataset.hotline_versions(SINCE, UNTIL, now=final_now, profile="open311") <= got
    assert got <= dataset.hotline_versions(SINCE, UNTIL, now=final_now, profile="open311", view="history")


def test_plain_page_numbers_would_skip_under_the_same_shifts(dataset):
    """The fault bites: a naive page += 1 loop misses requests that moved while it paged."""
    with serve(dataset, now=MIDDLE, faults=Faults(shift_rate=1.0, shift_seconds=4 * 3600)) as srv:
        seen, page = set(), 1
        while True:
            rows = requests.get(f"{srv.base_url}/open311/v2/requests.json", timeout=5, params={
                "start_date": SINCE.isoformat(), "end_date": UNTIL.isoformat(), "page": page, "page_size": 20,
                "api_key": API_KEY}).json()
            seen |= {(r["service_request_id"], r["updated_datetime"]) for r in rows}
            if len(rows) < 20:
                break
            page += 1
        final_now = srv.now
    assert dataset.hotline_versions(SINCE, UNTIL, now=final_now, profile="open311") - seen


def test_wrong_credentials_fail_at_once_without_leaking_them(dataset, caplog):
    caplog.set_level(logging.DEBUG)
    with serve(dataset) as srv:
        with pytest.raises(SourceError) as native:
            pull(SourceConfig("hotline_12345", host=srv.base_url, password="wrong-token", extra={"auth": "bearer"}))
        with pytest.raises(SourceError) as open311:
            pull(open311_config(srv, api_key="wrong-key-123"))
    assert native.value.status == 401 and native.value.attempts == 1
    assert open311.value.status == 401 and "wrong-key-123" not in str(open311.value)
    assert "api_key" not in open311.value.url
    assert "wrong-token" not in caplog.text and "wrong-key-123" not in caplog.text


def test_basic_auth_from_login_and_password(dataset, caplog):
    caplog.set_level(logging.DEBUG)
    with SimulatorServer(dataset, auth=Auth(basic=("etl", "pa55word"))) as srv:
        cfg = SourceConfig("hotline_12345", host=srv.base_url, login="etl", password="pa55word",
                           extra={"page_size": 500})
        assert len(pull(cfg)) == len(dataset.hotline_versions(SINCE, UNTIL))
        with pytest.raises(SourceError) as caught:
            pull(SourceConfig("hotline_12345", host=srv.base_url, login="etl", password="guessed-pw"))
    assert caught.value.status == 401
    assert "guessed-pw" not in str(caught.value) and "guessed-pw" not in caplog.text


def test_an_unreachable_source_raises_source_error_without_status(dataset):
    with serve(dataset) as srv:
        base_url = srv.base_url
    cfg = SourceConfig("hotline_12345", host=base_url, extra={"max_attempts": 2, "backoff_seconds": 0.01,
                                                            "connect_timeout": 0.5})
    with pytest.raises(SourceError) as caught:
        pull(cfg)
    assert caught.value.status is None and "connection error" in str(caught.value)


def test_naive_window_bounds_are_refused(dataset):
    with serve(dataset) as srv, HotlineClient(config(srv)) as client:
        with pytest.raises(ValueError, match="timezone-aware"):
            client.iter_pages(datetime(2026, 9, 7), UNTIL)


def test_page_fetches_are_logged_with_counts_not_payloads(dataset, caplog):
    caplog.set_level(logging.INFO, logger="etl.sources")
    with serve(dataset) as srv:
        records = pull(config(srv))
    assert "hotline: page 1: 50 rows, 50 new versions" in caplog.text
    assert records[0]["caller_phone"] not in caplog.text and records[0]["description"] not in caplog.text


@pytest.mark.parametrize("profile", ["native", "open311"])
def test_a_pull_under_20_percent_mixed_faults_yields_every_version_exactly_once(dataset, profile):
    faults = Faults.mixed(0.2, retry_after=0, slow_seconds=0.6, shift_seconds=1800, seed=11)
    with serve(dataset, now=MIDDLE + timedelta(days=2), faults=faults) as srv:
        extra = {"max_attempts": 10, "read_timeout": 0.3, "page_size": 25}
        cfg = config(srv, **extra) if profile == "native" else open311_config(srv, **extra)
        records = pull(cfg)
        final_now = srv.now
        injected = {k: v for k, v in srv.stats.items() if k.startswith("fault:")}
    assert sum(injected.values()) >= 3, injected
    got = set(keys(records))
    assert len(records) == len(got)
    if profile == "native":
        assert got == dataset.hotline_versions(SINCE, UNTIL, now=final_now)
    else:
        assert dataset.hotline_versions(SINCE, UNTIL, now=final_now, profile="open311") <= got
        assert got <= dataset.hotline_versions(SINCE, UNTIL, now=final_now, profile="open311", view="history")
