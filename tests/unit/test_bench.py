"""The benchmark harness (bench/run.py) keeps working: its pure helpers, and one whole run at a tiny N."""

from __future__ import annotations

import json
import os
import pickle
from types import SimpleNamespace

import pytest

from bench import run as bench


def test_spill_keeps_the_pipelines_chunks(tmp_path):
    spill = bench.Spill(tmp_path, chunk_records=5)
    for start in range(0, 12, 3):
        spill.add([{"id": i} for i in range(start, start + 3)])
    spill.close()
    chunks = list(spill.pages())
    assert [len(c) for c in chunks] == [6, 6]  # pipeline._chunked closes a chunk once it reaches the size
    assert [r["id"] for c in chunks for r in c] == list(range(12))
    assert spill.read_seconds >= 0


def test_spilled_drop_folder_skips_files_already_processed(tmp_path):
    paths = []
    for sha in ("a", "b"):
        path = tmp_path / f"{sha}.pickle"
        path.write_bytes(pickle.dumps(SimpleNamespace(sha256=sha)))
        paths.append(path)
    assert [d.sha256 for d in bench.SpilledDropFolder(paths).iter_new_files({"a"})] == ["b"]


def test_peak_rss_sees_memory_allocated_during_a_stage():
    meter = bench.PeakRss()
    meter.start()
    block = bytearray(64 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
    peak = meter.stop()
    del block
    assert peak >= 64


def test_a_stage_in_its_own_process_returns_its_result_and_figures_and_leaves_no_memory_behind():
    stages = bench.Stages()

    def allocate(megabytes: int) -> int:
        with stages.stage("allocate") as figures:
            block = bytearray(megabytes * 1024 * 1024)
            block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
            figures["records"] = len(block) // (1024 * 1024)
        return os.getpid()

    before = bench._status_kb("VmRSS")
    child = bench.in_own_process(stages, allocate, 128)
    assert child != os.getpid()
    assert stages.figures["allocate"]["records"] == 128 and stages.figures["allocate"]["peak_rss_mb"] >= 128
    assert bench._status_kb("VmRSS") - before < 64 * 1024, "the stage's memory stayed in its own process"


def test_a_stage_that_fails_in_its_process_fails_the_run():
    def fail() -> None:
        raise ValueError("bad stage")

    with pytest.raises(RuntimeError, match="ValueError: bad stage"):
        bench.in_own_process(bench.Stages(), fail)


def test_targets_are_judged_with_their_own_comparison():
    checks = {c["metric"]: c["met"] for c in bench.evaluate({
        "throughput_ratio_vs_bulk": 0.2, "throughput_ratio_vs_to_sql": 3.0, "extract_ratio_vs_bare_fetch": 0.5,
        "peak_rss_mb": 1536.0, "incremental_share_of_full": 0.05, "report_seconds": None,
    }, 1000)}
    assert checks == {
        "throughput_ratio_vs_bulk": True, "throughput_ratio_vs_to_sql": False, "extract_ratio_vs_bare_fetch": True,
        "peak_rss_mb": False, "incremental_share_of_full": True, "report_seconds": None,
    }


def test_a_tiny_run_reports_every_stage_and_ratio(tmp_path):
    out, md = tmp_path / "result.json", tmp_path / "result.md"
    assert bench.main(["--n", "300", "--weeks", "2", "--engine", "duckdb", "--out", str(out), "--md", str(md),
                       "--to-sql-sample", "200", "--work-dir", str(tmp_path)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    result = document["engines"]["duckdb"]
    for key in ("throughput_ratio_vs_bulk", "prepare_load_ratio_vs_bulk", "throughput_ratio_vs_to_sql",
                "extract_ratio_vs_bare_fetch", "incremental_share_of_full", "peak_rss_mb", "report_seconds"):
        assert result[key] is not None and result[key] > 0, key
    # Processing is prepare + load and the build: slower than prepare + load alone.
    assert result["throughput_ratio_vs_bulk"] < result["prepare_load_ratio_vs_bulk"]
    processing = result["processing"]
    build_seconds = result["stages"]["build (jobs.build_warehouse)"]["seconds"]
    assert processing["seconds"] == pytest.approx(processing["prepare_load_seconds"] + build_seconds, abs=0.002)
    stages = result["stages"]
    assert stages["extract hotline (connector)"]["records"] == stages["bare fetch hotline (requests)"]["records"]
    for source in ("hotline", "events"):
        assert result["pulls"][source]["is_reconciled"]
    assert all(pull["is_reconciled"] for pull in result["pulls"]["inspections"])
    assert stages["incremental (jobs.*)"]["parts"]["hotline"]["n_extracted"] > 0
    # The load's breakdown sees both threads: the main one preparing, the writer upserting and committing.
    breakdown = stages["prepare+load hotline"]["breakdown_seconds"]
    assert breakdown[bench.MAIN_PREPARE] > 0 and breakdown["writer: upsert staging.*"] > 0
    assert breakdown["writer: commit"] > 0 and breakdown["  prepare (normalize + validate)"] > 0
    # Every staging row the pipeline upserted was spilled for the bulk-load baseline.
    loaded = sum(stages[f"prepare+load {s}"]["loaded"] for s in ("hotline", "events", "inspections"))
    assert stages["baseline bulk load"]["records"] <= loaded and stages["baseline bulk load"]["records"] > 0
    assert {"nproc", "cpu_model", "memory_gib"} <= set(document["machine"])
    assert "| processing ÷ bulk load |" in md.read_text(encoding="utf-8")
