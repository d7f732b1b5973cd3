"""Splitting SQL files into statements, and statements meant for one engine only."""

from etl.warehouse import SQL_DIR, ddl_files, split_statements

SQL = """-- a table
create table t (a int);

-- PostgreSQL enforces it; see the README
-- @only postgresql
create unique index if not exists t_key on t (a);
"""


def test_statements_marked_for_one_engine_are_kept_only_for_it() -> None:
    assert split_statements(SQL, "postgresql") == ["create table t (a int)",
                                                   "create unique index if not exists t_key on t (a)"]
    assert split_statements(SQL, "duckdb") == ["create table t (a int)"]
    assert len(split_statements(SQL)) == 2  # no engine given: everything, as models and roles read files


def test_a_comment_line_ending_in_a_semicolon_does_not_end_the_statement() -> None:
    sql = "-- one select; the comment's own semicolon ends nothing;\nselect 1\n-- still the same;\nfrom t;\n"
    assert split_statements(sql) == ["select 1\nfrom t"]


def test_every_raw_and_staging_table_has_its_key_index_on_postgresql_only() -> None:
    for path in ddl_files():
        if path.parent.name not in ("raw", "staging"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "primary key" not in text, path
        indexes = [s for s in split_statements(text, "postgresql") if s.startswith("create unique index")]
        assert len(indexes) == 1, path
        assert not any(s.startswith("create unique index") for s in split_statements(text, "duckdb")), path
    assert (SQL_DIR / "raw" / "hotline_tickets.sql") in ddl_files()
