"""Great Expectations 1.x suites (`expectations/<table>.json`) run on DataFrames in an ephemeral context.

GX is imported lazily, once per process, and every suite is registered once; a batch then costs only
the validation itself. Results are reduced to a summary that holds ids of failing rows but never their
values (a description may hold personal data before masking is proven), so the summary is safe to
store in `audit.validation_results` and to publish as Data Docs (`build_data_docs`).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from etl import config

EXPECTATIONS_DIR = config.REPO_ROOT / "expectations"
MAX_IDS_IN_SUMMARY = 200
TABLE_BATCH_ROWS = 500_000  # rows of a warehouse table validated at once: bounds the frames GX works on
_lock = threading.Lock()
_state: dict[str, object] = {}


class SuiteError(RuntimeError):
    """A suite could not be evaluated (a missing column, an expectation that raised): a bug, not bad data."""


@dataclass(frozen=True)
class ValidationOutcome:
    """One suite run on one frame: failing row ids per expectation (`type(column)` labels)."""

    suite: str
    success: bool
    n_evaluated: int
    failed_ids: dict[str, list] = field(default_factory=dict)
    table_failures: list[str] = field(default_factory=list)  # table-level expectations that failed

    @property
    def n_failed(self) -> int:
        """Distinct rows failing at least one expectation."""
        return len({i for ids in self.failed_ids.values() for i in ids})

    def record(self, summary: dict) -> dict:
        """The row for audit.validation_results (minus pull_id, created_at)."""
        return {
            "suite": self.suite,
            "success": self.success,
            "n_evaluated": self.n_evaluated,
            "n_failed": self.n_failed,
            "result_json": json.dumps(summary, ensure_ascii=False, default=str),
        }


def suite_path(suite_name: str) -> Path:
    """Where a suite is stored."""
    return EXPECTATIONS_DIR / f"{suite_name}.json"


def load_suite_definition(suite_name: str) -> dict:
    """The suite as stored (name, expectations with type and kwargs)."""
    path = suite_path(suite_name)
    if not path.is_file():
        raise SuiteError(f"no suite {suite_name!r}: {path} is missing")
    return json.loads(path.read_text(encoding="utf-8"))


def _context():
    """The process's ephemeral GX context and pandas data source, created on first use."""
    if "context" not in _state:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints every batch under 1 GB (an md5 of pandas' hash of every row) for its batch markers,
        # which nothing here reads: 40% of a 50k-row hotline segment's validation. A threshold of 0 skips it.
        pandas_execution_engine.HASH_THRESHOLD = 0
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = {"globally": False, "metric_calculations": False}
        _state["gx"] = gx
        _state["context"] = context
        _state["source"] = context.data_sources.add_pandas("frames")
        _state["suites"] = {}
    return _state["context"]


def _registered(suite_name: str):
    """(batch definition, suite) for a suite, registered in the context once."""
    context = _context()
    suites = _state["suites"]
    if suite_name not in suites:
        gx = _state["gx"]
        definition = load_suite_definition(suite_name)
        suite = context.suites.add(
            gx.ExpectationSuite(name=suite_name, expectations=definition["expectations"], meta=definition.get("meta"))
        )
        asset = _state["source"].add_dataframe_asset(suite_name)
        suites[suite_name] = (asset.add_batch_definition_whole_dataframe(suite_name), suite)
    return suites[suite_name]


def validate_frame(suite_name: str, df: pd.DataFrame, id_column: str) -> tuple[ValidationOutcome, dict]:
    """Run suite `suite_name` on `df`; failing rows are reported by their `id_column` value.

    Returns the outcome and a JSON-safe summary (no row values). Raises SuiteError when an expectation
    could not be evaluated.
    """
    if id_column not in df.columns:
        raise SuiteError(f"{suite_name}: id column {id_column!r} is not in the frame")
    with _lock:
        batch_definition, suite = _registered(suite_name)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
        # The usual batch passes: a BOOLEAN_ONLY run costs half of COMPLETE, which runs only to name failures.
        result = batch.validate(suite, result_format="BOOLEAN_ONLY")
        complete = not result.success or _raised(result)
        if complete:
            result = batch.validate(
                suite,
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": [id_column],
                    "return_unexpected_index_query": False,
                    "include_unexpected_rows": False,
                },
            )
    failed_ids: dict[str, list] = {}
    table_failures: list[str] = []
    errors: list[str] = []
    expectations = []
    for item in result.results:
        config_ = item.expectation_config
        kwargs = {k: v for k, v in config_.kwargs.items() if k != "batch_id"}
        label = expectation_label(config_.type, kwargs)
        errors.extend(f"{label}: {message}" for message in _exceptions(item.exception_info))
        res = item.result or {}
        if not complete and not config_.type.startswith("expect_table_"):
            res = {"element_count": len(df), "unexpected_count": 0, "unexpected_percent": 0.0}
        ids = [_plain(row.get(id_column)) for row in res.get("unexpected_index_list") or []]
        if not item.success:
            if "unexpected_index_list" in res:
                failed_ids[label] = ids
            else:
                table_failures.append(label)
        expectations.append({
            "expectation": label,
            "type": config_.type,
            "kwargs": kwargs,
            "notes": (config_.meta or {}).get("notes"),
            "success": bool(item.success),
            "element_count": res.get("element_count"),
            "unexpected_count": res.get("unexpected_count"),
            "unexpected_percent": res.get("unexpected_percent"),
            "observed_value": _observed(res.get("observed_value")),
            "failed_ids": ids[:MAX_IDS_IN_SUMMARY],
        })
    if errors:
        raise SuiteError(f"suite {suite_name} could not be evaluated: " + "; ".join(errors))
    outcome = ValidationOutcome(
        suite=suite_name,
        success=bool(result.success),
        n_evaluated=len(df),
        failed_ids=failed_ids,
        table_failures=table_failures,
    )
    summary = {
        "suite": suite_name,
        "success": outcome.success,
        "n_evaluated": outcome.n_evaluated,
        "n_failed": outcome.n_failed,
        "id_column": id_column,
        "statistics": dict(result.statistics),
        "expectations": expectations,
    }
    return outcome, summary


def _raised(result) -> bool:
    return any(_exceptions(item.exception_info) for item in result.results)


def _exceptions(info: dict | None) -> list[str]:
    """Messages of exceptions GX caught: flat ({raised_exception, ...}) or per metric ({metric id: {...}})."""
    if not info:
        return []
    if "raised_exception" in info:
        return [str(info.get("exception_message"))] if info.get("raised_exception") else []
    return sorted({m for value in info.values() if isinstance(value, dict) for m in _exceptions(value)})


def expectation_label(type_: str, kwargs: dict) -> str:
    """`expect_column_values_to_not_be_null(ticket_id)`: a stable name for one expectation."""
    columns = kwargs.get("column") or kwargs.get("column_list")
    if columns is None and "column_A" in kwargs:
        columns = [kwargs["column_A"], kwargs["column_B"]]
    if isinstance(columns, list):
        columns = ",".join(columns)
    return f"{type_}({columns})" if columns else type_


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _observed(value: object) -> object:
    """Table-level observations only (column lists, counts); never a row's value."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value][:100]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def validate_table(
    conn, table: str, id_column: str, where: str | None = None, batch_rows: int = TABLE_BATCH_ROWS,
) -> tuple[ValidationOutcome, dict]:
    """Read a warehouse table (the rows `where` selects, if given) and run its suite (same name as the table)
    on it, e.g. core.fct_problem.

    Only the columns the suite names are read, unless it has table-level expectations (they see all columns,
    and all rows: `where` is then ignored). A suite of row checks (plus uniqueness of `id_column`) runs on
    batches of about `batch_rows` rows, split by a hash of `id_column` so that repeated ids share a batch:
    memory stays flat however long the table grows.
    """
    from etl.warehouse import key_bucket, read_frame

    columns = suite_columns(table)
    if columns is None:
        return validate_frame(table, read_frame(conn, f"select * from {table}"), id_column)
    selected = ", ".join(dict.fromkeys([id_column, *columns]))
    filters = [f"({where})"] if where else []
    n_rows = conn.exec_driver_sql(f"select count(*) from {table}{_where(filters)}").scalar()
    n_batches = max(1, -(-n_rows // batch_rows)) if _batchable(table, id_column) else 1
    results = []
    for batch in range(n_batches):
        split = [f"{key_bucket(conn, id_column, n_batches)} = {batch}"] if n_batches > 1 else []
        frame = read_frame(conn, f"select {selected} from {table}{_where(filters + split)}")
        results.append(validate_frame(table, frame, id_column))
    return results[0] if len(results) == 1 else _combined(results)


# Expectations that judge each row on its own, so a table may be validated a batch at a time.
_ROW_EXPECTATION = "expect_column_values_to_"


def _batchable(suite_name: str, id_column: str) -> bool:
    """Every expectation judges rows one by one, or asks `id_column` to be unique (batches split by it)."""
    for expectation in load_suite_definition(suite_name)["expectations"]:
        type_, kwargs = expectation["type"], expectation["kwargs"]
        if type_ == "expect_column_values_to_be_unique":
            if kwargs.get("column") != id_column:
                return False
        elif not type_.startswith(_ROW_EXPECTATION):
            return False
    return True


def _where(filters: list[str]) -> str:
    return f" where {' and '.join(filters)}" if filters else ""


def _combined(results: list[tuple[ValidationOutcome, dict]]) -> tuple[ValidationOutcome, dict]:
    """One outcome and summary for a suite run batch by batch: counts add up, failing ids are joined."""
    outcomes = [outcome for outcome, _ in results]
    first_outcome, first_summary = results[0]
    failed_ids: dict[str, list] = {}
    for outcome in outcomes:
        for label, ids in outcome.failed_ids.items():
            failed_ids.setdefault(label, []).extend(ids)
    outcome = ValidationOutcome(
        suite=first_outcome.suite,
        success=all(o.success for o in outcomes),
        n_evaluated=sum(o.n_evaluated for o in outcomes),
        failed_ids=failed_ids,
        table_failures=list(dict.fromkeys(f for o in outcomes for f in o.table_failures)),
    )
    expectations = []
    for parts in zip(*(summary["expectations"] for _, summary in results), strict=True):
        element_count = sum(p["element_count"] or 0 for p in parts)
        unexpected_count = sum(p["unexpected_count"] or 0 for p in parts)
        ids = [i for p in parts for i in p["failed_ids"]]
        expectations.append({
            **parts[0],
            "success": all(p["success"] for p in parts),
            "element_count": element_count,
            "unexpected_count": unexpected_count,
            "unexpected_percent": 100.0 * unexpected_count / element_count if element_count else None,
            "observed_value": None,
            "failed_ids": ids[:MAX_IDS_IN_SUMMARY],
        })
    n_successful = sum(e["success"] for e in expectations)
    summary = {
        **first_summary,
        "success": outcome.success,
        "n_evaluated": outcome.n_evaluated,
        "n_failed": outcome.n_failed,
        "n_batches": len(results),
        "statistics": {
            "evaluated_expectations": len(expectations),
            "successful_expectations": n_successful,
            "unsuccessful_expectations": len(expectations) - n_successful,
            "success_percent": 100.0 * n_successful / len(expectations) if expectations else None,
        },
        "expectations": expectations,
    }
    return outcome, summary


def suite_columns(suite_name: str) -> list[str] | None:
    """The columns a suite's expectations name, or None when one of them is about the whole table."""
    columns: list[str] = []
    for expectation in load_suite_definition(suite_name)["expectations"]:
        if expectation["type"].startswith("expect_table_"):
            return None
        kwargs = expectation["kwargs"]
        named = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *kwargs.get("column_list", [])]
        columns += [c for c in named if c]
    return list(dict.fromkeys(columns))


# --- Data Docs ---------------------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}
th{{background:#f3f3f3}} .ok{{color:#176f2c;font-weight:bold}} .fail{{color:#b00020;font-weight:bold}}
code{{font-size:90%}} .muted{{color:#777}}
</style></head><body>
<h1>{title}</h1>
{body}
<p class="muted">Generated {generated} from audit.validation_results by etl/validate.py. Failing rows are listed by id
only; their values are in the warehouse (audit.quarantine) and never in these pages.</p>
</body></html>
"""


def build_data_docs(results: Iterable[dict], out_dir: Path | str | None = None) -> Path:
    """Render validation results (rows like audit.validation_results) as static HTML; returns index.html.

    GX's own Data Docs need the GX result objects in one file context; our results are produced in
    separate tasks and kept in the warehouse, so the pages are rendered from the stored summaries.
    """
    out = Path(out_dir) if out_dir is not None else config.var_dir() / "data_docs"
    pages = out / "validations"
    pages.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, result in enumerate(results, start=1):
        summary = json.loads(result["result_json"]) if isinstance(result.get("result_json"), str) else (
            result.get("result_json") or {}
        )
        pull_id = result.get("pull_id") or ""
        created = result.get("created_at") or ""
        file_name = f"{number:05d}_{_slug(result['suite'])}_{_slug(str(pull_id))}.html"
        (pages / file_name).write_text(_result_page(result, summary), encoding="utf-8")
        rows.append(
            f"<tr><td>{_esc(created)}</td><td>{_esc(pull_id)}</td><td><a href=\"validations/{file_name}\">"
            f"{_esc(result['suite'])}</a></td><td>{_status(result['success'])}</td>"
            f"<td>{_esc(result.get('n_evaluated'))}</td><td>{_esc(result.get('n_failed'))}</td></tr>"
        )
    body = (
        "<table><tr><th>created (UTC)</th><th>pull</th><th>suite</th><th>result</th><th>rows evaluated</th>"
        "<th>rows failed</th></tr>" + "".join(rows) + "</table>"
        if rows else "<p>No validation results yet.</p>"
    )
    index = out / "index.html"
    index.write_text(_PAGE.format(title="Data quality: validation results", body=body, generated=_now()),
                     encoding="utf-8")
    return index


def _result_page(result: dict, summary: dict) -> str:
    lines = []
    for item in summary.get("expectations", []):
        ids = item.get("failed_ids") or []
        more = (item.get("unexpected_count") or 0) - len(ids)
        ids_text = ", ".join(_esc(i) for i in ids) + (f" … and {more} more" if more > 0 else "")
        kwargs = {k: v for k, v in (item.get("kwargs") or {}).items() if k not in ("column", "column_list")}
        lines.append(
            f"<tr><td>{_status(item.get('success'))}</td><td><code>{_esc(item.get('expectation'))}</code>"
            f"<br><span class=\"muted\">{_esc(item.get('notes') or '')}</span></td>"
            f"<td><code>{_esc(json.dumps(kwargs, ensure_ascii=False))}</code></td>"
            f"<td>{_esc(item.get('element_count'))}</td><td>{_esc(item.get('unexpected_count'))}</td>"
            f"<td>{_esc(_percent(item.get('unexpected_percent')))}</td><td>{ids_text}</td></tr>"
        )
    body = (
        f"<p>Pull <code>{_esc(result.get('pull_id') or '')}</code> · created {_esc(result.get('created_at') or '')}"
        f" · {_status(result['success'])} · {_esc(result.get('n_evaluated'))} rows evaluated,"
        f" {_esc(result.get('n_failed'))} failed · failing rows named by"
        f" <code>{_esc(summary.get('id_column'))}</code></p>"
        "<table><tr><th>result</th><th>expectation</th><th>parameters</th><th>rows</th><th>unexpected</th>"
        "<th>%</th><th>failing ids</th></tr>" + "".join(lines) + "</table>"
        '<p><a href="../index.html">all results</a></p>'
    )
    return _PAGE.format(title=f"Suite {_esc(result['suite'])}", body=body, generated=_now())


def _status(success: object) -> str:
    return '<span class="ok">passed</span>' if success else '<span class="fail">failed</span>'


def _percent(value: object) -> str:
    return "" if value is None else f"{float(value):.2f}"


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)[:80]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def stored_results(conn, limit: int = 500) -> list[dict]:
    """The latest rows of audit.validation_results, newest first."""
    result = conn.exec_driver_sql(
        "select pull_id, suite, success, n_evaluated, n_failed, result_json, created_at "
        f"from audit.validation_results order by created_at desc, pull_id, suite limit {int(limit)}"
    )
    return [dict(row._mapping) for row in result]


def main(argv: list[str] | None = None) -> int:
    """`python -m etl.validate docs [--url URL] [--out DIR]`: Data Docs from the warehouse's stored results."""
    parser = argparse.ArgumentParser(prog="python -m etl.validate")
    commands = parser.add_subparsers(dest="command", required=True)
    docs = commands.add_parser("docs", help="render var/data_docs from audit.validation_results")
    docs.add_argument("--url")
    docs.add_argument("--out")
    docs.add_argument("--limit", type=int, default=500)
    args = parser.parse_args(argv)
    from etl.warehouse import create_engine

    engine = create_engine(args.url)
    with engine.connect() as conn:
        results = stored_results(conn, args.limit)
    engine.dispose()
    index = build_data_docs(results, args.out)
    print(f"Data Docs: {index} ({len(results)} results)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
