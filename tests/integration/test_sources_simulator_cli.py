"""The simulator as the demo runs it: `python -m simulator serve` and `drop-files`, and run-time control over HTTP."""

from __future__ import annotations

import subprocess
import sys

import requests

from etl.config import REPO_ROOT


def test_serve_on_a_free_port_and_control_faults_and_clock_over_http(tmp_path):
    from simulator.reference import write_sample_reference

    reference = write_sample_reference(tmp_path / "reference")
    server = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", "--seed", "7", "--reference", str(reference),
         "--weeks", "1", "--tickets", "50", "--token", "t0ken"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = server.stdout.readline()
        assert line.startswith("simulator on http://127.0.0.1:"), line
        base = line.split()[2]
        auth = {"Authorization": "Bearer t0ken"}
        assert requests.get(f"{base}/api/v1/tickets", timeout=5).status_code == 401
        assert len(requests.get(f"{base}/api/v1/tickets", headers=auth, timeout=5).json()["data"]) == 100
        assert requests.post(f"{base}/_faults", json={"script": ["503", "429"], "retry_after": 7},
                             timeout=5).json()["script"] == ["503", "429"]
        assert requests.get(f"{base}/api/v1/tickets", headers=auth, timeout=5).status_code == 503
        limited = requests.get(f"{base}/api/v1/tickets", headers=auth, timeout=5)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
        requests.post(f"{base}/_clock", json={"now": "2026-09-07T12:00:00+08:00"}, timeout=5)
        rows = requests.get(f"{base}/api/v1/tickets", headers=auth, params={"limit": 1000}, timeout=5).json()["data"]
        assert rows and max(r["updated_at"] for r in rows) <= "2026-09-07 12:00:00"
        assert requests.get(f"{base}/_stats", timeout=5).json()["fault:503"] == 1
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_drop_files_command_writes_the_weeks_up_to_a_date(tmp_path):
    from simulator.reference import write_sample_reference

    reference = write_sample_reference(tmp_path / "reference")
    out = tmp_path / "drop"
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "drop-files", "--out", str(out), "--until", "2026-09-20",
         "--reference", str(reference), "--findings", "40"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    assert "8 drop files" in done.stdout
    assert sorted({p.name[:8] for p in out.iterdir()}) == ["2026-W37", "2026-W38"]


def test_the_demo_campaign_serves_and_writes_week_by_week(tmp_path):
    from datetime import date

    from simulator import demo_campaign
    from simulator.reference import write_sample_reference

    campaign = demo_campaign(seed=3, weeks=2, reference=write_sample_reference(tmp_path / "reference"),
                             n_tickets=40, n_events=10, n_findings=16)
    with campaign.serve() as base_url:
        assert requests.get(f"{base_url}/_health", timeout=5).json() == {"ok": True}
        assert campaign.server is not None and campaign.server.base_url == base_url
    assert campaign.write_drop_files(tmp_path / "drop", until=date(2026, 9, 13)) == 4
    assert campaign.write_drop_files(tmp_path / "drop", until=date(2026, 9, 20)) == 8
