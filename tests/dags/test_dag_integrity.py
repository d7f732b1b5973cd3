"""Every DAG file imports cleanly, quickly, with nothing heavy at top level, and carries what operators need."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etl.config import REPO_ROOT

DAG_FILES = sorted((REPO_ROOT / "dags").glob("*.py"))
EXPECTED_DAGS = {"ingest_hotline", "ingest_inspections", "ingest_events", "build_warehouse", "weekly_report"}
HEAVY = {"pandas", "great_expectations", "duckdb", "sqlalchemy", "numpy", "pyarrow", "matplotlib", "openpyxl"}
MAX_PARSE_SECONDS = 1.0


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO_ROOT / "dags"))


def test_every_dag_file_imports_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_carries_owner_tags_retries_and_local_start(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.tags and "campaign" in dag.tags
    assert dag.doc_md and dag.doc_md.strip()
    assert dag.start_date.tzinfo is not None and dag.timezone.name == "Asia/Shanghai"
    for task in dag.tasks:
        assert task.owner == "campaign-data"
        assert task.retries >= 1
        assert task.on_failure_callback
        assert task.pool == "warehouse", f"{dag_id}.{task.task_id} touches the warehouse outside the pool"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_imports_nothing_heavy_at_top_level(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level.append(node.module.split(".")[0])
    assert not HEAVY & set(top_level)
    assert "etl" not in top_level, "etl functions are imported inside the task bodies"


@pytest.fixture(scope="module")
def parse_profile() -> dict[str, tuple[float, set[str]]]:
    """Per DAG file: seconds to run it in a fresh interpreter (Airflow already imported), heavy modules after."""
    probe = (
        "import json, sys, time, runpy, airflow.sdk, campaign_airflow\n"
        "out = {}\n"
        f"for path in {[str(p) for p in DAG_FILES]!r}:\n"
        "    t = time.perf_counter(); runpy.run_path(path); elapsed = time.perf_counter() - t\n"
        f"    out[path] = [elapsed, sorted(m for m in {sorted(HEAVY)!r} if m in sys.modules)]\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'plugins'}{os.pathsep}{REPO_ROOT}"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    profile = json.loads(done.stdout.strip().splitlines()[-1])
    return {Path(path).name: (elapsed, set(mods)) for path, (elapsed, mods) in profile.items()}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_fast_and_loads_no_heavy_module(parse_profile, path: Path) -> None:
    elapsed, loaded = parse_profile[path.name]
    print(f"{path.name}: parsed in {elapsed * 1000:.0f} ms")
    assert elapsed < MAX_PARSE_SECONDS
    # Airflow itself needs SQLAlchemy; the data stack must stay out until a task runs.
    assert not {"pandas", "great_expectations", "duckdb", "pyarrow", "matplotlib", "openpyxl"} & loaded
