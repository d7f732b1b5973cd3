"""Records per second of each connector against the simulator, which runs in its own process (as a real
source would), over real HTTP on 127.0.0.1: `python -m simulator bench --tickets 100000`."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from etl.config import REPO_ROOT, SourceConfig


def run_bench(argv: list[str], *, start: datetime, weeks: int, page_size: int = 1000) -> dict[str, float]:
    """Start `python -m simulator serve <argv>` on a free port, pull everything once per connector, print
    and return records/s."""
    from etl.sources.events import EventsClient
    from etl.sources.hotline import HotlineClient

    logging.getLogger("etl.sources").setLevel(logging.WARNING)
    command = [sys.executable, "-m", "simulator", "serve", "--port", "0", "--max-page-size", str(page_size), *argv]
    server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("simulator on "):
            raise RuntimeError(f"the simulator did not start: {line!r}")
        base_url = line.split()[2]
        since = start.astimezone(UTC) - timedelta(days=1)
        until = since + timedelta(weeks=weeks + 4)
        figures = {}
        for name, client_type, extra in (
            ("hotline/native", HotlineClient, {}),
            ("hotline/open311", HotlineClient, {"profile": "open311"}),
            ("events", EventsClient, {}),
        ):
            cfg = SourceConfig(name, host=base_url, extra={**extra, "page_size": page_size})
            started = time.perf_counter()
            n = 0
            with client_type(cfg) as client:
                for page in client.iter_pages(since, until):
                    n += len(page)
            seconds = time.perf_counter() - started
            figures[name] = n / seconds if seconds else float("inf")
            print(f"{name:16s} {n:>10,d} records in {seconds:7.2f} s = {figures[name]:>8,.0f} records/s", flush=True)
        return figures
    finally:
        server.terminate()
        server.wait(timeout=10)
