"""Issue 8's benchmark: every stage of the pipeline on seeded data, beside the engines' own bulk paths.

    PYTHONPATH=. .venv/bin/python -m bench.run --n 100000 --engine both \\
        --out bench/results/n100k.json --md bench/results/n100k.md

The parent process generates the dataset (N hotline tickets with their status changes, N/5 inspection
findings, N/20 events), writes the drop files, starts the simulator in its own process and runs one child
process per engine, one after the other, so each engine's peak RSS is the pipeline's own (not the
dataset's, nor the other engine's). A child runs, in order, each stage in a process forked for it (as
Airflow runs each task in a process of its own; `in_own_process`):

1. extract: the connectors' `iter_pages` over HTTP (clock at T, the 99% point of every API version), and
   `DropFolder.iter_new_files` over the drop folder; records are spilled to disk in the pipeline's chunks
   (that time is not counted) so the next stage is timed without HTTP;
2. prepare + load: `pipeline.ingest_api` / `pipeline.ingest_files` on those records, every row through
   the production validation and normalization, committed per segment as in production;
3. build: `jobs.build_warehouse()` (reference tables, core + mart, core suites, Data Docs);
4. incremental: the clock moves to the end (1% new API versions) and a 1% catch-up sheet lands in the
   drop folder; the DAGs' job functions (`etl.jobs.ingest_*`, `build_warehouse`) run end to end;
5. the weekly report of the campaign's last week (`build_weekly_report(..., publish=False)`);
6. baselines on the same rows and engine: bulk load of the staging rows the pipeline upserted (DuckDB
   `insert ... select` from a registered DataFrame, PostgreSQL `COPY FROM STDIN`) into fresh tables of the
   same shape; `DataFrame.to_sql` with default settings on a sample, extrapolated. Last, because PostgreSQL
   was still flushing their GBs while the stages after them ran (at 1M: incremental 21 s and report 15 s
   after them, 15 s and 8 s before them). The bare loop of `requests` + JSON decode, following the API's
   own cursor / page numbers, runs with the extract.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHANGE_SHARE = 0.01
TO_SQL_SAMPLE = 20_000
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MIB = 1024 * 1024
BASELINES = ("baseline", "bare fetch")  # stage names that are not the pipeline
# Breakdown of prepare + load: the main thread prepares segments while the writer thread writes the previous one.
MAIN_PREPARE = "main: prepare segment"
MAIN_WAIT = "main: waiting for the writer"

# Issue 8's targets: (key in an engine's result, comparison, bound, the N they are stated at).
TARGETS = (
    # Processing is the validate -> normalize -> load -> build marts: the prepare + load stages and the build.
    ("throughput_ratio_vs_bulk", ">=", 0.15, "processing >= 15% of the bulk load, at 1M"),
    ("throughput_ratio_vs_to_sql", ">=", 15.0, "processing >= 15x DataFrame.to_sql, at 1M"),
    ("extract_ratio_vs_bare_fetch", ">=", 0.50, "extract >= 50% of a bare requests loop"),
    ("peak_rss_mb", "<", 1536.0, "peak RSS < 1.5 GiB at 1M (and <= 1.3x that at 5M)"),
    ("incremental_share_of_full", "<=", 0.05, "incremental run <= 5% of the full load"),
    ("report_seconds", "<", 15.0, "weekly report < 15 s at 1M"),
)

log = logging.getLogger("bench")


# --- measuring -----------------------------------------------------------------------------------------


def machine() -> dict:
    """What the figures were measured on."""
    cpu = None
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        total_kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "memory_gib": round(total_kb / MIB, 1),
        "python": sys.version.split()[0],
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _status_kb(field_name: str) -> int:
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def _can_reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class PeakRss:
    """Peak resident memory of this process during a stage.

    Preferred: the kernel's high-water mark VmHWM, reset at the stage start by writing 5 to
    /proc/self/clear_refs (exact, no sampling). Where that is refused, a thread samples VmRSS every 10 ms.
    """

    def __init__(self) -> None:
        self.exact = _can_reset_hwm()
        self.method = ("VmHWM of /proc/self/status, reset per stage via /proc/self/clear_refs" if self.exact
                       else "VmRSS of /proc/self/status sampled every 10 ms")
        self._peak_kb = 0
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.exact:
            _can_reset_hwm()
            return
        self._peak_kb = _status_kb("VmRSS")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self._peak_kb = max(self._peak_kb, _status_kb("VmRSS"))

    def stop(self) -> float:
        """Peak in MiB since `start`."""
        if self.exact:
            return round(_status_kb("VmHWM") / 1024, 1)
        self._stop.set()
        self._thread.join()
        return round(max(self._peak_kb, _status_kb("VmRSS")) / 1024, 1)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Stages:
    """Each stage's records, seconds (wall minus harness overhead it declares), CPU seconds and peak RSS."""

    def __init__(self) -> None:
        self.meter = PeakRss()
        self.figures: dict[str, dict] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[dict]:
        figures: dict = {"records": 0, "excluded_seconds": 0.0}
        self.meter.start()
        cpu, started = _cpu_seconds(), time.perf_counter()
        yield figures
        wall = time.perf_counter() - started
        figures["cpu_seconds"] = round(_cpu_seconds() - cpu, 2)
        figures["peak_rss_mb"] = self.meter.stop()
        seconds = wall - figures.pop("excluded_seconds")
        figures["wall_seconds"] = round(wall, 3)
        figures["seconds"] = round(seconds, 3)
        if figures["records"]:
            figures["rows_per_s"] = round(figures["records"] / seconds) if seconds > 0 else None
        self.figures[name] = figures
        rate = f"{figures['rows_per_s']:>10,} rows/s" if figures.get("rows_per_s") else " " * 17
        print(f"  {name:28s} {figures['records']:>10,} records {seconds:8.2f} s {rate}"
              f"  peak {figures['peak_rss_mb']:7.1f} MiB", file=sys.stderr, flush=True)


def rate(records: int, seconds: float) -> float | None:
    return round(records / seconds) if seconds > 0 else None


# --- spilling extracted records (so the load is timed without HTTP and memory stays flat) ----------------


class Spill:
    """Records written to disk in the pipeline's own chunks (pipeline._chunked's rule), read back as pages."""

    def __init__(self, folder: Path, chunk_records: int) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.chunk_records = chunk_records
        self.paths: list[Path] = []
        self.read_seconds = 0.0
        self._buffer: list[dict] = []

    def add(self, page: list[dict]) -> None:
        self._buffer.extend(page)
        if len(self._buffer) >= self.chunk_records:
            self._dump()

    def close(self) -> None:
        if self._buffer:
            self._dump()

    def _dump(self) -> None:
        path = self.folder / f"{len(self.paths):05d}.pickle"
        with open(path, "wb") as f:
            pickle.dump(self._buffer, f, protocol=pickle.HIGHEST_PROTOCOL)
        self.paths.append(path)
        self._buffer = []

    def pages(self) -> Iterator[list[dict]]:
        """Each chunk as one page: pipeline._chunked passes it on unchanged, so the chunks are production's."""
        for path in self.paths:
            started = time.perf_counter()
            with open(path, "rb") as f:
                chunk = pickle.load(f)
            self.read_seconds += time.perf_counter() - started
            yield chunk


def _profiled(call: Callable[[], dict], path: str | None) -> dict:
    """`call()`, under cProfile (the calling thread) dumped to `path` when one is given."""
    if path is None:
        return call()
    import cProfile

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(call)
    finally:
        profiler.dump_stats(path)


class SpilledDropFolder:
    """Stands in for DropFolder in pipeline.ingest_files: yields the DropFiles read in the extract stage."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.read_seconds = 0.0

    def iter_new_files(self, seen_hashes: set[str]) -> Iterator:
        for path in self.paths:
            started = time.perf_counter()
            with open(path, "rb") as f:
                drop = pickle.load(f)
            self.read_seconds += time.perf_counter() - started
            if drop.sha256 not in seen_hashes:
                yield drop


# --- probes inside the pipeline (wrappers around the functions it looks up at call time) -----------------


class LoadProbe:
    """Times prepare, GX, raw payloads, each upsert and the commits inside ingest_api / ingest_files, and keeps
    the staging frames the pipeline upserts (as Parquet, that time excluded) for the bulk-load baseline."""

    def __init__(self, spill_dir: Path) -> None:
        self.spill_dir = spill_dir
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        self.seconds: dict[str, float] = defaultdict(float)
        self.excluded = 0.0
        self.staging_files: dict[str, list[str]] = defaultdict(list)
        self.staging_rows: dict[str, int] = defaultdict(int)

    @contextlib.contextmanager
    def installed(self, engine) -> Iterator[LoadProbe]:
        import etl.normalize.pii as pii
        import etl.pipeline as pipeline
        import etl.prepare as prepare_module
        import etl.validate as validate_module

        originals = {
            (pipeline, "upsert"): pipeline.upsert,
            (pipeline, "_prepare_segment"): pipeline._prepare_segment,
            (pipeline, "_raw_rows"): pipeline._raw_rows,
            (pipeline, "_records_frame"): pipeline._records_frame,
            (pipeline.SegmentWriter, "wait"): pipeline.SegmentWriter.wait,
            (pii, "redacted_json"): pii.redacted_json,
            (prepare_module, "prepare"): prepare_module.prepare,
            (validate_module, "validate_frame"): validate_module.validate_frame,
            (engine.dialect, "do_commit"): engine.dialect.do_commit,
        }

        def timed(key: str, function: Callable) -> Callable:
            def wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.seconds[key] += time.perf_counter() - started
            return wrapper

        def prepare_segment(*args, **kwargs):
            segment = timed(MAIN_PREPARE, originals[(pipeline, "_prepare_segment")])(*args, **kwargs)
            # Spilled on the main thread, so that its time can be taken out of the stage's wall time.
            if not segment.staging.empty:
                started = time.perf_counter()
                table = segment.stream.staging_table
                path = self.spill_dir / f"{table}.{len(self.staging_files[table]):05d}.parquet"
                segment.staging.to_parquet(path, index=False)
                self.staging_files[table].append(str(path))
                self.staging_rows[table] += len(segment.staging)
                self.excluded += time.perf_counter() - started
            return segment

        def upsert(conn, table, frame, key_columns, **kwargs):
            layer = table.split(".", 1)[0]
            return timed(f"writer: upsert {layer}.*", originals[(pipeline, "upsert")])(
                conn, table, frame, key_columns, **kwargs)

        patches = {
            (pipeline, "upsert"): upsert,
            (pipeline, "_prepare_segment"): prepare_segment,
            (pipeline, "_raw_rows"): timed("  raw payload rows", pipeline._raw_rows),
            (pii, "redacted_json"): timed("    of which payload JSON (pii.redacted_json)", pii.redacted_json),
            (pipeline, "_records_frame"): timed("  records -> DataFrame", pipeline._records_frame),
            (pipeline.SegmentWriter, "wait"): timed(MAIN_WAIT, pipeline.SegmentWriter.wait),
            (engine.dialect, "do_commit"): timed("writer: commit", engine.dialect.do_commit),
            (prepare_module, "prepare"): timed("  prepare (normalize + validate)", prepare_module.prepare),
            (validate_module, "validate_frame"): timed("    of which GX validate_frame",
                                                       validate_module.validate_frame),
        }
        for (module, name), function in patches.items():
            setattr(module, name, function)
        try:
            yield self
        finally:
            for (module, name), function in originals.items():
                setattr(module, name, function)


@contextlib.contextmanager
def build_probe(seconds: dict[str, float]) -> Iterator[None]:
    """Times the parts of jobs.build_warehouse."""
    import etl.models as models
    import etl.refdata as refdata
    import etl.validate as validate

    targets = {
        (refdata, "write_reference_tables"): "reference tables",
        (models, "build"): "models.build (core + mart, core suites inside)",
        (validate, "validate_table"): "  of which core GX suites",
        (validate, "build_data_docs"): "Data Docs",
    }
    originals = {key: getattr(*key) for key in targets}

    def timed(label: str, function: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - started
        return wrapper

    for (module, name), label in targets.items():
        setattr(module, name, timed(label, originals[(module, name)]))
    # One transaction's models, and the parts of PostgreSQL's full build (models._build_side_by_side), which
    # run side by side: a model's seconds there are its sessions' seconds added up.
    builders = {name: getattr(models, name)
                for name in ("_materialize", "_refresh", "_insert_next", "_finish_next", "_index_next")}

    def per_model(function: Callable) -> Callable:
        def wrapper(conn, model, *args, **kwargs):
            started = time.perf_counter()
            try:
                return function(conn, model, *args, **kwargs)
            finally:
                label = f"model {model.name}"
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - started
        return wrapper

    for name, function in builders.items():
        setattr(models, name, per_model(function))
    try:
        yield
    finally:
        for (module, name), function in originals.items():
            setattr(module, name, function)
        for name, function in builders.items():
            setattr(models, name, function)


# --- baselines -----------------------------------------------------------------------------------------


def bare_fetch_hotline(base_url: str, since: datetime, until: datetime, page_size: int) -> tuple[int, int]:
    """The native tickets API with requests + json and nothing else, following its `next_after` cursor."""
    import requests

    def wire(value: datetime) -> str:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    params = {"updated_since": wire(since), "updated_before": wire(until), "limit": page_size}
    n = pages = 0
    with requests.Session() as session:
        while True:
            payload = session.get(f"{base_url}/api/v1/tickets", params=params, timeout=60).json()
            n += len(payload["data"])
            pages += 1
            if not payload["data"] or not payload["has_more"]:
                return n, pages
            params["after"] = payload["next_after"]


def bare_fetch_events(base_url: str, since: datetime, until: datetime, page_size: int) -> tuple[int, int]:
    """The events API with requests + json and nothing else, turning page numbers until `total`."""
    import requests

    n = pages = 0
    page = 1
    with requests.Session() as session:
        while True:
            params = {"updated_since": since.astimezone(UTC).isoformat(),
                      "updated_before": until.astimezone(UTC).isoformat(), "page": page, "page_size": page_size}
            payload = session.get(f"{base_url}/api/v1/events", params=params, timeout=60).json()
            n += len(payload["data"])
            pages += 1
            if not payload["data"] or page * payload["page_size"] >= payload["total"]:
                return n, pages
            page += 1


def bulk_baseline(engine, staging_files: dict[str, list[str]], figures: dict) -> None:
    """Bulk-load the staging rows the pipeline upserted into fresh tables of the same shape, in one
    transaction; reading the Parquet spill back is not counted."""
    import pandas as pd

    from etl.warehouse import bulk_insert

    with engine.begin() as conn:
        conn.exec_driver_sql("create schema if not exists bench")
    conn = engine.connect()
    transaction = conn.begin()
    seconds = 0.0
    for table, paths in staging_files.items():
        target = "bench.bulk_" + table.split(".", 1)[1]
        conn.exec_driver_sql(f"drop table if exists {target}")
        conn.exec_driver_sql(f"create table {target} as select * from {table} limit 0")
        for path in paths:
            frame = pd.read_parquet(path)
            started = time.perf_counter()
            bulk_insert(conn, target, frame)
            seconds += time.perf_counter() - started
            figures["records"] += len(frame)
    started = time.perf_counter()
    transaction.commit()
    seconds += time.perf_counter() - started
    conn.close()
    figures["bulk_seconds"] = seconds


def to_sql_baseline(engine, staging_files: dict[str, list[str]], staging_rows: dict[str, int],
                    sample: int) -> dict:
    """DataFrame.to_sql with default settings (index=False only) on a sample spread over the staging tables
    in proportion to their rows; rows/s is extrapolated to every staging row."""
    import pandas as pd

    total = sum(staging_rows.values())
    with engine.begin() as conn:
        conn.exec_driver_sql("create schema if not exists bench")
    per_table = {}
    for table, paths in staging_files.items():
        wanted = min(staging_rows[table], max(1, round(sample * staging_rows[table] / total)))
        parts, have = [], 0
        for path in paths:
            if have >= wanted:
                break
            parts.append(pd.read_parquet(path))
            have += len(parts[-1])
        frame = pd.concat(parts, ignore_index=True).head(wanted)
        name = "tosql_" + table.split(".", 1)[1]
        with engine.begin() as conn:
            conn.exec_driver_sql(f"drop table if exists bench.{name}")
        started = time.perf_counter()
        with engine.begin() as conn:
            frame.to_sql(name, conn, schema="bench", index=False)
        seconds = time.perf_counter() - started
        per_table[table] = {"sampled_rows": len(frame), "seconds": round(seconds, 3),
                            "rows_per_s": rate(len(frame), seconds)}
    extrapolated = sum(staging_rows[t] / f["rows_per_s"] for t, f in per_table.items() if f["rows_per_s"])
    return {
        "sampled_rows": sum(f["sampled_rows"] for f in per_table.values()),
        "sample_seconds": round(sum(f["seconds"] for f in per_table.values()), 3),
        "extrapolated_rows": total,
        "extrapolated_seconds": round(extrapolated, 1),
        "rows_per_s": rate(total, extrapolated),
        "extrapolated": True,
        "per_table": per_table,
    }


# --- the child: one engine ------------------------------------------------------------------------------


def _set_clock(base_url: str, now: datetime | None) -> None:
    import requests

    body = {"now": None if now is None else now.astimezone(UTC).isoformat()}
    requests.post(f"{base_url}/_clock", json=body, timeout=10).raise_for_status()


def _warm_up(spills: dict[str, Spill], drop_paths: list[Path], as_of: datetime, salt: str) -> float:
    """One prepare of a few records per source, not timed as processing: GX's import and suite registration
    happen once per process (~3-4 s), whatever the batch size."""
    import pandas as pd

    from etl import refdata
    from etl.prepare import prepare

    started = time.perf_counter()
    refs = refdata.load_reference()
    samples = {}
    for source, spill in spills.items():
        if spill.paths:
            with open(spill.paths[0], "rb") as f:
                samples[source] = pickle.load(f)[:200]
    if drop_paths:
        with open(drop_paths[0], "rb") as f:
            samples["inspections"] = pickle.load(f).records[:200]
    for source, records in samples.items():
        frame = pd.DataFrame.from_records([{k: v for k, v in r.items() if k != "raw"} for r in records])
        prepare(source, frame, refs, "bench:warmup", salt=salt, as_of=as_of)
    return time.perf_counter() - started


def in_own_process(stages: Stages, function: Callable, *args):
    """`function(*args)` in a forked child, as Airflow runs each task in a process of its own; returns its
    result, and the figures of the stages it ran join `stages`.

    A stage's peak RSS is then the stage's own above the parent's imports, not also what earlier stages left
    in this process's allocator (CPython keeps partly used arenas: at 5M, a weekly report run after the load
    in one process peaked at 1,071 MiB, against 768 at 1M). The parent holds no database connection, so the
    child opens its own. Results and errors come back pickled through a pipe."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            outcome = ("ok", function(*args), stages.figures)
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            import traceback

            outcome = ("error", traceback.format_exc(), {})
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"bench stage {function.__name__} died (wait status {status})")
    kind, value, figures = pickle.loads(data)
    if kind == "error":
        raise RuntimeError(f"bench stage {function.__name__} failed in its process:\n{value}")
    stages.figures.update(figures)
    return value


def run_engine(state: dict) -> dict:
    """Every stage on one engine, each in a process of its own; returns the engine's figures."""
    os.environ.update({
        "CAMPAIGN_WAREHOUSE_URL": state["url"],
        "CAMPAIGN_VAR_DIR": state["var_dir"],
        "CAMPAIGN_REPORT_DIR": str(Path(state["var_dir"]) / "reports"),
        "CAMPAIGN_START": state["campaign_start"],
    })
    os.environ.setdefault("CAMPAIGN_PII_SALT", "bench-salt-not-a-secret")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from etl import config, jobs, pipeline, warehouse
    from etl.config import SourceConfig
    from etl.sources.events import EventsClient
    from etl.sources.hotline import HotlineClient
    from etl.sources.inspections import DropFolder

    work = Path(state["work_dir"])
    base_url, page_size = state["base_url"], state["page_size"]
    since = datetime.fromisoformat(state["since"])
    cut = datetime.fromisoformat(state["cut"])
    until = datetime.fromisoformat(state["until"])
    drop_dir = Path(state["drop_dir"])
    hotline_cfg = SourceConfig("hotline_api", host=base_url, extra={"page_size": page_size})
    events_cfg = SourceConfig("events_api", host=base_url, extra={"page_size": page_size})
    drop_cfg = SourceConfig("inspections_drop", conn_type="fs", extra={"path": str(drop_dir)})
    stages = Stages()
    result: dict = {"engine": state["engine"], "loadavg_start": loadavg(), "rss_method": stages.meter.method,
                    "chunk_records": pipeline.CHUNK_RECORDS, "page_size": page_size}
    print(f"[{state['engine']}] N={state['n']:,}  warehouse {state['url_safe']}", file=sys.stderr, flush=True)

    def with_engine(function: Callable) -> Callable:
        """`function(engine, *args)` with an engine of the stage's own process, disposed afterwards."""
        def wrapper(*args):
            engine = warehouse.create_engine(state["url"])
            try:
                return function(engine, *args)
            finally:
                engine.dispose()
        wrapper.__name__ = function.__name__
        return wrapper

    in_own_process(stages, with_engine(warehouse.ensure_tables))

    # 1. extract ------------------------------------------------------------------------------------------
    _set_clock(base_url, cut)

    def extract_api(source: str, client_type, cfg) -> Spill:
        with stages.stage(f"extract {source} (connector)") as figures:
            spill = Spill(work / "spill" / source, pipeline.CHUNK_RECORDS)
            with client_type(cfg) as client:
                for page in client.iter_pages(since, cut):
                    started = time.perf_counter()
                    spill.add(page)
                    figures["excluded_seconds"] += time.perf_counter() - started
                    figures["records"] += len(page)
                    figures["pages"] = figures.get("pages", 0) + 1
            started = time.perf_counter()
            spill.close()
            figures["excluded_seconds"] += time.perf_counter() - started
        return spill

    def bare_fetch(source: str, fetch: Callable) -> None:
        with stages.stage(f"bare fetch {source} (requests)") as figures:
            figures["records"], figures["pages"] = fetch(base_url, since, cut, page_size)

    def extract_drop_files() -> list[Path]:
        drop_paths: list[Path] = []
        with stages.stage("extract drop files") as figures:
            (work / "spill" / "drop").mkdir(parents=True, exist_ok=True)
            for drop in DropFolder(drop_cfg).iter_new_files(set()):
                started = time.perf_counter()
                path = work / "spill" / "drop" / f"{len(drop_paths):05d}.pickle"
                with open(path, "wb") as f:
                    pickle.dump(drop, f, protocol=pickle.HIGHEST_PROTOCOL)
                drop_paths.append(path)
                figures["excluded_seconds"] += time.perf_counter() - started
                figures["records"] += len(drop.records)
            figures["files"] = len(drop_paths)
        return drop_paths

    spills = {source: in_own_process(stages, extract_api, source, client_type, cfg)
              for source, client_type, cfg in (("hotline", HotlineClient, hotline_cfg),
                                               ("events", EventsClient, events_cfg))}
    for source, fetch in (("hotline", bare_fetch_hotline), ("events", bare_fetch_events)):
        in_own_process(stages, bare_fetch, source, fetch)
    drop_paths = in_own_process(stages, extract_drop_files)

    # 2. prepare + load -------------------------------------------------------------------------------------
    # Once in the parent, so each stage's process starts with GX imported and its suites registered.
    result["warmup_seconds"] = round(_warm_up(spills, drop_paths, cut, config.pii_salt()), 2)
    probe = LoadProbe(work / "spill" / "staging")

    def prepare_and_load(engine, source: str) -> tuple[LoadProbe, object]:
        profiler = None
        if state.get("profile"):
            import cProfile

            profiler = cProfile.Profile()
        with stages.stage(f"prepare+load {source}") as figures, probe.installed(engine):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            if source == "inspections":
                folder = SpilledDropFolder(drop_paths)
                results = pipeline.ingest_files(engine, folder)
                read_seconds = folder.read_seconds
                pull = [r.as_dict() for r in results]
                figures["records"] = sum(r.n_extracted for r in results)
                figures["loaded"] = sum(r.n_loaded for r in results)
                figures["quarantined"] = sum(r.n_quarantined for r in results)
                figures["duplicates"] = sum(r.n_duplicates for r in results)
            else:
                spill = spills[source]
                outcome = pipeline.ingest_api(engine, source, spill.pages(),
                                              pull_id=pipeline.pull_id_for(source, since, cut),
                                              window_start=since, window_end=cut)
                read_seconds = spill.read_seconds
                pull = outcome.as_dict()
                figures["records"] = outcome.n_extracted
                figures["loaded"] = outcome.n_loaded
                figures["quarantined"] = outcome.n_quarantined
                figures["duplicates"] = outcome.n_duplicates
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
            harness = read_seconds + probe.excluded
            figures["excluded_seconds"] = harness
            figures["breakdown_seconds"] = _breakdown(probe.seconds, elapsed - harness)
        if profiler:
            profiler.dump_stats(state["profile"].replace(".prof", f"_{source}.prof"))
        return probe, pull

    pulls = {}
    for source in ("hotline", "events", "inspections"):
        # Each process starts from the parent's probe, which holds the staging files spilled so far.
        loaded, pulls[source] = in_own_process(stages, with_engine(prepare_and_load), source)
        probe.staging_files, probe.staging_rows = loaded.staging_files, loaded.staging_rows
        # Nothing reads a source's spilled records after its load (at 5M the hotline's are 9.8 GB).
        shutil.rmtree(work / "spill" / ("drop" if source == "inspections" else source), ignore_errors=True)
    result["pulls"] = pulls
    prepare_load = [stages.figures[f"prepare+load {s}"] for s in ("hotline", "events", "inspections")]
    records_in = sum(f["records"] for f in prepare_load)
    prepare_load_seconds = sum(f["seconds"] for f in prepare_load)

    # 3. build -----------------------------------------------------------------------------------------------
    def build() -> None:
        build_parts: dict[str, float] = {}
        with stages.stage("build (jobs.build_warehouse)") as figures, build_probe(build_parts):
            built = jobs.build_warehouse()
            figures["records"] = sum(probe.staging_rows.values())
        figures["breakdown_seconds"] = _build_breakdown(build_parts)
        figures["built"] = {k: v for k, v in built.items() if k != "data_docs"}

    in_own_process(stages, build)

    # 4. incremental: 1% of the records change at the sources, the DAGs' job functions run again ------------
    change = Path(state["change_file"])
    shutil.copy2(change, drop_dir / change.name)
    _set_clock(base_url, None)

    def incremental_run() -> None:
        incremental: dict[str, dict] = {}
        build_parts: dict[str, float] = {}
        with stages.stage("incremental (jobs.*)") as figures, build_probe(build_parts):
            for name, call in (
                ("hotline", lambda: jobs.ingest_hotline(hotline_cfg, cut, until)),
                ("events", lambda: jobs.ingest_events(events_cfg, cut, until)),
                ("inspections", lambda: jobs.ingest_inspections(drop_cfg)),
                ("build", jobs.build_warehouse),
            ):
                started = time.perf_counter()
                outcome = _profiled(call, state["profile"].replace(".prof", f"_incremental_{name}.prof")
                                    if state.get("profile") else None)
                incremental[name] = {"seconds": round(time.perf_counter() - started, 3),
                                     **{k: v for k, v in outcome.items() if k.startswith("n_")}}
            figures["records"] = sum(v.get("n_extracted", 0) for v in incremental.values())
        incremental["build"]["breakdown_seconds"] = _build_breakdown(build_parts)
        figures["parts"] = incremental

    in_own_process(stages, incremental_run)

    # 5. the weekly report ------------------------------------------------------------------------------------
    def weekly_reports(engine) -> list[float]:
        from etl.report import build_weekly_report

        week_start = date.fromisoformat(state["week_start"])
        seconds = []
        for attempt in ("first call in the process", "second call"):
            name = f"weekly report ({attempt.split()[0]})"
            with stages.stage(name):
                build_weekly_report(engine, week_start, work / "reports", publish=False)
            seconds.append(stages.figures[name]["seconds"])
        return seconds

    report_runs = in_own_process(stages, with_engine(weekly_reports))

    # 6. baselines on the same rows and engine, last: PostgreSQL flushing their bulk writes slowed the stages
    # after them (module docstring)
    def baselines(engine) -> dict:
        with stages.stage("baseline bulk load") as figures:
            started = time.perf_counter()
            bulk_baseline(engine, probe.staging_files, figures)
            # only the inserts and the commit count, not reading the Parquet spill back
            figures["excluded_seconds"] = time.perf_counter() - started - figures.pop("bulk_seconds")
        with stages.stage("baseline to_sql (sample)") as figures:
            started = time.perf_counter()
            to_sql = to_sql_baseline(engine, probe.staging_files, probe.staging_rows, state["to_sql_sample"])
            figures["records"] = to_sql["sampled_rows"]
            figures["excluded_seconds"] = time.perf_counter() - started - to_sql["sample_seconds"]
        figures.update(to_sql)
        return to_sql

    to_sql = in_own_process(stages, with_engine(baselines))
    bulk = stages.figures["baseline bulk load"]

    # figures ---------------------------------------------------------------------------------------------------
    figures = stages.figures
    connector = [figures[f"extract {s} (connector)"] for s in ("hotline", "events")]
    bare = [figures[f"bare fetch {s} (requests)"] for s in ("hotline", "events")]
    connector_rate = rate(sum(f["records"] for f in connector), sum(f["seconds"] for f in connector))
    bare_rate = rate(sum(f["records"] for f in bare), sum(f["seconds"] for f in bare))
    prepare_load_rate = rate(records_in, prepare_load_seconds)
    build = figures["build (jobs.build_warehouse)"]
    full_seconds = (sum(f["seconds"] for f in connector) + figures["extract drop files"]["seconds"]
                    + prepare_load_seconds + build["seconds"])
    processing_rate = rate(records_in, prepare_load_seconds + build["seconds"])
    result.update({
        "processing": {"records": records_in, "seconds": round(prepare_load_seconds + build["seconds"], 3),
                       "rows_per_s": processing_rate, "prepare_load_seconds": round(prepare_load_seconds, 3),
                       "prepare_load_rows_per_s": prepare_load_rate},
        "extract": {"connector_rows_per_s": connector_rate, "bare_fetch_rows_per_s": bare_rate},
        "full_load_seconds": round(full_seconds, 2),
        "throughput_ratio_vs_bulk": _ratio(processing_rate, bulk["rows_per_s"]),
        "prepare_load_ratio_vs_bulk": _ratio(prepare_load_rate, bulk["rows_per_s"]),
        "throughput_ratio_vs_to_sql": _ratio(processing_rate, to_sql["rows_per_s"]),
        "extract_ratio_vs_bare_fetch": _ratio(connector_rate, bare_rate),
        "incremental_share_of_full": _ratio(figures["incremental (jobs.*)"]["seconds"], full_seconds),
        # the pipeline's stages only: the baselines' memory is not the pipeline's
        "peak_rss_mb": max(f["peak_rss_mb"] for name, f in figures.items() if not name.startswith(BASELINES)),
        # getrusage's ru_maxrss is the same high-water mark, so clear_refs resets it too: the max over stages
        # is the process's peak after start-up (imports, before the first stage, are below every stage's)
        "process_maxrss_mb": max(
            max(f["peak_rss_mb"] for f in figures.values()),
            round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        ),
        "report_seconds": report_runs[0],
        "report_seconds_warm": report_runs[1],
        "stages": figures,
        "loadavg_end": loadavg(),
        "profiled": bool(state.get("profile")),
    })
    return result


def _breakdown(steps: dict[str, float], total: float) -> dict[str, float]:
    """The main thread's parts (indented ones are inside the one above) and the writer thread's, which overlap
    them; "other" is the main thread's remainder (chunking pages, the pull's audit rows, the final commit)."""
    out = {k: round(v, 3) for k, v in sorted(steps.items())}
    main = steps.get(MAIN_PREPARE, 0.0) + steps.get(MAIN_WAIT, 0.0)
    out["main: other (chunking, the pull's audit rows)"] = round(total - main, 3)
    return out


def _build_breakdown(parts: dict[str, float]) -> dict[str, float]:
    """The build's parts with its six slowest models."""
    slowest = sorted((k for k in parts if k.startswith("model ")), key=parts.get, reverse=True)[:6]
    return {k: round(v, 3) for k, v in parts.items() if not k.startswith("model ") or k in slowest}


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


# --- the parent: dataset, simulator, one child per engine --------------------------------------------------


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8)


def write_change_file(dataset, out_dir: Path) -> tuple[Path, int]:
    """1% of the findings re-reported in one extra sheet uploaded the Monday after the campaign (their state
    on that day): a group's catch-up upload, the drop folder's share of the incremental run."""
    from simulator.drop_files import HABITS, file_name, render_xlsx

    step = max(1, round(1 / CHANGE_SHARE))
    picked = dataset.findings[::step]
    rows = sorted((f.state(dataset.end) | {"_finding": f} for f in picked), key=lambda r: r["finding_id"])
    data = render_xlsx(dataset, 0, dataset.weeks, HABITS[0], rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / file_name(dataset, 0, dataset.weeks, "_补报更新.xlsx")
    path.write_bytes(data)
    return path, len(rows)


@contextlib.contextmanager
def simulator(args: argparse.Namespace, cut: datetime) -> Iterator[str]:
    """`python -m simulator serve` in its own process, as a real source would be; yields its base URL."""
    command = [sys.executable, "-m", "simulator", "serve", "--port", "0", "--max-page-size", str(args.page_size),
               f"--seed={args.seed}", f"--weeks={args.weeks}", f"--tickets={args.n}",
               f"--events={max(1, args.n // 20)}", f"--findings={max(1, args.n // 5)}",
               f"--now={cut.isoformat()}"]
    server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env=_child_env())
    try:
        line = server.stdout.readline()
        if not line.startswith("simulator on "):
            raise RuntimeError(f"the simulator did not start: {line!r}")
        yield line.split()[2]
    finally:
        server.terminate()
        server.wait(timeout=10)


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def postgres_database(admin_url: str, keep: bool = False) -> Iterator[tuple[str, str]]:
    """A throwaway database on the server, dropped afterwards unless `keep`: (URL, URL without password)."""
    import sqlalchemy as sa

    admin = sa.make_url(admin_url)
    name = f"campaign_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    url = admin.set(database=name)
    try:
        yield url.render_as_string(hide_password=False), url.render_as_string(hide_password=True)
    finally:
        if keep:
            print(f"kept database {name}", file=sys.stderr)
        else:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        engine.dispose()


def run(args: argparse.Namespace) -> dict:
    """Everything for the engines asked for; returns the JSON document."""
    import numpy as np

    from etl import pipeline
    from simulator.drop_files import write_drop_files
    from simulator.generator import generate

    engines = ["duckdb", "postgres"] if args.engine == "both" else [args.engine]
    document: dict = {"n_tickets": args.n, "n_events": max(1, args.n // 20), "n_findings": max(1, args.n // 5),
                      "seed": args.seed, "weeks": args.weeks, "page_size": args.page_size,
                      "chunk_records": pipeline.CHUNK_RECORDS, "machine": machine(), "loadavg_start": loadavg()}
    work = Path(tempfile.mkdtemp(prefix="campaign-bench-", dir=args.work_dir))
    try:
        print(f"bench N={args.n:,} in {work} (load {document['loadavg_start']})", file=sys.stderr, flush=True)
        started = time.perf_counter()
        dataset = generate(args.seed, weeks=args.weeks, n_tickets=args.n, n_events=document["n_events"],
                           n_findings=document["n_findings"])
        updated = np.concatenate([dataset.hotline.versions.updated, dataset.events.versions.updated])
        # The full load sees everything before the 99% point of all API versions; the incremental the rest.
        cut_epoch = int(np.quantile(updated, 1 - CHANGE_SHARE))
        since = _local_midnight(dataset.start)
        cut = datetime.fromtimestamp(cut_epoch, UTC)
        until = datetime.fromtimestamp(int(updated.max()) + 1, UTC)
        drop_base = work / "drop"
        n_files = len(write_drop_files(dataset, drop_base))
        change_file, n_changed = write_change_file(dataset, work / "change")
        document["setup"] = {
            "generate_and_write_drop_files_seconds": round(time.perf_counter() - started, 1),
            "hotline_versions": len(dataset.hotline.versions), "event_versions": len(dataset.events.versions),
            "drop_files": n_files, "window": [since.isoformat(), cut.isoformat(), until.isoformat()],
            "api_versions_after_cut": int((updated >= cut_epoch).sum()),
            "findings_in_change_file": n_changed,
        }
        week_start = dataset.start + timedelta(weeks=dataset.weeks - 1)
        del dataset, updated
        document["engines"] = {}
        with simulator(args, cut) as base_url:
            for name in engines:
                engine_dir = work / name
                drop_dir = engine_dir / "drop"
                shutil.copytree(drop_base, drop_dir)
                state = {
                    "engine": name, "n": args.n, "base_url": base_url, "page_size": args.page_size,
                    "since": since.isoformat(), "cut": cut.isoformat(), "until": until.isoformat(),
                    "campaign_start": (since + timedelta(hours=8)).date().isoformat(),
                    "week_start": week_start.isoformat(), "drop_dir": str(drop_dir),
                    "change_file": str(change_file), "work_dir": str(engine_dir),
                    "var_dir": str(engine_dir / "var"), "to_sql_sample": args.to_sql_sample,
                    "profile": str(Path(args.profile) / f"processing_{name}_n{args.n}.prof") if args.profile else None,
                }
                with contextlib.ExitStack() as stack:
                    if name == "postgres":
                        state["url"], state["url_safe"] = stack.enter_context(postgres_database(args.pg_url, args.keep))
                    else:
                        state["url"] = state["url_safe"] = f"duckdb:///{engine_dir / 'warehouse.duckdb'}"
                    document["engines"][name] = _run_child(state, engine_dir)
                if not args.keep:
                    shutil.rmtree(engine_dir, ignore_errors=True)
        document["loadavg_end"] = loadavg()
        document["targets"] = {name: evaluate(result, args.n) for name, result in document["engines"].items()}
        return document
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _run_child(state: dict, engine_dir: Path) -> dict:
    engine_dir.mkdir(parents=True, exist_ok=True)
    state_path = engine_dir / "state.json"
    result_path = engine_dir / "result.json"
    state["result_path"] = str(result_path)
    state_path.write_text(json.dumps(state), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "bench.run", "--child", str(state_path)], cwd=REPO_ROOT,
                   env=_child_env(), check=True)
    return json.loads(result_path.read_text(encoding="utf-8"))


def evaluate(result: dict, n: int) -> list[dict]:
    """Where each of issue 8's targets stands for one engine at this N."""
    checks = []
    for key, op, bound, text in TARGETS:
        value = result.get(key)
        met = None if value is None else (value >= bound if op == ">=" else value < bound if op == "<"
                                          else value <= bound)
        checks.append({"target": text, "metric": key, "bound": f"{op} {bound:g}", "value": value, "met": met,
                       "measured_at_n": n})
    return checks


# --- Markdown -------------------------------------------------------------------------------------------


def _fmt(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    if isinstance(value, (int, float)):
        return f"{value:,.0f}"
    return str(value)


def markdown(document: dict) -> str:
    """A short summary table and a per-stage table, for the README."""
    engines = document["engines"]
    names = list(engines)
    m = document["machine"]
    lines = [
        f"N = {document['n_tickets']:,} tickets ({document['setup']['hotline_versions']:,} versions), "
        f"{document['n_findings']:,} findings, {document['n_events']:,} events; page size "
        f"{document['page_size']}, chunk {document['chunk_records']:,} records. Machine: {m['nproc']} cores "
        f"({m['cpu_model']}), {m['memory_gib']} GiB; load average {document['loadavg_start'][0]} at start, "
        f"{document['loadavg_end'][0]} at end (other work was running).",
        "",
        "| metric | " + " | ".join(names) + " | target |",
        "|---|" + "---:|" * len(names) + "---|",
    ]

    def row(label: str, values: list[str], target: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(values) + f" | {target} |")

    row("processing (prepare + load + build), rows/s",
        [_fmt(e["processing"]["rows_per_s"]) for e in engines.values()])
    row("prepare + load alone, rows/s", [_fmt(e["processing"]["prepare_load_rows_per_s"]) for e in engines.values()])
    row("bulk load of the same staging rows, rows/s",
        [_fmt(e["stages"]["baseline bulk load"]["rows_per_s"]) for e in engines.values()])
    row("DataFrame.to_sql (sampled, extrapolated), rows/s",
        [_fmt(e["stages"]["baseline to_sql (sample)"]["rows_per_s"]) for e in engines.values()])
    row("processing ÷ bulk load", [_fmt(e["throughput_ratio_vs_bulk"], 3) for e in engines.values()], "≥ 0.15 at 1M")
    row("prepare + load alone ÷ bulk load", [_fmt(e["prepare_load_ratio_vs_bulk"], 3) for e in engines.values()])
    row("processing ÷ to_sql", [_fmt(e["throughput_ratio_vs_to_sql"], 1) for e in engines.values()], "≥ 15 at 1M")
    row("extract (connectors) ÷ bare requests loop",
        [_fmt(e["extract_ratio_vs_bare_fetch"], 3) for e in engines.values()], "≥ 0.5")
    row("full load (extract + prepare + load + build), s", [_fmt(e["full_load_seconds"], 1) for e in engines.values()])
    row("incremental (1% changed, jobs end to end), s",
        [_fmt(e["stages"]["incremental (jobs.*)"]["seconds"], 1) for e in engines.values()])
    row("incremental ÷ full load", [_fmt(e["incremental_share_of_full"], 3) for e in engines.values()], "≤ 0.05")
    row("weekly report, s (first call / warm)",
        [f"{e['report_seconds']:.1f} / {e['report_seconds_warm']:.1f}" for e in engines.values()], "< 15 at 1M")
    row("peak RSS of the pipeline's stages, MiB", [_fmt(e["peak_rss_mb"]) for e in engines.values()], "< 1536 at 1M")
    lines += ["", "| stage | " + " | ".join(f"{n} rows/s | {n} s | {n} peak MiB" for n in names) + " |",
              "|---|" + "---:|---:|---:|" * len(names)]
    stage_names = list(next(iter(engines.values()))["stages"])
    for stage in stage_names:
        cells = []
        for e in engines.values():
            f = e["stages"].get(stage, {})
            cells += [_fmt(f.get("rows_per_s")), _fmt(f.get("seconds"), 2), _fmt(f.get("peak_rss_mb"))]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines += ["", "Processing is the issue's validate → normalize → load → build marts: the three prepare + load "
              "stages and the build, over the records in. "
              "Rows/s of prepare + load count records in (hotline versions, events, sheet rows); bulk load "
              "and to_sql count the staging rows the pipeline wrote; to_sql timed on "
              f"{next(iter(engines.values()))['stages']['baseline to_sql (sample)']['sampled_rows']:,} rows and "
              "extrapolated. Peak RSS: " + next(iter(engines.values()))["rss_method"] + ", per stage, each "
              "stage in a process of its own forked from the engine's (the simulator runs in its own process)."]
    return "\n".join(lines) + "\n"


# --- command line ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="hotline tickets (findings N/5, events N/20)")
    parser.add_argument("--engine", choices=("duckdb", "postgres", "both"), default="duckdb")
    parser.add_argument("--out", help="write the JSON here")
    parser.add_argument("--md", help="write the Markdown tables here")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weeks", type=int, default=10, help="campaign weeks (the simulator's default is 10)")
    parser.add_argument("--page-size", type=int, default=1000, help="API page size (the simulator's largest)")
    parser.add_argument("--to-sql-sample", type=int, default=TO_SQL_SAMPLE)
    parser.add_argument("--pg-url", default=os.environ.get("CAMPAIGN_TEST_PG_URL", DEFAULT_PG_URL),
                        help="admin URL of the PostgreSQL server (a throwaway database is created and dropped)")
    parser.add_argument("--profile", help="folder: cProfile the prepare + load stages and each part of the"
                        " incremental run into <folder>/*.prof")
    parser.add_argument("--work-dir", help="where the temporary files go (default: the system's temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files and the PostgreSQL database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        state = json.loads(Path(args.child).read_text(encoding="utf-8"))
        result = run_engine(state)
        Path(state["result_path"]).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # skips interpreter teardown, where duckdb's bindings print leak warnings by the screenful
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    document = run(args)
    text = json.dumps(document, indent=1, ensure_ascii=False, default=str)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    table = markdown(document)
    if args.md:
        Path(args.md).parent.mkdir(parents=True, exist_ok=True)
        Path(args.md).write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
