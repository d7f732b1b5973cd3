"""The published figures, worked out by hand on a small dataset that hits every edge, on both engines.

Campaign start Monday 2026-03-02; four weeks (local time, Asia/Shanghai):
W1 = 03-02..03-08 (2026-W10), W2 = 03-09..03-15, W3 = 03-16..03-22, W4 = 03-23..03-29.
A week's cutoff E is Sunday 24:00 local: E1 = 03-09 00:00, E2 = 03-16, E3 = 03-23, E4 = 03-30.
List sizes (core.settings): red departments 2, black departments 1, districts and towns 1 / 1.

Areas: D1 蓬江区 (towns T1 环市街道, T2 棠下镇), D2 江海区 (T3 外海街道), D3 新会区 (T4 会城街道).
Municipal departments: UM 城管局, TP 交警, MR 市场监管局, HC 住建局, TR 交通运输局; plus a town government.

Problems (F = inspection finding, H = 12345 ticket, P = patrol report), local dates:

| id  | found          | area  | dept | due            | history                                              |
|-----|----------------|-------|------|----------------|------------------------------------------------------|
| F00 | 02-25 (before) | D3/T4 | MR   | 03-04          | never rectified, no feedback                         |
| F01 | 03-02          | D1/T1 | UM   | 03-06          | rectified 03-05                                      |
| F02 | 03-03          | D1/T1 | TP   | 03-13          | rectified 03-06, re-inspection 03-11 failed,         |
|     |                |       |      |                | rectified again 03-17, passed 03-20 (3 uploads)      |
| F03 | 03-03          | D2/T3 | TP   | 03-13          | feedback, never rectified                            |
| F04 | 03-04          | D2/T3 | HC   | 03-13          | rectified 03-07                                      |
| F05 | 03-04          | D3/T4 | HC   | 03-13          | no feedback                                          |
| F06 | 03-05          | D3/T4 | MR   | 03-08 (Sunday) | no feedback                                          |
| H01 | 03-08 23:59    | D1/T2 | MR   | 03-13 18:00    | Sunday night: still W1. Signed 03-10, closed         |
|     |                |       |      |                | 03-12 15:00, rated basically satisfied               |
| H03 | 03-05          | D1/T1 | UM   | 03-12          | duplicate 03-06: out of every denominator            |
| H04 | 03-06          | D1/T2 | town | 03-20 14:00    | dispatched, cancelled 03-10 (after E1: still in W1)  |
| F07 | 03-09          | D1/T1 | MR   | 03-13          | rectified 03-13, on its deadline day                 |
| F08 | 03-10          | D2/T3 | MR   | 03-20          | feedback, never rectified                            |
| F09 | 03-10          | D1/T1 | UM   | 03-20          | rectified 03-12                                      |
| F10 | 03-11          | D1/T2 | TP   | 03-20          | rectified 03-14                                      |
| F11 | 03-11          | D2/T3 | TR   | 03-20          | rectified 03-13                                      |
| H05 | 03-10 09:00    | D1/T1 | HC   | 03-12 17:00    | closed exactly at 03-12 17:00 (on time), not rated   |
| P01 | 03-12 10:00    | D2/T3 | UM   | 03-19 10:00    | closed 03-14 16:00                                   |
| F12 | 03-16          | D3/T4 | MR   | 03-27          | no feedback                                          |
| F13 | 03-17          | D1/T1 | UM   | 03-27          | rectified 03-19                                      |
| F14 | 03-18          | D1/T1 | TP   | 03-27          | rectified 03-20                                      |
| H06 | 03-18 09:00    | D2/T3 | MR   | 03-25 09:00    | dispatched, never signed                             |

Not problems (category other), hotline figures only: H02 received 03-04, closed 03-05 (rated satisfied),
reopened 03-07, closed again 03-10 (re-rated dissatisfied); H07 received 03-24, closed 03-26, rated
dissatisfied 03-27. Nothing is found in W4, while four problems fall due in it.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

from etl import models
from tests.conftest import ENGINES
from tests.fixtures.golden.warehouse_rows import deadline, load, local, read

W1, W2, W3, W4 = "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"

AREAS = [
    {"area_code": "D1", "area_name": "蓬江区", "area_level": "district", "parent_code": None},
    {"area_code": "D2", "area_name": "江海区", "area_level": "district", "parent_code": None},
    {"area_code": "D3", "area_name": "新会区", "area_level": "district", "parent_code": None},
    {"area_code": "T1", "area_name": "环市街道", "area_level": "town", "parent_code": "D1"},
    {"area_code": "T2", "area_name": "棠下镇", "area_level": "town", "parent_code": "D1"},
    {"area_code": "T3", "area_name": "外海街道", "area_level": "town", "parent_code": "D2"},
    {"area_code": "T4", "area_name": "会城街道", "area_level": "town", "parent_code": "D3"},
]
DEPARTMENTS = [
    {"department_code": "UM", "department_name": "城管局", "department_kind": "municipal", "town_code": None},
    {"department_code": "TP", "department_name": "公安交警支队", "department_kind": "municipal", "town_code": None},
    {"department_code": "MR", "department_name": "市场监管局", "department_kind": "municipal", "town_code": None},
    {"department_code": "HC", "department_name": "住建局", "department_kind": "municipal", "town_code": None},
    {"department_code": "TR", "department_name": "交通运输局", "department_kind": "municipal", "town_code": None},
    {"department_code": "TG2", "department_name": "棠下镇政府", "department_kind": "town", "town_code": "T2"},
]
CATEGORIES = [
    {"category_code": "sanitation", "category_name": "环境卫生", "category_name_en": "sanitation"},
    {"category_code": "illegal_parking", "category_name": "违停", "category_name_en": "illegal parking"},
    {"category_code": "street_occupation", "category_name": "占道经营", "category_name_en": "street occupation"},
    {"category_code": "illegal_structure", "category_name": "违章搭建", "category_name_en": "illegal structures"},
    {"category_code": "municipal_facility", "category_name": "市政设施", "category_name_en": "municipal facilities"},
    {"category_code": "other", "category_name": "其他", "category_name_en": "other"},
]
SITE_TYPES = [{"site_type_code": "main_road", "site_type_name": "主次干道"}]
EVENT_CATEGORIES = [
    {"event_category_code": "ev01", "event_category_name": "文明宣传"},
    {"event_category_code": "ev02", "event_category_name": "志愿服务"},
    {"event_category_code": "ev03", "event_category_name": "环境清洁"},
]
SETTINGS = [
    {"key": "campaign_start", "value": 20260302},
    {"key": "red_departments", "value": 2}, {"key": "black_departments", "value": 1},
    {"key": "red_districts", "value": 1}, {"key": "black_districts", "value": 1},
    {"key": "red_towns", "value": 1}, {"key": "black_towns", "value": 1},
]

# Drop files: (sha, name, processed at local time). Each finding's rows name the file they came in.
FILES = {
    "w09": ("sha-w09", "第9周督查.xlsx", "2026-03-02 08:00"),
    "w10": ("sha-w10", "第10周督查.xlsx", "2026-03-09 07:00"),
    "w11": ("sha-w11", "第11周督查.xlsx", "2026-03-16 07:00"),
    "w12": ("sha-w12", "第12周督查.xlsx", "2026-03-23 07:00"),
}


def _finding(finding_id, file, found, area, dept, category, due, *, feedback=False, rectified=None,
             reinspected=None, passed=None):
    district, town = area
    sha, name, _ = FILES[file]
    return {
        "finding_id": finding_id, "file_sha256": sha, "file_name": name, "notice_id": f"DB-{file}",
        "found_at": local(found), "district_code": district, "town_code": town, "site_type_code": "main_road",
        "site_name": f"{finding_id} 点位", "category_code": category, "department_code": dept,
        "due_at": deadline(due), "has_feedback": feedback, "rectified_at": rectified and local(rectified),
        "reinspected_at": reinspected and local(reinspected), "reinspection_passed": passed,
    }


D1T1, D1T2, D2T3, D3T4 = ("D1", "T1"), ("D1", "T2"), ("D2", "T3"), ("D3", "T4")

FINDINGS = [
    _finding("F00", "w09", "2026-02-25", D3T4, "MR", "street_occupation", "2026-03-04"),
    _finding("F01", "w10", "2026-03-02", D1T1, "UM", "sanitation", "2026-03-06", feedback=True,
             rectified="2026-03-05"),
    # F02 uploaded three times: the re-inspection fails, then it is rectified again and passes.
    _finding("F02", "w10", "2026-03-03", D1T1, "TP", "illegal_parking", "2026-03-13", feedback=True,
             rectified="2026-03-06"),
    _finding("F02", "w11", "2026-03-03", D1T1, "TP", "illegal_parking", "2026-03-13", feedback=True,
             rectified="2026-03-06", reinspected="2026-03-11", passed=False),
    _finding("F02", "w12", "2026-03-03", D1T1, "TP", "illegal_parking", "2026-03-13", feedback=True,
             rectified="2026-03-17", reinspected="2026-03-20", passed=True),
    _finding("F03", "w10", "2026-03-03", D2T3, "TP", "illegal_parking", "2026-03-13", feedback=True),
    _finding("F04", "w10", "2026-03-04", D2T3, "HC", "illegal_structure", "2026-03-13", feedback=True,
             rectified="2026-03-07"),
    _finding("F05", "w10", "2026-03-04", D3T4, "HC", "illegal_structure", "2026-03-13"),
    _finding("F06", "w10", "2026-03-05", D3T4, "MR", "street_occupation", "2026-03-08"),
    _finding("F07", "w11", "2026-03-09", D1T1, "MR", "street_occupation", "2026-03-13", feedback=True,
             rectified="2026-03-13"),
    _finding("F08", "w11", "2026-03-10", D2T3, "MR", "street_occupation", "2026-03-20", feedback=True),
    _finding("F09", "w11", "2026-03-10", D1T1, "UM", "sanitation", "2026-03-20", feedback=True,
             rectified="2026-03-12"),
    _finding("F10", "w11", "2026-03-11", D1T2, "TP", "illegal_parking", "2026-03-20", feedback=True,
             rectified="2026-03-14"),
    _finding("F11", "w11", "2026-03-11", D2T3, "TR", "municipal_facility", "2026-03-20", feedback=True,
             rectified="2026-03-13"),
    _finding("F12", "w12", "2026-03-16", D3T4, "MR", "street_occupation", "2026-03-27"),
    _finding("F13", "w12", "2026-03-17", D1T1, "UM", "sanitation", "2026-03-27", feedback=True,
             rectified="2026-03-19"),
    _finding("F14", "w12", "2026-03-18", D1T1, "TP", "illegal_parking", "2026-03-27", feedback=True,
             rectified="2026-03-20"),
]
PROCESSED_FILES = [
    {"file_sha256": sha, "file_name": name, "processed_at": local(at)} for sha, name, at in FILES.values()
]


def _ticket(ticket_id, channel, category, area, dept, received, deadline_at, versions):
    """One staging row per (version time, status, closed time, satisfaction)."""
    district, town = area
    return [
        {
            "ticket_id": ticket_id, "version_at": local(at), "channel": channel, "status": status,
            "received_at": local(received), "category_code": category, "district_code": district,
            "town_code": town, "department_code": dept, "deadline_at": local(deadline_at),
            "closed_at": closed and local(closed), "satisfaction": satisfaction, "address": f"{ticket_id} 地址",
        }
        for at, status, closed, satisfaction in versions
    ]


TICKETS = [
    *_ticket("H01", "12345", "sanitation", D1T2, "MR", "2026-03-08 23:59", "2026-03-13 18:00", [
        ("2026-03-08 23:59", "received", None, None),
        ("2026-03-09 10:00", "dispatched", None, None),
        ("2026-03-10 09:00", "in_progress", None, None),
        ("2026-03-12 15:00", "closed", "2026-03-12 15:00", None),
        ("2026-03-12 20:00", "closed", "2026-03-12 15:00", "basically_satisfied"),
    ]),
    *_ticket("H02", "12345", "other", D2T3, "UM", "2026-03-04 10:00", "2026-03-11 10:00", [
        ("2026-03-04 10:00", "received", None, None),
        ("2026-03-05 11:00", "closed", "2026-03-05 11:00", "satisfied"),
        ("2026-03-07 09:00", "reopened", None, "satisfied"),
        ("2026-03-10 16:00", "closed", "2026-03-10 16:00", "dissatisfied"),
    ]),
    *_ticket("H03", "app", "sanitation", D1T1, "UM", "2026-03-05 08:00", "2026-03-12 08:00", [
        ("2026-03-05 08:00", "received", None, None),
        ("2026-03-06 09:00", "duplicate", None, None),
    ]),
    *_ticket("H04", "12345", "illegal_parking", D1T2, "TG2", "2026-03-06 14:00", "2026-03-20 14:00", [
        ("2026-03-06 14:00", "received", None, None),
        ("2026-03-06 15:00", "dispatched", None, None),
        ("2026-03-10 09:00", "cancelled", None, None),
    ]),
    *_ticket("H05", "12345", "sanitation", D1T1, "HC", "2026-03-10 09:00", "2026-03-12 17:00", [
        ("2026-03-10 09:00", "received", None, None),
        ("2026-03-11 08:00", "in_progress", None, None),
        ("2026-03-12 17:00", "closed", "2026-03-12 17:00", None),
    ]),
    *_ticket("P01", "patrol", "street_occupation", D2T3, "UM", "2026-03-12 10:00", "2026-03-19 10:00", [
        ("2026-03-12 10:00", "received", None, None),
        ("2026-03-12 11:00", "dispatched", None, None),
        ("2026-03-13 09:00", "in_progress", None, None),
        ("2026-03-14 16:00", "closed", "2026-03-14 16:00", None),
    ]),
    *_ticket("H06", "12345", "illegal_parking", D2T3, "MR", "2026-03-18 09:00", "2026-03-25 09:00", [
        ("2026-03-18 09:00", "received", None, None),
        ("2026-03-18 10:00", "dispatched", None, None),
    ]),
    *_ticket("H07", "12345", "other", D3T4, None, "2026-03-24 10:00", "2026-03-31 10:00", [
        ("2026-03-24 10:00", "received", None, None),
        ("2026-03-26 10:00", "closed", "2026-03-26 10:00", None),
        ("2026-03-27 09:00", "closed", "2026-03-26 10:00", "dissatisfied"),
    ]),
]


def _event(event_id, status, category, organizer, district, start, updated, participants, volunteers, hours):
    return {
        "event_id": event_id, "updated_at": local(updated), "title": f"活动 {event_id}", "category_code": category,
        "organizer": organizer, "district_code": district, "start_at": local(start), "participants": participants,
        "volunteers": volunteers, "volunteer_hours": hours, "status": status,
    }


EVENTS = [
    _event("E01", "held", "ev01", "市文明办", "D1", "2026-03-03 09:00", "2026-03-03 12:00", 100, 20, 40.0),
    _event("E02", "held", "ev02", "蓬江区志愿者协会", "D1", "2026-03-08 23:30", "2026-03-09 01:00", 30, 30, 60.5),
    _event("E03", "cancelled", "ev01", "市文明办", "D1", "2026-03-10 09:00", "2026-03-10 12:00", 50, 10, 20.0),
    _event("E04", "held", "ev01", "市文明办", "D1", "2026-03-17 10:00", "2026-03-17 18:00", 80, 10, 25.0),
    _event("E05", "planned", "ev03", "新会区文明办", "D3", "2026-03-25 09:00", "2026-03-20 09:00", 60, 20, 0.0),
    _event("E06", "held", "ev03", "新会区文明办", "D3", "2026-03-24 09:00", "2026-03-25 09:00", 45, 45, 90.0),
]

REFERENCE = {
    "core.dim_area": AREAS, "core.dim_department": DEPARTMENTS, "core.dim_category": CATEGORIES,
    "core.dim_site_type": SITE_TYPES, "core.dim_event_category": EVENT_CATEGORIES, "core.settings": SETTINGS,
}


def _load_golden(engine: sa.Engine, known_before: str | None = None) -> None:
    """Load the dataset; with `known_before` (local time), only what the warehouse had received by then."""
    cutoff = local(known_before) if known_before else None
    known_files = {sha for sha, _, at in FILES.values() if cutoff is None or local(at) < cutoff}
    load(engine, {
        **REFERENCE,
        "audit.processed_files": [f for f in PROCESSED_FILES if f["file_sha256"] in known_files],
        "staging.inspection_finding_versions": [f for f in FINDINGS if f["file_sha256"] in known_files],
        "staging.hotline_ticket_versions": [t for t in TICKETS if cutoff is None or t["version_at"] < cutoff],
        "staging.events": [e for e in EVENTS if cutoff is None or e["updated_at"] < cutoff],
    })
    models.build(engine)


@pytest.fixture
def golden(engine: sa.Engine) -> sa.Engine:
    _load_golden(engine)
    return engine


def _rows(engine: sa.Engine, sql: str, **params) -> list[tuple]:
    frame = read(engine, sql, **params)
    return [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]


def _plain(value):
    """Plain comparable values: NULL/NaN/NaT -> None, floats rounded, dates and times as ISO text."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()[:10] if len(value.isoformat()) <= 10 else value.isoformat()
    return value


def _rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 6)


MEASURES = ("n_found, n_rectified, rectification_rate, n_found_cumulative, n_rectified_cumulative, "
            "cumulative_rectification_rate, n_due, n_rectified_on_time, on_time_rate")


def _measures(found, rectified, found_cum, rectified_cum, due, on_time) -> tuple:
    return (found, rectified, _rate(rectified, found), found_cum, rectified_cum, _rate(rectified_cum, found_cum),
            due, on_time, _rate(on_time, due))


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_weeks_run_from_the_campaign_start_to_the_latest_data(golden: sa.Engine) -> None:
    # campaign_start 20260302 -> first Monday 03-02; the latest data is H07's rating on 03-27 (W4).
    assert _rows(golden, "select week_start, iso_year, iso_week, week_index, week_start_utc, week_end_utc "
                         "from core.dim_week order by week_start") == [
        ("2026-03-02", 2026, 10, 1, "2026-03-01T16:00:00", "2026-03-08T16:00:00"),
        ("2026-03-09", 2026, 11, 2, "2026-03-08T16:00:00", "2026-03-15T16:00:00"),
        ("2026-03-16", 2026, 12, 3, "2026-03-15T16:00:00", "2026-03-22T16:00:00"),
        ("2026-03-23", 2026, 13, 4, "2026-03-22T16:00:00", "2026-03-29T16:00:00"),
    ]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_problems_and_their_rectified_intervals(golden: sa.Engine) -> None:
    problems = read(golden, "select * from core.fct_problem").set_index("problem_id")
    # 15 findings + H01, H03, H04, H05, H06 + patrol P01; H02 and H07 are category other.
    assert sorted(problems.index) == sorted(
        [f"inspection:F{i:02d}" for i in range(15)]
        + [f"hotline:H0{i}" for i in (1, 3, 4, 5, 6)] + ["patrol:P01"]
    )
    assert problems.loc["patrol:P01", "source"] == "patrol"
    assert bool(problems.loc["hotline:H03", "is_excluded"]) and bool(problems.loc["hotline:H04", "is_excluded"])
    assert problems.loc["inspection:F02", "notice_id"] == "DB-w12"  # the latest upload wins
    # F02 is rectified again since 03-17 (the last rectification), as currently known.
    assert str(problems.loc["inspection:F02", "rectified_at"]) == "2026-03-16 16:00:00"
    assert bool(problems.loc["inspection:F02", "is_rectified"])
    assert not bool(problems.loc["inspection:F03", "is_rectified"])
    assert _rows(golden, "select rectified_from, rectified_until from core.fct_problem_rectified_interval "
                         "where problem_id = 'inspection:F02' order by rectified_from") == [
        # [03-06, 03-11) and [03-17, open): local midnights, stored in UTC.
        ("2026-03-05T16:00:00", "2026-03-10T16:00:00"),
        ("2026-03-16T16:00:00", None),
    ]
    # H02 (not a problem) in the ticket history: closed, reopened, closed again, rated twice.
    assert _rows(golden, "select event_type, status_after, satisfaction from core.fct_hotline_ticket_status_event "
                         "where ticket_id = 'H02' order by event_seq") == [
        ("received", "received", None), ("closed", "closed", None), ("rated", "closed", "satisfied"),
        ("reopened", "reopened", None), ("closed", "closed", None), ("rated", "closed", "dissatisfied"),
    ]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_weekly_rectification_total(golden: sa.Engine) -> None:
    # n_found / n_rectified: found in the week, not cancelled/duplicate at its end; rectified as of its end.
    #   W1: F01..F06, H01 (Sunday 23:59 is still W1), H04 (cancelled only in W2) = 8; H03 (duplicate 03-06) out.
    #       Rectified at E1: F01, F02 (its reopening on 03-11 is after E1), F04 = 3.
    #   W2: F07..F11, H05, P01 = 7; all but F08 rectified by E2 (F07 on 03-13, P01 on 03-14) = 6.
    #   W3: F12, F13, F14, H06 = 4; F13, F14 rectified = 2.   W4: nothing found -> rate NULL.
    # Cumulative from 03-02 (F00, found 02-25, is before the campaign):
    #   E1: 8 / 3.  E2: W1's 9 minus H03 and H04 (cancelled by now) = 7, + 7 = 14; rectified F01, F04, H01
    #       (F02 reopened) + 6 = 9.  E3: 14 + 4 = 18; F02 is rectified again (03-17): 4 + 6 + 2 = 12.  E4: same.
    # Due (deadline in the week, on time = rectified as of the deadline):
    #   W1: F00 no, F01 yes (03-05), F06 no -> 3 / 1.
    #   W2: F02 no (reopened 03-11), F03 no, F04 yes, F05 no, F07 yes (rectified on its deadline day),
    #       H01 yes, H05 yes (closed exactly at its deadline); H03 is a duplicate -> 7 / 4.
    #   W3: F08 no, F09, F10, F11, P01 yes; H04 cancelled -> 5 / 4.   W4: F12 no, F13, F14 yes, H06 no -> 4 / 2.
    assert _rows(golden, f"select week_start, {MEASURES} from mart.weekly_rectification_total "
                         "order by week_start") == [
        (W1, *_measures(8, 3, 8, 3, 3, 1)),
        (W2, *_measures(7, 6, 14, 9, 7, 4)),
        (W3, *_measures(4, 2, 18, 12, 5, 4)),
        (W4, *_measures(0, 0, 18, 12, 4, 2)),
    ]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_weekly_rectification_by_area(golden: sa.Engine) -> None:
    rows = _rows(golden, f"select week_start, area_level, area_code, area_name, parent_area_name, {MEASURES} "
                         "from mart.weekly_rectification_by_area order by week_start, area_level, area_code")
    assert len(rows) == 4 * 7  # every district and town of the reference, every week
    by_key = {(r[0], r[2]): r for r in rows}
    # D1 in W1: F01 yes, F02 yes, H01 no, H04 no (H03 out) -> 4 / 2; due: F01 on time -> 1 / 1.
    assert by_key[(W1, "D1")] == (W1, "district", "D1", "蓬江区", None, *_measures(4, 2, 4, 2, 1, 1))
    # D1 in W2: F07, F09, F10, H05 all rectified -> 4 / 4. Cumulative at E2: F01, F02 (reopened), H01
    # (H03, H04 out) + 4 -> 7 / 6. Due in W2: F02 no, F07, H01, H05 yes -> 4 / 3.
    assert by_key[(W2, "D1")][5:] == _measures(4, 4, 7, 6, 4, 3)
    # D3 in W2: nothing found (rate NULL); cumulative F05, F06 open -> 2 / 0; due F05 -> 1 / 0.
    assert by_key[(W2, "D3")][5:] == _measures(0, 0, 2, 0, 1, 0)
    # A town row names its district.
    assert by_key[(W3, "T4")][:5] == (W3, "town", "T4", "会城街道", "新会区")
    # T3 in W3: H06 open -> 1 / 0; cumulative F03, F04, F08, F11, P01, H06 -> 6 / 3 (F04, F11, P01);
    # due in W3: F08 no, F11 yes, P01 yes -> 3 / 2.
    assert by_key[(W3, "T3")][5:] == _measures(1, 0, 6, 3, 3, 2)


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_weekly_rectification_by_department(golden: sa.Engine) -> None:
    rows = {(r[0], r[1]): r for r in _rows(
        golden, f"select week_start, department_code, department_name, department_kind, {MEASURES} "
                "from mart.weekly_rectification_by_department")}
    assert len(rows) == 4 * 6
    # MR in W1: F06, H01 open -> 2 / 0; due W1: F00 (found before the campaign, still due), F06 -> 2 / 0.
    assert rows[(W1, "MR")] == (W1, "MR", "市场监管局", "municipal", *_measures(2, 0, 2, 0, 2, 0))
    # The town government's only problem H04 is cancelled in W2: counted in W1, gone from E2 on.
    assert rows[(W1, "TG2")][4:] == _measures(1, 0, 1, 0, 0, 0)
    assert rows[(W2, "TG2")][4:] == _measures(0, 0, 0, 0, 0, 0)
    # TR has no problem in W1: zeros, NULL rates.
    assert rows[(W1, "TR")][4:] == _measures(0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_red_black_list(golden: sa.Engine) -> None:
    rows = _rows(golden, 'select week_start, unit_kind, unit_code, n_found, n_rectified, "rank", n_ranked, "list", '
                         "consecutive_black_weeks, escalation from mart.red_black_list "
                         "order by week_start, unit_kind, \"rank\", unit_code")
    expected = [
        # W1 departments: UM 1/1 (H03 out), TP 1/2, HC 1/2, MR 0/2; TR found nothing -> not ranked.
        # Red size 2: TP and HC tie at rank 2, both red. Black size 1: MR, first week -> 市领导约谈.
        (W1, "department", "UM", 1, 1, 1, 4, "red", 0, None),
        (W1, "department", "HC", 2, 1, 2, 4, "red", 0, None),
        (W1, "department", "TP", 2, 1, 2, 4, "red", 0, None),
        (W1, "department", "MR", 2, 0, 4, 4, "black", 1, "市领导约谈"),
        # W1 districts: D1 2/4 and D2 1/2 tie for first (both red); D3 0/2 black.
        (W1, "district", "D1", 4, 2, 1, 3, "red", 0, None),
        (W1, "district", "D2", 2, 1, 1, 3, "red", 0, None),
        (W1, "district", "D3", 2, 0, 3, 3, "black", 1, "市领导约谈"),
        # W1 towns: T1 2/2 red; T3 1/2; T2 0/2 and T4 0/2 tie for last, both black.
        (W1, "town", "T1", 2, 2, 1, 4, "red", 0, None),
        (W1, "town", "T3", 2, 1, 2, 4, None, 0, None),
        (W1, "town", "T2", 2, 0, 3, 4, "black", 1, "市领导约谈"),
        (W1, "town", "T4", 2, 0, 3, 4, "black", 1, "市领导约谈"),
        # W2 departments: HC, TP, TR, UM all 100% (rank 1, red); MR 1/2 black, second week running.
        (W2, "department", "HC", 1, 1, 1, 5, "red", 0, None),
        (W2, "department", "TP", 1, 1, 1, 5, "red", 0, None),
        (W2, "department", "TR", 1, 1, 1, 5, "red", 0, None),
        (W2, "department", "UM", 2, 2, 1, 5, "red", 0, None),
        (W2, "department", "MR", 2, 1, 5, 5, "black", 2, "组织部约谈"),
        # W2 districts: D3 found nothing (not ranked); D1 4/4 red, D2 2/3 black (first time).
        (W2, "district", "D1", 4, 4, 1, 2, "red", 0, None),
        (W2, "district", "D2", 3, 2, 2, 2, "black", 1, "市领导约谈"),
        # W2 towns: T1 3/3, T2 1/1 red; T3 2/3 black; T4 not ranked.
        (W2, "town", "T1", 3, 3, 1, 3, "red", 0, None),
        (W2, "town", "T2", 1, 1, 1, 3, "red", 0, None),
        (W2, "town", "T3", 3, 2, 3, 3, "black", 1, "市领导约谈"),
        # W3 departments: TP, UM 1/1 red; MR 0/2 black for the third week running -> 问责.
        (W3, "department", "TP", 1, 1, 1, 3, "red", 0, None),
        (W3, "department", "UM", 1, 1, 1, 3, "red", 0, None),
        (W3, "department", "MR", 2, 0, 3, 3, "black", 3, "问责"),
        # W3 districts: D1 2/2 red; D2 0/1 and D3 0/1 tie for last. D2 is black the second week running;
        # D3 was black in W1 but not ranked in W2, which breaks the run: first week again.
        (W3, "district", "D1", 2, 2, 1, 3, "red", 0, None),
        (W3, "district", "D2", 1, 0, 2, 3, "black", 2, "组织部约谈"),
        (W3, "district", "D3", 1, 0, 2, 3, "black", 1, "市领导约谈"),
        # W3 towns: the same story with T3 (black W2, W3) and T4 (black W1, unranked W2, black W3).
        (W3, "town", "T1", 2, 2, 1, 3, "red", 0, None),
        (W3, "town", "T3", 1, 0, 2, 3, "black", 2, "组织部约谈"),
        (W3, "town", "T4", 1, 0, 2, 3, "black", 1, "市领导约谈"),
        # W4: nothing found, nobody ranked.
    ]
    assert rows == expected


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_overdue_problems(golden: sa.Engine) -> None:
    # Open at the week's end (not rectified, not cancelled) with the deadline (local 23:59:59) passed;
    # days = whole days from the deadline to Sunday 24:00. 未反馈 = no reply by then.
    #   E1 (03-09 00:00): F00 due 03-04 -> 4 days; F06 due Sunday 03-08 -> 0 days (1 second late).
    #   E2: F00 11, F06 7, F02 2 (reopened 03-11; had replied), F03 2 (replied), F05 2 (no reply).
    #   E3: F00 18, F06 14, F03 9, F05 9, F08 2 (F02 rectified again, H04 cancelled).
    #   E4: F00 25, F06 21, F03 16, F05 16, F08 9, F12 2, H06 4 (deadline 03-25 09:00; only dispatched: 未反馈).
    rows = _rows(golden, "select week_start, problem_id, days_overdue, overdue_kind from mart.overdue_problems "
                         "order by week_start, problem_id")
    assert rows == [
        (W1, "inspection:F00", 4, "未反馈"), (W1, "inspection:F06", 0, "未反馈"),
        (W2, "inspection:F00", 11, "未反馈"), (W2, "inspection:F02", 2, "未整改"),
        (W2, "inspection:F03", 2, "未整改"), (W2, "inspection:F05", 2, "未反馈"), (W2, "inspection:F06", 7, "未反馈"),
        (W3, "inspection:F00", 18, "未反馈"), (W3, "inspection:F03", 9, "未整改"),
        (W3, "inspection:F05", 9, "未反馈"), (W3, "inspection:F06", 14, "未反馈"), (W3, "inspection:F08", 2, "未整改"),
        (W4, "hotline:H06", 4, "未反馈"), (W4, "inspection:F00", 25, "未反馈"), (W4, "inspection:F03", 16, "未整改"),
        (W4, "inspection:F05", 16, "未反馈"), (W4, "inspection:F06", 21, "未反馈"),
        (W4, "inspection:F08", 9, "未整改"), (W4, "inspection:F12", 2, "未反馈"),
    ]
    detail = _rows(golden, "select source, district_name, town_name, site_name, category_name, department_name "
                           "from mart.overdue_problems where week_start = :w and problem_id = 'hotline:H06'", w=W4)
    assert detail == [("hotline", "江海区", "外海街道", "H06 地址", "违停", "市场监管局")]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_hotline_weekly(golden: sa.Engine) -> None:
    # Citizen channels only (P01 is a patrol report). Received in the week, as of its end:
    #   W1: H01, H02, H04 (H03 duplicate: out) -> 3; closed at E1: none (H02 was reopened 03-07) -> 0.
    #   W2: H05, closed 03-12 -> 1 / 1.  W3: H06 open -> 1 / 0.  W4: H07 closed 03-26 -> 1 / 1.
    # Due: W2: H02 (closed again 03-10, before 03-11 10:00), H01, H05 (closed exactly at the deadline) -> 3 / 3;
    #   H03 (duplicate) out. W3: H04 cancelled -> 0, NULL. W4: H06 not closed -> 1 / 0. H07 is due in W5.
    # Ratings given in the week: W1 H02 satisfied -> 1 / 1. W2 H02 re-rated dissatisfied, H01 basically
    #   satisfied -> 2 / 1. W3 none. W4 H07 dissatisfied -> 1 / 0. H05 was never rated: in no count.
    rows = _rows(golden, "select week_start, n_received, n_closed, closure_rate, n_due, n_closed_on_time, "
                         "on_time_closure_rate, n_rated, n_satisfied, satisfaction_rate "
                         "from mart.hotline_weekly order by week_start")
    assert rows == [
        (W1, 3, 0, 0.0, 0, 0, None, 1, 1, 1.0),
        (W2, 1, 1, 1.0, 3, 3, 1.0, 2, 1, 0.5),
        (W3, 1, 0, 0.0, 0, 0, None, 0, 0, None),
        (W4, 1, 1, 1.0, 1, 0, 0.0, 1, 0, 0.0),
    ]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_activities_weekly(golden: sa.Engine) -> None:
    # Held events by the week of their start: E02 starts Sunday 23:30 (W1). E03 is cancelled and E05 only
    # planned: neither counts. A combination has a row every week from its first event on.
    rows = _rows(golden, "select week_start, district_name, category, organizer, n_events, n_participants, "
                         "n_volunteers, volunteer_hours, n_events_cumulative, n_participants_cumulative, "
                         "n_volunteers_cumulative, volunteer_hours_cumulative from mart.activities_weekly")
    # Sorted here, by code point: the engines' collations order Chinese text differently.
    assert sorted(rows, key=lambda r: (r[3], r[0])) == [
        (W1, "蓬江区", "文明宣传", "市文明办", 1, 100, 20, 40.0, 1, 100, 20, 40.0),
        (W2, "蓬江区", "文明宣传", "市文明办", 0, 0, 0, 0.0, 1, 100, 20, 40.0),
        (W3, "蓬江区", "文明宣传", "市文明办", 1, 80, 10, 25.0, 2, 180, 30, 65.0),
        (W4, "蓬江区", "文明宣传", "市文明办", 0, 0, 0, 0.0, 2, 180, 30, 65.0),
        (W4, "新会区", "环境清洁", "新会区文明办", 1, 45, 45, 90.0, 1, 45, 45, 90.0),
        (W1, "蓬江区", "志愿服务", "蓬江区志愿者协会", 1, 30, 30, 60.5, 1, 30, 30, 60.5),
        (W2, "蓬江区", "志愿服务", "蓬江区志愿者协会", 0, 0, 0, 0.0, 1, 30, 30, 60.5),
        (W3, "蓬江区", "志愿服务", "蓬江区志愿者协会", 0, 0, 0, 0.0, 1, 30, 30, 60.5),
        (W4, "蓬江区", "志愿服务", "蓬江区志愿者协会", 0, 0, 0, 0.0, 1, 30, 30, 60.5),
    ]
    cancelled = _rows(golden, "select participants, is_held from core.fct_event where event_id = 'E03'")
    assert cancelled == [(0, False)]


WEEK_ONE_QUERIES = {
    "total": f"select {MEASURES} from mart.weekly_rectification_total where week_start = :w",
    "areas": f"select area_code, {MEASURES} from mart.weekly_rectification_by_area where week_start = :w "
             "order by area_code",
    "departments": f"select department_code, {MEASURES} from mart.weekly_rectification_by_department "
                   "where week_start = :w order by department_code",
    "ranking": 'select unit_kind, unit_code, "rank", n_ranked, "list", consecutive_black_weeks, escalation '
               "from mart.red_black_list where week_start = :w order by unit_kind, unit_code",
    "overdue": "select problem_id, days_overdue, overdue_kind from mart.overdue_problems where week_start = :w "
               "order by problem_id",
    "hotline": "select n_received, n_closed, n_due, n_closed_on_time, n_rated, n_satisfied "
               "from mart.hotline_weekly where week_start = :w",
    "activities": "select district_name, category, organizer, n_events, n_participants_cumulative "
                  "from mart.activities_weekly where week_start = :w order by organizer",
}


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_past_week_rebuilt_after_later_data_gives_the_figures_published_at_the_time(engine: sa.Engine) -> None:
    # Publish W1 on Monday 03-09 08:00 with only what had arrived by then (F02 uploaded once, rectified;
    # H04 dispatched; H01 just received) ...
    _load_golden(engine, known_before="2026-03-09 08:00")
    published = {name: _rows(engine, sql, w=W1) for name, sql in WEEK_ONE_QUERIES.items()}
    assert published["total"] == [_measures(8, 3, 8, 3, 3, 1)]
    # ... then three weeks later, after F02 failed its re-inspection and H04 was cancelled: W1 is unchanged.
    _load_golden(engine)
    rebuilt = {name: _rows(engine, sql, w=W1) for name, sql in WEEK_ONE_QUERIES.items()}
    assert rebuilt == published


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_every_mart_column_is_documented(golden: sa.Engine) -> None:
    for model in models.discover():
        if model.name.startswith("mart."):
            columns = list(read(golden, f"select * from {model.name} where 1 = 0").columns)
            assert set(columns) == set(model.columns), f"{model.name}: undocumented or stale @column lines"
            assert model.grain, f"{model.name} has no @grain"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_without_a_campaign_start_the_weeks_begin_with_the_earliest_data(engine: sa.Engine) -> None:
    # Without the setting, the first week is the one of the earliest data (F00, 02-25 -> Monday 02-23).
    load(engine, {**REFERENCE, "core.settings": [s for s in SETTINGS if s["key"] != "campaign_start"],
                  "audit.processed_files": PROCESSED_FILES, "staging.inspection_finding_versions": FINDINGS,
                  "staging.hotline_ticket_versions": TICKETS, "staging.events": EVENTS})
    models.build(engine)
    weeks = read(engine, "select week_start from core.dim_week order by week_start")["week_start"]
    assert [str(w)[:10] for w in weeks] == ["2026-02-23", W1, W2, W3, W4]
    total = read(engine, "select week_start, n_found, n_found_cumulative from mart.weekly_rectification_total "
                         "order by week_start")
    assert total.iloc[0].tolist()[1:] == [1, 1]  # F00 now counts, from its week on
    assert total.iloc[-1].tolist()[1:] == [0, 19]  # and in every cumulative figure after
