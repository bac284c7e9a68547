"""Exact lookups by a personal number are throttled per person: each may make `per_hour` of them, refilled
evenly (a token bucket), so guessing a masked number (about 4,200 candidate ID numbers, 10,000 phones) takes
days instead of seconds, while a desk looking up its callers never notices. Per node, in memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class LookupThrottle:
    MAX_PEOPLE = 100_000  # people seen are forgotten oldest first beyond this: memory stays bounded

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_hour)
        self.rate = per_hour / 3600.0  # lookups regained per second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # person: (lookups left, when counted)
        self._lock = threading.Lock()

    def waiting(self, person: str) -> float:
        """Seconds before this person may look up again (0: now), counting nothing."""
        now = self.clock()
        with self._lock:
            left, then = self._buckets.get(person, (self.capacity, now))
            left = min(self.capacity, left + (now - then) * self.rate)
            return 0.0 if left >= 1 else (1 - left) / self.rate

    def take(self, person: str) -> float:
        """Count one lookup by this person: 0 when they may make it now, else the seconds until they may."""
        now = self.clock()
        with self._lock:
            left, then = self._buckets.pop(person, (self.capacity, now))
            left = min(self.capacity, left + (now - then) * self.rate)
            if left < 1:
                self._buckets[person] = (left, now)
                return (1 - left) / self.rate
            self._buckets[person] = (left - 1, now)  # re-inserted last: the oldest is first to go
            while len(self._buckets) > self.MAX_PEOPLE:
                self._buckets.pop(next(iter(self._buckets)))
            return 0.0
