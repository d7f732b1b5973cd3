"""Prepare one batch of records for staging: normalize, apply the row rules, validate, quarantine.

`prepare(source, records, refs, run_id, salt=..., as_of=...)` turns records in the record contract
(docs/contract.md) into rows of the source's staging table, and every record it cannot load into a
quarantine row naming the rule it broke. Nothing is dropped silently:

    len(records) == len(staging) + n_quarantined (distinct records) + n_duplicates (exact repeats)

Row rules (quarantine `rule`): missing_id, missing_value, unparseable_date, date_in_future,
closed_before_received, updated_before_received, deadline_before_received, rectified_before_found,
reinspected_before_found, due_before_found, end_before_start, unknown_area, area_mismatch,
unknown_category, unknown_event_category, unknown_department, unknown_site_type, unknown_channel,
unknown_status, unknown_satisfaction, unknown_reinspection_result, invalid_number, negative_count,
duplicate_conflict, and `expectation:<expectation>` for rows a Great Expectations suite rejects.
A cancelled event keeps its row with every count set to 0.

Batch failures raise BatchRejected and load nothing: no records where rows were expected, a contract
column missing, or more than `config.max_quarantine_share()` of the records quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from etl import config
from etl.normalize.dates import parse_datetimes, to_utc
from etl.normalize.mapping import lookup_codes, map_areas, map_categories
from etl.normalize.pii import caller_hashes, mask_series
from etl.normalize.rules import QUARANTINE_COLUMNS, RuleHit, hits_frame
from etl.normalize.text import clean_text, match_keys
from etl.normalize.vocab import (
    CHANNEL,
    EVENT_STATUS,
    HOTLINE_STATUS,
    NOT_RATED,
    OPEN311_STATUS,
    REINSPECTION,
    SATISFACTION,
)
from etl.refdata import Reference

TIMESTAMP = "datetime64[us]"

# Record-contract columns per source, and those a connector may leave out (added as missing).
RECORD_COLUMNS = {
    "hotline": [
        "ticket_id", "channel", "status", "received_at", "updated_at", "category", "description", "address",
        "district", "town", "community", "department", "deadline_at", "closed_at", "satisfaction",
        "caller_name", "caller_phone",
    ],
    "inspections": [
        "finding_id", "notice_id", "found_date", "supervision_group", "district", "town", "community",
        "site_type", "site_name", "category", "description", "department", "due_date", "feedback",
        "rectified_date", "reinspected_date", "reinspection_result", "score", "file_name", "file_sha256",
        "row_number",
    ],
    "events": [
        "event_id", "title", "category", "organizer", "district", "town", "start_at", "end_at", "participants",
        "volunteers", "volunteer_hours", "status", "updated_at",
    ],
}
OPTIONAL_COLUMNS = {
    "hotline": {"caller_name", "caller_phone"},
    "inspections": {"notice_id", "feedback"},
    "events": set(),
}
# Staging columns (sql/staging/*.sql minus pull_id) and their pandas dtypes.
STAGING_COLUMNS = {
    "hotline": {
        "ticket_id": "str", "version_at": TIMESTAMP, "channel": "str", "status": "str", "received_at": TIMESTAMP,
        "category_code": "str", "district_code": "str", "town_code": "str", "community_code": "str",
        "department_code": "str", "deadline_at": TIMESTAMP, "closed_at": TIMESTAMP, "satisfaction": "str",
        "caller_hash": "str", "description": "str", "address": "str",
    },
    "inspections": {
        "finding_id": "str", "file_sha256": "str", "file_name": "str", "row_number": "int64", "notice_id": "str",
        "found_at": TIMESTAMP, "supervision_group": "str", "district_code": "str", "town_code": "str",
        "community_code": "str", "site_type_code": "str", "site_name": "str", "category_code": "str",
        "description": "str", "department_code": "str", "due_at": TIMESTAMP, "has_feedback": "bool",
        "rectified_at": TIMESTAMP, "reinspected_at": TIMESTAMP, "reinspection_passed": "boolean",
        "score": "float64",
    },
    "events": {
        "event_id": "str", "updated_at": TIMESTAMP, "title": "str", "category_code": "str", "organizer": "str",
        "district_code": "str", "town_code": "str", "start_at": TIMESTAMP, "end_at": TIMESTAMP,
        "participants": "int64", "volunteers": "int64", "volunteer_hours": "float64", "status": "str",
    },
}
SUITES = {
    "hotline": "staging.hotline_ticket_versions",
    "inspections": "staging.inspection_finding_versions",
    "events": "staging.events",
}
ROW_ID = "_row"
SOURCE_ID = "_source_id"
RULES = (
    "missing_id", "missing_value", "unparseable_date", "date_in_future", "closed_before_received",
    "updated_before_received", "deadline_before_received", "rectified_before_found", "reinspected_before_found",
    "due_before_found", "end_before_start", "unknown_area", "area_mismatch", "unknown_category",
    "unknown_event_category", "unknown_department", "unknown_site_type", "unknown_channel", "unknown_status",
    "unknown_satisfaction", "unknown_reinspection_result", "invalid_number", "negative_count", "duplicate_conflict",
)  # plus "expectation:<expectation>(<columns>)" for rows a suite rejects


class BatchRejected(Exception):
    """The whole batch is refused (nothing loads); the message says what and why."""


@dataclass(frozen=True)
class Prepared:
    """Staging rows, quarantine rows and validation results of one batch."""

    source: str
    staging: pd.DataFrame
    quarantine: pd.DataFrame  # source, source_id, rule, detail (JSON, never personal data)
    validations: list[dict] = field(default_factory=list)  # suite, success, n_evaluated, n_failed, result_json
    n_records: int = 0
    n_quarantined: int = 0  # distinct records quarantined (one record may break several rules)
    n_duplicates: int = 0  # exact repeats of a record in the batch (same key, same content), dropped
    # Every record's own `updated_at` as parsed (NaT where missing or unparseable), in record order: raw's
    # version time, parsed once. None for a source without one (inspections) and for an empty batch.
    updated_at: pd.Series | None = None

    @property
    def is_reconciled(self) -> bool:
        """records = staged + quarantined + exact duplicates."""
        return self.n_records == len(self.staging) + self.n_quarantined + self.n_duplicates


@dataclass
class _Built:
    """What a source's builder hands back: candidate staging rows and the rules they broke."""

    staging: pd.DataFrame
    hits: list[RuleHit]
    key: pd.Series  # one version of one record; exact repeats share key and content
    source_id: pd.Series
    not_content: tuple[str, ...] = ()  # staging columns that may differ between exact repeats
    updated_at: pd.Series | None = None  # Prepared.updated_at


def prepare(
    source: str,
    records: pd.DataFrame,
    refs: Reference,
    run_id: str,
    *,
    salt: str | None = None,
    as_of: datetime | pd.Timestamp | None = None,
    expect_rows: bool = True,
    max_quarantine_share: float | None = None,
    validate: bool = True,
) -> Prepared:
    """Normalize and validate one batch of `source` records (see the module docstring).

    `salt`: the caller-hash secret (default `config.pii_salt()`, hotline only). `as_of`: the latest
    instant a record may carry, e.g. the pull window's end (aware, or naive UTC); without it no
    date is judged to be in the future. `expect_rows=False` lets an empty batch through.
    """
    if source not in RECORD_COLUMNS:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(RECORD_COLUMNS)}")
    if records is None or len(records) == 0:
        if expect_rows:
            raise BatchRejected(f"{source} batch {run_id}: 0 records where rows were expected; nothing was loaded")
        return _empty(source)
    missing = [c for c in RECORD_COLUMNS[source] if c not in records.columns and c not in OPTIONAL_COLUMNS[source]]
    if missing:
        raise BatchRejected(
            f"{source} batch {run_id}: column(s) {', '.join(missing)} missing from the records "
            f"(the record contract in docs/contract.md); nothing was loaded"
        )
    frame = records.reset_index(drop=True).copy()
    for column in OPTIONAL_COLUMNS[source]:
        if column not in frame.columns:
            frame[column] = None
    limit = to_utc(as_of) if as_of is not None else None
    # Every contract column cleaned once (NFKC, trimmed, blank = missing); builders read only these.
    text = {column: clean_text(frame[column]) for column in RECORD_COLUMNS[source]}
    if source == "hotline":
        built = _hotline(text, refs, salt if salt is not None else config.pii_salt(), limit)
    elif source == "inspections":
        built = _inspections(text, refs, limit)
    else:
        built = _events(text, refs, limit)

    staging = built.staging
    exact, conflict = _duplicates(built.key, staging.drop(columns=list(built.not_content)))
    hits = [*built.hits, RuleHit("duplicate_conflict", conflict, {"key": built.key})]
    quarantine = hits_frame(hits, source, built.source_id)
    quarantine = quarantine[~quarantine[ROW_ID].isin(exact[exact].index)]
    bad_rows = set(quarantine[ROW_ID])
    keep = ~exact & ~staging.index.isin(list(bad_rows))
    candidates = staging[keep]

    validations: list[dict] = []
    if validate and not candidates.empty:
        from etl.validate import validate_frame

        # Failing rows are named by their quarantine source_id (unique in a batch), readable in Data Docs.
        named = candidates.assign(**{SOURCE_ID: built.source_id.loc[candidates.index]})
        outcome, summary = validate_frame(SUITES[source], named, SOURCE_ID)
        validations.append(outcome.record(summary))
        if outcome.table_failures:
            raise BatchRejected(
                f"{source} batch {run_id}: suite {SUITES[source]} failed table-level expectations "
                f"{outcome.table_failures}; nothing was loaded"
            )
        gx_hits = [
            RuleHit(f"expectation:{label}", built.source_id.isin(ids) & keep, {"expectation": label})
            for label, ids in outcome.failed_ids.items() if ids
        ]
        if gx_hits:
            gx_rows = hits_frame(gx_hits, source, built.source_id)
            quarantine = pd.concat([quarantine, gx_rows], ignore_index=True)
            bad_rows |= set(gx_rows[ROW_ID])
            candidates = candidates[~candidates.index.isin(list(bad_rows))]

    quarantine = quarantine.drop_duplicates([ROW_ID, "rule"])
    n_duplicates = int(exact.sum())
    n_quarantined = len(bad_rows)
    share_limit = config.max_quarantine_share() if max_quarantine_share is None else max_quarantine_share
    n_considered = len(frame) - n_duplicates
    if n_considered and n_quarantined / n_considered > share_limit:
        top = quarantine["rule"].value_counts().head(5)
        rules = ", ".join(f"{rule} ({n})" for rule, n in top.items())
        raise BatchRejected(
            f"{source} batch {run_id}: {n_quarantined} of {n_considered} records "
            f"({n_quarantined / n_considered:.0%}) broke row rules, above the limit of {share_limit:.0%}; "
            f"most frequent: {rules}. Nothing was loaded; see `python -m etl.refdata unmapped` for unknown names"
        )
    quarantine = quarantine.assign(detail=mask_series(quarantine["detail"].astype("str")))
    return Prepared(
        source=source,
        staging=_typed(source, candidates),
        quarantine=quarantine[QUARANTINE_COLUMNS].reset_index(drop=True),
        validations=validations,
        n_records=len(frame),
        n_quarantined=n_quarantined,
        n_duplicates=n_duplicates,
        updated_at=built.updated_at,
    )


def _empty(source: str) -> Prepared:
    staging = _typed(source, pd.DataFrame({c: pd.Series(dtype=object) for c in STAGING_COLUMNS[source]}))
    quarantine = pd.DataFrame({c: pd.Series(dtype="str") for c in QUARANTINE_COLUMNS})
    return Prepared(source=source, staging=staging, quarantine=quarantine)


def _typed(source: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the staging columns, in DDL order, with their dtypes."""
    out = {}
    for column, dtype in STAGING_COLUMNS[source].items():
        values = frame[column]
        if dtype == "str":
            values = values.astype("str").where(values.notna(), None)
        out[column] = values.astype(dtype) if dtype != "str" else values
    return pd.DataFrame(out).reset_index(drop=True)


def _duplicates(key: pd.Series, staging: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(exact repeats after the first, records sharing a key with different content)."""
    has_key = key.notna()
    repeated = has_key & key.duplicated(keep=False)
    if not repeated.any():
        none = pd.Series(False, index=key.index)
        return none, none
    content = pd.util.hash_pandas_object(staging.astype("str"), index=False)
    variants = content[repeated].groupby(key[repeated]).transform("nunique")
    conflict = pd.Series(False, index=key.index)
    conflict.loc[variants.index] = variants > 1
    exact = repeated & ~conflict & key.duplicated(keep="first")
    return exact, conflict


# --- shared pieces ---------------------------------------------------------------------------------------


def _dates(
    text: dict[str, pd.Series], fields: dict[str, str], hits: list[RuleHit], *, end_of_day: tuple[str, ...] = ()
) -> dict[str, pd.Series]:
    """Parse date fields (record field -> staging name); a given but unparseable value is a hit."""
    parsed = {}
    for record_field, name in fields.items():
        values = text[record_field]
        value = parse_datetimes(values, end_of_day=record_field in end_of_day, cleaned=True)
        unparseable = values.notna() & value.isna()
        hits.append(RuleHit("unparseable_date", unparseable, {"field": record_field, "value": values}))
        parsed[name] = value
    return parsed


def _required(text: dict[str, pd.Series], fields: list[str], hits: list[RuleHit]) -> None:
    for name in fields:
        hits.append(RuleHit("missing_value", text[name].isna(), {"field": name}))


def _before(later: pd.Series, earlier: pd.Series, rule: str, names: tuple[str, str], hits: list[RuleHit]) -> None:
    """`later` must not be before `earlier` (either missing passes)."""
    hits.append(RuleHit(rule, later < earlier, {names[0]: later, names[1]: earlier}))


def _future(stamps: dict[str, pd.Series], limit: pd.Timestamp | None, hits: list[RuleHit]) -> None:
    if limit is None:
        return
    for name, values in stamps.items():
        hits.append(RuleHit("date_in_future", values > limit, {"field": name, "value": values, "as_of": limit}))


def _vocabulary(
    values: pd.Series, mapping: dict[str, object], rule: str, field_name: str, hits: list[RuleHit],
    ignore: set[str] | None = None,
) -> pd.Series:
    keys = match_keys(values)
    mapped = keys.map(mapping)
    given = values.notna() & ~keys.isin(list(ignore or ()))
    hits.append(RuleHit(rule, given & mapped.isna(), {"field": field_name, "value": values}))
    return mapped


def _source_ids(base: pd.Series, fallback: pd.Series) -> pd.Series:
    """Readable, unique-per-batch ids for quarantine rows."""
    ids = base.where(base.notna(), fallback).astype("str")
    repeated = ids.duplicated(keep=False)
    position = pd.Series(ids.index + 1, index=ids.index).astype("str")
    return ids.where(~repeated, ids + "#" + position)


def _positions(index: pd.Index) -> pd.Series:
    return "row:" + pd.Series(index + 1, index=index).astype("str")


def _instant(values: pd.Series, fallback: pd.Series) -> pd.Series:
    """A key part for a timestamp: microseconds since the epoch, or the text as received if unparseable."""
    micros = pd.Series(values.to_numpy().astype("datetime64[us]").astype("int64"), index=values.index).astype("str")
    return micros.where(values.notna(), "?" + fallback)


def _counts(
    text: pd.Series, name: str, hits: list[RuleHit], applies: pd.Series, *, integer: bool
) -> pd.Series:
    """Non-negative counts; missing is 0; rows where `applies` is False are not judged."""
    number = pd.to_numeric(text, errors="coerce")
    not_number = text.notna() & number.isna()
    not_integer = integer & number.notna() & (number % 1 != 0)
    hits.append(RuleHit("invalid_number", applies & (not_number | not_integer), {"field": name, "value": text}))
    hits.append(RuleHit("negative_count", applies & (number < 0), {"field": name, "value": number}))
    return number.fillna(0)


# --- hotline ----------------------------------------------------------------------------------------------


def _hotline(text: dict[str, pd.Series], refs: Reference, salt: str, limit: pd.Timestamp | None) -> _Built:
    hits: list[RuleHit] = []
    index = text[next(iter(text))].index
    hits.append(RuleHit("missing_id", text["ticket_id"].isna(), {"field": "ticket_id"}))
    stamps = _dates(text, {"received_at": "received_at", "updated_at": "updated_at", "deadline_at": "deadline_at",
                            "closed_at": "closed_at"}, hits)
    received = stamps["received_at"]
    hits.append(RuleHit("missing_value", text["received_at"].isna(), {"field": "received_at"}))
    version_at = stamps["updated_at"].where(text["updated_at"].notna(), received)

    _required(text, ["channel", "status", "category"], hits)
    channel = _vocabulary(text["channel"], CHANNEL, "unknown_channel", "channel", hits)
    is_open311 = channel == "open311"
    native_status = match_keys(text["status"]).map(HOTLINE_STATUS)
    open311_status = match_keys(text["status"]).map(OPEN311_STATUS)
    open311_status = open311_status.where(
        open311_status != "open",
        pd.Series("in_progress", index=index).where(version_at > received, "received"),
    )
    status = native_status.where(~is_open311, open311_status)
    hits.append(RuleHit("unknown_status", text["status"].notna() & status.isna(),
                        {"field": "status", "value": text["status"], "channel": channel}))
    closed_at = stamps["closed_at"].where(stamps["closed_at"].notna() | (status != "closed"), version_at)

    satisfaction = _vocabulary(text["satisfaction"], SATISFACTION, "unknown_satisfaction", "satisfaction", hits,
                               ignore=NOT_RATED)
    category, hit = map_categories(text["category"], refs, "hotline")
    hits.append(hit)
    department, hit = lookup_codes(text["department"], refs.department_lookup, "unknown_department", "department")
    hits.append(hit)
    areas, area_hits = map_areas(text["district"], text["town"], text["community"], refs)
    hits.extend(area_hits)

    _before(closed_at, received, "closed_before_received", ("closed_at", "received_at"), hits)
    _before(version_at, received, "updated_before_received", ("updated_at", "received_at"), hits)
    _before(stamps["deadline_at"], received, "deadline_before_received", ("deadline_at", "received_at"), hits)
    _future({"received_at": received, "updated_at": version_at, "closed_at": closed_at}, limit, hits)

    staging = pd.DataFrame({
        "ticket_id": text["ticket_id"],
        "version_at": version_at,
        "channel": channel,
        "status": status,
        "received_at": received,
        "category_code": category,
        **areas,
        "department_code": department,
        "deadline_at": stamps["deadline_at"],
        "closed_at": closed_at,
        "satisfaction": satisfaction,
        "caller_hash": caller_hashes(text["caller_phone"], salt),
        "description": mask_series(text["description"]),
        "address": mask_series(text["address"]),
    })
    version_text = _instant(version_at, text["updated_at"])
    key = text["ticket_id"] + "|" + version_text.fillna("")
    as_received = text["updated_at"].where(text["updated_at"].notna(), text["received_at"])
    source_id = _source_ids(text["ticket_id"] + "@" + as_received.fillna("?"), _positions(index))
    return _Built(staging, hits, key.where(text["ticket_id"].notna()), source_id, updated_at=stamps["updated_at"])


# --- inspections ------------------------------------------------------------------------------------------


def _inspections(text: dict[str, pd.Series], refs: Reference, limit: pd.Timestamp | None) -> _Built:
    hits: list[RuleHit] = []
    hits.append(RuleHit("missing_id", text["finding_id"].isna(), {"field": "finding_id"}))
    _required(text, ["file_name", "file_sha256", "row_number", "found_date", "district", "site_type", "category",
                     "department"], hits)
    stamps = _dates(text, {"found_date": "found_at", "due_date": "due_at", "rectified_date": "rectified_at",
                            "reinspected_date": "reinspected_at"}, hits, end_of_day=("due_date",))

    areas, area_hits = map_areas(text["district"], text["town"], text["community"], refs)
    hits.extend(area_hits)
    site_type, hit = lookup_codes(text["site_type"], refs.site_type_lookup, "unknown_site_type", "site_type")
    hits.append(hit)
    category, hit = map_categories(text["category"], refs, "inspections")
    hits.append(hit)
    department, hit = lookup_codes(text["department"], refs.department_lookup, "unknown_department", "department")
    hits.append(hit)
    passed = _vocabulary(text["reinspection_result"], REINSPECTION, "unknown_reinspection_result",
                         "reinspection_result", hits)
    score = pd.to_numeric(text["score"], errors="coerce")
    hits.append(RuleHit("invalid_number", text["score"].notna() & score.isna(),
                        {"field": "score", "value": text["score"]}))
    row_number = pd.to_numeric(text["row_number"], errors="coerce")
    hits.append(RuleHit("invalid_number", text["row_number"].notna() & ~((row_number >= 1) & (row_number % 1 == 0)),
                        {"field": "row_number", "value": text["row_number"]}))

    found = stamps["found_at"]
    _before(stamps["rectified_at"], found, "rectified_before_found", ("rectified_at", "found_at"), hits)
    _before(stamps["reinspected_at"], found, "reinspected_before_found", ("reinspected_at", "found_at"), hits)
    _before(stamps["due_at"], found, "due_before_found", ("due_at", "found_at"), hits)
    _future({"found_at": found, "rectified_at": stamps["rectified_at"], "reinspected_at": stamps["reinspected_at"]},
            limit, hits)

    free_text = ("notice_id", "supervision_group", "site_name", "description")
    masked = {c: mask_series(text[c]) for c in free_text}
    staging = pd.DataFrame({
        "finding_id": text["finding_id"],
        "file_sha256": text["file_sha256"],
        "file_name": mask_series(text["file_name"]),
        "row_number": row_number,
        "notice_id": masked["notice_id"],
        "found_at": found,
        "supervision_group": masked["supervision_group"],
        **areas,
        "site_type_code": site_type,
        "site_name": masked["site_name"],
        "category_code": category,
        "description": masked["description"],
        "department_code": department,
        "due_at": stamps["due_at"],
        "has_feedback": text["feedback"].notna(),
        "rectified_at": stamps["rectified_at"],
        "reinspected_at": stamps["reinspected_at"],
        "reinspection_passed": passed.astype("boolean"),
        "score": score,
    })
    key = text["finding_id"] + "|" + text["file_sha256"].fillna("")
    where = "#row" + text["row_number"].fillna("?")
    source_id = _source_ids(text["finding_id"] + where, "(no id)" + where)
    # Rows of one file differ in row_number even when they repeat a finding: compare everything else.
    return _Built(staging, hits, key.where(text["finding_id"].notna()), source_id, not_content=("row_number",))


# --- events -----------------------------------------------------------------------------------------------


def _events(text: dict[str, pd.Series], refs: Reference, limit: pd.Timestamp | None) -> _Built:
    hits: list[RuleHit] = []
    index = text[next(iter(text))].index
    hits.append(RuleHit("missing_id", text["event_id"].isna(), {"field": "event_id"}))
    _required(text, ["updated_at", "start_at", "category", "organizer", "district", "status"], hits)
    stamps = _dates(text, {"start_at": "start_at", "end_at": "end_at", "updated_at": "updated_at"}, hits)

    status = _vocabulary(text["status"], EVENT_STATUS, "unknown_status", "status", hits)
    category, hit = lookup_codes(text["category"], refs.event_category_lookup, "unknown_event_category", "category")
    hits.append(hit)
    areas, area_hits = map_areas(text["district"], text["town"], pd.Series(None, index=index, dtype="str"), refs)
    hits.extend(area_hits)

    cancelled = status == "cancelled"
    counts: dict[str, pd.Series] = {}
    for name, integer in (("participants", True), ("volunteers", True), ("volunteer_hours", False)):
        counts[name] = _counts(text[name], name, hits, ~cancelled, integer=integer).where(~cancelled, 0)

    _before(stamps["end_at"], stamps["start_at"], "end_before_start", ("end_at", "start_at"), hits)
    _future({"updated_at": stamps["updated_at"]}, limit, hits)

    staging = pd.DataFrame({
        "event_id": text["event_id"],
        "updated_at": stamps["updated_at"],
        "title": mask_series(text["title"]),
        "category_code": category,
        "organizer": mask_series(text["organizer"]),
        "district_code": areas["district_code"],
        "town_code": areas["town_code"],
        "start_at": stamps["start_at"],
        "end_at": stamps["end_at"],
        **counts,
        "status": status,
    })
    updated_text = _instant(stamps["updated_at"], text["updated_at"])
    key = text["event_id"] + "|" + updated_text.fillna("")
    source_id = _source_ids(text["event_id"] + "@" + text["updated_at"].fillna("?"), _positions(index))
    return _Built(staging, hits, key.where(text["event_id"].notna()), source_id, updated_at=stamps["updated_at"])
