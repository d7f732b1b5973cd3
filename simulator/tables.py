"""Versioned tables held as sorted numpy arrays, so a page of millions of versions is a binary search away."""

from __future__ import annotations

import threading

import numpy as np

NEVER = np.iinfo(np.int64).max
_ENTITY_BITS = 32


class VersionTable:
    """Every version of every entity, sorted by (updated, entity); `row(i)` formats version i for the wire.

    `updated` are UTC epoch seconds. Two views: the history (every version visible at `now`, what the native
    hotline API serves) and the latest (each entity's last version visible at `now`, what a list of current
    state such as Open311 or the events API serves).
    """

    def __init__(self, entity: np.ndarray, updated: np.ndarray, columns: dict[str, np.ndarray]):
        entity = np.asarray(entity, dtype=np.int64)
        updated = np.asarray(updated, dtype=np.int64)
        if len(entity) and int(entity.max()) >= 1 << _ENTITY_BITS:
            raise ValueError("too many entities for the composite key")
        order = np.lexsort((entity, updated))
        self.entity = entity[order]
        self.updated = updated[order]
        self.columns = {name: np.asarray(values)[order] for name, values in columns.items()}
        self.keys = (self.updated << _ENTITY_BITS) | self.entity
        # The updated time of the same entity's next version (NEVER for its last), for the latest view.
        by_entity = np.lexsort((self.updated, self.entity))
        next_updated = np.full(len(self.entity), NEVER, dtype=np.int64)
        same = self.entity[by_entity[1:]] == self.entity[by_entity[:-1]]
        next_updated[by_entity[:-1][same]] = self.updated[by_entity[1:][same]]
        self.next_updated = next_updated
        self._latest_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.entity)

    @staticmethod
    def key(updated: int, entity: int) -> int:
        return (int(updated) << _ENTITY_BITS) | int(entity)

    def history(self, since: int, until: int, now: int | None, after: int | None) -> tuple[int, int, int]:
        """The window of the history view as positions: (first in window, first after the cursor, end).

        Versions with since <= updated < until and updated <= now, in key order; `after` is a cursor key.
        """
        end = until if now is None else min(until, now + 1)
        first = int(np.searchsorted(self.keys, self.key(since, 0), side="left"))
        hi = max(first, int(np.searchsorted(self.keys, self.key(end, 0), side="left"))) if end > since else first
        lo = first if after is None else min(hi, max(first, int(np.searchsorted(self.keys, after, side="right"))))
        return first, lo, hi

    def latest_positions(self, now: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Positions (and their keys) of each entity's latest version visible at `now`, in key order."""
        stamp = NEVER - 1 if now is None else int(now)
        with self._lock:
            cached = self._latest_cache.get(stamp)
            if cached is None:
                mask = (self.updated <= stamp) & (self.next_updated > stamp)
                positions = np.flatnonzero(mask)
                cached = (positions, self.keys[positions])
                if len(self._latest_cache) > 8:
                    self._latest_cache.clear()
                self._latest_cache[stamp] = cached
            return cached

    def latest(self, since: int, until: int, now: int | None) -> np.ndarray:
        """Positions of the latest versions (as of `now`) with since <= updated < until, in key order."""
        positions, keys = self.latest_positions(now)
        lo = int(np.searchsorted(keys, self.key(since, 0), side="left"))
        hi = max(lo, int(np.searchsorted(keys, self.key(until, 0), side="left")))
        return positions[lo:hi]
