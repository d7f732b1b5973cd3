"""deploy/warehouse/initdb/10-roles.sh on a real PostgreSQL: an owner that builds, a reader that sees mart only."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "warehouse" / "initdb" / "10-roles.sh"

pytestmark = pytest.mark.postgres


def _run_script(server: sa.URL, names: dict[str, str], owner_password: str, reader_password: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PGHOST": server.host or "127.0.0.1",
        "PGPORT": str(server.port or 5432),
        "PGPASSWORD": server.password or "",
        "POSTGRES_USER": server.username or "postgres",
        "WAREHOUSE_PASSWORD": owner_password,
        "BI_READER_PASSWORD": reader_password,
        **names,
    }
    result = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _stored_password(admin: sa.Engine, role: str) -> str:
    with admin.connect() as conn:
        return conn.execute(sa.text("select rolpassword from pg_authid where rolname = :r"), {"r": role}).scalar()


@pytest.fixture
def roles(postgres_server: sa.URL):
    """Unique role and database names (roles are server-wide), all dropped afterwards."""
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    suffix = uuid.uuid4().hex[:10]
    names = {
        "WAREHOUSE_USER": f"campaign_{suffix}",
        "WAREHOUSE_DB": f"campaign_{suffix}",
        "BI_READER_USER": f"bi_reader_{suffix}",
    }
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    try:
        yield postgres_server, admin, names
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{names["WAREHOUSE_DB"]}" with (force)')
            conn.exec_driver_sql(f'drop role if exists "{names["WAREHOUSE_USER"]}", "{names["BI_READER_USER"]}"')
        admin.dispose()


def test_owner_builds_and_reader_sees_mart_only(roles):
    server, admin, names = roles
    owner, reader, db = names["WAREHOUSE_USER"], names["BI_READER_USER"], names["WAREHOUSE_DB"]
    _run_script(server, names, "owner-pw-1", "reader-pw-1")
    first_reader_password = _stored_password(admin, reader)
    # Running it again (a password rotation) changes the stored password and nothing else.
    _run_script(server, names, "owner-pw-1", "reader-pw-2")
    assert first_reader_password and _stored_password(admin, reader) != first_reader_password

    as_owner = sa.create_engine(server.set(username=owner, password="owner-pw-1", database=db))
    with as_owner.begin() as conn:
        # What etl.warehouse bootstrap does: schemas and tables, then mart views over core.
        conn.exec_driver_sql("create schema if not exists core")
        conn.exec_driver_sql("create schema if not exists mart")
        conn.exec_driver_sql("create table core.problems (problem_id int)")
        conn.exec_driver_sql("insert into core.problems values (1), (2)")
        conn.exec_driver_sql("create view mart.problem_count as select count(*) as n from core.problems")
    as_owner.dispose()

    as_reader = sa.create_engine(server.set(username=reader, password="reader-pw-2", database=db))
    try:
        with as_reader.connect() as conn:
            assert conn.exec_driver_sql("select n from problem_count").scalar() == 2
        for statement in (
            "select * from core.problems",
            "create table mart.scratch (x int)",
            "create schema scratch",
        ):
            with as_reader.connect() as conn, pytest.raises(DBAPIError):
                conn.exec_driver_sql(statement)
    finally:
        as_reader.dispose()

    with admin.connect() as conn:
        public_acl = conn.execute(
            sa.text("select count(*) from pg_database, aclexplode(datacl) a where datname = :db and a.grantee = 0"),
            {"db": db},
        ).scalar()
        owner_is_superuser = conn.execute(
            sa.text("select rolsuper from pg_roles where rolname = :r"), {"r": owner}
        ).scalar()
    assert public_acl == 0, "PUBLIC can still connect to the warehouse database"
    assert owner_is_superuser is False
