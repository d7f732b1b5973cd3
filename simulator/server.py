"""The source simulator over real HTTP: native hotline API, Open311 GeoReport v2, volunteer platform events.

    with SimulatorServer(generate(7), faults=Faults(error_rate=0.1)) as srv:
        HotlineClient(SourceConfig("hotline", host=srv.base_url)) ...

Endpoints (times are ISO 8601; without an offset they mean Asia/Shanghai):
  GET  /api/v1/tickets?updated_since=&updated_before=&after=<updated_at>|<ticket_id>&limit=
       every status version with updated_since <= updated_at < updated_before, ordered by (updated_at, ticket_id),
       strictly after the `after` cursor -> {"data": [...], "limit": n, "has_more": bool, "next_after": str|null}
  GET  /open311/v2/requests.json?start_date=&end_date=&status=&page=&page_size=&api_key=&jurisdiction_id=
       each request's current state with start_date <= updated_datetime <= end_date, ordered by
       (updated_datetime, service_request_id) -> [...]   (updated_after/updated_before are accepted too)
  GET  /api/v1/events?updated_since=&updated_before=&page=&page_size=
       each event's current state in the window, same order -> {"data": [...], "page", "page_size", "total"}
  GET/POST /_faults   read or change fault injection (JSON fields of `Faults`)
  POST /_clock        {"now": "2026-09-14T00:00:00+08:00" | null}: what "now" is (null: everything visible)
  GET  /_stats        counters of requests and injected faults

A version is visible once `now` reaches its updated time, so a fixed `now` replays the sources as they were.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import numpy as np

from simulator.generator import Dataset, epoch, local_iso

log = logging.getLogger(__name__)

FAULT_KINDS = ("error", "rate_limit", "slow", "truncate", "duplicate", "shift")


@dataclass
class Faults:
    """What goes wrong, as shares of data requests (each request gets at most one fault), plus a script.

    error: HTTP 500/502/503/504. rate_limit: 429 with Retry-After `retry_after` seconds. slow: the answer
    comes after `slow_seconds` (beyond a client's timeout). truncate: the JSON body is cut short.
    duplicate: the page also repeats rows of the page before it. shift: before answering, the clock moves
    on `shift_seconds`, so versions appear and records change position while a client is paging.
    `script` lists the faults of the next requests in order ("500", "503", "429", "slow", "truncate",
    "duplicate", "shift", "ok"); random shares apply once it is used up.
    """

    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    slow_rate: float = 0.0
    truncate_rate: float = 0.0
    duplicate_rate: float = 0.0
    shift_rate: float = 0.0
    retry_after: float = 1.0
    slow_seconds: float = 2.0
    shift_seconds: float = 3600.0
    script: list[str] = field(default_factory=list)
    seed: int = 0

    @classmethod
    def mixed(cls, share: float, **overrides) -> Faults:
        """`share` of requests faulty, split evenly over every kind."""
        each = share / len(FAULT_KINDS)
        return cls(**{f"{k}_rate": each for k in FAULT_KINDS} | overrides)

    def draw(self, rng: random.Random) -> str:
        if self.script:
            return str(self.script.pop(0))
        u = rng.random()
        for kind in FAULT_KINDS:
            rate = getattr(self, f"{kind}_rate")
            if u < rate:
                return kind
            u -= rate
        return "ok"


@dataclass(frozen=True)
class Auth:
    """Credentials the simulator demands: a bearer token and/or basic login (native, events), an api_key
    (Open311). None means not required."""

    token: str | None = None
    basic: tuple[str, str] | None = None
    api_key: str | None = None
    jurisdiction_id: str | None = None


class BadRequest(Exception):
    pass


@dataclass(frozen=True)
class _Fault:
    kind: str
    status: int
    retry_after: float
    slow_seconds: float
    cut: float
    now: int | None


def parse_time(value: str | None, name: str) -> int | None:
    """UTC epoch seconds of an ISO 8601 query value (naive means Asia/Shanghai)."""
    if value is None or value == "":
        return None
    # An unencoded "+" of an offset arrives as a space.
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip())
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return int(parsed.timestamp())


def _int(params: dict, name: str, default: int, low: int = 1, high: int | None = None) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name}: not an integer: {raw!r}") from None
    if value < low:
        raise BadRequest(f"{name} must be >= {low}")
    return min(value, high) if high else value


class SimulatorServer:
    """A ThreadingHTTPServer on 127.0.0.1 serving a Dataset; a context manager that starts and stops it."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | dict | None = None,
        auth: Auth | None = None,
        now: datetime | None = None,
        max_page_size: int = 1000,
    ):
        self.dataset = dataset
        self.auth = auth or Auth()
        self.max_page_size = max_page_size
        self._lock = threading.Lock()
        self._faults = Faults(**faults) if isinstance(faults, dict) else (faults or Faults())
        self._rng = random.Random(self._faults.seed)
        self._now: int | None = None if now is None else epoch(now)
        self.stats: dict[str, int] = {}
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    # -- run-time control (also over HTTP) --------------------------------------------------------------
    def set_faults(self, faults: Faults | None = None, **changes) -> Faults:
        """Replace the faults, or change some of their fields; returns the faults now in force."""
        with self._lock:
            if faults is not None:
                self._faults = faults
                self._rng = random.Random(faults.seed)
            for name, value in changes.items():
                if name not in {f.name for f in fields(Faults)}:
                    raise ValueError(f"unknown fault setting {name!r}")
                setattr(self._faults, name, list(value) if name == "script" else value)
                if name == "seed":
                    self._rng = random.Random(value)
            return Faults(**asdict(self._faults))

    def set_now(self, now: datetime | None) -> None:
        """Fix the clock (versions after it are invisible); None shows everything."""
        with self._lock:
            self._now = None if now is None else epoch(now)

    @property
    def now(self) -> datetime | None:
        return None if self._now is None else datetime.fromtimestamp(self._now, UTC)

    def _count(self, name: str) -> None:
        self.stats[name] = self.stats.get(name, 0) + 1

    def _fault_for_request(self, endpoint: str) -> _Fault:
        """The fault of one data request; every random draw happens here, under the lock, so a seeded run
        of a sequential client is reproducible."""
        with self._lock:
            self._count(f"requests:{endpoint}")
            kind = self._faults.draw(self._rng)
            if kind != "ok":
                self._count(f"fault:{kind}")
            if kind == "shift" and self._now is not None:
                self._now += int(self._faults.shift_seconds)
            status = 200
            if kind == "error":
                status = self._rng.choice((500, 502, 503, 504))
            elif kind.isdigit():
                status = int(kind)
            elif kind == "rate_limit":
                status = 429
            return _Fault(kind, status, self._faults.retry_after, self._faults.slow_seconds,
                          self._rng.uniform(0.3, 0.9), self._now)

    # -- endpoints ------------------------------------------------------------------------------------
    def tickets(self, params: dict, now: int | None, duplicate: bool) -> dict:
        hotline = self.dataset.hotline
        table = hotline.versions
        since = parse_time(params.get("updated_since"), "updated_since") or 0
        until = parse_time(params.get("updated_before"), "updated_before") or (1 << 31) - 1
        limit = _int(params, "limit", 100, high=self.max_page_size)
        after = None
        if params.get("after"):
            at_text, _, ticket_id = params["after"].rpartition("|")
            entity = hotline.entity_of(ticket_id)
            if not at_text or entity is None:
                raise BadRequest(f"after: expected '<updated_at>|<ticket_id>', got {params['after']!r}")
            after = table.key(parse_time(at_text, "after"), entity)
        first, lo, hi = table.history(since, until, now, after)
        stop = min(hi, lo + limit)
        positions = np.arange(lo, stop)
        rows = hotline.native_rows(positions)
        if duplicate and rows:
            rows = hotline.native_rows(np.arange(max(first, lo - 3), lo)) + rows
            rows.insert(len(rows) // 2 + 1, rows[len(rows) // 2])
        last = rows[-1] if len(positions) else None
        return {
            "data": rows,
            "limit": limit,
            "has_more": stop < hi,
            "next_after": f"{last['updated_at']}|{last['ticket_id']}" if last else params.get("after"),
        }

    def open311(self, params: dict, now: int | None, duplicate: bool) -> list:
        if self.auth.jurisdiction_id and params.get("jurisdiction_id") not in (None, self.auth.jurisdiction_id):
            raise BadRequest(f"unknown jurisdiction_id {params.get('jurisdiction_id')!r}")
        hotline = self.dataset.hotline
        start = params.get("start_date") or params.get("updated_after")
        end = params.get("end_date") or params.get("updated_before")
        since = parse_time(start, "start_date") or 0
        until = (parse_time(end, "end_date") + 1) if end else (1 << 31) - 1  # the spec's end_date is inclusive
        window = hotline.versions.latest(since, until, now)
        if params.get("status"):
            wanted = {s.strip() for s in params["status"].split(",")}
            window = window[np.isin(hotline.open311_status(window), list(wanted))]
        rows, _, _ = self._numbered_page(params, window, hotline.open311_rows, duplicate)
        return rows

    def events(self, params: dict, now: int | None, duplicate: bool) -> dict:
        events = self.dataset.events
        since = parse_time(params.get("updated_since"), "updated_since") or 0
        until = parse_time(params.get("updated_before"), "updated_before") or (1 << 31) - 1
        window = events.versions.latest(since, until, now)
        rows, page, size = self._numbered_page(params, window, events.rows, duplicate)
        return {"data": rows, "page": page, "page_size": size, "total": int(len(window))}

    def _numbered_page(self, params: dict, window, format_rows, duplicate: bool) -> tuple[list, int, int]:
        """Page `page` of `window` (page-number paging); the duplicate fault repeats rows of the page before
        and one of its own."""
        page = _int(params, "page", 1)
        size = _int(params, "page_size", 50, high=self.max_page_size)
        offset = (page - 1) * size
        rows = format_rows(window[offset:offset + size])
        if duplicate and rows:
            rows = format_rows(window[max(0, offset - 3):offset]) + rows
            rows.insert(len(rows) // 2 + 1, rows[len(rows) // 2])
        return rows, page, size

    def control(self, method: str, path: str, body: dict | None) -> tuple[int, object]:
        if path == "/_faults":
            if method == "POST":
                return 200, asdict(self.set_faults(**(body or {})))
            with self._lock:
                return 200, asdict(self._faults)
        if path == "/_clock":
            if method == "POST":
                value = (body or {}).get("now")
                self.set_now(None if value is None else datetime.fromtimestamp(parse_time(value, "now"), UTC))
            return 200, {"now": None if self._now is None else local_iso(self._now)}
        if path == "/_stats":
            with self._lock:
                return 200, dict(self.stats)
        if path == "/_health":
            return 200, {"ok": True}
        return 404, {"error": f"no such endpoint: {path}"}


ENDPOINTS = {
    "/api/v1/tickets": ("tickets", "session"),
    "/open311/v2/requests.json": ("open311", "api_key"),
    "/api/v1/events": ("events", "session"),
}


def _handler_for(server: SimulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
        server_version = "CampaignSimulator/0.1"
        timeout = 60

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
            # The request line carries api_key: log the path only.
            log.debug("%s %s", self.command, urlsplit(self.path).path)

        def _send(self, status: int, payload: object, headers: dict | None = None, cut: float | None = None) -> None:
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            if cut is not None and len(body) > 2:
                body = body[: max(1, int(len(body) * cut))]
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout): nothing to tell it

        def _authorized(self, kind: str, params: dict) -> bool:
            auth = server.auth
            if kind == "api_key":
                return auth.api_key is None or params.get("api_key") == auth.api_key
            if auth.token is None and auth.basic is None:
                return True
            header = self.headers.get("Authorization", "")
            if auth.token is not None and header == f"Bearer {auth.token}":
                return True
            if auth.basic is not None and header.startswith("Basic "):
                import base64

                try:
                    login, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
                except ValueError:
                    return False
                return (login, password) == auth.basic
            return False

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self._dispatch("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._dispatch("POST")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            body = None
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                try:
                    body = json.loads(self.rfile.read(length) or b"null")
                except ValueError:
                    return self._send(400, {"error": "the body is not JSON"})
            if parts.path.startswith("/_"):
                try:
                    status, payload = server.control(method, parts.path, body)
                except (BadRequest, ValueError, TypeError) as exc:
                    status, payload = 400, {"error": str(exc)}
                return self._send(status, payload)
            endpoint = ENDPOINTS.get(parts.path)
            if endpoint is None or method != "GET":
                return self._send(404, {"error": f"no such endpoint: {method} {parts.path}"})
            name, auth_kind = endpoint
            if not self._authorized(auth_kind, params):
                with server._lock:
                    server._count("unauthorized")
                headers = {"WWW-Authenticate": 'Bearer realm="campaign"'} if auth_kind == "session" else {}
                return self._send(401, {"error": "unauthorized"}, headers)
            fault = server._fault_for_request(name)
            if fault.status == 429:
                return self._send(429, {"error": "too many requests"}, {"Retry-After": f"{fault.retry_after:g}"})
            if fault.status >= 400:
                return self._send(fault.status, {"error": HTTPStatus(fault.status).phrase})
            if fault.kind == "slow":
                time.sleep(fault.slow_seconds)
            try:
                payload = getattr(server, name)(params, fault.now, duplicate=fault.kind == "duplicate")
            except BadRequest as exc:
                return self._send(400, {"error": str(exc)})
            self._send(200, payload, cut=fault.cut if fault.kind == "truncate" else None)

    return Handler
