"""The read-only BI role (sql/roles/bi_reader.sql): PostgreSQL only, as DuckDB has no roles."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine

from etl.warehouse import SQL_DIR, is_duckdb, split_statements

BI_ROLE_SQL = SQL_DIR / "roles" / "bi_reader.sql"
DEFAULT_ROLE = "bi_reader"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def create_bi_role(engine: Engine, password: str, role: str = DEFAULT_ROLE) -> None:
    """Create (or update) login role `role` that can read every mart view and nothing else; idempotent."""
    from psycopg import sql

    if is_duckdb(engine):
        raise NotImplementedError("the BI role needs PostgreSQL: the embedded DuckDB warehouse has no roles")
    if not _IDENTIFIER.match(role):
        raise ValueError(f"role name {role!r} must be a lower-case SQL identifier")
    with engine.begin() as conn:
        exists = conn.exec_driver_sql("select 1 from pg_roles where rolname = %s", (role,)).scalar()
        verb = "alter" if exists else "create"
        statement = sql.SQL(verb + " role {} with login password {}").format(
            sql.Identifier(role), sql.Literal(password)
        )
        # The driver reads '%' as a placeholder even without parameters: a password may hold one.
        conn.exec_driver_sql(statement.as_string(conn.connection.driver_connection).replace("%", "%%"))
        for text in split_statements(BI_ROLE_SQL.read_text(encoding="utf-8")):
            conn.exec_driver_sql(re.sub(rf"\b{DEFAULT_ROLE}\b", role, text))
