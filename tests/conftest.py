"""Fixtures shared by every test: fresh warehouses on DuckDB and on a real PostgreSQL server.

PostgreSQL tests run against CAMPAIGN_TEST_PG_URL (default: the local server's `test` database), each
in a throwaway database so parallel runs never meet. Where CAMPAIGN_REQUIRE_POSTGRES=1 (CI), a missing
server is an error; elsewhere those tests skip with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from etl import warehouse

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


def _admin_url() -> sa.URL:
    return sa.make_url(os.environ.get("CAMPAIGN_TEST_PG_URL", DEFAULT_PG_URL))


def _postgres_available() -> str | None:
    try:
        with sa.create_engine(_admin_url(), connect_args={"connect_timeout": 3}).connect() as conn:
            conn.exec_driver_sql("select 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL not reachable at {_admin_url().render_as_string(hide_password=True)}: {exc}"


@pytest.fixture(scope="session")
def postgres_server() -> sa.URL:
    """The admin URL of a reachable PostgreSQL server (skip, or fail in CI, if there is none)."""
    problem = _postgres_available()
    if problem:
        if os.environ.get("CAMPAIGN_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem} (CAMPAIGN_REQUIRE_POSTGRES=1)")
        pytest.skip(problem)
    return _admin_url()


@pytest.fixture
def postgres_database(postgres_server: sa.URL) -> Iterator[str]:
    """A new empty database on the server, dropped afterwards; yields its SQLAlchemy URL."""
    name = f"campaign_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    try:
        yield postgres_server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        admin.dispose()


@pytest.fixture
def warehouse_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """URL of an empty warehouse on the engine named by the test's `engine` parameter (default DuckDB)."""
    engine_name = getattr(request, "param", "duckdb")
    if engine_name == "postgres":
        return request.getfixturevalue("postgres_database")
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[sa.Engine]:
    """A bootstrapped warehouse engine; parametrize with `@pytest.mark.parametrize("warehouse_url",
    ENGINES, indirect=True)` to run a test on both engines."""
    eng = warehouse.create_engine(warehouse_url)
    warehouse.bootstrap(eng)
    yield eng
    eng.dispose()


_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without interpreter teardown once pytest has reported: duckdb 2.0's bindings would print a page
    of "nanobind: leaked ..." lines after pytest's summary, which must stay the run's closing line."""
    if _exit_status:
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])
