"""Week boundaries in local time: Sunday 23:59 is still the week, Monday 00:00 the next; ISO years."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from etl import models
from tests.conftest import ENGINES
from tests.fixtures.golden.warehouse_rows import load, local, read


def _ticket(ticket_id: str, received: str) -> dict:
    return {"ticket_id": ticket_id, "version_at": local(received), "channel": "12345", "status": "received",
            "received_at": local(received), "category_code": "sanitation", "district_code": "D1"}


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_weeks_follow_local_time_across_an_iso_year(engine: sa.Engine) -> None:
    load(engine, {
        "core.settings": [{"key": "campaign_start", "value": 20261224}],  # a Thursday: its week starts 12-21
        "staging.hotline_ticket_versions": [
            _ticket("sun-late", "2026-12-27 23:59:59"),  # Sunday night, local: week of 12-21
            _ticket("mon-early", "2026-12-28 00:00:00"),  # Monday 00:00 local (Sunday 16:00 UTC): 2026-W53
            _ticket("new-year", "2027-01-03 12:00"),  # still 2026-W53
            _ticket("w1", "2027-01-04 08:00"),  # 2027-W01
        ],
    })
    models.build(engine)
    weeks = read(engine, "select week_start, iso_year, iso_week, week_index from core.dim_week order by week_start")
    assert [(str(w)[:10], int(y), int(n), int(i)) for w, y, n, i in weeks.itertuples(index=False)] == [
        ("2026-12-21", 2026, 52, 1), ("2026-12-28", 2026, 53, 2), ("2027-01-04", 2027, 1, 3),
    ]
    received = read(engine, "select week_start, n_received from mart.hotline_weekly order by week_start")
    assert [int(n) for n in received["n_received"]] == [1, 2, 1]
    # The campaign's first week is the whole week of the start date; tickets count by local time.
    problems = read(engine, "select week_start, n_found, n_found_cumulative from mart.weekly_rectification_total "
                            "order by week_start")
    assert [(int(a), int(b)) for _, a, b in problems.itertuples(index=False)] == [(1, 1), (2, 3), (1, 4)]
