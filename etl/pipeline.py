"""One pull of one source, end to end: extract -> raw -> prepare (validate + normalize) -> staging -> audit.

A pull is prepared and written in segments of at most CHUNK_RECORDS records, so memory stays bounded however
long the window (a first pull backfills the whole campaign). A segment's raw payloads, staging rows,
quarantine rows, validation results, the pull's running reconciliation and a checkpoint watermark commit
together or not at all: on PostgreSQL each segment in a transaction of its own, on DuckDB consecutive segments
in one until they hold a row group's worth of records (`_SegmentGroup` says why). A pull that fails keeps its
committed segments (each complete and reconciled) and, if its source or a later segment's preparation failed,
the segments already written; it says why in `audit.pulls`, and the next run resumes from the checkpoint. A
pull that fits in one segment (every scheduled one) is all or nothing. Loads upsert on the version key, so
re-pulling an overlap is a no-op.

A segment is prepared (validated, normalized, its frames built) without touching the warehouse, then written
by a `SegmentWriter` thread while the next segment is prepared: the engines write outside the GIL, so the two
overlap, and writes still commit one at a time, in order.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from etl import config, refdata
from etl.normalize.text import text_columns
from etl.warehouse import bulk_insert, is_duckdb, upsert

log = logging.getLogger(__name__)

# Records prepared and written per segment, so memory does not grow with the pull.
CHUNK_RECORDS = 50_000
# DuckDB commits consecutive segments together until they hold a row group's worth of records (_SegmentGroup).
RECORDS_PER_COMMIT_DUCKDB = 122_880


@dataclass(frozen=True)
class Stream:
    """Where one source's records land, and what identifies one version of a record."""

    source: str
    record_kind: str  # what one record is, in audit.changed_records: ticket, finding, event
    raw_table: str
    staging_table: str
    staging_key: tuple[str, ...]
    version_fields: tuple[str, ...]  # record-contract fields that make the raw record key
    newer_column: str | None = None  # staging keeps the newest version only (an edit replaces)
    updated_column: str | None = None  # staging's source update time, an API pull's checkpoint
    updated_field: str | None = None  # the same in the record contract: raw's version_at


STREAMS = {
    "hotline": Stream(
        "hotline", "ticket", "raw.hotline_tickets", "staging.hotline_ticket_versions",
        ("ticket_id", "version_at"), ("ticket_id", "updated_at"), updated_column="version_at",
        updated_field="updated_at",
    ),
    "inspections": Stream(
        "inspections", "finding", "raw.inspection_findings", "staging.inspection_finding_versions",
        ("finding_id", "file_sha256"), ("file_sha256", "row_number"),
    ),
    "events": Stream(
        "events", "event", "raw.events", "staging.events", ("event_id",), ("event_id", "updated_at"), "updated_at",
        updated_column="updated_at", updated_field="updated_at",
    ),
}


@dataclass
class PullResult:
    """The reconciliation of one pull: extracted = loaded + quarantined + exact duplicates."""

    pull_id: str
    source: str
    n_extracted: int = 0
    n_loaded: int = 0
    n_quarantined: int = 0
    n_duplicates: int = 0
    watermark: str | None = None

    @property
    def is_reconciled(self) -> bool:
        return self.n_extracted == self.n_loaded + self.n_quarantined + self.n_duplicates

    def as_dict(self) -> dict:
        return {**asdict(self), "is_reconciled": self.is_reconciled}

    def add(self, part: PullResult) -> None:
        self.n_extracted += part.n_extracted
        self.n_loaded += part.n_loaded
        self.n_quarantined += part.n_quarantined
        self.n_duplicates += part.n_duplicates


class ReconciliationError(RuntimeError):
    """Records went missing between extract and load: the pull is rolled back."""


def utc_now() -> datetime:
    """Now, as the warehouse stores time: naive UTC (only for audit columns, never in load logic)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _utc_naive(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def pull_window(engine: Engine, source: str, interval_start: datetime, interval_end: datetime) -> tuple:
    """The window to pull: from the older of the watermark and the interval start, to the interval end.

    A rerun of an old interval pulls that interval again (the upserts make it a no-op); a gap after
    missed runs is caught up from the watermark; the first pull starts at the campaign start.
    """
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("select watermark from audit.watermarks where source = :source"), {"source": source}
        ).first()
    start = _utc_naive(interval_start)
    if row is None:
        campaign = datetime.combine(config.campaign_start(), datetime.min.time()) - timedelta(hours=8)
        start = min(start, campaign)
    else:
        start = min(start, row[0])
    return start.replace(tzinfo=UTC), interval_end.astimezone(UTC)


def pull_id_for(source: str, window_start: datetime, window_end: datetime) -> str:
    """Deterministic, so a rerun of the same window rewrites the same audit rows instead of adding."""
    return f"{source}:{window_start:%Y%m%dT%H%M%SZ}-{window_end:%Y%m%dT%H%M%SZ}"


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run CPython's cycle collector less often while a pull holds its segments' records.

    A segment keeps some 100k dicts (records, payloads) alive while pandas, Arrow and GX allocate, and at the
    default threshold (a collection every 700 allocations) the collector keeps walking them. Reference counting
    frees nearly all a pull makes; cycles are still collected, less often. 1M replayed hotline versions on
    DuckDB: 34.6 s with the default, 32.3 s with this, 33.1 s with no collection at all.
    """
    default = gc.get_threshold()
    gc.set_threshold(100_000, *default[1:])
    try:
        yield
    finally:
        gc.set_threshold(*default)


@_fewer_collections()
def ingest_api(
    engine: Engine,
    source: str,
    pages: Iterable[list[dict]],
    *,
    pull_id: str,
    window_start: datetime,
    window_end: datetime,
) -> PullResult:
    """Load every page of an API pull, a segment per transaction, then advance the watermark to `window_end`.

    Between segments the watermark is a checkpoint: the latest update time loaded. Sources order pages by
    update time, so every version not yet read is at or after it, and a resumed pull (from the checkpoint,
    inclusive) misses nothing.
    """
    stream = STREAMS[source]
    started = utc_now()
    window = (_utc_naive(window_start), _utc_naive(window_end))
    refs = refdata.load_reference()
    result = PullResult(pull_id=pull_id, source=source)
    group = _SegmentGroup(engine, RECORDS_PER_COMMIT_DUCKDB if is_duckdb(engine) else 1)

    def write(segment: _Segment) -> None:
        conn = group.connection()
        running = replace(result)
        for part in [*group.pending, segment.result]:
            running.add(part)
        try:
            _write_segment(conn, segment)
            _finish(conn, running, started, *window, status="loading")
            if segment.checkpoint is not None:
                _advance_watermark(conn, source, min(segment.checkpoint, window[1]), pull_id)
        except Exception:
            group.rollback()
            raise
        committed = group.written(segment.result)
        for part in committed:  # only once committed: a failure is recorded with the committed counts
            result.add(part)
        if committed:
            log.info("pull %s: %d records committed", pull_id, result.n_extracted)

    try:
        try:
            with SegmentWriter() as writer:
                for records in _chunked(pages):
                    writer.submit(write, _prepare_segment(stream, records, pull_id, as_of=window_end, refs=refs))
        finally:
            # Segments written before a failure elsewhere (the source, a bad batch) are whole: they commit.
            for part in group.commit():
                result.add(part)
        with engine.begin() as conn:
            _finish(conn, result, started, *window)
            _advance_watermark(conn, source, window[1], pull_id)
    except Exception as exc:
        _record_failure(engine, result, started, *window, exc)
        raise
    log.info("pull %s: %s", pull_id, result.as_dict())
    return result


class _SegmentGroup:
    """One transaction kept open across consecutive segments until they hold `min_records` records.

    DuckDB writes a transaction's rows straight into the database file once a table receives a whole row group
    (122,880 rows) in it; smaller commits go to the write-ahead log first and are written again at the next
    checkpoint. Used by one thread at a time (the writer's, then the caller's once the writer is done).
    """

    def __init__(self, engine: Engine, min_records: int) -> None:
        self.engine = engine
        self.min_records = min_records
        self.pending: list[PullResult] = []  # written in the open transaction, not yet committed
        self._conn: Connection | None = None
        self._transaction = None

    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.engine.connect()
            self._transaction = self._conn.begin()
        return self._conn

    def written(self, part: PullResult) -> list[PullResult]:
        """Count a segment written in the open transaction; commit once the group is big enough."""
        self.pending.append(part)
        if sum(p.n_extracted for p in self.pending) >= self.min_records:
            return self.commit()
        return []

    def commit(self) -> list[PullResult]:
        """Commit the open transaction (if any); the segments it committed."""
        if self._conn is None:
            return []
        try:
            self._transaction.commit()
        finally:
            self._close()
        committed, self.pending = self.pending, []
        return committed

    def rollback(self) -> None:
        if self._conn is not None:
            try:
                self._transaction.rollback()
            finally:
                self._close()
        self.pending = []

    def _close(self) -> None:
        conn, self._conn, self._transaction = self._conn, None, None
        conn.close()


class SegmentWriter:
    """Writes prepared segments one at a time on its own thread while the caller prepares the next one.

    The engines write outside the GIL (DuckDB's execution and commit, PostgreSQL's server), so preparing
    segment k+1, which is Python and pandas, overlaps writing segment k. One write is in flight at most and
    writes run in submission order, so segments and their checkpoints commit in order. A write's error is
    raised by the next `submit` or on leaving the block; a caller that fails still waits for the write in
    flight, so what it records afterwards sees that write committed or rolled back.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warehouse-writer")
        self._pending: Future | None = None

    def submit(self, write: Callable[[_Segment], None], segment: _Segment) -> None:
        """Wait for the write in flight (raising its error), then start this one."""
        self.wait()
        self._pending = self._pool.submit(write, segment)

    def wait(self) -> None:
        """Wait for the write in flight; its error is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            self.wait()
        except Exception:
            if exc_type is None:
                raise
            log.exception("a segment write failed as well")  # the caller's error is the one raised
        finally:
            self._pool.shutdown(wait=True)


class DropFilesRejected(RuntimeError):
    """Some drop files could not be loaded; the others were. The message names each file and why."""


@_fewer_collections()
def ingest_files(engine: Engine, drop_folder) -> list[PullResult]:
    """Load each new drop file in its own transaction, marking it processed in the same commit.

    A file that cannot be read or is rejected as a batch is recorded in audit.pulls and left unprocessed
    (so it is retried after a fix); the other files still load, and the run fails at the end naming it.
    """
    from etl.prepare import BatchRejected
    from etl.sources.inspections import DropFileError

    with engine.connect() as conn:
        seen = set(conn.exec_driver_sql("select file_sha256 from audit.processed_files").scalars())
    stream = STREAMS["inspections"]
    refs = refdata.load_reference()  # once per run, not per file
    results = []
    rejected: list[str] = []

    def commit(segment: _Segment, *, drop_file, started: datetime) -> None:
        result = segment.result
        try:
            with engine.begin() as conn:
                _write_segment(conn, segment)
                _finish(conn, result, started, None, None)
                upsert(conn, "audit.processed_files", pd.DataFrame([{
                    "file_sha256": drop_file.sha256, "source": "inspections", "file_name": drop_file.name,
                    "n_rows": result.n_extracted, "pull_id": result.pull_id, "processed_at": started,
                }]), ["file_sha256"])
        except Exception as exc:
            _record_failure(engine, PullResult(pull_id=result.pull_id, source="inspections"), started, None, None,
                            exc)
            raise
        log.info("%s file %s: %s", stream.source, drop_file.name, result.as_dict())
        results.append(result)

    files = drop_folder.iter_new_files(seen)
    with SegmentWriter() as writer:
        while True:
            started = utc_now()
            try:
                drop_file = next(files)
            except StopIteration:
                break
            except DropFileError as exc:
                # A file that cannot be read at all is recorded and skipped; the others still load.
                writer.wait()  # what is recorded after a file's write, as without the writer
                failed = PullResult(pull_id=f"inspections:{exc.file_name}", source="inspections")
                _record_failure(engine, failed, started, None, None, exc)
                rejected.append(f"{exc.file_name}: {exc}")
                continue
            pull_id = f"inspections:{drop_file.sha256[:16]}"
            try:
                segment = _prepare_segment(stream, drop_file.records, pull_id, as_of=started.replace(tzinfo=UTC),
                                           refs=refs)
            except Exception as exc:
                writer.wait()  # the file before this one commits first, as it would without the writer
                _record_failure(engine, PullResult(pull_id=pull_id, source="inspections"), started, None, None, exc)
                if not isinstance(exc, BatchRejected):
                    raise
                rejected.append(f"{drop_file.name}: {exc}")
                continue
            writer.submit(partial(commit, drop_file=drop_file, started=started), segment)
    if rejected:
        summary = f"{len(rejected)} drop file(s) not loaded ({len(results)} loaded): "
        raise DropFilesRejected(summary + "; ".join(rejected))
    return results


def _chunked(pages: Iterable[list[dict]]) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for page in pages:
        chunk.extend(page)
        if len(chunk) >= CHUNK_RECORDS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class _Segment:
    """One segment, prepared and reconciled: every frame its transaction writes."""

    stream: Stream
    result: PullResult
    raw: pd.DataFrame
    staging: pd.DataFrame
    changed: pd.DataFrame  # audit.changed_records: what the next incremental build recomputes
    quarantine: pd.DataFrame
    validations: pd.DataFrame
    checkpoint: datetime | None  # the latest update time staged (None if nothing or no such column)


def _prepare_segment(stream: Stream, records: list[dict], pull_id: str, *, as_of: datetime, refs) -> _Segment:
    """Validate and normalize one segment, with no warehouse access; `as_of`: the latest time a record may carry."""
    from etl.prepare import prepare

    received_at = utc_now()
    prepared = prepare(stream.source, _records_frame(records), refs, pull_id, salt=config.pii_salt(), as_of=as_of)
    staging = prepared.staging.assign(pull_id=pull_id)
    if stream.newer_column:
        staging = staging.sort_values(stream.newer_column).drop_duplicates(list(stream.staging_key), keep="last")
    result = PullResult(
        pull_id=pull_id, source=stream.source, n_extracted=len(records), n_loaded=len(prepared.staging),
        n_quarantined=prepared.n_quarantined, n_duplicates=prepared.n_duplicates,
    )
    if not result.is_reconciled:
        raise ReconciliationError(f"{pull_id}: {result.as_dict()} does not add up")
    latest = staging[stream.updated_column].max() if stream.updated_column and len(staging) else None
    return _Segment(
        stream=stream,
        result=result,
        raw=_raw_rows(stream, records, pull_id, received_at, prepared.updated_at),
        staging=staging,
        changed=pd.DataFrame({"record_kind": stream.record_kind, "record_id": staging[stream.staging_key[0]].unique()}),
        quarantine=_quarantine_rows(prepared.quarantine, pull_id, received_at),
        validations=_validation_rows(prepared.validations, pull_id, received_at),
        checkpoint=None if latest is None or pd.isna(latest) else latest.to_pydatetime(),
    )


def _write_segment(conn: Connection, segment: _Segment) -> None:
    """Write one prepared segment in the caller's transaction."""
    stream = segment.stream
    # First receipt wins: a re-pull of the same version keeps the original pull id and time.
    upsert(conn, stream.raw_table, segment.raw, ["record_key"], on_conflict="nothing",
           narrow_by="version_at" if stream.updated_field else None, mostly_new=True)
    upsert(conn, stream.staging_table, segment.staging, stream.staging_key, newer_column=stream.newer_column,
           mostly_new=True)
    bulk_insert(conn, "audit.changed_records", segment.changed)
    upsert(conn, "audit.quarantine", segment.quarantine, ["pull_id", "source_id", "rule"])
    upsert(conn, "audit.validation_results", segment.validations, ["pull_id", "suite"])
    log.info("pull %s: %d records written, not yet committed", segment.result.pull_id, segment.result.n_extracted)


def _records_frame(records: list[dict]) -> pd.DataFrame:
    """The records' contract fields as columns (`raw`, the payload as received, left out)."""
    keys = records[0].keys()
    if any(r.keys() != keys for r in records):
        keys = dict.fromkeys(k for r in records for k in r).keys()
    fields = [k for k in keys if k != "raw"]
    text = text_columns(records, fields)  # API records: text and missing values only
    if text is None:  # numbers, dates, nested values: field by field
        return pd.DataFrame({k: _column([r.get(k) for r in records]) for k in fields})
    return pd.DataFrame({k: pd.Series(column, dtype="str") for k, column in text.items()})


def _column(values: list) -> pd.Series | list:
    """A column of text straight into Arrow (half the time of pandas' own inference); any other as pandas infers it."""
    try:
        return pd.Series(pa.array(values, type=pa.large_string()), dtype="str")
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers, dates, nested values
        return values


def _raw_rows(
    stream: Stream, records: list[dict], pull_id: str, received_at: datetime, updated_at: pd.Series | None,
) -> pd.DataFrame:
    """Each record's payload, PII redacted; `updated_at`: every record's update time (Prepared.updated_at)."""
    from etl.normalize.pii import redacted_json

    version_values = zip(*([r.get(f) for r in records] for f in stream.version_fields), strict=True)
    frame = pd.DataFrame({
        "record_key": ["|".join(map(str, values)) for values in version_values],
        "source": stream.source,
        "pull_id": pull_id,
        "received_at": received_at,
        "payload": redacted_json([r["raw"] for r in records]),
    })
    if stream.updated_field:
        frame["version_at"] = updated_at.to_numpy()
    return frame.drop_duplicates("record_key")


def _quarantine_rows(quarantine: pd.DataFrame, pull_id: str, created_at: datetime) -> pd.DataFrame:
    rows = quarantine.assign(pull_id=pull_id, created_at=created_at, source_id=quarantine["source_id"].astype(str))
    columns = ["pull_id", "source", "source_id", "rule", "detail", "created_at"]
    return rows.drop_duplicates(["source_id", "rule"])[columns]


def _validation_rows(validations: list[dict], pull_id: str, created_at: datetime) -> pd.DataFrame:
    if not validations:
        return pd.DataFrame()
    rows = pd.DataFrame(validations).assign(pull_id=pull_id, created_at=created_at)
    return rows.drop_duplicates("suite", keep="last")


def _finish(conn, result: PullResult, started, window_start, window_end, status="loaded", message=None) -> None:
    upsert(conn, "audit.pulls", pd.DataFrame([{
        "pull_id": result.pull_id, "source": result.source, "window_start": window_start,
        "window_end": window_end, "started_at": started, "finished_at": utc_now(),
        "status": status, "n_extracted": result.n_extracted, "n_loaded": result.n_loaded,
        "n_quarantined": result.n_quarantined, "n_duplicates": result.n_duplicates,
        "is_reconciled": None if status == "failed" and not result.n_extracted else result.is_reconciled,
        "message": message,
    }]), ["pull_id"])


def _advance_watermark(conn: Connection, source: str, watermark: datetime, pull_id: str) -> None:
    frame = pd.DataFrame([{
        "source": source, "watermark": watermark, "pull_id": pull_id,
        "updated_at": utc_now(),
    }])
    upsert(conn, "audit.watermarks", frame, ["source"], newer_column="watermark")


def _record_failure(engine, result: PullResult, started, window_start, window_end, exc) -> None:
    """Say why a pull failed, in its own transaction; the counts are those of its committed segments."""
    try:
        with engine.begin() as conn:
            _finish(conn, result, started, window_start, window_end, status="failed",
                    message=f"{type(exc).__name__}: {exc}"[:4000])
    except Exception:  # the warehouse itself may be what failed; the original error is what matters
        log.exception("could not record the failure of pull %s", result.pull_id)
