"""12345 hotline and patrol tickets: the native REST API (keyset paging) or any Open311 GeoReport v2 endpoint.

`cfg.extra["profile"]` picks the API: `native` (default) or `open311`. Open311 options in extra:
`api_key` and `jurisdiction_id` (sent as query parameters, never logged), `status` (e.g. `open,closed`),
`path` (default `/open311/v2/requests.json`) and `window_params` (default `start_date,end_date`; for
servers that filter `start_date` on the request time as the spec says, set the names of their update-time
filter, e.g. `updated_after,updated_before`; the window is enforced here on `updated_datetime` anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from etl.config import ConfigError
from etl.sources.base import HttpSource, Stream, require_aware

CONTRACT_FIELDS = (
    "ticket_id", "channel", "status", "received_at", "updated_at", "category", "description", "address",
    "district", "town", "community", "department", "deadline_at", "closed_at", "satisfaction",
    "caller_name", "caller_phone",
)

NATIVE = Stream(
    name="hotline",
    path="/api/v1/tickets",
    id_field="ticket_id",
    updated_field="updated_at",
    fields={name: name for name in CONTRACT_FIELDS},
)

OPEN311 = Stream(
    name="hotline(open311)",
    path="/open311/v2/requests.json",
    id_field="service_request_id",
    updated_field="updated_datetime",
    fields={
        "ticket_id": "service_request_id",
        "channel": None,
        "status": "status",
        "received_at": "requested_datetime",
        "updated_at": "updated_datetime",
        "category": "service_name",
        "description": "description",
        "address": "address",
        "district": None,
        "town": None,
        "community": None,
        "department": "agency_responsible",
        "deadline_at": "expected_datetime",
        "closed_at": None,
        "satisfaction": None,
        "caller_name": None,
        "caller_phone": None,
    },
    constants={"channel": "open311"},
    records_key=None,
)


def _wire_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class HotlineClient(HttpSource):
    """Hotline tickets, one record per status change (key: ticket_id, updated_at), in the contract's shape."""

    default_page_size = 500

    def __init__(self, cfg, **kwargs):
        super().__init__(cfg, **kwargs)
        self.profile = str((cfg.extra or {}).get("profile") or "native").lower()
        if self.profile not in ("native", "open311"):
            raise ConfigError(f"connection {cfg.conn_id!r}: extra.profile must be 'native' or 'open311', "
                              f"not {self.profile!r}")

    def iter_pages(self, since: datetime, until: datetime) -> Iterator[list[dict]]:
        """Pages of ticket versions with since <= updated_at < until, each version once."""
        since, until = require_aware("since", since), require_aware("until", until)
        if self.profile == "open311":
            return self._iter_open311(since, until)
        return self._iter_native(since, until)

    def _iter_native(self, since: datetime, until: datetime) -> Iterator[list[dict]]:
        stream = NATIVE

        def params(cursor: str | None) -> dict:
            query = {"updated_since": _wire_time(since), "updated_before": _wire_time(until), "limit": self.page_size}
            if cursor is not None:
                query["after"] = cursor
            return query

        return self._iter_keyset(stream, since, until, params, lambda raw: f"{raw['updated_at']}|{raw['ticket_id']}")

    def _iter_open311(self, since: datetime, until: datetime) -> Iterator[list[dict]]:
        extra = self.cfg.extra or {}
        path = extra.get("path") or OPEN311.path
        stream = Stream(**{**OPEN311.__dict__, "path": path})
        window = extra.get("window_params") or "start_date,end_date"
        start_param, end_param = (window.split(",") if isinstance(window, str) else window)[:2]

        def params(anchor: datetime, page: int) -> dict:
            query = {
                start_param.strip(): _wire_time(anchor),
                end_param.strip(): _wire_time(until),
                "page": page,
                "page_size": self.page_size,
            }
            for name in ("status", "jurisdiction_id", "api_key"):
                if extra.get(name):
                    query[name] = extra[name]
            return query

        return self._iter_anchored_pages(stream, since, until, params)
