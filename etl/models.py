"""Run the SQL models: each `sql/core/*.sql` is a select materialised as a table, each `sql/mart/*.sql` a view.

A model file holds one select. Lines `-- @grain <text>` and `-- @column <name>: <text>` document it;
they become the object's comments (what BI tools show) and the README's BI section.

A core model with `-- @key <column>` holds rows that depend only on the upstream rows of the same record (a
ticket, a finding): its inputs are read in import CTEs (`name as (select * from schema.table)`), and an
incremental build recomputes just the records loaded since the last build (`audit.changed_records`, written
by the loads) by deleting their rows and inserting them again from the same select with those inputs
restricted to them. A core model with `-- @sum_of <keyed model>` and `-- @group_by <columns>` is that model's
rows summed by those columns, with an `n_rows` count: an incremental build adds the changed records' new rows
and takes away the sums of their old ones. Everything else (dimensions, other aggregates, views) is rebuilt in
full every time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from graphlib import TopologicalSorter
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from etl import config
from etl.warehouse import SQL_DIR, key_bucket, split_statements

MODEL_LAYERS = {"core": "table", "mart": "view"}
# Where a full PostgreSQL build writes its new core tables before putting them in place (_build_side_by_side).
NEXT_SCHEMA = "core_next"
# The PostgreSQL advisory lock a full build holds (any fixed number no other lock of the database uses).
_BUILD_LOCK_ID = 731_020_245
_REFERENCE = re.compile(r"\b(core|mart)\.([a-z_][a-z0-9_]*)\b")
_COLUMN_DOC = re.compile(r"^--\s*@column\s+([a-z_][a-z0-9_]*)\s*:\s*(.+)$", re.MULTILINE)
_GRAIN_DOC = re.compile(r"^--\s*@grain\s+(.+)$", re.MULTILINE)
_KEY_DOC = re.compile(r"^--\s*@key\s+([a-z_]+)\s*$", re.MULTILINE)
_SUM_OF_DOC = re.compile(r"^--\s*@sum_of\s+([a-z_]+\.[a-z_]+)\s*$", re.MULTILINE)
_GROUP_BY_DOC = re.compile(r"^--\s*@group_by\s+(.+)$", re.MULTILINE)
_IMPORT = re.compile(r"select \* from ([a-z_]+\.[a-z_]+)(?=\s*\))")
_ANY_TABLE = re.compile(r"\b(staging|core)\.([a-z_][a-z0-9_]*)\b")

# DuckDB keeps, until commit, 8 bytes per row of every 2048-row vector a delete touches, in its buffer pool
# (duckdb_memory(): 165MB after deleting 1% of a 20M-row table); an incremental build's changed records touch
# nearly all of them. Keyed tables are refreshed by delete and insert while their rows add up to this many in
# one build (192MB at worst, 3/8 of the default memory limit), and rewritten whole beyond it, which costs more:
# on a 1M-ticket warehouse (22.1M keyed rows) a 1% build took 3.9 s with 16M rows here, 1.9 s with all deleted.
DUCKDB_DELETE_ROWS = 24_000_000
# PostgreSQL's work_mem for the build's statements (per sort or hash; a build runs one statement at a time).
POSTGRES_BUILD_WORK_MEM = "64MB"
# Staging tables by the record key their rows belong to (the keyed core models declare theirs).
STAGING_KEYS = {"staging.hotline_ticket_versions": "ticket_id", "staging.inspection_finding_versions": "finding_id"}
# A key column -> a select of the key values of the records in changed_now (audit.changed_records' rows).
_CHANGED_KEYS = {
    "ticket_id": "select record_id from changed_now where record_kind = 'ticket'",
    "finding_id": "select record_id from changed_now where record_kind = 'finding'",
    "problem_id": "select problem_id from changed_problems",
}


def _changed_problems(changed_ticket_versions: str) -> str:
    """A select of the problem ids of the changed records, worked out once per incremental build (before any
    table is refreshed); `changed_ticket_versions`: the changed tickets' staging versions (build() copies them).

    problem_id is source || ':' || source_id (core.fct_problem, core.fct_problem_status_event), and a ticket's
    source is patrol or hotline by its latest version's channel, so a changed ticket's rows may sit under the
    id of the channel it had at the last build (core.fct_hotline_ticket) or of its latest version now.
    Exact ids, not both prefixes for every ticket: half the index lookups in each problem table.
    """
    return f"""
    select 'inspection:' || record_id as problem_id from changed_now where record_kind = 'finding'
    union
    select case when channel = 'patrol' then 'patrol' else 'hotline' end || ':' || ticket_id
    from (
        select ticket_id, channel
        from (
            select ticket_id, channel, row_number() over (partition by ticket_id order by version_at desc) as recency
            from {changed_ticket_versions}
        ) as ranked
        where recency = 1
        union
        select ticket_id, channel
        from core.fct_hotline_ticket
        where ticket_id in ({_CHANGED_KEYS["ticket_id"]})
    ) as ticket_channels
"""


@dataclass(frozen=True)
class Model:
    """One SQL model file."""

    name: str  # schema-qualified, e.g. core.fct_problem
    path: Path
    materialization: str
    select: str
    depends_on: frozenset[str]
    grain: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    key: str | None = None  # `-- @key`: rows depend only on the same record's upstream rows
    sum_of: str | None = None  # `-- @sum_of`: the keyed model whose rows this one sums
    group_by: tuple[str, ...] = ()  # `-- @group_by`: what it sums them by
    sql_hash: str = ""  # of the whole file, so an edited comment is rebuilt too


def discover(sql_dir: Path = SQL_DIR) -> list[Model]:
    """All models, in an order where each comes after what it reads."""
    models: dict[str, Model] = {}
    for layer, materialization in MODEL_LAYERS.items():
        for path in sorted((sql_dir / layer).glob("*.sql")):
            text = path.read_text(encoding="utf-8")
            name = f"{layer}.{path.stem}"
            statements = split_statements(text)
            if len(statements) != 1:
                raise ValueError(f"{path}: a model holds exactly one select, found {len(statements)} statements")
            grain = _GRAIN_DOC.search(text)
            key = _KEY_DOC.search(text)
            sum_of = _SUM_OF_DOC.search(text)
            group_by = _GROUP_BY_DOC.search(text)
            models[name] = Model(
                name=name,
                path=path,
                materialization=materialization,
                select=statements[0],
                depends_on=frozenset(f"{s}.{t}" for s, t in _REFERENCE.findall(statements[0])) - {name},
                grain=grain.group(1).strip() if grain else None,
                columns={c: d.strip() for c, d in _COLUMN_DOC.findall(text)},
                key=key.group(1) if key else None,
                sum_of=sum_of.group(1) if sum_of else None,
                group_by=tuple(c.strip() for c in group_by.group(1).split(",")) if group_by else (),
                sql_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
            )
            if key and key.group(1) not in _CHANGED_KEYS:
                raise ValueError(f"{path}: @key {key.group(1)} is not one of {sorted(_CHANGED_KEYS)}")
    graph = {name: {d for d in m.depends_on if d in models} for name, m in models.items()}
    for model in models.values():
        unkeyed = sorted(d for d in graph[model.name] if not models[d].key)
        if model.key and unkeyed:
            raise ValueError(f"{model.path}: a keyed model may read only staging and keyed models, not {unkeyed}")
        if model.sum_of:
            _check_sum_of(model, models)
    return [models[name] for name in TopologicalSorter(graph).static_order()]


def _check_sum_of(model: Model, models: dict[str, Model]) -> None:
    """An @sum_of model reads its keyed model alone, through an import CTE, and counts the rows it sums."""
    summed = models.get(model.sum_of)
    problems = []
    if summed is None or not summed.key:
        problems.append(f"{model.sum_of} is not a keyed core model")
    if model.depends_on != {model.sum_of} or model.sum_of not in _IMPORT.findall(model.select):
        problems.append(f"it must read {model.sum_of} alone, in an import CTE (select * from {model.sum_of})")
    if not model.group_by or "n_rows" not in model.columns or "n_rows" in model.group_by:
        problems.append("it needs -- @group_by columns and an n_rows column (count(*)) documented by -- @column")
    if problems:
        raise ValueError(f"{model.path}: @sum_of: {'; '.join(problems)}")


def build(
    engine: Engine,
    models: list[Model] | None = None,
    *,
    before_commit: Callable[[Connection, dict[str, str]], None] | None = None,
    incremental: bool = False,
) -> list[str]:
    """Rebuild core tables and mart views from staging in one transaction; returns their names.

    A core table is dropped and re-created from its select, so the result depends only on staging
    (a rerun gives the same tables); PostgreSQL's `cascade` drops dependent views, re-created below.
    With `incremental`, keyed models only recompute the records in audit.changed_records and @sum_of models
    only add their changes, unless a core model's file changed since the last build (then everything is
    rebuilt). Only the loads record changes: after writing staging by other means, build in full.
    `before_commit(conn, rewritten)` sees the new tables inside the transaction: if it raises, the build is
    rolled back and readers keep the previous one (quality checks gate publishing). `rewritten` maps each
    keyed table an incremental build refreshed to a filter of the rows it wrote (the others are as before).

    On PostgreSQL a full build writes its tables side by side in several sessions first (`_build_side_by_side`),
    then puts them in place in one transaction, which readers see whole or not at all, as here.
    """
    models = discover() if models is None else models
    if engine.dialect.name == "postgresql" and not (incremental and _is_current_in(engine, models)):
        return _build_side_by_side(engine, models, before_commit, config.postgres_build_sessions())
    with engine.begin() as conn:
        _postgres_build_settings(conn)
        temporaries = [_changes_covered(conn)]
        refresh = incremental and _is_current(conn, models)
        keys = _record_keys(models)
        copies: dict[str, str] = {}  # an upstream table -> the temporary copy of its changed records' rows
        if refresh:
            ticket_versions = _copy_changed_rows(conn, "staging.hotline_ticket_versions", keys, copies)
            temporaries.append(_temporary(conn, "changed_problems", _changed_problems(ticket_versions)))
        rewritten = {}
        by_delete = _refreshed_by_delete(conn, [m for m in models if m.key]) if refresh else set()
        sums_before: dict[str, str] = {}  # an @sum_of model -> its sums of the changed records' rows before
        for model in models:
            if refresh and model.key:
                old_rows = _changed_rows(conn, model.name, model.key)
                for total in (m for m in models if m.sum_of == model.name):
                    sums_before[total.name] = _temporary(conn, total.name.split(".")[1] + "_before",
                                                         _reading(total, model.name, old_rows))
                    temporaries.append(sums_before[total.name])
                _refresh(conn, model, keys, copies, by_delete=model.name in by_delete)
                rewritten[model.name] = _is_changed(conn, model.key)
            elif refresh and model.sum_of:
                new_rows = f"select * from {_copy_changed_rows(conn, model.sum_of, keys, copies)}"
                _add_sums(conn, model, sums_before[model.name], _reading(model, model.sum_of, new_rows))
            else:
                _materialize(conn, model)
        if before_commit is not None:
            before_commit(conn, rewritten)
        _dequeue_covered(conn)
        for table in [*temporaries, *copies.values()]:
            conn.exec_driver_sql(f"drop table {table}")
        _record_builds(conn, models)
    return [m.name for m in models]


def _build_side_by_side(
    engine: Engine,
    models: list[Model],
    before_commit: Callable[[Connection, dict[str, str]], None] | None,
    sessions: int,
) -> list[str]:
    """A full PostgreSQL build: each core table written anew into NEXT_SCHEMA as soon as the tables it reads
    are, up to `sessions` at once, each in a connection of its own; then, in one transaction, the old tables
    replaced by these, the views re-created, `before_commit` run and the build recorded.

    PostgreSQL runs each of these statements on one core (window functions are not run in parallel), so two
    sessions keep two cores busy: on a kept 1M-ticket warehouse the tables took 131 s in one session, 85 s in
    two (keyed models split by key, indexes last). Readers are locked out only while the tables are swapped,
    not while they are computed.
    """
    tables = [m for m in models if m.materialization == "table"]
    with engine.connect() as guard:
        # One full build at a time: another would drop this one's NEXT_SCHEMA under it.
        guard.exec_driver_sql(f"select pg_advisory_lock({_BUILD_LOCK_ID})")
        guard.commit()
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"drop schema if exists {NEXT_SCHEMA} cascade")
                conn.exec_driver_sql(f"create schema {NEXT_SCHEMA}")
            try:
                with engine.begin() as conn:
                    _postgres_build_settings(conn)
                    covered = _changes_covered(conn)
                    _write_side_by_side(engine, tables, sessions)
                    for model in tables:  # dropping a table drops the views on it, re-created below
                        schema = model.name.split(".")[0]
                        conn.exec_driver_sql(f"drop table if exists {model.name} cascade")
                        conn.exec_driver_sql(f"alter table {_next_name(model.name)} set schema {schema}")
                    for model in (m for m in models if m.materialization == "view"):
                        _materialize(conn, model)
                    if before_commit is not None:
                        before_commit(conn, {})
                    _dequeue_covered(conn)
                    conn.exec_driver_sql(f"drop table {covered}")
                    _record_builds(conn, models)
            finally:
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"drop schema if exists {NEXT_SCHEMA} cascade")
        finally:
            guard.exec_driver_sql(f"select pg_advisory_unlock({_BUILD_LOCK_ID})")
            guard.commit()
    return [m.name for m in models]


def _write_side_by_side(engine: Engine, tables: list[Model], sessions: int) -> None:
    """Write every table model into NEXT_SCHEMA, up to `sessions` statements at once, each once the tables it
    reads are written; of those ready, the one with the longest chain of tables after it first.

    A keyed model whose keyed inputs all share its key (`_split_by_key`) is written in `sessions` parts, one
    per bucket of key values, side by side: its rows depend only on the same record's input rows, as an
    incremental build relies on too, so each part reads just its bucket's. The first error is raised once the
    running statements have ended.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    by_name = {m.name: m for m in tables}
    built = set(by_name)
    keys = _record_keys(tables)
    reads = {m.name: {d for d in m.depends_on if d in by_name} for m in tables}
    with engine.begin() as conn:  # every table created empty first, so that each part only inserts
        for model in tables:
            conn.exec_driver_sql(f"create table {_next_name(model.name)} as {_reading_next(model.select, built)}"
                                 " with no data")
        buckets = {m.name: sessions if sessions > 1 and _split_by_key(m, keys) else 1 for m in tables}
        parts = {(m.name, k): _reading_next(_bucket(conn, m, keys, k, buckets[m.name]), built)
                 for m in tables for k in range(buckets[m.name])}
    # Tasks: each part (model, k); then (model, None), the table's statistics and comments, which the tables
    # reading it wait for; then (model, "index"), its key's index, which none waits for: indexes are built
    # when no other statement is ready (built right after each table, they made the 1M-ticket build 3 s longer).
    needs = {**{(name, k): {(d, None) for d in reads[name]} for name, k in parts},
             **{(name, None): {(name, k) for k in range(buckets[name])} for name in by_name},
             **{(name, "index"): {(name, None)} for name, m in by_name.items() if m.key}}
    chain = {name: _chain_after(name, reads) for name in by_name}

    def priority(task: tuple) -> int:
        return -1 if task[1] == "index" else chain[task[0]]

    done: set = set()
    running: dict = {}
    with ThreadPoolExecutor(max_workers=sessions, thread_name_prefix="build") as pool:
        while needs or running:
            ready = sorted((t for t, n in needs.items() if n <= done), key=priority, reverse=True)
            for task in ready[: sessions - len(running)]:
                del needs[task]
                name, step = task
                if step is None:
                    running[pool.submit(_finish_next, engine, by_name[name])] = task
                elif step == "index":
                    running[pool.submit(_index_next, engine, by_name[name])] = task
                else:
                    running[pool.submit(_insert_next, engine, by_name[name], parts[task])] = task
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done.add(running.pop(future))
                future.result()


def _split_by_key(model: Model, keys: dict[str, str]) -> bool:
    """True if the model is keyed and reads every keyed table (staging or core) in an import CTE, each with
    the model's own key: a bucket of key values then needs only the same bucket of every input."""
    if not model.key:
        return False
    referenced = {f"{schema}.{table}" for schema, table in _ANY_TABLE.findall(model.select)} & set(keys)
    imported = set(_IMPORT.findall(model.select))
    return bool(referenced) and referenced <= imported and all(keys[t] == model.key for t in referenced)


def _bucket(conn: Connection, model: Model, keys: dict[str, str], bucket: int, n_buckets: int) -> str:
    """The model's select reading only the rows of its keyed inputs whose key falls in `bucket` (all of them
    when there is one bucket)."""
    if n_buckets == 1:
        return model.select

    def restricted(match: re.Match) -> str:
        table = match.group(1)
        if table not in keys:
            return match.group(0)
        return f"{match.group(0)} where {key_bucket(conn, keys[table], n_buckets)} = {bucket}"

    return _IMPORT.sub(restricted, model.select)


def _reading_next(select: str, built: set[str]) -> str:
    """`select` reading this build's new tables (`built`, by their model names) from NEXT_SCHEMA."""
    return _REFERENCE.sub(lambda m: _next_name(m.group(0)) if m.group(0) in built else m.group(0), select)


def _insert_next(engine: Engine, model: Model, select: str) -> None:
    """One part (`select`) of a table model inserted into its table in NEXT_SCHEMA, committed."""
    with engine.begin() as conn:
        _postgres_build_settings(conn)
        conn.exec_driver_sql(f"insert into {_next_name(model.name)} {select}")


def _finish_next(engine: Engine, model: Model) -> None:
    """A table model's table in NEXT_SCHEMA, written, given its statistics and comments, committed."""
    with engine.begin() as conn:
        _postgres_build_settings(conn)
        _complete_table(conn, model, _next_name(model.name))


def _index_next(engine: Engine, model: Model) -> None:
    """A keyed model's table in NEXT_SCHEMA given its key's index, committed."""
    with engine.begin() as conn:
        _postgres_build_settings(conn)
        _index_key(conn, model, _next_name(model.name))


def _chain_after(name: str, reads: dict[str, set[str]]) -> int:
    """How many tables the longest chain of tables reading `name` (directly or through others) holds."""
    readers = [n for n, needs in reads.items() if name in needs]
    return max((1 + _chain_after(n, reads) for n in readers), default=0)


def _next_name(name: str) -> str:
    """Where a full PostgreSQL build writes table `name` (schema.table) before putting it in place."""
    return f"{NEXT_SCHEMA}.{name.split('.')[1]}"


def _postgres_build_settings(conn: Connection) -> None:
    """The build's settings for this transaction's statements, on PostgreSQL."""
    if conn.dialect.name != "postgresql":
        return
    # Compiling the plans costs up to 0.6 s a statement here, more than it saves in any of them.
    conn.exec_driver_sql("set local jit = off")
    # The default 4MB sorts the aggregates' and window functions' inputs on disk: agg_rectification_weekly
    # took 2.2 s on 430k rows at 4MB, 0.55 s at 64MB (a hash aggregate).
    conn.exec_driver_sql(f"set local work_mem = '{POSTGRES_BUILD_WORK_MEM}'")


def _changes_covered(conn: Connection) -> str:
    """The changes this build covers, as the temporary table changed_now; a load committing meanwhile stays
    queued for the next build."""
    return _temporary(conn, "changed_now", "select distinct record_kind, record_id from audit.changed_records")


def _dequeue_covered(conn: Connection) -> None:
    """Take the changes this build covered (changed_now) off the queue."""
    conn.exec_driver_sql(
        "delete from audit.changed_records where exists (select 1 from changed_now"
        " where changed_now.record_kind = changed_records.record_kind"
        " and changed_now.record_id = changed_records.record_id)"
    )


def _is_current_in(engine: Engine, models: list[Model]) -> bool:
    """`_is_current` in a connection of its own."""
    with engine.connect() as conn:
        return _is_current(conn, models)


def _is_current(conn: Connection, models: list[Model]) -> bool:
    """Every core model was last built from its present SQL."""
    built = dict(conn.exec_driver_sql("select model, sql_hash from audit.model_builds").all())
    return all(built.get(m.name) == m.sql_hash for m in models if m.materialization == "table")


def _refresh(conn: Connection, model: Model, keys: dict[str, str], copies: dict[str, str], *, by_delete: bool) -> None:
    """Delete the changed records' rows of a keyed model and insert them again, from their upstream rows only.

    `keys`: each keyed upstream table's record key (`_record_keys`); its changed rows are read from a copy.
    `by_delete`: delete and insert in place (`_refreshed_by_delete`), else write the table anew.
    """

    def restricted(match: re.Match) -> str:
        table = match.group(1)
        if table not in keys:
            return match.group(0)
        return f"select * from {_copy_changed_rows(conn, table, keys, copies)}"

    recomputed = _IMPORT.sub(restricted, model.select)
    if by_delete:
        conn.exec_driver_sql(f"delete from {model.name} where {_is_changed(conn, model.key)}")
        conn.exec_driver_sql(f"insert into {model.name} {recomputed}")
        return
    # Beyond the budget, a table written anew (unchanged rows, then the recomputed ones) goes to disk as it is
    # written: deleting 1% from three 20M-row tables in one transaction exhausted DuckDB's 512MB.
    schema, table = model.name.split(".")
    conn.exec_driver_sql(f"create table {schema}.{table}__refreshed as select * from {model.name}"
                         f" where not coalesce({_is_changed(conn, model.key)}, false)")
    conn.exec_driver_sql(f"insert into {schema}.{table}__refreshed {recomputed}")
    _replace(conn, model, f"{schema}.{table}__refreshed")


def _reading(model: Model, table: str, rows: str) -> str:
    """The model's select with its import of `table` reading `rows` (a select) instead."""
    return _IMPORT.sub(lambda match: rows if match.group(1) == table else match.group(0), model.select)


def _add_sums(conn: Connection, model: Model, before: str, after: str) -> None:
    """Bring an @sum_of model up to date: the changed records' sums `after` (a select) added, their sums
    `before` (a table) taken away, groups left with no rows dropped; the same rows a full build gives."""
    schema, table = model.name.split(".")
    types = conn.exec_driver_sql(
        "select column_name, data_type from information_schema.columns"
        f" where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position").all()
    negated = ", ".join(c if c in model.group_by else f"-{c} as {c}" for c, _ in types)
    summed = ", ".join(c if c in model.group_by else f"cast(sum({c}) as {t}) as {c}" for c, t in types)
    conn.exec_driver_sql(
        f"create table {schema}.{table}__summed as select {summed}"
        f" from (select * from {model.name} union all select * from ({after}) as added"
        f" union all select {negated} from {before}) as parts"
        f" group by {', '.join(model.group_by)} having sum(n_rows) <> 0")
    _replace(conn, model, f"{schema}.{table}__summed")


def _replace(conn: Connection, model: Model, new_table: str) -> None:
    """Put `new_table` (in the model's schema) in the model's table's place, described as the model."""
    conn.exec_driver_sql(f"drop table {model.name} cascade")
    conn.exec_driver_sql(f"alter table {new_table} rename to {model.name.split('.')[1]}")
    _describe(conn, model)


def _refreshed_by_delete(conn: Connection, keyed: list[Model]) -> set[str]:
    """The keyed tables an incremental build refreshes by delete and insert: every one on PostgreSQL; on DuckDB
    those that fit, in build order, in DUCKDB_DELETE_ROWS rows (a table's rows change only when it is refreshed)."""
    if conn.dialect.name != "duckdb":
        return {m.name for m in keyed}
    chosen, budget = set(), DUCKDB_DELETE_ROWS
    for model in keyed:
        (rows,), = conn.exec_driver_sql(f"select count(*) from {model.name}").all()
        if rows <= budget:
            chosen.add(model.name)
            budget -= rows
    return chosen


def _temporary(conn: Connection, name: str, select: str) -> str:
    """A temporary table of `select`'s rows; returns its name.

    Not analysed: PostgreSQL plans a never-analysed table by its actual size, which is what the joins need
    (analysing the ten or so of an incremental build cost 1 s of a 9 s build at 1M)."""
    conn.exec_driver_sql(f"create temporary table {name} as {select}")
    return name


def _record_keys(models: list[Model]) -> dict[str, str]:
    """The record key of each staging table and keyed model."""
    return {**STAGING_KEYS, **{m.name: m.key for m in models if m.key}}


def _copy_changed_rows(conn: Connection, table: str, keys: dict[str, str], copies: dict[str, str]) -> str:
    """A temporary table of the changed records' rows of an upstream table, made on first use (a keyed model
    is refreshed before the models that read it, so its copy is of the refreshed rows); returns its name.

    The models read these small tables rather than filtering the large ones inline: on PostgreSQL a model's
    plan then knows how many rows each input holds (with the filter inline, fct_problem's joins chose
    nested loops over 30k-row inputs they took for a few rows: 56 s), and a table several models read is
    filtered once."""
    if table not in copies:
        copies[table] = _temporary(conn, "changed_" + table.split(".")[1], _changed_rows(conn, table, keys[table]))
    return copies[table]


def _changed_rows(conn: Connection, table: str, key: str) -> str:
    """A select of the changed records' rows of a table whose record key is `key`, as they are now."""
    return f"select * from {table} where {_is_changed(conn, key)}"


def _is_changed(conn: Connection, key: str) -> str:
    """A filter on `key` to the changed records' rows.

    On PostgreSQL the changed keys come as one array, whose length the planner cannot see, so it reads the
    key's index: with `in (select ...)` it knew there were 29k of them and scanned the whole table instead
    (deleting their 160k of 4.5M status events: 1.2 s against 0.33 s by the index)."""
    if conn.dialect.name == "postgresql":
        return f"{key} = any(array({_CHANGED_KEYS[key]}))"
    return f"{key} in ({_CHANGED_KEYS[key]})"


def _record_builds(conn: Connection, models: list[Model]) -> None:
    built_at = datetime.now(UTC).replace(tzinfo=None)
    conn.exec_driver_sql("delete from audit.model_builds")
    rows = [{"model": m.name, "hash": m.sql_hash, "at": built_at} for m in models if m.materialization == "table"]
    insert = "insert into audit.model_builds (model, sql_hash, built_at) values (:model, :hash, :at)"
    conn.execute(sa.text(insert), rows)


def _materialize(conn: Connection, model: Model) -> None:
    if model.materialization == "table":
        conn.exec_driver_sql(f"drop table if exists {model.name} cascade")
        conn.exec_driver_sql(f"create table {model.name} as {model.select}")
        _index_key(conn, model, model.name)
        _complete_table(conn, model, model.name)
    else:
        conn.exec_driver_sql(f"drop view if exists {model.name} cascade")
        conn.exec_driver_sql(f"create view {model.name} as {model.select}")
        _describe(conn, model)


def _complete_table(conn: Connection, model: Model, table: str) -> None:
    """What a model's table needs once written: statistics (PostgreSQL) and its comments."""
    if conn.dialect.name == "postgresql":
        # Fresh tables have no statistics; the models built on them plan far better with some (45 s -> 30 s).
        conn.exec_driver_sql(f"analyze {table}")
    _describe(conn, model, table)


def _index_key(conn: Connection, model: Model, table: str) -> None:
    """On PostgreSQL, the index on a keyed model's key, by which an incremental build deletes and reads."""
    if conn.dialect.name == "postgresql" and model.key:
        conn.exec_driver_sql(f"create index on {table} ({model.key})")


def _describe(conn: Connection, model: Model, name: str | None = None) -> None:
    """The model's @grain and @column lines as the database's comments, which BI tools show; `name`: where
    its table or view is, if not at the model's name."""
    kind = "table" if model.materialization == "table" else "view"
    name = name or model.name
    if model.grain:
        conn.exec_driver_sql(f"comment on {kind} {name} is {_literal(model.grain)}")
    for column, doc in model.columns.items():
        conn.exec_driver_sql(f"comment on column {name}.{column} is {_literal(doc)}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def bi_views_markdown(models: list[Model] | None = None) -> str:
    """The README's BI section, written from the mart files' own @grain and @column lines."""
    models = discover() if models is None else models
    parts = []
    for model in (m for m in models if m.materialization == "view"):
        rows = "\n".join(f"| `{column}` | {doc.replace('|', '/')} |" for column, doc in model.columns.items())
        parts.append(f"#### `{model.name}`\n\nGrain: {model.grain or '—'}\n\n| column | meaning |\n|---|---|\n{rows}\n")
    return "\n".join(parts)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["bi-docs"]:
        raise SystemExit("usage: python -m etl.models bi-docs")
    print(bi_views_markdown(), end="")
