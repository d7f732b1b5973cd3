"""The BI role reads every mart view, writes nothing, and sees nothing of raw, staging, core or audit."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from etl import models, roles
from tests.conftest import ENGINES

POSTGRES_ONLY = [p for p in ENGINES if getattr(p, "values", None) == ("postgres",)]


@pytest.fixture
def bi_role(engine: sa.Engine):
    """A uniquely named BI role (roles are cluster-wide), dropped with everything it was granted afterwards."""
    role = f"bi_reader_test_{uuid.uuid4().hex[:8]}"
    roles.create_bi_role(engine, "s3cret%'pw", role=role)
    reader = sa.create_engine(engine.url.set(username=role, password="s3cret%'pw"))
    try:
        yield role, reader
    finally:
        reader.dispose()
        with engine.begin() as conn:
            conn.exec_driver_sql(f"drop owned by {role}")
            conn.exec_driver_sql(f"drop role {role}")


def _fails(reader: sa.Engine, statement: str) -> bool:
    with reader.connect() as conn:
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError:
            return True
    return False


@pytest.mark.parametrize("warehouse_url", POSTGRES_ONLY, indirect=True)
def test_bi_role_reads_marts_only(engine: sa.Engine, bi_role) -> None:
    role, reader = bi_role
    marts = [m.name for m in models.discover() if m.materialization == "view"]
    assert marts
    with reader.connect() as conn:
        for view in marts:
            conn.exec_driver_sql(f"select * from {view} limit 1").all()
    for table in ["raw.hotline_tickets", "staging.hotline_ticket_versions", "audit.pulls", "audit.quarantine",
                  "core.fct_problem", "core.dim_area"]:
        assert _fails(reader, f"select * from {table} limit 1"), f"{role} can read {table}"
    assert _fails(reader, "insert into audit.pulls (pull_id, source, started_at, status) "
                          "values ('x', 'x', now(), 'x')")
    assert _fails(reader, "create table mart.bi_scratch (x integer)")
    assert _fails(reader, "create view mart.bi_scratch as select 1 as x")
    assert _fails(reader, "drop view mart.hotline_weekly")


@pytest.mark.parametrize("warehouse_url", POSTGRES_ONLY, indirect=True)
def test_bi_role_keeps_reading_after_the_views_are_rebuilt(engine: sa.Engine, bi_role) -> None:
    _, reader = bi_role
    models.build(engine)  # drops and re-creates every view: default privileges must cover the new ones
    roles.create_bi_role(engine, "s3cret%'pw", role=bi_role[0])  # and a re-run is harmless
    with reader.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from mart.weekly_rectification_total").scalar() == 0


def test_bi_role_needs_postgres(engine: sa.Engine) -> None:
    with pytest.raises(NotImplementedError):
        roles.create_bi_role(engine, "pw")
