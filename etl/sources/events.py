"""Campaign events (创文活动 / 志愿服务) from the volunteer platform's REST API (page-number paging)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from etl.sources.base import HttpSource, Stream, require_aware

# The platform's own field names; the contract's names on the left.
EVENTS = Stream(
    name="events",
    path="/api/v1/events",
    id_field="activity_id",
    updated_field="update_time",
    fields={
        "event_id": "activity_id",
        "title": "activity_name",
        "category": "category_name",
        "organizer": "org_name",
        "district": "district",
        "town": "street",
        "start_at": "start_time",
        "end_at": "end_time",
        "participants": "participant_count",
        "volunteers": "volunteer_count",
        "volunteer_hours": "service_hours",
        "status": "status",
        "updated_at": "update_time",
    },
)


class EventsClient(HttpSource):
    """Event versions (key: event_id, updated_at); a later version of an event replaces the earlier one."""

    default_page_size = 200

    def iter_pages(self, since: datetime, until: datetime) -> Iterator[list[dict]]:
        """Pages of event versions with since <= updated_at < until, each version once."""
        since, until = require_aware("since", since), require_aware("until", until)
        path = (self.cfg.extra or {}).get("path") or EVENTS.path
        stream = Stream(**{**EVENTS.__dict__, "path": path})

        def params(anchor: datetime, page: int) -> dict:
            return {
                "updated_since": anchor.astimezone(UTC).isoformat(),
                "updated_before": until.astimezone(UTC).isoformat(),
                "page": page,
                "page_size": self.page_size,
            }

        return self._iter_anchored_pages(stream, since, until, params)
