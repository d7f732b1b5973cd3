"""Faults, crashes, reruns and concurrent writers: every record loaded exactly once, nothing half-loaded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from etl import jobs, pipeline, warehouse
from etl.config import REPO_ROOT, SourceConfig
from etl.sources.base import SourceError
from etl.sources.hotline import HotlineClient
from simulator import Faults, SimulatorServer, demo_campaign
from tests.conftest import ENGINES

SINCE = datetime(2026, 9, 6, 16, 0, tzinfo=UTC)  # Monday 2026-09-07 00:00 in Shanghai
UNTIL = SINCE + timedelta(weeks=2)


@pytest.fixture(scope="module")
def dataset():
    return demo_campaign(seed=11, weeks=2).dataset


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_PII_SALT", "test-salt")


def hotline_config(server: SimulatorServer, **extra) -> SourceConfig:
    return SourceConfig("hotline_api", host=server.base_url,
                        extra={"backoff_seconds": 0.01, "page_size": 40, "read_timeout": 0.5, **extra})


def ingest_hotline(engine: sa.Engine, cfg: SourceConfig) -> pipeline.PullResult:
    with HotlineClient(cfg) as client:
        return pipeline.ingest_api(engine, "hotline", client.iter_pages(SINCE, UNTIL),
                                   pull_id=pipeline.pull_id_for("hotline", SINCE, UNTIL),
                                   window_start=SINCE, window_end=UNTIL)


def raw_keys(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.exec_driver_sql("select record_key from raw.hotline_tickets").scalars())


def scalar(engine: sa.Engine, sql: str):
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_pull_under_20_percent_faults_loads_every_version_exactly_once(engine, dataset) -> None:
    truth = {f"{t}|{u}" for t, u in dataset.hotline_versions(SINCE, UNTIL)}
    faults = Faults.mixed(0.2, retry_after=0, slow_seconds=0.8, shift_seconds=0, seed=3)
    with SimulatorServer(dataset, faults=faults, now=UNTIL) as server:
        result = ingest_hotline(engine, hotline_config(server, max_attempts=12))
        injected = sum(v for k, v in server.stats.items() if k.startswith("fault:"))
    assert injected >= 5
    keys = raw_keys(engine)
    assert len(keys) == len(set(keys)) and set(keys) == truth
    assert result.is_reconciled and result.n_extracted == len(truth)
    staged = scalar(engine, "select count(*) from staging.hotline_ticket_versions")
    quarantined = scalar(engine, "select count(distinct source_id) from audit.quarantine where source = 'hotline'")
    assert staged == result.n_loaded and staged + quarantined == len(truth) - result.n_duplicates


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_exhausted_retries_fail_the_pull_and_commit_nothing(engine, dataset) -> None:
    # Pages succeed at first, then the source breaks for good: what was read must not be committed.
    faults = Faults(script=["ok", "ok"], error_rate=1.0)
    with SimulatorServer(dataset, faults=faults, now=UNTIL) as server:
        with pytest.raises(SourceError) as failure:
            ingest_hotline(engine, hotline_config(server, max_attempts=3))
    assert failure.value.status in (500, 502, 503, 504) and "hotline_api" in str(failure.value)
    assert raw_keys(engine) == []
    assert scalar(engine, "select count(*) from staging.hotline_ticket_versions") == 0
    assert scalar(engine, "select count(*) from audit.watermarks") == 0
    assert scalar(engine, "select status from audit.pulls") == "failed"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_pull_failing_after_a_segment_keeps_it_and_the_next_run_resumes_from_its_checkpoint(
    engine, dataset, monkeypatch
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_RECORDS", 100)
    truth = {f"{t}|{u}" for t, u in dataset.hotline_versions(SINCE, UNTIL)}
    # Three pages of 40 make one segment of 120, committed; the fourth page never comes.
    faults = Faults(script=["ok"] * 3, error_rate=1.0)
    with SimulatorServer(dataset, faults=faults, now=UNTIL) as server:
        with pytest.raises(SourceError):
            ingest_hotline(engine, hotline_config(server, max_attempts=2))
    committed = raw_keys(engine)
    assert len(committed) == len(set(committed)) == 120 and set(committed) <= truth
    with engine.connect() as conn:
        status, extracted, loaded, quarantined, duplicates = conn.exec_driver_sql(
            "select status, n_extracted, n_loaded, n_quarantined, n_duplicates from audit.pulls").one()
        checkpoint = conn.exec_driver_sql("select watermark from audit.watermarks").scalar()
        latest_staged = conn.exec_driver_sql("select max(version_at) from staging.hotline_ticket_versions").scalar()
    assert (status, extracted) == ("failed", 120) and loaded + quarantined + duplicates == 120
    assert checkpoint == latest_staged and SINCE.replace(tzinfo=None) < checkpoint < UNTIL.replace(tzinfo=None)

    since, until = pipeline.pull_window(engine, "hotline", UNTIL - timedelta(hours=1), UNTIL)
    assert since == checkpoint.replace(tzinfo=UTC)  # the next run resumes where the committed segment ended
    with SimulatorServer(dataset, now=UNTIL) as server, HotlineClient(hotline_config(server)) as client:
        pipeline.ingest_api(engine, "hotline", client.iter_pages(since, until),
                            pull_id=pipeline.pull_id_for("hotline", since, until), window_start=since, window_end=until)
    keys = raw_keys(engine)
    assert len(keys) == len(set(keys)) and set(keys) == truth
    assert scalar(engine, "select watermark from audit.watermarks") == UNTIL.replace(tzinfo=None)


@pytest.mark.parametrize("failing_write", [3, 4])
@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_segment_whose_write_fails_rolls_back_with_its_transaction_and_the_pull_records_what_committed(
    engine, dataset, monkeypatch, failing_write
) -> None:
    # Segments are written on the writer thread while the next one is prepared; one write fails. PostgreSQL
    # commits each segment; DuckDB, here, every two (a segment is 120 records), so a failing write takes the
    # other segment of its transaction with it.
    monkeypatch.setattr(pipeline, "CHUNK_RECORDS", 100)
    monkeypatch.setattr(pipeline, "RECORDS_PER_COMMIT_DUCKDB", 200)
    write_segment, writes = pipeline._write_segment, []

    def failing(conn, segment) -> None:
        writes.append(segment.result.n_extracted)
        if len(writes) == failing_write:
            raise sa.exc.OperationalError("insert", {}, OSError("connection lost"))
        write_segment(conn, segment)

    monkeypatch.setattr(pipeline, "_write_segment", failing)
    with SimulatorServer(dataset, now=UNTIL) as server:
        with pytest.raises(sa.exc.OperationalError, match="connection lost"):
            ingest_hotline(engine, hotline_config(server))
    committed_segments = 2 if warehouse.is_duckdb(engine) else failing_write - 1
    committed = raw_keys(engine)
    assert len(writes) == failing_write
    assert len(committed) == len(set(committed)) == sum(writes[:committed_segments])
    with engine.connect() as conn:
        status, extracted, loaded, quarantined, duplicates, message = conn.exec_driver_sql(
            "select status, n_extracted, n_loaded, n_quarantined, n_duplicates, message from audit.pulls").one()
        checkpoint = conn.exec_driver_sql("select watermark from audit.watermarks").scalar()
        latest_staged = conn.exec_driver_sql("select max(version_at) from staging.hotline_ticket_versions").scalar()
    # The counts are the committed segments', not the failed transaction's.
    assert (status, extracted) == ("failed", len(committed)) and loaded + quarantined + duplicates == extracted
    assert "connection lost" in message and checkpoint == latest_staged


_KILLABLE_LOAD = textwrap.dedent("""
    import logging, sys
    from datetime import datetime
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    from etl import pipeline
    pipeline.CHUNK_RECORDS = pipeline.RECORDS_PER_COMMIT_DUCKDB = 500   # segments commit early and often
    from etl import jobs
    from etl.config import SourceConfig
    cfg = SourceConfig("hotline_api", host=sys.argv[1], extra={"page_size": 100})
    jobs.ingest_hotline(cfg, datetime.fromisoformat(sys.argv[2]), datetime.fromisoformat(sys.argv[3]))
""")


def test_load_killed_mid_write_leaves_no_trace_and_the_next_run_completes(tmp_path, dataset, monkeypatch) -> None:
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.setenv("CAMPAIGN_WAREHOUSE_URL", url)
    monkeypatch.setenv("CAMPAIGN_START", "2026-09-07")
    engine = warehouse.create_engine(url)
    warehouse.ensure_tables(engine)
    engine.dispose()
    truth = {f"{t}|{u}" for t, u in dataset.hotline_versions(SINCE, UNTIL)}
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with SimulatorServer(dataset, now=UNTIL) as server:
        process = subprocess.Popen(
            [sys.executable, "-c", _KILLABLE_LOAD, server.base_url, SINCE.isoformat(), UNTIL.isoformat()],
            env=env, stderr=subprocess.PIPE, text=True,
        )
        written = 0
        for line in process.stderr:  # the first segment commits; kill inside the second one's transaction
            if "not yet committed" in line:
                written += 1
                if written == 2:
                    break
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert written == 2 and process.returncode == -signal.SIGKILL

        # Exactly the first segment is there, reconciled: nothing of the killed one.
        keys = raw_keys(engine)
        assert 500 <= len(keys) < 600 and set(keys) <= truth
        with engine.connect() as conn:
            status, extracted, loaded, quarantined, duplicates = conn.exec_driver_sql(
                "select status, n_extracted, n_loaded, n_quarantined, n_duplicates from audit.pulls").one()
        assert status == "loading" and extracted == len(keys) == loaded + quarantined + duplicates
        assert scalar(engine, "select count(*) from staging.hotline_ticket_versions") == loaded
        assert scalar(engine, "select watermark from audit.watermarks") < UNTIL.replace(tzinfo=None)

        result = jobs.ingest_hotline(hotline_config(server), SINCE, UNTIL)
    keys = raw_keys(engine)
    assert len(keys) == len(set(keys)) and set(keys) == truth
    assert result["is_reconciled"] and result["n_extracted"] == len(truth)
    engine.dispose()


def test_three_source_jobs_at_once_on_duckdb_wait_for_each_other(tmp_path, monkeypatch) -> None:
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.setenv("CAMPAIGN_WAREHOUSE_URL", url)
    campaign = demo_campaign(seed=5, weeks=1)
    drop = tmp_path / "drop"
    campaign.write_drop_files(drop)
    until = SINCE + timedelta(weeks=1)
    with campaign.serve() as base_url:
        script = textwrap.dedent(f"""
            import sys
            from datetime import datetime
            from etl import jobs
            from etl.config import SourceConfig
            which = sys.argv[1]
            since, until = datetime.fromisoformat({SINCE.isoformat()!r}), datetime.fromisoformat({until.isoformat()!r})
            if which == "inspections":
                print(jobs.ingest_inspections(SourceConfig("d", conn_type="fs", extra={{"path": {str(drop)!r}}})))
            else:
                getattr(jobs, "ingest_" + which)(SourceConfig(which, host={base_url!r}), since, until)
        """)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

        def run(which: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-c", script, which], env=env, capture_output=True, text=True)

        started = time.perf_counter()
        with ThreadPoolExecutor(3) as pool:
            done = list(pool.map(run, ["hotline", "events", "inspections"]))
        elapsed = time.perf_counter() - started
        for process in done:
            assert process.returncode == 0, process.stderr[-2000:]
    engine = warehouse.create_engine(url)
    statuses = {r[0]: r[1] for r in engine.connect().exec_driver_sql(
        "select source, count(*) from audit.pulls where status = 'loaded' and is_reconciled group by source")}
    engine.dispose()
    assert set(statuses) == {"hotline", "events", "inspections"}, (statuses, elapsed)
