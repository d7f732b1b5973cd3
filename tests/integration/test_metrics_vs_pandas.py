"""The marts agree with an independent pandas/Python computation of the same definitions on random data.

The reference below replays each problem's and ticket's history event by event (no intervals, no running
sums, no window functions), so it shares the definitions of DESIGN §6-7 with the SQL, not its tricks.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from etl import models
from tests.conftest import ENGINES
from tests.fixtures.golden.warehouse_rows import load, read

H8 = timedelta(hours=8)
DAY = timedelta(days=1)
CAMPAIGN_START = date(2026, 1, 5)  # a Monday
N_WEEKS = 10
ACTIVE = ("received", "dispatched", "in_progress")

AREAS = {"D1": ["T1", "T2"], "D2": ["T3"], "D3": ["T4", "T5"], "D4": ["T6"]}
MUNICIPAL = ["UM", "TP", "MR", "HC", "TR", "EE", "ED"]
TOWN_GOVERNMENTS = {"TG1": "T1", "TG4": "T4"}
CATEGORIES = ["sanitation", "illegal_parking", "street_occupation", "illegal_structure", "publicity", "other"]
EVENT_CATEGORIES = ["ev01", "ev02", "ev03"]
ORGANIZERS = ["市文明办", "团市委", "区志愿者协会"]
SIZES = {"red_departments": 2, "black_departments": 2, "red_districts": 1, "black_districts": 1,
         "red_towns": 2, "black_towns": 1}


def _local(day: date, minutes: int = 0) -> datetime:
    """Naive UTC of local midnight of `day` plus `minutes`."""
    return datetime.combine(day, datetime.min.time()) + timedelta(minutes=minutes) - H8


def _reference_rows() -> dict[str, list[dict]]:
    areas = [{"area_code": d, "area_name": f"区{d}", "area_level": "district", "parent_code": None} for d in AREAS]
    areas += [{"area_code": t, "area_name": f"镇{t}", "area_level": "town", "parent_code": d}
              for d, towns in AREAS.items() for t in towns]
    departments = [{"department_code": d, "department_name": f"局{d}", "department_kind": "municipal",
                    "town_code": None} for d in MUNICIPAL]
    departments += [{"department_code": g, "department_name": f"政府{g}", "department_kind": "town", "town_code": t}
                    for g, t in TOWN_GOVERNMENTS.items()]
    return {
        "core.dim_area": areas,
        "core.dim_department": departments,
        "core.dim_category": [{"category_code": c, "category_name": f"类{c}", "category_name_en": c}
                              for c in CATEGORIES],
        "core.dim_site_type": [{"site_type_code": "main_road", "site_type_name": "主次干道"}],
        "core.dim_event_category": [{"event_category_code": c, "event_category_name": f"活动{c}"}
                                    for c in EVENT_CATEGORIES],
        "core.settings": [{"key": "campaign_start", "value": int(CAMPAIGN_START.strftime("%Y%m%d"))}]
        + [{"key": k, "value": v} for k, v in SIZES.items()],
    }


def _place(rng: random.Random) -> tuple[str, str]:
    district = rng.choice(list(AREAS))
    return district, rng.choice(AREAS[district])


def generate(seed: int = 20260105) -> dict[str, list[dict]]:
    """A few thousand staging rows with re-uploads, reopenings, cancellations, ties and pre-campaign problems."""
    rng = random.Random(seed)
    horizon = CAMPAIGN_START + timedelta(weeks=N_WEEKS) - DAY  # last day with data
    first = CAMPAIGN_START - timedelta(days=10)

    def day_between(a: date, b: date) -> date:
        return a + timedelta(days=rng.randint(0, max((b - a).days, 0)))

    findings, files = [], {}
    for i in range(700):
        found = day_between(first, horizon)
        district, town = _place(rng)
        base = {
            "finding_id": f"F{i:04d}", "notice_id": f"N{i // 5}", "found_at": _local(found),
            "district_code": district, "town_code": town, "site_type_code": "main_road", "site_name": f"点位{i}",
            "category_code": rng.choice(CATEGORIES),
            "department_code": rng.choice(MUNICIPAL + list(TOWN_GOVERNMENTS)),
            "due_at": _local(found + timedelta(days=rng.randint(0, 14)), 24 * 60 - 1) + timedelta(seconds=59),
        }
        rectified = reinspected = passed = None
        feedback = False
        upload = found
        for version in range(rng.choice([1, 1, 2, 2, 3])):
            if rectified is None or (passed is False and rng.random() < 0.7):
                if rng.random() < 0.65:
                    rectified = day_between(max(upload, found), min(found + timedelta(days=20), horizon))
                    feedback = True
                    reinspected = passed = None
            if rectified is not None and reinspected is None and rng.random() < 0.5:
                reinspected = day_between(rectified, min(rectified + timedelta(days=6), horizon))
                passed = rng.random() < 0.6
            feedback = feedback or rng.random() < 0.4
            upload = max([d for d in (upload, rectified, reinspected) if d] + [found])
            upload = min(upload + timedelta(days=rng.randint(0, 2)), horizon)
            sha = f"sha-{upload}-{version}"
            files[sha] = _local(upload, 7 * 60 + version)
            findings.append({
                **base, "file_sha256": sha, "file_name": f"{upload}.xlsx", "has_feedback": feedback,
                "rectified_at": rectified and _local(rectified), "reinspected_at": reinspected and _local(reinspected),
                "reinspection_passed": passed if reinspected else None,
            })
    processed = [{"file_sha256": sha, "file_name": f"{sha}.xlsx", "processed_at": at} for sha, at in files.items()]

    tickets = []
    for i in range(1100):
        received = _local(day_between(first, horizon), rng.randint(0, 24 * 60 - 1))
        district, town = _place(rng)
        channel = rng.choices(["12345", "app", "patrol", "media"], [6, 2, 2, 1])[0]
        deadline = received + timedelta(hours=rng.randint(24, 24 * 12))
        row = {
            "ticket_id": f"T{i:05d}", "channel": channel, "received_at": received, "district_code": district,
            "town_code": town, "category_code": rng.choice(CATEGORIES), "deadline_at": deadline,
            "department_code": rng.choice(MUNICIPAL + list(TOWN_GOVERNMENTS) + [None]),
        }
        at, status, satisfaction = received, "received", None
        versions = [(at, status, None, None)]
        for _ in range(rng.randint(0, 6)):
            at = at + timedelta(minutes=rng.randint(30, 60 * 60))
            choices = {
                "received": ["dispatched", "in_progress", "closed", "cancelled", "duplicate"],
                "dispatched": ["in_progress", "closed", "cancelled", "dispatched"],
                "in_progress": ["closed", "closed", "in_progress"],
                "closed": ["reopened", "closed", "dispatched"],
                "reopened": ["in_progress", "closed"],
                "cancelled": ["received", "cancelled"],
                "duplicate": ["duplicate"],
            }[status]
            status = rng.choice(choices)
            closed = None
            if status == "closed":
                # Sometimes exactly at the deadline, sometimes reported a while after it happened.
                closed = deadline if rng.random() < 0.1 and deadline <= at else at - timedelta(
                    minutes=rng.choice([0, 0, 15, 120]))
                if rng.random() < 0.6:
                    satisfaction = rng.choice(["satisfied", "basically_satisfied", "dissatisfied", None])
            versions.append((at, status, closed, satisfaction))
        for at, status, closed, satisfaction in versions:
            tickets.append({**row, "version_at": at, "status": status, "closed_at": closed,
                            "satisfaction": satisfaction})

    events = []
    for i in range(260):
        start = _local(day_between(first, horizon), rng.randint(0, 24 * 60 - 1))
        events.append({
            "event_id": f"E{i:04d}", "updated_at": min(start + timedelta(hours=5), _local(horizon, 23 * 60)),
            "title": f"活动{i}", "category_code": rng.choice(EVENT_CATEGORIES), "organizer": rng.choice(ORGANIZERS),
            "district_code": rng.choice(list(AREAS)), "start_at": start,
            "participants": rng.randint(0, 300), "volunteers": rng.randint(0, 50),
            "volunteer_hours": rng.randint(0, 400) / 2, "status": rng.choices(["held", "planned", "cancelled"],
                                                                               [7, 1, 2])[0],
        })
    return {
        "audit.processed_files": processed,
        "staging.inspection_finding_versions": findings,
        "staging.hotline_ticket_versions": tickets,
        "staging.events": events,
    }


# ---------------------------------------------------------------------------------------------------------
# The reference computation


def week_of(moment: datetime) -> date:
    local = moment + H8
    return local.date() - timedelta(days=local.weekday())


def week_end(week: date) -> datetime:
    return _local(week + timedelta(days=7))


@dataclass
class History:
    """A problem's or ticket's events in the order they apply: (time, tie order, kind, status after, extra)."""

    events: list[tuple] = field(default_factory=list)

    def replay(self, until: datetime, inclusive: bool = False) -> list[tuple]:
        return [e for e in self.events if (e[0] <= until if inclusive else e[0] < until)]


def problem_state(events: list[tuple]) -> tuple[bool, bool, bool] | None:
    """(rectified, excluded, replied) after `events`; None before the problem exists."""
    if not events:
        return None
    rectified = excluded = replied = False
    for _, _, kind, *_ in events:
        if kind in ("rectified", "reinspection_passed"):
            rectified = True
        elif kind in ("found", "reopened"):
            rectified = False
        excluded = kind in ("cancelled", "duplicate")
        replied = replied or kind in ("feedback", "in_progress", "rectified", "reinspection_passed")
    return rectified, excluded, replied


def ticket_histories(tickets: pd.DataFrame) -> dict[str, History]:
    histories = {}
    for ticket_id, versions in tickets.sort_values("version_at").groupby("ticket_id"):
        received = versions.iloc[-1]["received_at"]
        events = [(received, 0, received, "received", "received", None)]
        previous_status = previous_satisfaction = previous_at = None
        for v in versions.itertuples():
            closed_at = None if pd.isna(v.closed_at) else v.closed_at
            satisfaction = None if pd.isna(v.satisfaction) else v.satisfaction
            if v.status != (previous_status or "received"):
                if v.status == "closed":
                    at = min(closed_at or v.version_at, v.version_at)
                    at = max(at, previous_at) if previous_at is not None else at
                else:
                    at = v.version_at
                kind = "reopened" if previous_status == "closed" and v.status in ACTIVE else v.status
                events.append((max(at, received), 1, v.version_at, kind, v.status, None))
            if satisfaction is not None and satisfaction != previous_satisfaction:
                events.append((max(v.version_at, received), 2, v.version_at, "rated", v.status, satisfaction))
            previous_status, previous_satisfaction, previous_at = v.status, satisfaction, v.version_at
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        histories[ticket_id] = History(events)
    return histories


def reference(data: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    findings = pd.DataFrame(data["staging.inspection_finding_versions"])
    processed = {f["file_sha256"]: f["processed_at"] for f in data["audit.processed_files"]}
    findings["processed_at"] = findings["file_sha256"].map(processed)
    tickets = pd.DataFrame(data["staging.hotline_ticket_versions"])
    events = pd.DataFrame(data["staging.events"])
    refs = _reference_rows()

    # Weeks: campaign start to the latest data timestamp.
    stamps = [findings[c].dropna().max() for c in ("found_at", "rectified_at", "reinspected_at")]
    stamps += [tickets[c].dropna().max() for c in ("received_at", "version_at", "closed_at")]
    held = events[events["status"] == "held"]
    stamps += [held["start_at"].max(), held["updated_at"].max()]
    weeks = []
    week = CAMPAIGN_START
    while week <= week_of(max(stamps)):
        weeks.append(week)
        week += timedelta(days=7)
    campaign_start_utc = _local(CAMPAIGN_START)

    # Problems and their histories.
    problems, histories = {}, {}
    for finding_id, versions in findings.groupby("finding_id"):
        latest = versions.sort_values("processed_at").iloc[-1]
        found = latest["found_at"]
        pid = f"inspection:{finding_id}"
        problems[pid] = {"source": "inspection", "found": found, "due": latest["due_at"],
                         "district": latest["district_code"], "town": latest["town_code"],
                         "department": latest["department_code"], "category": latest["category_code"]}
        events_ = [(found, 0, "found")]
        replies = [min(t for t in (v.rectified_at, v.processed_at) if not pd.isna(t))
                   for v in versions.itertuples() if v.has_feedback or not pd.isna(v.rectified_at)]
        if replies:
            events_.append((max(min(replies), found), 1, "feedback"))
        for r in set(versions["rectified_at"].dropna()):
            events_.append((max(r, found), 2, "rectified"))
        for v in versions.dropna(subset=["reinspected_at", "reinspection_passed"]).itertuples():
            kind = "reinspection_passed" if v.reinspection_passed else "reopened"
            events_.append((max(v.reinspected_at, found), 4 if v.reinspection_passed else 3, kind))
        histories[pid] = History(sorted(set(events_), key=lambda e: (e[0], e[1])))

    tickets_by_id = tickets.sort_values("version_at").groupby("ticket_id").last()
    ticket_history = ticket_histories(tickets)
    for ticket_id, t in tickets_by_id.iterrows():
        if t["category_code"] == "other":
            continue
        source = "patrol" if t["channel"] == "patrol" else "hotline"
        pid = f"{source}:{ticket_id}"
        problems[pid] = {"source": source, "found": t["received_at"], "due": t["deadline_at"],
                         "district": t["district_code"], "town": t["town_code"],
                         "department": None if pd.isna(t["department_code"]) else t["department_code"],
                         "category": t["category_code"]}
        events_ = [(e[0], e[1], "found" if i == 0 else ("rectified" if e[3] == "closed" else e[3]))
                   for i, e in enumerate(ticket_history[ticket_id].events) if e[3] != "rated"]
        histories[pid] = History(events_)

    # Rectification counts per week and unit.
    counts = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    overdue = []
    for pid, p in problems.items():
        units = [("city", "city"), ("district", p["district"]), ("town", p["town"]),
                 ("department", p["department"]), ("category", p["category"])]
        units = [u for u in units if u[1] is not None]
        for week in weeks:
            end = week_end(week)
            state = problem_state(histories[pid].replay(end))
            if state is None:
                continue
            rectified, excluded, replied = state
            add = [0] * 6
            if week_of(p["found"]) == week and not excluded:
                add[0], add[1] = 1, int(rectified)
            if p["found"] >= campaign_start_utc and not excluded:
                add[2], add[3] = 1, int(rectified)
            due = p["due"]
            if due is not None and not pd.isna(due):
                if week_of(due) == week and not excluded:
                    at_deadline = problem_state(histories[pid].replay(due, inclusive=True))
                    add[4], add[5] = 1, int(bool(at_deadline and at_deadline[0]))
                if not rectified and not excluded and due < end:
                    overdue.append((week, pid, math.floor((end - due) / DAY), "未整改" if replied else "未反馈"))
            for unit in units:
                row = counts[(week, *unit)]
                for i, value in enumerate(add):
                    row[i] += value
    unit_list = [("city", "city")] + [("district", d) for d in AREAS] + [
        ("town", t) for towns in AREAS.values() for t in towns] + [
        ("department", d) for d in MUNICIPAL + list(TOWN_GOVERNMENTS)] + [("category", c) for c in CATEGORIES]
    rectification = pd.DataFrame(
        [(w, kind, code, *counts[(w, kind, code)]) for w in weeks for kind, code in unit_list],
        columns=["week_start", "unit_kind", "unit_code", "n_found", "n_rectified", "n_found_cumulative",
                 "n_rectified_cumulative", "n_due", "n_rectified_on_time"],
    )

    # Red/black list.
    municipal = set(MUNICIPAL)
    ranked_rows = []
    for (week, kind), group in rectification[rectification["unit_kind"].isin(["department", "district", "town"])
                                             & (rectification["n_found"] > 0)].groupby(["week_start", "unit_kind"]):
        if kind == "department":
            group = group[group["unit_code"].isin(municipal)]
        if group.empty:
            continue
        rate = group["n_rectified"] / group["n_found"]
        top = rate.rank(method="min", ascending=False).astype(int)
        bottom = rate.rank(method="min", ascending=True).astype(int)
        key = {"department": "departments", "district": "districts", "town": "towns"}[kind]
        red, black = SIZES[f"red_{key}"], SIZES[f"black_{key}"]
        for idx, row in group.iterrows():
            is_red, is_black = top[idx] <= red, bottom[idx] <= black
            if is_red and is_black:
                is_red, is_black = top[idx] < bottom[idx], bottom[idx] < top[idx]
            ranked_rows.append((week, kind, row["unit_code"], int(top[idx]), len(group),
                                "red" if is_red else "black" if is_black else None))
    ranking = pd.DataFrame(ranked_rows, columns=["week_start", "unit_kind", "unit_code", "rank", "n_ranked", "list"])
    black_weeks = {(r.unit_kind, r.unit_code, r.week_start) for r in ranking.itertuples() if r.list == "black"}
    streaks = []
    for r in ranking.itertuples():
        n, week = 0, r.week_start
        while (r.unit_kind, r.unit_code, week) in black_weeks:
            n, week = n + 1, week - timedelta(days=7)
        streaks.append(n)
    ranking["consecutive_black_weeks"] = streaks

    # Hotline (citizen channels).
    hotline = {w: [0] * 6 for w in weeks}
    for ticket_id, t in tickets_by_id.iterrows():
        if t["channel"] == "patrol":
            continue
        history = ticket_history[ticket_id]

        def status_at(moment, inclusive=False, history=history):
            applied = history.replay(moment, inclusive)
            return applied[-1][4] if applied else None

        received_week = week_of(t["received_at"])
        if received_week in hotline:
            status = status_at(week_end(received_week))
            if status not in ("cancelled", "duplicate"):
                hotline[received_week][0] += 1
                hotline[received_week][1] += status == "closed"
        due_week = week_of(t["deadline_at"])
        if due_week in hotline and status_at(week_end(due_week)) not in ("cancelled", "duplicate"):
            hotline[due_week][2] += 1
            hotline[due_week][3] += status_at(t["deadline_at"], inclusive=True) == "closed"
        last_rating = {}
        for e in history.events:
            if e[3] == "rated":
                last_rating[week_of(e[0])] = e[5]
        for week, satisfaction in last_rating.items():
            if week in hotline and status_at(week_end(week)) not in ("cancelled", "duplicate"):
                hotline[week][4] += 1
                hotline[week][5] += satisfaction in ("satisfied", "basically_satisfied")
    hotline_frame = pd.DataFrame([(w, *v) for w, v in hotline.items()],
                                 columns=["week_start", "n_received", "n_closed", "n_due", "n_closed_on_time",
                                          "n_rated", "n_satisfied"])

    # Activities.
    held = events[events["status"] == "held"].assign(week_start=lambda f: f["start_at"].map(week_of))
    held = held[held["week_start"].isin(weeks)]
    sums = held.groupby(["week_start", "district_code", "category_code", "organizer"]).agg(
        n_events=("event_id", "count"), n_participants=("participants", "sum"),
        n_volunteers=("volunteers", "sum"), volunteer_hours=("volunteer_hours", "sum")).reset_index()
    activity_rows = []
    for (district, category, organizer), group in sums.groupby(["district_code", "category_code", "organizer"]):
        totals = [0, 0, 0, 0.0]
        by_week = group.set_index("week_start")
        for week in [w for w in weeks if w >= group["week_start"].min()]:
            weekly = [0, 0, 0, 0.0]
            if week in by_week.index:
                r = by_week.loc[week]
                weekly = [int(r.n_events), int(r.n_participants), int(r.n_volunteers), float(r.volunteer_hours)]
            totals = [a + b for a, b in zip(totals, weekly, strict=True)]
            activity_rows.append((week, f"区{district}", f"活动{category}", organizer, *weekly, *totals))
    activities = pd.DataFrame(activity_rows, columns=[
        "week_start", "district_name", "category", "organizer", "n_events", "n_participants", "n_volunteers",
        "volunteer_hours", "n_events_cumulative", "n_participants_cumulative", "n_volunteers_cumulative",
        "volunteer_hours_cumulative"])

    overdue_frame = pd.DataFrame(overdue, columns=["week_start", "problem_id", "days_overdue", "overdue_kind"])
    return {"weeks": weeks, "rectification": rectification, "ranking": ranking, "hotline": hotline_frame,
            "activities": activities, "overdue": overdue_frame, "refs": refs}


# ---------------------------------------------------------------------------------------------------------
# The comparison


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    if "week_start" in frame:
        frame["week_start"] = pd.to_datetime(frame["week_start"]).dt.date
    return frame.sort_values(keys, ignore_index=True)


def _assert_same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    actual, expected = _sorted(actual[list(expected.columns)], keys), _sorted(expected, keys)
    assert len(actual) == len(expected)
    for column in expected.columns:
        a, e = actual[column], expected[column]
        if pd.api.types.is_float_dtype(e) or pd.api.types.is_float_dtype(a):
            pd.testing.assert_series_equal(a.astype(float), e.astype(float), check_names=False, rtol=1e-9)
        else:
            assert [None if pd.isna(x) else x for x in a] == [None if pd.isna(x) else x for x in e], column


@pytest.fixture(scope="module")
def dataset() -> tuple[dict, dict]:
    data = generate()
    return data, reference(data)


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_marts_match_the_reference(engine: sa.Engine, dataset) -> None:
    data, expected = dataset
    load(engine, {**expected["refs"], **data})
    models.build(engine)

    weeks = read(engine, "select week_start from core.dim_week order by week_start")["week_start"]
    assert [pd.Timestamp(w).date() for w in weeks] == expected["weeks"]

    rectification = expected["rectification"]
    measures = ["n_found", "n_rectified", "n_found_cumulative", "n_rectified_cumulative", "n_due",
                "n_rectified_on_time"]
    assert rectification["n_found"].sum() > 500 and rectification["n_rectified_on_time"].sum() > 50
    views = {
        "city": ("mart.weekly_rectification_total", "'city' as unit_code"),
        "district": ("mart.weekly_rectification_by_area", "area_code as unit_code"),
        "town": ("mart.weekly_rectification_by_area", "area_code as unit_code"),
        "department": ("mart.weekly_rectification_by_department", "department_code as unit_code"),
        "category": ("mart.weekly_rectification_by_category", "category_code as unit_code"),
    }
    for kind, (view, code) in views.items():
        where = f"where area_level = '{kind}'" if "by_area" in view else ""
        actual = read(engine, f"select week_start, {code}, {', '.join(measures)}, rectification_rate, "
                              f"cumulative_rectification_rate, on_time_rate from {view} {where}")
        want = rectification[rectification["unit_kind"] == kind].drop(columns="unit_kind")
        want = want.assign(
            rectification_rate=want["n_rectified"] / want["n_found"].replace(0, float("nan")),
            cumulative_rectification_rate=want["n_rectified_cumulative"]
            / want["n_found_cumulative"].replace(0, float("nan")),
            on_time_rate=want["n_rectified_on_time"] / want["n_due"].replace(0, float("nan")),
        )
        _assert_same(actual, want, ["week_start", "unit_code"])

    ranking = read(engine, 'select week_start, unit_kind, unit_code, "rank", n_ranked, "list", '
                           "consecutive_black_weeks, escalation from mart.red_black_list")
    assert ranking["list"].eq("black").sum() > 20 and ranking["consecutive_black_weeks"].max() >= 2
    _assert_same(ranking, expected["ranking"], ["week_start", "unit_kind", "unit_code"])
    escalation = {1: "市领导约谈", 2: "组织部约谈"}
    for row in ranking.itertuples():
        n = row.consecutive_black_weeks
        assert (None if pd.isna(row.escalation) else row.escalation) == (
            None if n == 0 else escalation.get(n, "问责"))

    overdue = read(engine, "select week_start, problem_id, days_overdue, overdue_kind from mart.overdue_problems")
    assert len(expected["overdue"]) > 200 and set(expected["overdue"]["overdue_kind"]) == {"未反馈", "未整改"}
    _assert_same(overdue, expected["overdue"], ["week_start", "problem_id"])

    hotline = read(engine, "select * from mart.hotline_weekly")
    _assert_same(hotline, expected["hotline"], ["week_start"])
    for rate, (num, den) in {"closure_rate": ("n_closed", "n_received"),
                             "on_time_closure_rate": ("n_closed_on_time", "n_due"),
                             "satisfaction_rate": ("n_satisfied", "n_rated")}.items():
        want = hotline[num] / hotline[den].replace(0, float("nan"))
        pd.testing.assert_series_equal(hotline[rate].astype(float), want.astype(float), check_names=False)

    activities = read(engine, "select * from mart.activities_weekly")
    _assert_same(activities, expected["activities"], ["week_start", "district_name", "category", "organizer"])
