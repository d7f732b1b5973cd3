"""Shared behaviour of the HTTP connectors: session, auth, timeouts, retries, and the two paging strategies.

Paging guarantees (both strategies need the source to order by (updated time, id) ascending):

* Keyset (`_iter_keyset`, the native hotline API): every request asks for the versions strictly after the
  last (updated_at, id) the connector has seen. A version that becomes visible during the pull has a
  later updated time than everything seen so far, so it sorts after the cursor and is fetched; nothing
  is skipped however many rows are inserted or updated meanwhile. Rows the server repeats (the same
  version on two pages) sort at or before the cursor and are dropped.
* Anchored page numbers (`_iter_anchored_pages`, events and Open311): page numbers alone skip a row
  whenever a row before the current offset changes (it moves to the end), so instead of asking for
  page 2 the connector asks again for page 1 of the window re-anchored at the last updated time it has
  seen (inclusive, `>=`). Rows at the anchor come back once more and are dropped by their version key
  (id, updated time). Only when a whole page shares one updated time does it turn the page number
  (the one case where page numbers are used, and so the one case a concurrent move could cost a row).

Either way each version (id, updated time) is yielded at most once per pull, and the window is
`since <= updated_at < until`. What no paging can see is a version stamped with an updated time the
pull has already passed but committed later; the pipeline covers that by pulling closed windows
(the data interval, not "now") and, where a source lags, by overlapping windows: loads upsert on the
same version key, so an overlap never double counts.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import requests

from etl.config import LOCAL_TZ, ConfigError, SourceConfig

log = logging.getLogger(__name__)
_LOCAL = ZoneInfo(LOCAL_TZ)

SECRET_PARAMS = frozenset({"api_key", "apikey", "access_token", "token", "key", "secret", "password"})
_SECRET_IN_TEXT = re.compile(r"((?:api_?key|access_token|token|secret|password)=)[^&\s\"']+", re.IGNORECASE)


class _RedactSecrets(logging.Filter):
    """urllib3 logs request lines at DEBUG, query string included: blank out secret parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_IN_TEXT.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _guard_library_logs() -> None:
    for name in ("urllib3.connectionpool", "urllib3.connection", "requests"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
            logger.addFilter(_RedactSecrets())


class SourceError(RuntimeError):
    """A source could not be read; `source`, `url` (no credentials), `status` (last HTTP status or None),
    `attempts` and `reason` say which, where and why."""

    def __init__(self, message: str, *, source: str, url: str, status: int | None, attempts: int, reason: str):
        super().__init__(message)
        self.source = source
        self.url = url
        self.status = status
        self.attempts = attempts
        self.reason = reason


class _RetryableError(Exception):
    """One failed attempt that may succeed if repeated."""

    def __init__(self, reason: str, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait


@dataclass(frozen=True)
class Stream:
    """One list endpoint declared as data: where it is, its keys, and how its fields map to the contract."""

    name: str
    path: str
    id_field: str
    updated_field: str
    fields: Mapping[str, str | None]
    constants: Mapping[str, Any] = field(default_factory=dict)
    records_key: str | None = "data"

    def to_record(self, raw: dict) -> dict:
        """The contract record of one source row: values as received, `raw` the row itself."""
        record = {name: (raw.get(src) if src else None) for name, src in self.fields.items()}
        record.update(self.constants)
        record["raw"] = raw
        return record


def parse_source_time(value: Any) -> datetime | None:
    """An aware UTC datetime from a source timestamp (naive means Asia/Shanghai); None if unreadable.

    Used only to page and to keep the window; the record keeps the value as received.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_LOCAL)
    return parsed.astimezone(UTC)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def redact_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """`url` with `params` appended, user:password removed and secret parameters dropped."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = {k: v for k, v in (params or {}).items() if k.lower() not in SECRET_PARAMS and v is not None}
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))


def require_aware(name: str, value: datetime) -> datetime:
    """The datetime in UTC; naive datetimes are refused, since a window must say its zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value!r}")
    return value.astimezone(UTC)


class _Versions:
    """Version keys (id, updated) seen in one pull; keys older than the paging floor are forgotten
    because the server is never asked for them again."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, Any]] = set()
        self.floor: datetime | None = None
        self.n_repeated = 0

    def is_new(self, key: tuple[str, Any], at: datetime | None) -> bool:
        if at is not None and self.floor is not None and at < self.floor:
            self.n_repeated += 1
            return False
        if key in self._seen:
            self.n_repeated += 1
            return False
        self._seen.add(key)
        return True

    def raise_floor(self, floor: datetime) -> None:
        if self.floor is None or floor > self.floor:
            self.floor = floor
            self._seen = {k for k in self._seen if k[1] is None or k[1] >= floor}


class HttpSource:
    """Base of the HTTP connectors: a context-managed `requests.Session` with auth, timeouts and retries.

    Options in `cfg.extra` (strings are accepted, as in Airflow's URI form): `auth` (`bearer`/`basic`/
    `none`; default basic when a login is set), `connect_timeout` (5 s), `read_timeout` (30 s),
    `max_attempts` (5), `backoff_seconds` (0.5, doubled per attempt, with jitter), `backoff_max_seconds`
    (30), `retry_after_max_seconds` (120: a longer Retry-After is cut to this), `page_size`.
    """

    default_page_size = 200

    def __init__(self, cfg: SourceConfig, *, sleep: Callable[[float], None] = time.sleep):
        self.cfg = cfg
        extra = cfg.extra or {}
        self.connect_timeout = float(extra.get("connect_timeout", 5))
        self.read_timeout = float(extra.get("read_timeout", 30))
        self.max_attempts = max(1, int(extra.get("max_attempts", 5)))
        self.backoff_seconds = float(extra.get("backoff_seconds", 0.5))
        self.backoff_max_seconds = float(extra.get("backoff_max_seconds", 30))
        self.retry_after_max_seconds = float(extra.get("retry_after_max_seconds", 120))
        self.page_size = int(extra.get("page_size", self.default_page_size))
        self._sleep = sleep
        self._jitter = random.Random()
        self._session: requests.Session | None = None
        _guard_library_logs()

    @property
    def source(self) -> str:
        return self.cfg.conn_id

    def __enter__(self):
        self._session = self._new_session()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({"Accept": "application/json", "User-Agent": "campaign-pipeline/0.1"})
        auth = str((self.cfg.extra or {}).get("auth") or ("basic" if self.cfg.login else "none")).lower()
        if auth == "bearer":
            if not self.cfg.password:
                raise SourceError(
                    f"{self.source}: extra.auth is 'bearer' but the connection has no password (token)",
                    source=self.source, url=redact_url(self.cfg.base_url), status=None, attempts=0,
                    reason="missing token",
                )
            session.headers["Authorization"] = f"Bearer {self.cfg.password}"
        elif auth == "basic":
            session.auth = (self.cfg.login or "", self.cfg.password or "")
        elif auth != "none":
            raise ConfigError(f"connection {self.source!r}: extra.auth must be 'bearer', 'basic' or 'none', "
                              f"not {auth!r}")
        return session

    def _url(self, path: str) -> str:
        return self.cfg.base_url + "/" + path.lstrip("/")

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random, so retries spread out."""
        delay = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return delay / 2 + self._jitter.uniform(0, delay / 2)

    def _get_json(self, path: str, params: Mapping[str, Any]) -> Any:
        """GET `path` with `params` and return the decoded JSON, retrying what a retry can fix."""
        if self._session is None:
            raise RuntimeError(f"{type(self).__name__} is a context manager: use `with {type(self).__name__}(cfg)`")
        url = self._url(path)
        safe_url = redact_url(url, params)
        last: _RetryableError | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._attempt(url, params, safe_url, attempt)
            except _RetryableError as exc:
                last = exc
            if attempt == self.max_attempts:
                break
            wait = self._backoff(attempt) if last.wait is None else last.wait
            log.warning(
                "%s: GET %s attempt %d/%d failed (%s); retrying in %.2f s",
                self.source, urlsplit(url).path, attempt, self.max_attempts, last.reason, wait,
            )
            self._sleep(wait)
        assert last is not None
        status = f"last status HTTP {last.status}" if last.status else "no HTTP status"
        raise SourceError(
            f"source {self.source!r}: GET {safe_url} failed after {self.max_attempts} attempts "
            f"({status}; last error: {last.reason})",
            source=self.source, url=safe_url, status=last.status, attempts=self.max_attempts, reason=last.reason,
        )

    def _attempt(self, url: str, params: Mapping[str, Any], safe_url: str, attempt: int) -> Any:
        """One request; raises _RetryableError for what may pass, SourceError for what will not."""
        try:
            response = self._session.get(url, params=params, timeout=(self.connect_timeout, self.read_timeout))
        except requests.Timeout as exc:
            # The exception text carries the full URL (api_key included): keep its type only.
            raise _RetryableError(f"timeout ({type(exc).__name__})") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            raise _RetryableError(f"connection error ({type(exc).__name__})") from None
        except requests.RequestException as exc:
            raise SourceError(
                f"source {self.source!r}: GET {safe_url} could not be sent ({type(exc).__name__})",
                source=self.source, url=safe_url, status=None, attempts=attempt, reason=type(exc).__name__,
            ) from None
        status = response.status_code
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None:
                wait = min(wait, self.retry_after_max_seconds)
            raise _RetryableError("HTTP 429 Too Many Requests", status, wait)
        if status >= 500:
            raise _RetryableError(f"HTTP {status}", status)
        if status >= 400:
            raise SourceError(
                f"source {self.source!r}: GET {safe_url} was refused with HTTP {status} "
                f"({response.reason}); not retried",
                source=self.source, url=safe_url, status=status, attempts=attempt, reason=f"HTTP {status}",
            )
        try:
            return response.json()
        except ValueError:
            raise _RetryableError(
                f"HTTP {status} with a truncated or undecodable JSON body ({len(response.content)} bytes)", status
            ) from None

    def _page_rows(self, stream: Stream, payload: Any, safe_url: str) -> list[dict]:
        rows = payload.get(stream.records_key) if stream.records_key and isinstance(payload, dict) else payload
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SourceError(
                f"source {self.source!r}: GET {safe_url} returned JSON of an unexpected shape "
                f"(expected a list of objects{' under ' + repr(stream.records_key) if stream.records_key else ''})",
                source=self.source, url=safe_url, status=200, attempts=1, reason="unexpected payload shape",
            )
        return rows

    def _keep(
        self, stream: Stream, rows: Iterable[dict], since: datetime, until: datetime, versions: _Versions
    ) -> tuple[list[dict], int, list[datetime | None]]:
        """Contract records of the rows that are new versions inside the window, the count of rows outside
        it, and every row's updated time (None where unreadable)."""
        records, outside, times = [], 0, []
        for raw in rows:
            at = parse_source_time(raw.get(stream.updated_field))
            times.append(at)
            if at is not None and not since <= at < until:
                outside += 1
                continue
            key = (str(raw.get(stream.id_field)), at if at is not None else raw.get(stream.updated_field))
            if versions.is_new(key, at):
                records.append(stream.to_record(raw))
        return records, outside, times

    def _iter_keyset(
        self,
        stream: Stream,
        since: datetime,
        until: datetime,
        params: Callable[[str | None], dict],
        cursor_of: Callable[[dict], str],
    ) -> Iterator[list[dict]]:
        """Pages of a cursor API: each request resumes strictly after the greatest (updated, id) seen."""
        versions = _Versions()
        cursor: str | None = None
        last_key: tuple[datetime, str] | None = None
        n_pages = n_records = 0
        while True:
            query = params(cursor)
            payload = self._get_json(stream.path, query)
            rows = self._page_rows(stream, payload, redact_url(self._url(stream.path), query))
            repeated_before = versions.n_repeated
            page, outside, row_times = self._keep(stream, rows, since, until, versions)
            n_pages += 1
            n_records += len(page)
            previous_key = last_key
            for raw, at in zip(rows, row_times, strict=True):
                key = (at, str(raw.get(stream.id_field)))
                if at is not None and (last_key is None or key > last_key):
                    last_key, cursor = key, cursor_of(raw)
            if last_key is not None:
                versions.raise_floor(last_key[0])
            log.info(
                "%s: page %d: %d rows, %d new versions, %d repeated, %d outside the window",
                stream.name, n_pages, len(rows), len(page), versions.n_repeated - repeated_before, outside,
            )
            if page:
                yield page
            page_size = self._echoed_page_size(payload)
            if (
                not rows
                or last_key == previous_key  # nothing after the cursor: the server is only repeating itself
                or (isinstance(payload, dict) and payload.get("has_more") is False)
                or (page_size is not None and len(rows) < page_size)
                or last_key[0] >= until
            ):
                break
        log.info("%s: pulled %d versions in %d pages", stream.name, n_records, n_pages)

    def _iter_anchored_pages(
        self,
        stream: Stream,
        since: datetime,
        until: datetime,
        params: Callable[[datetime, int], dict],
    ) -> Iterator[list[dict]]:
        """Pages of a page-number API, re-anchoring the window start at the last updated time seen.

        The pull ends on an empty page, on a page shorter than the page size the server says it used, or
        when a re-anchored page holds nothing after the anchor (one request more than plain paging).
        """
        versions = _Versions()
        anchor, page_number = since, 1
        ordered = True
        n_pages = n_records = 0
        while True:
            query = params(anchor, page_number)
            payload = self._get_json(stream.path, query)
            rows = self._page_rows(stream, payload, redact_url(self._url(stream.path), query))
            repeated_before = versions.n_repeated
            page, outside, row_times = self._keep(stream, rows, since, until, versions)
            n_pages += 1
            n_records += len(page)
            times = [t for t in row_times if t is not None]
            if ordered and any(a > b for a, b in zip(times, times[1:], strict=False)):
                # Without ascending order an anchor could jump over rows: fall back to plain page numbers.
                ordered = False
                log.warning("%s: the source does not order by updated time; paging by page number only", stream.name)
            log.info(
                "%s: page %d (from %s, page %d): %d rows, %d new versions, %d repeated, %d outside the window",
                stream.name, n_pages, anchor.isoformat(), page_number, len(rows), len(page),
                versions.n_repeated - repeated_before, outside,
            )
            if page:
                yield page
            page_size = self._echoed_page_size(payload)
            if not rows or (page_size is not None and len(rows) < page_size):
                break
            newest = max(times, default=anchor)
            if not ordered:
                page_number += 1
            elif newest > anchor:
                if newest >= until:
                    break
                anchor, page_number = newest, 1
                versions.raise_floor(anchor)
            elif sum(t >= anchor for t in times) >= (page_size or self.page_size):
                # Rows all stamped with the anchor's second fill the page: only here page numbers are used.
                page_number += 1
            else:
                break  # a short page with nothing after the anchor at the time of asking: the window is done
        log.info("%s: pulled %d versions in %d pages", stream.name, n_records, n_pages)

    @staticmethod
    def _echoed_page_size(payload: Any) -> int | None:
        """The page size the server says it used (it may cap ours), if it says one."""
        if not isinstance(payload, dict):
            return None
        echoed = payload.get("page_size") or payload.get("limit")
        try:
            return int(echoed) if echoed else None
        except (TypeError, ValueError):
            return None
