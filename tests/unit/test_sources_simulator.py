"""The simulator's generator: seeded, realistic in shape, fast at scale, with a little deliberate bad data."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from etl.config import REPO_ROOT
from simulator.generator import generate
from simulator.reference import load_reference, write_sample_reference
from simulator.tables import VersionTable


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return load_reference(write_sample_reference(tmp_path_factory.mktemp("reference")))


@pytest.fixture(scope="module")
def dataset(reference):
    return generate(7, reference=reference)


def test_the_same_seed_gives_the_same_data(reference):
    a, b, c = generate(1, reference=reference), generate(1, reference=reference), generate(2, reference=reference)
    assert a.hotline.native_rows(np.arange(50)) == b.hotline.native_rows(np.arange(50))
    assert a.events.rows(np.arange(20)) == b.events.rows(np.arange(20)) and a.findings == b.findings
    assert a.hotline.native_rows(np.arange(50)) != c.hotline.native_rows(np.arange(50))
    # One source's knob leaves the others alone.
    assert generate(1, reference=reference, n_tickets=10).findings == a.findings


def test_demo_campaign_defaults(dataset):
    assert dataset.start == date(2026, 9, 7) and dataset.end == date(2026, 11, 16) and dataset.weeks == 10
    assert dataset.hotline.n == 40 * 70 and dataset.events.n == 25 * 10 and len(dataset.findings) == 60 * 10
    found = Counter(f.found.isocalendar()[1] for f in dataset.findings)
    assert sorted(found) == list(range(37, 47)) and set(found.values()) == {60}


def test_tickets_have_a_realistic_status_history(dataset):
    rows = dataset.hotline.native_rows(np.arange(len(dataset.hotline.versions)))
    by_ticket: dict[str, list[dict]] = {}
    for row in rows:
        by_ticket.setdefault(row["ticket_id"], []).append(row)
    histories = Counter(tuple(r["status"] for r in sorted(v, key=lambda r: r["updated_at"]))
                        for v in by_ticket.values())
    assert histories[("received", "dispatched", "in_progress", "closed")] > 0.7 * len(by_ticket)
    assert histories[("received", "dispatched", "in_progress", "closed", "reopened", "in_progress", "closed")] > 100
    assert histories[("received", "cancelled")] > 20 and histories[("received", "duplicate")] > 20
    assert all(h[0] == "received" for h in histories)
    closed = [r for r in rows if r["status"] == "closed"]
    assert {r["satisfaction"] for r in closed} == {"satisfied", "basically_satisfied", "dissatisfied", None}
    assert all(r["satisfaction"] is None for r in rows if r["status"] != "closed")
    assert all(r["closed_at"] is not None for r in closed)
    assert {r["channel"] for r in rows} == {"12345", "app", "patrol", "media"}
    assert all(len(r["caller_phone"]) == 11 and r["caller_phone"].startswith("1") for r in rows)
    per_day = Counter(r["received_at"][:10] for r in rows if r["status"] == "received")
    assert len(per_day) == 70 and 20 < np.mean(list(per_day.values())) < 60


def test_about_one_percent_is_deliberately_bad(dataset):
    bad = dataset.bad
    assert 0.003 * 2800 < len(bad["hotline"]) < 0.03 * 2800
    assert set(bad["hotline"].values()) <= {"unknown_area", "closed_before_received", "missing_category"}
    assert 0 < len(bad["inspections"]) < 0.04 * 600
    rows = {r["ticket_id"]: r for r in dataset.hotline.native_rows(np.arange(len(dataset.hotline.versions)))
            if r["status"] == "closed"}
    for ticket_id, kind in bad["hotline"].items():
        if kind == "closed_before_received" and ticket_id in rows:
            assert rows[ticket_id]["closed_at"] < rows[ticket_id]["received_at"]


def test_events_are_edited_cancelled_and_counted(dataset):
    rows = dataset.events.rows(np.arange(len(dataset.events.versions)))
    statuses = Counter(r["status"] for r in rows)
    assert statuses["planned"] >= 250 and statuses["held"] > 200 and statuses["cancelled"] > 0
    per_event = Counter(r["activity_id"] for r in rows)
    assert max(per_event.values()) >= 3  # planned, edited or held, corrected later
    held = [r for r in rows if r["status"] == "held"]
    assert all(r["end_time"] > r["start_time"] or r["activity_id"] in dataset.bad["events"] for r in held)
    assert all(r["volunteer_count"] <= abs(r["participant_count"]) for r in held)


def test_findings_have_deadlines_feedback_and_reinspections(dataset):
    findings = dataset.findings
    assert all(f.due > f.found or f.bad == "due_before_found" for f in findings)
    assert sum(f.rectified_on is not None for f in findings) > 0.6 * len(findings)
    assert sum(f.feedback_on is None for f in findings) > 0.05 * len(findings)  # never replied
    assert {f.result for f in findings} == {"通过", "未通过", None}
    state = findings[0].state(findings[0].found)
    assert state["rectified"] is None or state["rectified"] <= findings[0].found


def test_version_table_views():
    table = VersionTable(np.array([0, 1, 0, 2]), np.array([10, 11, 20, 21]), {"v": np.array([1, 2, 3, 4])})
    first, lo, hi = table.history(0, 100, None, None)
    assert (first, lo, hi) == (0, 0, 4)
    assert table.history(0, 100, 15, None)[2] == 2  # now=15 hides the later versions
    assert table.history(0, 100, None, table.key(11, 1))[1] == 2  # strictly after the cursor
    assert table.latest(0, 100, None).tolist() == [1, 2, 3]  # entity 0 appears as its newest version
    assert table.latest(0, 100, 15).tolist() == [0, 1]


def test_tickets_generate_column_wise_fast(reference):
    # 1,000,000 tickets take a few seconds the same way (python -m simulator bench --tickets 1000000).
    started = time.perf_counter()
    big = generate(7, reference=reference, n_tickets=200_000, n_events=10, n_findings=10)
    assert time.perf_counter() - started < 20
    assert len(big.hotline.versions) > 700_000
    since = datetime(2026, 9, 6, 16, tzinfo=UTC)
    first, lo, hi = big.hotline.versions.history(int(since.timestamp()), int((since + timedelta(days=1)).timestamp()),
                                                 None, None)
    assert 1_000 < hi - first < 8_000


@pytest.mark.skipif(not (REPO_ROOT / "etl/reference/jiangmen/areas.csv").is_file(), reason="no Jiangmen reference set")
def test_the_jiangmen_reference_set_drives_the_names():
    ref = load_reference(REPO_ROOT / "etl/reference/jiangmen")
    data = generate(7, reference=ref, weeks=1)
    rows = data.hotline.native_rows(np.arange(200))
    known = {a.name for a in ref.towns} | {x for a in ref.towns for x in a.aliases} | {"新城街道"}
    assert {r["town"] for r in rows} <= known
    assert {"会城街道", "蓬江区"} <= {a.name for a in ref.towns} | {a.name for a in ref.districts}
