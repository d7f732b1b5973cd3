"""Sources for integration tests: the simulator over real HTTP and a drop folder, for the first demo week."""

from datetime import date

import pytest


@pytest.fixture
def demo_sources(tmp_path):
    """`AIRFLOW_CONN_*` settings of a running simulator (two demo weeks) and a drop folder with week one's files."""
    from simulator import connection_env, demo_campaign

    campaign = demo_campaign(seed=7, weeks=2)
    drop = tmp_path / "drop"
    campaign.write_drop_files(drop, until=date(2026, 9, 13))
    with campaign.serve() as base_url:
        yield connection_env(base_url, drop)
