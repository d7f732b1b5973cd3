"""The demo campaign as `make demo` drives it: one seeded dataset, served over HTTP and written as drop files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from simulator.drop_files import write_drop_files
from simulator.generator import DEFAULT_START, DEFAULT_WEEKS, Dataset, generate
from simulator.server import Auth, Faults, SimulatorServer


@dataclass
class DemoCampaign:
    """A dataset with the two things the demo does with it."""

    dataset: Dataset
    server: SimulatorServer | None = field(default=None, repr=False)

    @contextmanager
    def serve(self, *, port: int = 0, faults: Faults | None = None, auth: Auth | None = None,
              now: datetime | None = None) -> Iterator[str]:
        """Serve the hotline, Open311 and events APIs on 127.0.0.1 (a free port by default); yields the base URL.
        `self.server` is the running server meanwhile (set_now, set_faults, stats)."""
        with SimulatorServer(self.dataset, port=port, faults=faults, auth=auth, now=now) as server:
            self.server = server
            try:
                yield server.base_url
            finally:
                self.server = None

    def write_drop_files(self, out: Path | str, until: date | None = None, *, with_bad_file: bool = False) -> int:
        """Write the groups' sheets of every week whose Sunday is on or before `until` (unchanged files are left
        alone); returns how many of them are in `out`."""
        return len(write_drop_files(self.dataset, out, until, with_bad_file=with_bad_file))


def demo_campaign(seed: int = 7, start: date = DEFAULT_START, weeks: int = DEFAULT_WEEKS, **knobs) -> DemoCampaign:
    """The demo campaign (10 ISO weeks from Monday 2026-09-07 by default); knobs go to `generate`."""
    return DemoCampaign(generate(seed, start=start, weeks=weeks, **knobs))


def connection_env(base_url: str, drop_dir: Path | str) -> dict[str, str]:
    """`AIRFLOW_CONN_*` values pointing the three source connections at a running simulator and a drop folder."""
    import json
    from urllib.parse import urlsplit

    url = urlsplit(base_url)
    http = {"conn_type": "http", "host": url.hostname, "port": url.port, "schema": url.scheme}
    return {
        "AIRFLOW_CONN_HOTLINE_API": json.dumps({**http, "extra": {"profile": "native"}}),
        "AIRFLOW_CONN_EVENTS_API": json.dumps(http),
        "AIRFLOW_CONN_INSPECTIONS_DROP": json.dumps({"conn_type": "fs", "extra": {"path": str(drop_dir)}}),
    }
