"""EventsClient against the simulator over real HTTP on 127.0.0.1: page numbers that never skip."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from etl.config import SourceConfig
from etl.sources.base import SourceError
from etl.sources.events import EventsClient
from simulator.generator import generate
from simulator.reference import write_sample_reference
from simulator.server import Auth, Faults, SimulatorServer

SINCE = datetime(2026, 9, 6, 16, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(weeks=4)
MIDDLE = SINCE + timedelta(days=8)
CONTRACT = {"event_id", "title", "category", "organizer", "district", "town", "start_at", "end_at", "participants",
            "volunteers", "volunteer_hours", "status", "updated_at", "raw"}
TOKEN = "volunteer-platform-token"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    reference = write_sample_reference(tmp_path_factory.mktemp("reference"))
    return generate(5, reference=reference, weeks=2, n_tickets=20, n_events=200, n_findings=8)


def serve(dataset, **kwargs) -> SimulatorServer:
    return SimulatorServer(dataset, auth=Auth(token=TOKEN), **kwargs)


def config(srv: SimulatorServer, **extra) -> SourceConfig:
    return SourceConfig("volunteer_platform", host=srv.base_url, password=TOKEN,
                        extra={"auth": "bearer", "backoff_seconds": 0.01, "page_size": 25, **extra})


def pull(cfg: SourceConfig, since=SINCE, until=UNTIL) -> list[dict]:
    with EventsClient(cfg) as client:
        return [record for page in client.iter_pages(since, until) for record in page]


def keys(records: list[dict]) -> list[tuple[str, str]]:
    return [(r["event_id"], r["updated_at"]) for r in records]


def test_pull_yields_each_event_in_the_contract_shape(dataset):
    with serve(dataset) as srv:
        records = pull(config(srv))
    truth = dataset.event_versions(SINCE, UNTIL)
    assert len(records) == len(truth) == 200
    assert set(keys(records)) == truth
    assert all(set(r) == CONTRACT for r in records)
    record = next(r for r in records if r["status"] == "held")
    raw = record["raw"]
    assert record["event_id"] == raw["activity_id"] and record["participants"] == raw["participant_count"]
    assert record["town"] == raw["street"] and record["volunteer_hours"] == raw["service_hours"]
    assert {r["status"] for r in records} == {"held", "cancelled"}


def test_incremental_windows_return_only_newer_versions(dataset):
    cut = SINCE + timedelta(days=10)
    with serve(dataset, now=cut) as srv:
        first = pull(config(srv), SINCE, cut)
        srv.set_now(None)
        second = pull(config(srv), cut, UNTIL)
    cut_text = (cut + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert first and second
    assert all(r["updated_at"] >= cut_text for r in second) and all(r["updated_at"] < cut_text for r in first)
    assert set(keys(first)) == dataset.event_versions(SINCE, cut, now=cut)
    assert set(keys(second)) == dataset.event_versions(cut, UNTIL)
    # An event edited after the first window comes again, as its newer version.
    assert {k[0] for k in keys(first)} & {k[0] for k in keys(second)}


@pytest.mark.parametrize("script", [["500", "502"], ["truncate"], ["ok", "503", "truncate", "504"]])
def test_errors_and_truncated_bodies_are_retried(dataset, script):
    with serve(dataset, faults=Faults(script=list(script))) as srv:
        records = pull(config(srv))
    assert set(keys(records)) == dataset.event_versions(SINCE, UNTIL) and len(records) == 200


def test_429_waits_for_retry_after(dataset):
    with serve(dataset, faults=Faults(script=["429"], retry_after=1)) as srv:
        started = time.perf_counter()
        records = pull(config(srv))
    assert time.perf_counter() - started >= 1.0
    assert len(records) == 200


def test_timeout_is_retried(dataset):
    with serve(dataset, faults=Faults(script=["slow"], slow_seconds=1.0)) as srv:
        records = pull(config(srv, read_timeout=0.25))
    assert len(records) == 200


def test_duplicates_across_pages_are_yielded_once(dataset):
    with serve(dataset, faults=Faults(duplicate_rate=1.0)) as srv:
        records = pull(config(srv))
    assert len(records) == len(set(keys(records))) == 200


def test_events_edited_while_paging_are_not_skipped(dataset):
    with serve(dataset, now=MIDDLE, faults=Faults(shift_rate=1.0, shift_seconds=6 * 3600)) as srv:
        records = pull(config(srv, page_size=10))
        final_now = srv.now
    got = set(keys(records))
    assert len(records) == len(got)
    assert dataset.event_versions(SINCE, UNTIL, now=final_now) <= got
    assert got <= dataset.event_versions(SINCE, UNTIL, now=final_now, view="history")


def test_plain_page_numbers_would_skip_under_the_same_edits(dataset):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with serve(dataset, now=MIDDLE, faults=Faults(shift_rate=1.0, shift_seconds=6 * 3600)) as srv:
        seen, page = set(), 1
        while True:
            body = requests.get(f"{srv.base_url}/api/v1/events", headers=headers, timeout=5, params={
                "updated_since": SINCE.isoformat(), "updated_before": UNTIL.isoformat(), "page": page,
                "page_size": 10}).json()
            seen |= {(r["activity_id"], r["update_time"]) for r in body["data"]}
            if len(body["data"]) < 10:
                break
            page += 1
        final_now = srv.now
    assert dataset.event_versions(SINCE, UNTIL, now=final_now) - seen


def test_exhausted_retries_name_source_url_and_status(dataset, caplog):
    caplog.set_level(logging.DEBUG)
    with serve(dataset, faults=Faults(error_rate=1.0)) as srv:
        with pytest.raises(SourceError) as caught:
            pull(config(srv, max_attempts=2))
    error = caught.value
    assert error.source == "volunteer_platform" and error.status in (500, 502, 503, 504)
    assert "/api/v1/events" in str(error) and f"HTTP {error.status}" in str(error)
    assert TOKEN not in str(error) and TOKEN not in caplog.text


def test_a_server_capping_the_page_size_is_still_read_to_the_end(dataset):
    with SimulatorServer(dataset, max_page_size=30) as srv:
        records = pull(SourceConfig("volunteer_platform", host=srv.base_url, extra={"page_size": 100}))
    assert len(records) == 200


def test_a_pull_under_20_percent_mixed_faults_yields_every_version_exactly_once(dataset):
    faults = Faults.mixed(0.2, retry_after=0, slow_seconds=0.6, shift_seconds=3 * 3600, seed=5)
    with serve(dataset, now=MIDDLE, faults=faults) as srv:
        records = pull(config(srv, max_attempts=10, read_timeout=0.3, page_size=10))
        final_now = srv.now
        assert sum(v for k, v in srv.stats.items() if k.startswith("fault:")) >= 3
    got = set(keys(records))
    assert len(records) == len(got)
    assert dataset.event_versions(SINCE, UNTIL, now=final_now) <= got
    assert got <= dataset.event_versions(SINCE, UNTIL, now=final_now, view="history")
