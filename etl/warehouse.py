"""The warehouse: engine, idempotent bootstrap from `sql/`, and the one bulk upsert every load uses."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from etl import config

SQL_DIR = config.REPO_ROOT / "sql"
# Tables and schemas, in the order they must exist; models (core, mart) come after, from etl.models.
DDL_FOLDERS = ("ddl", "raw", "staging", "audit", "seeds")


def create_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: configuration); a DuckDB file's folder is created if missing."""
    url = url or config.warehouse_url()
    if url.startswith(("postgres://", "postgresql://")):
        # Airflow's Connection.get_uri() says postgres://, which SQLAlchemy 2 rejects; psycopg 3 is installed.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "duckdb":
        return sa.create_engine(parsed)
    if parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    settings = {
        # Bounded, DuckDB spills to disk (the file's .tmp folder) instead of growing with the warehouse.
        "memory_limit": config.duckdb_memory_limit(),
        # At the default 16MB nearly every 50k-record segment's commit also checkpointed: 1M hotline records
        # replayed through ingest_api loaded in 51.7 s (commits 11.1 s), in 42.2 s (3.9 s) with this.
        "checkpoint_threshold": "256MB",
    }
    return sa.create_engine(parsed, connect_args={"config": settings})


@contextmanager
def exclusive_writer(engine: Engine) -> Iterator[None]:
    """Hold the embedded warehouse for one writer at a time, across processes; a no-op on PostgreSQL.

    DuckDB lets one process open a file for writing and fails the others at once ("Could not set lock on
    file"). The Airflow pool `warehouse` serialises tasks under the scheduler; this lock also covers jobs run
    by hand, tests and the demo, which wait here instead of failing.
    """
    database = engine.url.database if engine.url.get_backend_name() == "duckdb" else None
    if database in (None, "", ":memory:"):
        yield
        return
    import fcntl

    engine.dispose()  # nobody may hold the file while we wait
    with open(f"{database}.writer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            engine.dispose()
            fcntl.flock(lock, fcntl.LOCK_UN)


def is_duckdb(conn: Connection | Engine) -> bool:
    """True on the embedded engine."""
    return conn.dialect.name == "duckdb"


_ONLY_ON = re.compile(r"^\s*--\s*@only\s+([a-z]+)\s*$", re.MULTILINE)


def split_statements(sql: str, dialect: str | None = None) -> list[str]:
    """Split a SQL file on `;` at the end of a line that is not a comment (our files keep one statement per
    `;`-terminated block; a comment's own `;` ends nothing).

    A statement whose comment lines hold `-- @only <dialect>` is kept only for that dialect (when one is given).
    """
    blocks, lines = [], []
    for line in sql.splitlines():
        lines.append(line)
        if line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            lines[-1] = line.rstrip()[:-1]
            blocks.append("\n".join(lines))
            lines = []
    blocks.append("\n".join(lines))
    statements = []
    for block in blocks:
        only = _ONLY_ON.search(block)
        if dialect and only and only.group(1) != dialect:
            continue
        statement = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("--")).strip()
        if statement:
            statements.append(statement)
    return statements


def run_sql_file(conn: Connection, path: Path) -> None:
    """Execute every statement of one SQL file meant for this engine."""
    for statement in split_statements(path.read_text(encoding="utf-8"), conn.dialect.name):
        conn.exec_driver_sql(statement)


def ddl_files() -> list[Path]:
    """The DDL files in creation order: schemas first, then each layer's tables by name."""
    return [p for folder in DDL_FOLDERS for p in sorted((SQL_DIR / folder).glob("*.sql"))]


def ensure_tables(engine: Engine) -> None:
    """Create the schemas and the raw, staging, audit and reference tables if missing (cheap, idempotent)."""
    with engine.begin() as conn:
        for path in ddl_files():
            run_sql_file(conn, path)
        _unkey_change_queue(conn)


def _unkey_change_queue(conn: Connection) -> None:
    """Warehouses created before audit.changed_records became a plain queue have a key on it: drop it."""
    keyed = conn.exec_driver_sql(
        "select count(*) from information_schema.table_constraints where table_schema = 'audit'"
        " and table_name = 'changed_records' and constraint_type = 'PRIMARY KEY'").scalar()
    if keyed:
        conn.exec_driver_sql("create table audit.changed_records_unkeyed as select * from audit.changed_records")
        conn.exec_driver_sql("drop table audit.changed_records")
        conn.exec_driver_sql("alter table audit.changed_records_unkeyed rename to changed_records")


def bootstrap(engine: Engine) -> None:
    """Create everything, core tables and mart views included; safe to run any number of times."""
    from etl import models

    ensure_tables(engine)
    models.build(engine)


def upsert(
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    key_columns: Sequence[str],
    *,
    on_conflict: str = "update",
    newer_column: str | None = None,
    narrow_by: str | None = None,
    mostly_new: bool = False,
) -> int:
    """Insert `frame` into `table`, replacing (or, with on_conflict="nothing", keeping) rows with the same key.

    The engine's bulk path does the work: DuckDB scans the DataFrame in place, PostgreSQL gets it by
    COPY into a temporary table. With `newer_column`, a stored row is replaced only by one at least as
    new in that column (a late-arriving old version never overwrites a newer one). The frame holds each
    key once. Returns the number of rows offered.

    `narrow_by` names a column the key determines, such as a version's update time, that localises the key
    lookups: on DuckDB, whose tables that grow with history have no key index (see `_upsert_keyless`), it
    lets them skip old data; on PostgreSQL the table's unique index leads with it (the conflict target).

    `mostly_new`: the rows are expected to be new (a pull's fresh versions). PostgreSQL then copies them
    straight into the table, and only if a key is already stored takes the temporary table and merge path.
    """
    if frame.empty:
        return 0
    if is_duckdb(conn) and not _has_key_index(conn, table):
        return _upsert_keyless(conn, table, frame, key_columns, on_conflict, newer_column, narrow_by)
    columns = list(frame.columns)
    column_list = ", ".join(columns)
    keys = ", ".join([narrow_by, *key_columns] if narrow_by and not is_duckdb(conn) else key_columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key_columns)
    action = f"do update set {updates}" if on_conflict == "update" and updates else "do nothing"
    if newer_column and action != "do nothing":
        action += f" where {table}.{newer_column} <= excluded.{newer_column}"

    if is_duckdb(conn):
        with _duckdb_view(conn, frame) as view:
            conn.connection.driver_connection.execute(
                f"insert into {table} ({column_list}) select {column_list} from {view} "
                f"on conflict ({keys}) {action}"
            )
        return len(frame)

    if mostly_new and _copied_if_all_new(conn, table, frame):
        return len(frame)
    temp = "_upsert_rows"
    conn.exec_driver_sql(f"drop table if exists {temp}")
    conn.exec_driver_sql(f"create temporary table {temp} as select {column_list} from {table} limit 0")
    _copy_into(conn, temp, frame)
    conn.exec_driver_sql(
        f"insert into {table} ({column_list}) select {column_list} from {temp} on conflict ({keys}) {action}"
    )
    conn.exec_driver_sql(f"drop table {temp}")
    return len(frame)


def _copied_if_all_new(conn: Connection, table: str, frame: pd.DataFrame) -> bool:
    """PostgreSQL: COPY the frame into the table under a savepoint. A key already stored makes the COPY fail
    on the table's unique index; that savepoint is rolled back and False returned, nothing written.

    A segment of new versions is then written once, instead of into a temporary table and again by the merge
    (a 50k-version segment of hotline payloads: about a third less time).
    """
    from psycopg.errors import UniqueViolation

    savepoint = conn.begin_nested()
    try:
        _copy_into(conn, table, frame)
    except UniqueViolation:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _has_key_index(conn: Connection, table: str) -> bool:
    schema, name = table.split(".", 1)
    (count,), = conn.connection.driver_connection.execute(
        "select count(*) from duckdb_constraints() where schema_name = ? and table_name = ?"
        " and constraint_type in ('PRIMARY KEY', 'UNIQUE')", [schema, name]).fetchall()
    return count > 0


def _upsert_keyless(
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    key_columns: Sequence[str],
    on_conflict: str,
    newer_column: str | None,
    narrow_by: str | None,
) -> int:
    """The upsert on a DuckDB table without a key index, in the caller's transaction: delete what the frame
    replaces, then insert the frame's rows whose key is not (or no longer) stored.

    DuckDB's key indexes (ART) must stay in memory and are written out whole at every checkpoint, so on the
    raw and staging tables they made memory and commit time grow with the history. Without them, each key
    lookup is a join the frame drives: DuckDB passes the frame's range of the join columns down to the
    table scan, which skips row groups by their min/max, so a batch of recent versions reads only recent data.
    The writer lock (`exclusive_writer`) keeps the check and the insert from racing.
    """
    if frame.duplicated(list(key_columns)).any():  # what a key index would refuse
        raise ValueError(f"upsert into {table}: the rows offered repeat a key {list(key_columns)}")
    columns = ", ".join(frame.columns)
    # The key determines `narrow_by`, so matching on it too changes nothing, unless the frame lacks it somewhere.
    narrowed = narrow_by is not None and bool(frame[narrow_by].notna().all())
    match_columns = [*key_columns, *([narrow_by] if narrowed else [])]
    matches = " and ".join(f"stored.{c} = offered.{c}" for c in match_columns)
    with _duckdb_view(conn, frame) as view:
        raw = conn.connection.driver_connection
        if on_conflict == "update":
            newer = f" and stored.{newer_column} <= offered.{newer_column}" if newer_column else ""
            raw.execute(f"delete from {table} as stored using {view} as offered where {matches}{newer}")
            if not newer_column:  # nothing with the frame's keys is left
                raw.execute(f"insert into {table} ({columns}) select {columns} from {view}")
                return len(frame)
        stored_keys = ", ".join(f"stored.{c}" for c in key_columns)
        same_key = " and ".join(f"offered.{c} = kept.{c}" for c in key_columns)
        raw.execute(
            f"insert into {table} ({columns}) select {', '.join(f'offered.{c}' for c in frame.columns)}"
            f" from {view} as offered anti join (select {stored_keys} from {table} as stored"
            f" inner join {view} as offered on {matches}) as kept on {same_key}"
        )
    return len(frame)


@contextmanager
def _duckdb_view(conn: Connection, frame: pd.DataFrame) -> Iterator[str]:
    """The frame as a DuckDB view for one statement: DuckDB scans it in place, no copy."""
    raw = conn.connection.driver_connection
    view = "_frame_rows"
    raw.register(view, frame)
    try:
        yield view
    finally:
        raw.unregister(view)


def _copy_into(conn: Connection, table: str, frame: pd.DataFrame) -> None:
    """PostgreSQL COPY FROM STDIN of a frame, as CSV (NULL is an unquoted empty field, '' a quoted one)."""
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"copy {table} ({', '.join(frame.columns)}) from stdin with (format csv)") as copy:
        copy.write(_csv(frame))


def _csv(frame: pd.DataFrame) -> bytes:
    """The frame as CSV by Arrow's writer (about 8x pandas' on our frames)."""
    import pyarrow as pa
    import pyarrow.csv

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # An object column mixing text and numbers: written as text, missing kept missing.
        mixed = frame.select_dtypes(include="object").columns
        table = pa.Table.from_pandas(frame.astype(dict.fromkeys(mixed, "str")), preserve_index=False)
    out = io.BytesIO()
    pyarrow.csv.write_csv(table, out, pyarrow.csv.WriteOptions(include_header=False))
    return out.getvalue()


def bulk_insert(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Append a frame by the engine's own bulk path: DuckDB scans it in place, PostgreSQL gets COPY."""
    if frame.empty:
        return 0
    if is_duckdb(conn):
        with _duckdb_view(conn, frame) as view:
            conn.connection.driver_connection.execute(
                f"insert into {table} ({', '.join(frame.columns)}) select * from {view}"
            )
    else:
        _copy_into(conn, table, frame)
    return len(frame)


def replace_rows(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Replace a table's whole content (reference tables) inside the caller's transaction."""
    conn.exec_driver_sql(f"delete from {table}")
    return bulk_insert(conn, table, frame)


def fingerprints(engine: Engine, schemas: Sequence[str] = ("core", "mart")) -> dict[str, str]:
    """A content hash per table and view in `schemas`, independent of row order: equal means same content."""
    import hashlib

    with engine.connect() as conn:
        query = sa.text(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in :schemas order by 1, 2"
        ).bindparams(sa.bindparam("schemas", expanding=True))
        names = conn.execute(query, {"schemas": list(schemas)}).all()
        result = {}
        for schema, name in names:
            frame = read_frame(conn, f"select * from {schema}.{name}")
            rows = pd.util.hash_pandas_object(frame.astype(str), index=False).sort_values().to_numpy()
            result[f"{schema}.{name}"] = hashlib.sha256(rows.tobytes()).hexdigest()[:16] + f":{len(frame)}"
    return result


def key_bucket(conn: Connection, column: str, n_buckets: int) -> str:
    """SQL for a bucket number in [0, n_buckets) from a hash of `column`: equal values share a bucket."""
    if is_duckdb(conn):
        return f"mod(hash({column}), {n_buckets})"
    return f"mod(hashtext({column}) & 2147483647, {n_buckets})"


def read_frame(conn: Connection, sql: str) -> pd.DataFrame:
    """A query's result as a DataFrame by the engine's fast path: DuckDB hands its columns over whole."""
    if is_duckdb(conn):
        return conn.connection.driver_connection.execute(sql).df()
    return pd.read_sql_query(sa.text(sql), conn)


def main(argv: list[str]) -> int:
    """`python -m etl.warehouse bootstrap`: create everything in the configured warehouse."""
    if argv[1:] != ["bootstrap"]:
        print("usage: python -m etl.warehouse bootstrap", file=sys.stderr)
        return 2
    engine = create_engine()
    bootstrap(engine)
    print(f"warehouse ready: {engine.url.render_as_string(hide_password=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
