"""Seeded campaign data: hotline tickets with their status history, events, inspection findings.

Names come from a reference set (areas, departments, categories, site types, event categories) read at run
time. The same seed and knobs give the same data. Hotline tickets are generated column-wise with numpy so
`generate(n_tickets=1_000_000)` takes seconds; records are formatted only when a page is served.
About `bad_share` of the records carry a deliberately bad value (unknown area, negative attendance,
rectified before found, ...) so quarantine has something to show; `Dataset.bad` lists them.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from simulator.reference import Named, Reference, load_reference
from simulator.tables import VersionTable

LOCAL_OFFSET = 8 * 3600  # Asia/Shanghai has had no DST since 1991
DEFAULT_START = date(2026, 9, 7)
DEFAULT_WEEKS = 10
TICKETS_PER_DAY = 40
EVENTS_PER_WEEK = 25
FINDINGS_PER_WEEK = 60
N_GROUPS = 4
ALIAS_RATE = 0.15

CHANNELS = ("12345", "app", "patrol", "media")
CHANNEL_P = (0.55, 0.15, 0.20, 0.10)
RECEIVED, DISPATCHED, IN_PROGRESS, CLOSED, REOPENED, CANCELLED, DUPLICATE = range(7)
STATUSES = ("received", "dispatched", "in_progress", "closed", "reopened", "cancelled", "duplicate")
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")
PATTERNS = (
    ((RECEIVED, DISPATCHED, IN_PROGRESS, CLOSED), 0.80),
    ((RECEIVED, DISPATCHED, IN_PROGRESS, CLOSED, REOPENED, IN_PROGRESS, CLOSED), 0.10),
    ((RECEIVED, DISPATCHED, CLOSED), 0.04),
    ((RECEIVED, CANCELLED), 0.03),
    ((RECEIVED, DUPLICATE), 0.03),
)
# (mean, minimum) seconds between two statuses: exponential above the minimum.
GAPS = {
    (RECEIVED, DISPATCHED): (2 * 3600, 300),
    (DISPATCHED, IN_PROGRESS): (8 * 3600, 600),
    (IN_PROGRESS, CLOSED): (2.5 * 86400, 3600),
    (DISPATCHED, CLOSED): (86400, 3600),
    (CLOSED, REOPENED): (1.5 * 86400, 7200),
    (REOPENED, IN_PROGRESS): (6 * 3600, 600),
    (RECEIVED, CANCELLED): (6 * 3600, 300),
    (RECEIVED, DUPLICATE): (6 * 3600, 300),
}
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 10, 12, 12, 11, 10, 9, 8, 7, 5, 3, 2], float)
ROADS = ("建设路", "东华路", "港口路", "胜利路", "迎宾大道", "五邑路", "冈州大道", "新会大道", "人民路", "中山路",
         "北新路", "江华路", "育德街", "沙坪大道", "长堤路", "白沙大道")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁谢邓冯甄"
GIVEN = ("伟", "芳", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "桂芳",
         "志强", "建华", "国平", "晓燕", "嘉欣", "子轩", "浩然", "梓涵", "俊杰", "婉婷", "家豪", "颖")
PHONE_PREFIXES = np.array([138, 139, 135, 137, 136, 150, 159, 186, 188, 131, 133, 177])
HOTLINE_TEMPLATES = {
    "12345": ("市民来电反映{addr}附近{cat}，希望尽快处理。", "来电人称{addr}{cat}问题反复出现，要求相关部门处理。"),
    "app": ("用户通过APP反映{addr}{cat}。",),
    "patrol": ("巡查发现{addr}存在{cat}现象。", "创文巡查：{addr}{cat}，请责任单位整改。"),
    "media": ("网友在曝光台反映{addr}{cat}，影响市容市貌。",),
}
NATIVE_FIELDS = ("ticket_id", "channel", "status", "received_at", "updated_at", "category", "description", "address",
                 "district", "town", "community", "department", "deadline_at", "closed_at", "satisfaction",
                 "caller_name", "caller_phone")
OPEN311_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "lat", "long")
UNKNOWN_DISTRICT, UNKNOWN_TOWN = "江门市高新区（试）", "新城街道"


def local_text(ts: int) -> str:
    """UTC epoch seconds as naive local time, the native hotline API's format."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(ts) + LOCAL_OFFSET))


def local_iso(ts: int) -> str:
    """UTC epoch seconds as ISO 8601 local time with its +08:00 offset (Open311, events API)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(int(ts) + LOCAL_OFFSET))


def local_texts(ts: np.ndarray) -> list[str]:
    """Many UTC epoch seconds as naive local times, at once."""
    iso = np.datetime_as_string((np.asarray(ts, dtype=np.int64) + LOCAL_OFFSET).astype("datetime64[s]"))
    return [x.replace("T", " ") for x in iso.tolist()]


def local_isos(ts: np.ndarray) -> list[str]:
    """Many UTC epoch seconds as ISO 8601 local times with +08:00, at once."""
    iso = np.datetime_as_string((np.asarray(ts, dtype=np.int64) + LOCAL_OFFSET).astype("datetime64[s]"))
    return [x + "+08:00" for x in iso.tolist()]


def epoch(value: datetime | date) -> int:
    """UTC epoch seconds of an aware datetime, or of local midnight of a date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return int(value.replace(tzinfo=UTC).timestamp()) - LOCAL_OFFSET
        return int(value.timestamp())
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()) - LOCAL_OFFSET


class Texts:
    """Interned strings: columns hold indexes into one list."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, value: str) -> int:
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
        return self._index[value]

    def spellings(self, entry: Named) -> list[int]:
        return [self.add(entry.name)] + [self.add(a) for a in entry.aliases if a != entry.name]


def _spell(rng: np.random.Generator, entity: np.ndarray, spellings: list[list[int]], rate: float) -> np.ndarray:
    """For each row the entity's canonical spelling, or with probability `rate` one of its aliases."""
    out = np.full(len(entity), -1, dtype=np.int32)
    use_alias = rng.random(len(entity)) < rate
    pick = rng.random(len(entity))
    for e, options in enumerate(spellings):
        rows = entity == e
        if not rows.any():
            continue
        out[rows] = options[0]
        aliases = options[1:]
        if aliases:
            chosen = rows & use_alias
            out[chosen] = np.asarray(aliases, dtype=np.int32)[(pick[chosen] * len(aliases)).astype(int)]
    return out


class Hotline:
    """Hotline tickets: per-ticket columns and every status version, served as native or Open311 rows."""

    prefix = "JM"

    def __init__(self, ref: Reference, rng: np.random.Generator, n: int, start: int, days: int, bad_share: float):
        texts = self.texts = Texts()
        towns = list(ref.towns)
        town_spell = [texts.spellings(t) for t in towns]
        districts = list(ref.districts)
        district_spell = [texts.spellings(d) for d in districts]
        district_of_town = np.array([districts.index(ref.district_of(t)) for t in towns])
        municipal = [d for d in ref.departments if d.kind == "municipal"] or list(ref.departments)
        departments = list(dict.fromkeys(municipal + [g for g in ref.departments if g.kind == "town"]))
        dept_spell = [texts.spellings(d) for d in departments]
        town_gov = np.array([departments.index(g) if (g := ref.town_government(t)) in departments else -1
                             for t in towns])
        communities = [list(ref.communities_of(t)) for t in towns]
        categories = list(ref.hotline_categories) or ["其他"]
        self.category_texts = [texts.add(c) for c in categories]
        self.category_codes = [texts.add(c) for c in ref.hotline_codes]

        self.n = n
        day = rng.integers(0, days, n)
        hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
        received = np.sort(start + day * 86400 + hour * 3600 + rng.integers(0, 3600, n))
        self.received = received
        self.channel = rng.choice(len(CHANNELS), n, p=CHANNEL_P).astype(np.int8)
        self.category = rng.integers(0, len(categories), n).astype(np.int32)
        self.category_code = (rng.integers(0, len(ref.hotline_codes), n).astype(np.int32)
                              if ref.hotline_codes else np.full(n, -1, np.int32))
        town = rng.integers(0, len(towns), n)
        self.town = _spell(rng, town, town_spell, ALIAS_RATE)
        self.district = _spell(rng, district_of_town[town], district_spell, ALIAS_RATE / 2)
        self.community = np.full(n, -1, dtype=np.int32)
        pick = rng.random(n)
        has_community = rng.random(n) < 0.7
        for t, options in enumerate(communities):
            if options:
                rows = (town == t) & has_community
                ids = np.array([texts.add(c.name) for c in options], dtype=np.int32)
                self.community[rows] = ids[(pick[rows] * len(ids)).astype(int)]
        department = rng.integers(0, len(municipal), n)
        by_town = (rng.random(n) < 0.45) & (town_gov[town] >= 0)
        department[by_town] = town_gov[town][by_town]
        self.department = _spell(rng, department, dept_spell, ALIAS_RATE / 2)
        self.deadline = received + rng.choice(np.array([3, 5, 7, 15]), n, p=[0.2, 0.4, 0.3, 0.1]) * 86400
        self.road = rng.integers(0, len(ROADS), n).astype(np.int16)
        self.house = rng.integers(1, 300, n).astype(np.int16)
        self.surname = rng.integers(0, len(SURNAMES), n).astype(np.int16)
        self.given = rng.integers(0, len(GIVEN), n).astype(np.int16)
        self.phone = PHONE_PREFIXES[rng.integers(0, len(PHONE_PREFIXES), n)] * 10**8 + rng.integers(0, 10**8, n)
        self.template = rng.integers(0, 2, n).astype(np.int8)
        self.lat = (22.58 + rng.normal(0, 0.08, n)).round(6)
        self.long = (113.08 + rng.normal(0, 0.08, n)).round(6)
        # 1 unknown area, 2 closed before received, 3 no category
        self.bad = np.where(rng.random(n) < bad_share, rng.integers(1, 4, n), 0).astype(np.int8)
        self.unknown_district = texts.add(UNKNOWN_DISTRICT)
        self.unknown_town = texts.add(UNKNOWN_TOWN)

        fate = rng.choice(len(PATTERNS), n, p=[p for _, p in PATTERNS])
        parts = []
        for index, (pattern, _) in enumerate(PATTERNS):
            tickets = np.flatnonzero(fate == index)
            if not len(tickets):
                continue
            offsets = np.zeros((len(tickets), len(pattern)), dtype=np.int64)
            for step in range(1, len(pattern)):
                mean, minimum = GAPS[(pattern[step - 1], pattern[step])]
                offsets[:, step] = (minimum + rng.exponential(mean, len(tickets))).astype(np.int64)
            times = received[tickets][:, None] + np.cumsum(offsets, axis=1)
            status = np.broadcast_to(np.array(pattern, dtype=np.int8), times.shape)
            satisfaction = np.where(
                status == CLOSED,
                rng.choice(4, times.shape, p=[0.62, 0.20, 0.08, 0.10]).astype(np.int8) - 1,
                -1,
            ).astype(np.int8)
            if pattern.count(CLOSED) > 1:
                satisfaction[:, pattern.index(CLOSED)] = 2  # the first answer was found wanting: dissatisfied
            parts.append((np.repeat(tickets, len(pattern)), times.ravel(), status.ravel(), satisfaction.ravel()))
        entity, updated, status, satisfaction = (np.concatenate(c) for c in zip(*parts, strict=True))
        closed_at = np.where(status == CLOSED, updated, -1)
        before = (self.bad[entity] == 2) & (status == CLOSED)
        closed_at[before] = self.received[entity[before]] - 2 * 86400
        self.versions = VersionTable(entity, updated, {"status": status, "satisfaction": satisfaction,
                                                       "closed_at": closed_at})

    def ticket_id(self, entity: int) -> str:
        return f"{self.prefix}{entity:010d}"

    def entity_of(self, ticket_id: str) -> int | None:
        if not ticket_id.startswith(self.prefix) or not ticket_id[len(self.prefix):].isdigit():
            return None
        return int(ticket_id[len(self.prefix):])

    def _common(self, t: np.ndarray) -> dict[str, list]:
        """The per-ticket fields of tickets `t`, column-wise (a page is formatted in one go)."""
        values = self.texts.values
        bad = self.bad[t]
        channel = self.channel[t]
        code = self.category_code[t]
        category = np.where(
            (channel == CHANNELS.index("app")) & (code >= 0),
            np.asarray(self.category_codes or [0], dtype=np.int64)[np.maximum(code, 0)],
            np.asarray(self.category_texts, dtype=np.int64)[self.category[t]],
        )
        categories = [values[c] if b != 3 else "" for c, b in zip(category.tolist(), bad.tolist(), strict=True)]
        unknown = bad == 1
        towns = [values[i] for i in np.where(unknown, self.unknown_town, self.town[t]).tolist()]
        districts = [values[i] for i in np.where(unknown, self.unknown_district, self.district[t]).tolist()]
        addresses = [f"{town}{ROADS[r]}{h}号" for town, r, h in
                     zip(towns, self.road[t].tolist(), self.house[t].tolist(), strict=True)]
        channels = [CHANNELS[c] for c in channel.tolist()]
        descriptions = []
        for ch, tpl, address, cat in zip(channels, self.template[t].tolist(), addresses, categories, strict=True):
            templates = HOTLINE_TEMPLATES[ch]
            topic = cat if cat and not cat.isascii() else "问题"
            descriptions.append(templates[tpl % len(templates)].format(addr=address, cat=topic))
        return {
            "ticket_id": [f"{self.prefix}{i:010d}" for i in t.tolist()],
            "channel": channels,
            "category": categories,
            "address": addresses,
            "description": descriptions,
            "district": districts,
            "town": towns,
            "community": [values[c] if c >= 0 else None for c in self.community[t].tolist()],
            "department": [values[d] for d in self.department[t].tolist()],
        }

    def native_rows(self, positions: np.ndarray) -> list[dict]:
        """Versions at `positions` as the native API's rows."""
        positions = np.asarray(positions, dtype=np.int64)
        v = self.versions
        t = v.entity[positions]
        c = self._common(t)
        closed = v.columns["closed_at"][positions]
        closed_text = [x if ok else None for x, ok in
                       zip(local_texts(np.maximum(closed, 0)), (closed >= 0).tolist(), strict=True)]
        columns = (
            c["ticket_id"], c["channel"], [STATUSES[x] for x in v.columns["status"][positions].tolist()],
            local_texts(self.received[t]), local_texts(v.updated[positions]), c["category"], c["description"],
            c["address"], c["district"], c["town"], c["community"], c["department"], local_texts(self.deadline[t]),
            closed_text,
            [SATISFACTION[x] if x >= 0 else None for x in v.columns["satisfaction"][positions].tolist()],
            [SURNAMES[a] + GIVEN[b] for a, b in zip(self.surname[t].tolist(), self.given[t].tolist(), strict=True)],
            [str(x) for x in self.phone[t].tolist()],
        )
        return [dict(zip(NATIVE_FIELDS, row, strict=True)) for row in zip(*columns, strict=True)]

    def native(self, position: int) -> dict:
        """Version at `position` as the native API's row."""
        return self.native_rows(np.array([position]))[0]

    def open311_rows(self, positions: np.ndarray) -> list[dict]:
        """Versions at `positions` as Open311 GeoReport v2 service requests."""
        positions = np.asarray(positions, dtype=np.int64)
        v = self.versions
        t = v.entity[positions]
        c = self._common(t)
        notes = {CANCELLED: "已撤销", DUPLICATE: "重复工单，已合并办理", REOPENED: "退回重办", CLOSED: "已办结"}
        status = v.columns["status"][positions].tolist()
        columns = (
            c["ticket_id"], ["closed" if x in (CLOSED, CANCELLED, DUPLICATE) else "open" for x in status],
            [notes.get(x) for x in status], c["category"], [f"JM{x:03d}" for x in self.category[t].tolist()],
            c["description"], c["department"], local_isos(self.received[t]), local_isos(v.updated[positions]),
            local_isos(self.deadline[t]), c["address"], self.lat[t].tolist(), self.long[t].tolist(),
        )
        constant = {"service_notice": None, "address_id": None, "zipcode": "529000", "media_url": None}
        return [dict(zip(OPEN311_FIELDS, row, strict=True)) | constant for row in zip(*columns, strict=True)]

    def open311(self, position: int) -> dict:
        """Version at `position` as an Open311 GeoReport v2 service request."""
        return self.open311_rows(np.array([position]))[0]

    def open311_status(self, positions: np.ndarray) -> np.ndarray:
        status = self.versions.columns["status"][positions]
        return np.where(np.isin(status, [CLOSED, CANCELLED, DUPLICATE]), "closed", "open")


EVENT_STATUSES = ("planned", "held", "cancelled")
ORGANIZERS_EXTRA = ("市文明办", "团市委", "市志愿者联合会", "市妇联", "{town}新时代文明实践所", "{town}志愿服务队")
EVENT_TITLES = ("{town}{cat}活动", "“创文有我”{cat}志愿行动", "{cat}进社区——{town}站", "{town}周末{cat}")


class Events:
    """Campaign events and their versions (created, edited, held or cancelled, corrected later)."""

    prefix = "HD"

    def __init__(self, ref: Reference, rnd: random.Random, n: int, start: int, days: int, bad_share: float):
        self.n = n
        self.static: list[tuple[str, str, str, str]] = []  # category, organizer, district, town
        titles: list[tuple[str, str]] = []
        columns: tuple[list, ...] = tuple([] for _ in range(9))
        entity, updated, status, title_v, starts, ends, participants, volunteers, hours = columns
        self.bad: dict[str, str] = {}
        categories = list(ref.event_categories)
        municipal = [d.name for d in ref.departments if d.kind == "municipal"]
        for e in range(n):
            town = rnd.choice(ref.towns)
            district = ref.district_of(town)
            category = rnd.choice(categories)
            town_text = rnd.choice(town.aliases) if town.aliases and rnd.random() < ALIAS_RATE else town.name
            cat_text = rnd.choice(category.aliases) if category.aliases and rnd.random() < 0.1 else category.name
            organizer = rnd.choice(municipal + [o.format(town=town.name) for o in ORGANIZERS_EXTRA])
            day = rnd.randrange(2, days)
            if rnd.random() < 0.55:  # more events at weekends
                day = min(days - 1, day - (day % 7) + rnd.choice((5, 6)))
            begin = start + day * 86400 + rnd.choice((8, 9, 9, 10, 14, 15, 19)) * 3600
            duration = rnd.choice((1, 2, 2, 3, 3, 4)) * 3600
            created = max(start + rnd.randrange(0, 3600), begin - rnd.randrange(1, 10) * 86400 - rnd.randrange(3600))
            title = EVENT_TITLES[rnd.randrange(len(EVENT_TITLES))].format(town=town.name, cat=category.name)
            titles.append((title, title.replace("活动", "主题活动") if "活动" in title else title + "（调整）"))
            bad = None
            if rnd.random() < bad_share:
                bad = rnd.choice(("negative_count", "end_before_start", "unknown_category"))
                self.bad[self.event_id(e)] = bad
                if bad == "unknown_category":
                    cat_text = "未分类活动"
            self.static.append((cat_text, organizer, district.name, town_text))

            def add(at: int, st: int, variant: int, b: int, en: int, p: int, v: int, h: float, e: int = e) -> None:
                for column, value in zip(columns, (e, at, st, variant, b, en, p, v, h), strict=True):
                    column.append(value)

            end = begin + duration
            if bad == "end_before_start":
                end = begin - 3600
            add(created, 0, 0, begin, end, 0, 0, 0.0)
            variant, last = 0, created
            if rnd.random() < 0.2 and begin - created > 7200:  # edited before it happens
                variant, last = 1, created + rnd.randrange(3600, begin - created - 1800)
                if rnd.random() < 0.5:
                    begin, end = begin + 3600, end + 3600
                add(last, 0, variant, begin, end, 0, 0, 0.0)
            if rnd.random() < 0.06:
                add(last + rnd.randrange(600, max(601, begin - last)), 2, variant, begin, end, 0, 0, 0.0)
                continue
            n_people = max(5, int(rnd.lognormvariate(3.8, 0.8)))
            n_volunteers = max(1, min(n_people, int(n_people * rnd.uniform(0.2, 0.6))))
            if bad == "negative_count":
                n_people = -n_people
            held_hours = round(n_volunteers * duration / 3600 * rnd.choice((0.5, 1.0, 1.0)), 1)
            reported = end + rnd.randrange(7200, 3 * 86400)
            add(reported, 1, variant, begin, end, n_people, n_volunteers, held_hours)
            if rnd.random() < 0.1:  # attendance corrected after the fact
                add(reported + rnd.randrange(86400, 7 * 86400), 1, variant, begin, end,
                    abs(n_people) + rnd.randrange(1, 30) if n_people > 0 else n_people, n_volunteers, held_hours)
        self.titles = titles
        self.versions = VersionTable(
            np.array(entity, dtype=np.int64), np.array(updated, dtype=np.int64),
            {"status": np.array(status, np.int8), "title": np.array(title_v, np.int8),
             "start": np.array(starts, np.int64), "end": np.array(ends, np.int64),
             "participants": np.array(participants, np.int64), "volunteers": np.array(volunteers, np.int64),
             "hours": np.array(hours, float)},
        )

    def event_id(self, entity: int) -> str:
        return f"{self.prefix}{entity:08d}"

    def rows(self, positions: np.ndarray) -> list[dict]:
        """Versions at `positions` as the volunteer platform's rows."""
        return [self.row(int(p)) for p in positions]

    def row(self, position: int) -> dict:
        """Version at `position` as the volunteer platform's row."""
        v, c = self.versions, self.versions.columns
        e = int(v.entity[position])
        category, organizer, district, town = self.static[e]
        return {
            "activity_id": self.event_id(e),
            "activity_name": self.titles[e][int(c["title"][position])],
            "category_name": category,
            "org_name": organizer,
            "district": district,
            "street": town,
            "start_time": local_iso(c["start"][position]),
            "end_time": local_iso(c["end"][position]),
            "participant_count": int(c["participants"][position]),
            "volunteer_count": int(c["volunteers"][position]),
            "service_hours": float(c["hours"][position]),
            "status": EVENT_STATUSES[int(c["status"][position])],
            "update_time": local_iso(v.updated[position]),
        }


@dataclass(frozen=True)
class Finding:
    """One inspection finding and its whole future: feedback, rectification, re-inspection."""

    finding_id: str
    notice_id: str
    group: int
    found: date
    district: str
    town: str
    community: str | None
    site_type: str
    site_name: str
    category: str
    description: str
    department: str
    due: date
    score: float | None
    feedback_on: date | None = None
    feedback: str | None = None
    rectified_on: date | None = None
    reinspected_on: date | None = None
    result: str | None = None
    second_rectified_on: date | None = None
    second_reinspected_on: date | None = None
    bad: str | None = None

    def milestones(self) -> list[date]:
        return [d for d in (self.found, self.feedback_on, self.rectified_on, self.reinspected_on,
                            self.second_rectified_on, self.second_reinspected_on) if d is not None]

    def state(self, as_of: date) -> dict:
        """What the group's sheet says of this finding on `as_of` (contract field names, dates as dates)."""
        known = {k: (getattr(self, k)) for k in ("finding_id", "notice_id", "found", "district", "town", "community",
                                                  "site_type", "site_name", "category", "description", "department",
                                                  "due", "score")}
        state = dict(known, feedback=None, rectified=None, reinspected=None, result=None)
        if self.feedback_on and self.feedback_on <= as_of:
            state["feedback"] = self.feedback
        if self.rectified_on and self.rectified_on <= as_of:
            state["feedback"], state["rectified"] = "已整改", self.rectified_on
        if self.reinspected_on and self.reinspected_on <= as_of:
            state["reinspected"], state["result"] = self.reinspected_on, self.result
        if self.second_rectified_on and self.second_rectified_on <= as_of:
            state["feedback"], state["rectified"] = "已再次整改", self.second_rectified_on
        if self.second_reinspected_on and self.second_reinspected_on <= as_of:
            state["reinspected"], state["result"] = self.second_reinspected_on, "通过"
        return state


FINDING_TEMPLATES = ("{site}存在{cat}现象", "{site}周边{cat}问题突出", "{site}{cat}，未及时清理", "{site}发现{cat}")
TYPOS = {"会城街道": "会成街道", "沙坪街道": "沙坪街造", "古井镇": "古景镇", "棠下镇": "堂下镇"}


def group_name(group: int) -> str:
    return f"第{'一二三四五六七八九十'[group % 10]}督查组"


def _findings(ref: Reference, rnd: random.Random, start: date, weeks: int, n: int, groups: int,
              bad_share: float) -> list[Finding]:
    municipal = [d for d in ref.departments if d.kind == "municipal"] or list(ref.departments)
    out: list[Finding] = []
    per_week = [n // weeks + (1 if w < n % weeks else 0) for w in range(weeks)]
    seq = 0
    for week, count in enumerate(per_week):
        monday = start + timedelta(weeks=week)
        for i in range(count):
            seq += 1
            group = i % groups
            found = monday + timedelta(days=rnd.choice((0, 1, 2, 3, 4, 4, 5)))
            town = rnd.choice(ref.towns)
            district = ref.district_of(town)
            communities = ref.communities_of(town)
            community = rnd.choice(communities).name if communities and rnd.random() < 0.6 else None
            site = rnd.choice(ref.site_types)
            category = rnd.choice(ref.inspection_categories or ("其他",))
            town_text = rnd.choice(town.aliases) if town.aliases and rnd.random() < ALIAS_RATE else town.name
            district_text = (rnd.choice(district.aliases) if district.aliases and rnd.random() < ALIAS_RATE / 2
                             else district.name)
            gov = ref.town_government(town)
            dept = gov if gov is not None and rnd.random() < 0.5 else rnd.choice(municipal)
            dept_text = rnd.choice(dept.aliases) if dept.aliases and rnd.random() < ALIAS_RATE / 2 else dept.name
            site_name = (f"{rnd.choice(ROADS)}" if site.code == "main_road"
                         else f"{town.name.removesuffix('街道').removesuffix('镇')}{site.name}")
            due = found + timedelta(days=rnd.choice((3, 5, 7, 7, 10, 15)))
            kwargs: dict = {}
            fate = rnd.random()
            if fate < 0.10:
                pass  # the unit never replies (未反馈)
            elif fate < 0.20:
                kwargs.update(feedback_on=found + timedelta(days=rnd.randint(1, 4)), feedback="正在整改")
            else:
                late = rnd.random() < 0.15
                rectified = found + timedelta(days=rnd.randint(1, (due - found).days + (8 if late else 0)))
                kwargs.update(feedback_on=rectified, feedback="已整改", rectified_on=rectified)
                if rnd.random() < 0.6:
                    reinspected = rectified + timedelta(days=rnd.randint(2, 7))
                    result = "通过" if rnd.random() < 0.85 else "未通过"
                    kwargs.update(reinspected_on=reinspected, result=result)
                    if result == "未通过" and rnd.random() < 0.6:
                        again = reinspected + timedelta(days=rnd.randint(2, 6))
                        kwargs.update(second_rectified_on=again,
                                      second_reinspected_on=again + timedelta(days=rnd.randint(2, 5)))
            bad = None
            if rnd.random() < bad_share:
                bad = rnd.choice(("unknown_area", "rectified_before_found", "due_before_found"))
                if bad == "unknown_area":
                    town_text = TYPOS.get(town.name, town.name[:1] + "X" + town.name[2:])
                elif bad == "rectified_before_found":
                    kwargs.update(feedback_on=found, feedback="已整改", rectified_on=found - timedelta(days=3))
                else:
                    due = found - timedelta(days=2)
            out.append(Finding(
                finding_id=f"DC{monday.year}{seq:05d}",
                notice_id=f"DB{monday.isocalendar()[0]}{monday.isocalendar()[1]:02d}{group + 1}{i // 20 + 1:02d}",
                group=group, found=found, district=district_text, town=town_text, community=community,
                site_type=(rnd.choice(site.aliases) if site.aliases and rnd.random() < 0.1 else site.name),
                site_name=site_name, category=category,
                description=rnd.choice(FINDING_TEMPLATES).format(site=site_name, cat=category),
                department=dept_text, due=due,
                score=round(rnd.uniform(60, 100), 1) if group == groups - 1 else None,
                bad=bad, **kwargs,
            ))
    return out


@dataclass
class Dataset:
    """Everything the simulator serves and writes, plus the ground truth tests compare with."""

    seed: int
    start: date
    weeks: int
    reference: Reference
    hotline: Hotline
    events: Events
    findings: list[Finding]
    groups: int = N_GROUPS
    extra: dict = field(default_factory=dict)

    @property
    def end(self) -> date:
        """The day after the campaign's last Sunday."""
        return self.start + timedelta(weeks=self.weeks)

    @property
    def bad(self) -> dict[str, dict[str, str]]:
        """Ids of the records carrying a deliberately bad value, by source, with the kind of fault."""
        kinds = {1: "unknown_area", 2: "closed_before_received", 3: "missing_category"}
        return {
            "hotline": {self.hotline.ticket_id(int(t)): kinds[int(self.hotline.bad[t])]
                        for t in np.flatnonzero(self.hotline.bad)},
            "events": dict(self.events.bad),
            "inspections": {f.finding_id: f.bad for f in self.findings if f.bad},
        }

    def hotline_versions(self, since: datetime, until: datetime, now: datetime | None = None,
                         profile: str = "native", view: str | None = None) -> set[tuple[str, str]]:
        """Ground truth: (ticket_id, updated as served) of what a pull of [since, until) must yield: every
        version (native) or each ticket's latest at `now` (open311); `view` overrides."""
        table = self.hotline.versions
        at = None if now is None else epoch(now)
        if view == "history" and profile == "open311":
            first, _, hi = table.history(epoch(since), epoch(until), at, None)
            return {(self.hotline.ticket_id(int(table.entity[p])), local_iso(table.updated[p]))
                    for p in range(first, hi)}
        if profile == "open311":
            positions = table.latest(epoch(since), epoch(until), at)
            return {(self.hotline.ticket_id(int(table.entity[p])), local_iso(table.updated[p])) for p in positions}
        first, _, hi = table.history(epoch(since), epoch(until), at, None)
        return {(self.hotline.ticket_id(int(table.entity[p])), local_text(table.updated[p])) for p in range(first, hi)}

    def event_versions(self, since: datetime, until: datetime, now: datetime | None = None,
                       view: str = "latest") -> set[tuple[str, str]]:
        """Ground truth: (event_id, update_time as served) of the versions in [since, until) visible at `now`:
        each event's latest (what the API lists) or, with view="history", every one."""
        table = self.events.versions
        at = None if now is None else epoch(now)
        if view == "history":
            first, _, hi = table.history(epoch(since), epoch(until), at, None)
            positions = range(first, hi)
        else:
            positions = table.latest(epoch(since), epoch(until), at)
        return {(self.events.event_id(int(table.entity[p])), local_iso(table.updated[p])) for p in positions}


def generate(
    seed: int = 7,
    *,
    reference: Reference | Path | str | None = None,
    start: date = DEFAULT_START,
    weeks: int = DEFAULT_WEEKS,
    n_tickets: int | None = None,
    n_events: int | None = None,
    n_findings: int | None = None,
    groups: int = N_GROUPS,
    bad_share: float = 0.01,
) -> Dataset:
    """The demo campaign (10 ISO weeks from Monday 2026-09-07 by default) with ~40 tickets a day, ~25 events
    and ~60 findings a week; every knob can be overridden (n_tickets=1_000_000 for a benchmark)."""
    if start.isoweekday() != 1:
        raise ValueError(f"the campaign starts on a Monday, not {start:%A} {start}")
    ref = reference if isinstance(reference, Reference) else load_reference(reference)
    days = weeks * 7
    start_ts = epoch(start)
    n_tickets = TICKETS_PER_DAY * days if n_tickets is None else n_tickets
    n_events = EVENTS_PER_WEEK * weeks if n_events is None else n_events
    n_findings = FINDINGS_PER_WEEK * weeks if n_findings is None else n_findings
    # Each source has its own stream of random numbers, so a knob of one leaves the others unchanged.
    hotline = Hotline(ref, np.random.default_rng([seed, 1]), n_tickets, start_ts, days, bad_share)
    events = Events(ref, random.Random(f"{seed}-events"), n_events, start_ts, days, bad_share)
    findings = _findings(ref, random.Random(f"{seed}-findings"), start, weeks, n_findings, groups, bad_share)
    return Dataset(seed=seed, start=start, weeks=weeks, reference=ref, hotline=hotline, events=events,
                   findings=findings, groups=groups)
