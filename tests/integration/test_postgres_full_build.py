"""A full PostgreSQL build writes its tables side by side in several sessions, then swaps them in at once:
the same tables as one session gives, readers undisturbed meanwhile, and a failure leaves the last build."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from etl import models, warehouse
from tests.integration.test_golden_weekly import _load_golden

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("warehouse_url", ["postgres"], indirect=True)]


def _next_schema_exists(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql(
            f"select count(*) from information_schema.schemata where schema_name = '{models.NEXT_SCHEMA}'").scalar())


def test_one_session_or_three_build_the_same_tables(engine, monkeypatch) -> None:
    monkeypatch.setenv("CAMPAIGN_POSTGRES_BUILD_SESSIONS", "1")
    _load_golden(engine)
    one = warehouse.fingerprints(engine)
    monkeypatch.setenv("CAMPAIGN_POSTGRES_BUILD_SESSIONS", "3")
    models.build(engine)
    assert warehouse.fingerprints(engine) == one
    assert int(one["core.fct_problem"].split(":")[1]) > 0
    assert not _next_schema_exists(engine)


def test_readers_keep_the_previous_tables_while_the_new_ones_are_written(engine, monkeypatch) -> None:
    _load_golden(engine)
    with engine.connect() as conn:
        published = conn.exec_driver_sql("select count(*) from core.fct_problem").scalar()
    insert_next = models._insert_next
    seen = {}

    def reading_meanwhile(engine_, model, select) -> None:
        insert_next(engine_, model, select)
        with engine.connect() as reader:  # waits at most a second for a lock, else fails the build
            reader.exec_driver_sql("set lock_timeout = '1s'")
            seen[model.name] = reader.exec_driver_sql("select count(*) from core.fct_problem").scalar()

    monkeypatch.setattr(models, "_insert_next", reading_meanwhile)
    models.build(engine)
    tables = [m.name for m in models.discover() if m.materialization == "table"]
    assert seen == dict.fromkeys(tables, published)


def test_a_failed_full_build_leaves_the_last_one_published(engine) -> None:
    _load_golden(engine)
    before = warehouse.fingerprints(engine)
    # Fails on its first row, late in the build, after other tables were written.
    broken = [dataclasses.replace(m, select=f"select * from ({m.select}) as q where cast(problem_id as integer) > 0")
              if m.name == "core.fct_problem_weekly_count" else m for m in models.discover()]
    with pytest.raises(sa.exc.DataError, match="invalid input syntax for type integer"):
        models.build(engine, broken)
    assert warehouse.fingerprints(engine) == before
    assert not _next_schema_exists(engine)

    def refuse(conn, rewritten) -> None:
        assert conn.exec_driver_sql("select count(*) from core.fct_problem").scalar() > 0  # the new tables
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        models.build(engine, before_commit=refuse)
    assert warehouse.fingerprints(engine) == before
    assert not _next_schema_exists(engine)
    models.build(engine)  # nothing left held: the advisory lock was released
    assert warehouse.fingerprints(engine) == before

