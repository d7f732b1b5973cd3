"""The warehouse bootstrap creates every layer from sql/ on both engines, and can run again."""

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from etl import models, warehouse
from tests.conftest import ENGINES

LAYERS = {"raw", "staging", "core", "mart", "audit"}


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_bootstrap_creates_every_layer_and_is_idempotent(engine: sa.Engine) -> None:
    warehouse.bootstrap(engine)  # a second run must change nothing and not fail
    with engine.connect() as conn:
        schemas = set(conn.exec_driver_sql("select schema_name from information_schema.schemata").scalars())
        objects = {
            (f"{schema}.{name}", "view" if kind == "VIEW" else "table")
            for schema, name, kind in conn.exec_driver_sql(
                "select table_schema, table_name, table_type from information_schema.tables"
            )
        }
    assert LAYERS <= schemas
    for table in ["staging.hotline_ticket_versions", "audit.pulls", "audit.watermarks", "audit.quarantine",
                  "audit.processed_files", "raw.hotline_tickets"]:
        assert (table, "table") in objects, f"{table} missing after bootstrap"
    for model in models.discover():
        assert (model.name, model.materialization) in objects, f"{model.name} missing after bootstrap"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_upsert_replaces_rows_with_the_same_key(engine: sa.Engine) -> None:
    import pandas as pd

    frame = pd.DataFrame({
        "source": ["hotline", "events"],
        "watermark": pd.to_datetime(["2026-01-01 08:00", "2026-01-02 09:30"]),
        "pull_id": ["p1", "p1"],
        "updated_at": pd.to_datetime(["2026-01-03", "2026-01-03"]),
    })
    with engine.begin() as conn:
        warehouse.upsert(conn, "audit.watermarks", frame, ["source"])
        changed = frame.assign(pull_id=["p2", "p2"], watermark=pd.to_datetime(["2026-02-01", "2026-02-02"]))
        warehouse.upsert(conn, "audit.watermarks", changed.iloc[:1], ["source"])
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("select source, pull_id, watermark from audit.watermarks order by source").all()
    assert [(r[0], r[1], str(r[2])[:16]) for r in rows] == [
        ("events", "p1", "2026-01-02 09:30"),
        ("hotline", "p2", "2026-02-01 00:00"),
    ]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_upsert_with_newer_column_never_goes_back_in_time(engine: sa.Engine) -> None:
    import pandas as pd

    def watermark(value: str) -> pd.DataFrame:
        return pd.DataFrame({"source": ["hotline"], "watermark": pd.to_datetime([value]), "pull_id": [value],
                             "updated_at": pd.to_datetime(["2026-01-03"])})

    with engine.begin() as conn:
        warehouse.upsert(conn, "audit.watermarks", watermark("2026-03-01"), ["source"], newer_column="watermark")
        warehouse.upsert(conn, "audit.watermarks", watermark("2026-02-01"), ["source"], newer_column="watermark")
    with engine.connect() as conn:
        assert str(conn.exec_driver_sql("select watermark from audit.watermarks").scalar())[:10] == "2026-03-01"


@pytest.mark.parametrize("mostly_new", [False, True])
@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_raw_and_staging_keys_are_kept_unique_with_or_without_a_key_index(engine: sa.Engine, mostly_new) -> None:
    """DuckDB's raw and staging tables have no key index (the upsert keeps keys unique); PostgreSQL's do.
    With `mostly_new`, PostgreSQL tries a plain COPY first and falls back to the merge when a key is stored."""
    warehouse.ensure_tables(engine)

    def payloads(keys: list[str], versions: list[str | None], pull_id: str) -> pd.DataFrame:
        return pd.DataFrame({"record_key": keys, "source": "events", "pull_id": pull_id,
                             "received_at": pd.Timestamp("2026-01-05"), "payload": [f"{k}@{pull_id}" for k in keys],
                             "version_at": pd.to_datetime(versions)})

    def event(event_id: str, updated: str, title: str) -> pd.DataFrame:
        return pd.DataFrame({
            "event_id": [event_id], "updated_at": [pd.Timestamp(updated)], "title": [title], "category_code": ["c"],
            "organizer": ["o"], "district_code": ["d"], "town_code": [None], "start_at": [pd.Timestamp("2026-01-01")],
            "end_at": [None], "participants": [1], "volunteers": [1], "volunteer_hours": [1.0], "status": ["done"],
            "pull_id": ["p"]})

    with engine.begin() as conn:
        # first receipt wins, whether or not the version time could be read
        warehouse.upsert(conn, "raw.events", payloads(["a|1", "b|2", "c|?"], ["2026-01-01", "2026-01-02", None], "p1"),
                         ["record_key"], on_conflict="nothing", narrow_by="version_at", mostly_new=mostly_new)
        warehouse.upsert(conn, "raw.events", payloads(["b|2", "c|?", "d|3"], ["2026-01-02", None, "2026-01-03"], "p2"),
                         ["record_key"], on_conflict="nothing", narrow_by="version_at", mostly_new=mostly_new)
        # the newer edit replaces; an older one arriving late does not
        for event_id, updated, title in [("e1", "2026-01-02", "v2"), ("e1", "2026-01-01", "v1"),
                                         ("e2", "2026-01-01", "v1"), ("e2", "2026-01-03", "v3")]:
            warehouse.upsert(conn, "staging.events", event(event_id, updated, title), ["event_id"],
                             newer_column="updated_at", mostly_new=mostly_new)
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("select record_key, pull_id from raw.events order by record_key").all()
        events = conn.exec_driver_sql("select event_id, title from staging.events order by event_id").all()
        keyed = {table for (table,) in conn.exec_driver_sql(
            "select table_schema || '.' || table_name from information_schema.table_constraints"
            " where constraint_type = 'PRIMARY KEY' and table_schema in ('raw', 'staging')")}
    assert [tuple(r) for r in raw] == [("a|1", "p1"), ("b|2", "p1"), ("c|?", "p1"), ("d|3", "p2")]
    assert [tuple(r) for r in events] == [("e1", "v2"), ("e2", "v3")]
    assert keyed == set(), "raw and staging declare no primary key on either engine"
    twice = pd.concat([event("e3", "2026-01-01", "a"), event("e3", "2026-01-02", "b")])
    with pytest.raises(Exception, match="repeat a key|ON CONFLICT DO UPDATE command cannot affect row a second"), \
            engine.begin() as conn:
        warehouse.upsert(conn, "staging.events", twice, ["event_id"], newer_column="updated_at", mostly_new=mostly_new)
    if not warehouse.is_duckdb(engine):
        with pytest.raises(Exception, match="duplicate key value violates unique constraint"), engine.begin() as conn:
            warehouse.bulk_insert(conn, "raw.events", payloads(["a|1"], ["2026-01-01"], "p3"))


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_keyed_change_queue_from_an_older_warehouse_loses_its_key_and_keeps_its_rows(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("create schema if not exists audit")
        conn.exec_driver_sql("drop table if exists audit.changed_records")
        conn.exec_driver_sql("create table audit.changed_records (record_kind text not null, record_id text not null,"
                             " primary key (record_kind, record_id))")
        conn.exec_driver_sql("insert into audit.changed_records values ('ticket', 'T1'), ('finding', 'F1')")
    warehouse.ensure_tables(engine)
    warehouse.ensure_tables(engine)  # and again: nothing left to do
    with engine.begin() as conn:
        conn.exec_driver_sql("insert into audit.changed_records values ('ticket', 'T1')")  # queued twice is fine
        rows = conn.exec_driver_sql("select record_kind, record_id from audit.changed_records"
                                    " order by record_kind, record_id").all()
    assert [tuple(r) for r in rows] == [("finding", "F1"), ("ticket", "T1"), ("ticket", "T1")]


@pytest.mark.postgres
@pytest.mark.parametrize("warehouse_url", ["postgres"], indirect=True)
def test_postgres_raw_payloads_of_an_older_warehouse_are_rekeyed_by_version_time(engine: sa.Engine) -> None:
    """The raw tables' unique index leads with version_at (new versions land at its right edge); a warehouse
    made with the older record_key index gets the new one, keeps its rows, and the upserts' target is it."""
    with engine.begin() as conn:
        conn.exec_driver_sql("create schema if not exists raw")
        conn.exec_driver_sql("drop table if exists raw.events")
        conn.exec_driver_sql("create table raw.events (record_key text not null, source text not null,"
                             " pull_id text not null, received_at timestamp not null, payload text not null)")
        conn.exec_driver_sql("create unique index raw_events_key on raw.events (record_key)")
        conn.exec_driver_sql("insert into raw.events values ('a|1', 'events', 'p0', '2026-01-05', '{}')")
    warehouse.ensure_tables(engine)
    warehouse.ensure_tables(engine)  # and again: nothing left to do
    with engine.begin() as conn:
        indexes = dict(conn.exec_driver_sql(
            "select indexname, indexdef from pg_indexes where schemaname = 'raw' and tablename = 'events'").all())
        offered = pd.DataFrame({"record_key": ["a|1", "b|2"], "source": "events", "pull_id": "p1",
                                "received_at": pd.Timestamp("2026-01-06"), "payload": "{}",
                                "version_at": pd.to_datetime([None, "2026-01-02"])})
        warehouse.upsert(conn, "raw.events", offered, ["record_key"], on_conflict="nothing", narrow_by="version_at")
        warehouse.upsert(conn, "raw.events", offered, ["record_key"], on_conflict="nothing", narrow_by="version_at")
        rows = conn.exec_driver_sql("select record_key, pull_id from raw.events order by record_key").all()
    assert list(indexes) == ["raw_events_version_key"]
    assert "(version_at, record_key) NULLS NOT DISTINCT" in indexes["raw_events_version_key"]
    assert [tuple(r) for r in rows] == [("a|1", "p0"), ("b|2", "p1")]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_every_mart_view_documents_its_grain_and_exactly_its_columns(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        for model in models.discover():
            if model.materialization != "view":
                continue
            schema, name = model.name.split(".")
            columns = list(conn.execute(sa.text(
                "select column_name from information_schema.columns where table_schema = :s and table_name = :t"
                " order by ordinal_position"), {"s": schema, "t": name}).scalars())
            assert model.grain, f"{model.name} has no -- @grain line"
            assert sorted(model.columns) == sorted(columns), f"{model.name}: documented columns differ"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
@pytest.mark.parametrize("arrow_can_type_it", [True, False])
def test_bulk_insert_keeps_every_value_as_it_was(engine: sa.Engine, arrow_can_type_it: bool) -> None:
    """NULL stays NULL and '' stays '', quotes, commas, newlines and CJK survive, times keep microseconds."""
    frame = pd.DataFrame({
        "k": ["a", "b", "c"],
        "s": ["", None, '他说"好",\n第二行'],
        "t": pd.to_datetime(["2026-09-07 10:00:00.123456", None, "2026-12-31 23:59:59.000000"]),
        "d": [date(2026, 9, 7), None, date(2026, 12, 31)],
        "b": pd.array([True, None, False], dtype="boolean"),
        "n": [1.5, None, -2.0],
        # a column Arrow cannot type as it is (text and numbers mixed) is written as text
        "m": ["x", 1, None] if not arrow_can_type_it else ["x", "1", None],
    })
    with engine.begin() as conn:
        conn.exec_driver_sql("create table audit.roundtrip (k text, s text, t timestamp, d date, b boolean,"
                             " n double precision, m text)")
        warehouse.bulk_insert(conn, "audit.roundtrip", frame)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("select k, s, t, d, b, n, m from audit.roundtrip order by k").all()
    assert [tuple(r) for r in rows] == [
        ("a", "", datetime(2026, 9, 7, 10, 0, 0, 123456), date(2026, 9, 7), True, 1.5, "x"),
        ("b", None, None, None, None, None, "1"),
        ("c", '他说"好",\n第二行', datetime(2026, 12, 31, 23, 59, 59), date(2026, 12, 31), False, -2.0, None),
    ]
