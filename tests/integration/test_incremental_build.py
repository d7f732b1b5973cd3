"""An incremental build (keyed core models recompute only the records loaded since the last build) gives
exactly the tables a full rebuild gives, through loads that add, re-categorise and re-channel records."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from etl import jobs, models, pipeline, warehouse
from etl.config import SourceConfig
from etl.sources.hotline import HotlineClient
from simulator import demo_campaign

START = datetime(2026, 9, 6, 16, 0, tzinfo=UTC)  # Monday 2026-09-07 00:00 in Shanghai
CUTS = [START + timedelta(days=10), START + timedelta(days=17), START + timedelta(weeks=3, hours=12)]


def _pending(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("select count(*) from audit.changed_records").scalar()


def _is_current(engine) -> bool:
    with engine.connect() as conn:
        return models._is_current(conn, models.discover())


def _table_comment(conn, table: str) -> str | None:
    if warehouse.is_duckdb(conn):
        schema, name = table.split(".")
        return conn.exec_driver_sql("select comment from duckdb_tables() where schema_name = ? and table_name = ?",
                                    (schema, name)).scalar()
    return conn.exec_driver_sql(f"select obj_description('{table}'::regclass)").scalar()


def _build_both_ways(engine) -> dict[str, str]:
    """Build incrementally, then in full: the two must agree table for table."""
    assert _is_current(engine) and _pending(engine) > 0  # the incremental path is the one taken
    jobs.build_warehouse()
    assert _pending(engine) == 0
    with engine.connect() as conn:  # the core suite read the problems the build rewrote, not the others
        validated = conn.exec_driver_sql(
            "select n_evaluated from audit.validation_results where suite = 'core.fct_problem'"
            " and pull_id like 'build:%%' order by created_at desc limit 1").scalar()
        assert 0 < validated < conn.exec_driver_sql("select count(*) from core.fct_problem").scalar()
        # A refreshed table keeps the description BI tools show (DuckDB writes it anew).
        problem = next(m for m in models.discover() if m.name == "core.fct_problem")
        assert _table_comment(conn, "core.fct_problem") == problem.grain
    incremental = warehouse.fingerprints(engine)
    jobs.build_warehouse(full=True)
    assert warehouse.fingerprints(engine) == incremental
    return incremental


# DuckDB refreshes keyed tables by delete and insert within models.DUCKDB_DELETE_ROWS, by rewriting beyond it.
@pytest.mark.parametrize(("warehouse_url", "duckdb_delete_rows"), [
    ("duckdb", models.DUCKDB_DELETE_ROWS),
    pytest.param("duckdb", 0, id="duckdb-rewritten"),
    pytest.param("postgres", models.DUCKDB_DELETE_ROWS, marks=pytest.mark.postgres),
], indirect=["warehouse_url"])
def test_incremental_builds_equal_full_rebuilds(
    engine, warehouse_url, duckdb_delete_rows, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(models, "DUCKDB_DELETE_ROWS", duckdb_delete_rows)
    monkeypatch.setenv("CAMPAIGN_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("CAMPAIGN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CAMPAIGN_PII_SALT", "test-salt")
    monkeypatch.setenv("CAMPAIGN_START", "2026-09-07")
    campaign = demo_campaign(seed=5, weeks=4)
    drop = tmp_path / "drop"
    drop_cfg = SourceConfig("inspections_drop", conn_type="fs", extra={"path": str(drop)})
    with campaign.serve(now=CUTS[0]) as url:
        hotline_cfg = SourceConfig("hotline_api", host=url)
        events_cfg = SourceConfig("events_api", host=url)
        previous = START
        for number, cut in enumerate(CUTS):
            campaign.server.set_now(cut)
            jobs.ingest_hotline(hotline_cfg, previous, cut)
            jobs.ingest_events(events_cfg, previous, cut)
            campaign.write_drop_files(drop, until=(cut + timedelta(hours=8)).date())
            jobs.ingest_inspections(drop_cfg)
            if number == 0:
                jobs.build_warehouse()  # the first build is a full one: there is nothing to build on
            else:
                tables = _build_both_ways(engine)
            previous = cut

        # Later versions that move one ticket to the patrol channel (its problem id changes) and another
        # out of the campaign's categories (its problem goes): the old rows must go too.
        with HotlineClient(hotline_cfg) as client:
            records = [r for page in client.iter_pages(START, CUTS[-1]) for r in page]
    latest = {r["ticket_id"]: r for r in records}
    moved, dropped = [r for r in latest.values() if r["channel"] != "patrol" and r["category"] != "其他"][:2]
    stamp = (CUTS[-1] + timedelta(hours=1)).isoformat()
    edits = [{**moved, "channel": "patrol", "updated_at": stamp, "raw": {**moved["raw"], "edit": 1}},
             {**dropped, "category": "其他", "updated_at": stamp, "raw": {**dropped["raw"], "edit": 2}}]
    end = CUTS[-1] + timedelta(hours=2)
    pipeline.ingest_api(engine, "hotline", [edits], pull_id="test:edits", window_start=CUTS[-1], window_end=end)
    assert _build_both_ways(engine) != tables
    with engine.connect() as conn:
        problems = dict(conn.exec_driver_sql(
            "select source_id, problem_id from core.fct_problem where source_id in (?, ?)"
            if warehouse.is_duckdb(conn) else
            "select source_id, problem_id from core.fct_problem where source_id in (%s, %s)",
            (moved["ticket_id"], dropped["ticket_id"])).all())
    assert problems == {moved["ticket_id"]: f"patrol:{moved['ticket_id']}"}


def test_a_model_whose_sql_changed_makes_the_next_build_a_full_one(engine) -> None:
    assert _is_current(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("update audit.model_builds set sql_hash = 'edited' where model = 'core.fct_problem'")
    assert not _is_current(engine)
    models.build(engine, incremental=True)
    assert _is_current(engine)


def test_a_keyed_model_may_not_read_a_table_rebuilt_in_full(tmp_path) -> None:
    for layer in ("core", "mart"):
        (tmp_path / layer).mkdir()
    (tmp_path / "core" / "dim_x.sql").write_text("select 1 as x\n", encoding="utf-8")
    (tmp_path / "core" / "fct_y.sql").write_text(
        "-- @key ticket_id\nselect 'T1' as ticket_id, x from core.dim_x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"keyed model may read only staging and keyed models, not \['core.dim_x'\]"):
        models.discover(tmp_path)


@pytest.mark.parametrize(("sql", "problem"), [
    ("-- @sum_of core.fct_y\n-- @group_by x\n-- @column n_rows: rows\n"
     "with y as (select * from core.fct_y) select x, count(*) as n_rows from y group by x\n", None),
    ("-- @sum_of core.dim_x\n-- @group_by x\n-- @column n_rows: rows\n"
     "with y as (select * from core.dim_x) select x, count(*) as n_rows from y group by x\n",
     "core.dim_x is not a keyed core model"),
    ("-- @sum_of core.fct_y\n-- @group_by x\n-- @column n_rows: rows\n"
     "select x, count(*) as n_rows from core.fct_y join core.dim_x using (x) group by x\n",
     "it must read core.fct_y alone"),
    ("-- @sum_of core.fct_y\n-- @group_by x\n"
     "with y as (select * from core.fct_y) select x, count(*) as n_rows from y group by x\n",
     "an n_rows column"),
])
def test_a_summing_model_reads_one_keyed_model_and_counts_its_rows(tmp_path, sql, problem) -> None:
    for layer in ("core", "mart"):
        (tmp_path / layer).mkdir()
    (tmp_path / "core" / "dim_x.sql").write_text("select 1 as x\n", encoding="utf-8")
    (tmp_path / "core" / "fct_y.sql").write_text(
        "-- @key ticket_id\nwith v as (select * from staging.hotline_ticket_versions)"
        " select ticket_id, 1 as x from v\n", encoding="utf-8")
    (tmp_path / "core" / "agg_y.sql").write_text(sql, encoding="utf-8")
    if problem is None:
        summed = next(m for m in models.discover(tmp_path) if m.name == "core.agg_y")
        assert (summed.sum_of, summed.group_by) == ("core.fct_y", ("x",))
    else:
        with pytest.raises(ValueError, match=re.escape(problem)):
            models.discover(tmp_path)


@pytest.mark.postgres
@pytest.mark.parametrize("warehouse_url", ["postgres"], indirect=True)
def test_a_postgres_build_sorts_in_memory_and_leaves_the_session_as_it_was(engine) -> None:
    query = "select name, setting from pg_settings where name in ('jit', 'work_mem')"
    seen = {}

    def settings(conn, rewritten) -> None:
        seen.update(conn.exec_driver_sql(query).all())

    with engine.connect() as conn:
        before = dict(conn.exec_driver_sql(query).all())
    models.build(engine, before_commit=settings)
    assert seen == {"jit": "off", "work_mem": str(64 * 1024)}  # pg_settings gives work_mem in kB
    with engine.connect() as conn:
        after = dict(conn.exec_driver_sql(query).all())
    assert after == before and before["work_mem"] != seen["work_mem"]


def test_a_full_postgres_build_splits_by_key_only_models_whose_keyed_inputs_share_their_key() -> None:
    tables = [m for m in models.discover() if m.materialization == "table"]
    keys = models._record_keys(tables)
    split = {m.name for m in tables if models._split_by_key(m, keys)}
    assert {"core.fct_hotline_ticket_status_event", "core.fct_problem_weekly_count"} <= split
    # Problems come from tickets and findings: a bucket of problem ids is no bucket of ticket or finding ids.
    assert not split & {"core.fct_problem", "core.fct_problem_status_event", "core.dim_week"}
