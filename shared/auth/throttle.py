"""Failed sign-ins are throttled: after `limit` failures within `window` seconds, a user name (or a client
address) waits until the window has passed."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Callable


class SignInThrottle:
    MAX_KEYS = 100_000  # names tried are forgotten oldest first beyond this: memory stays bounded

    def __init__(self, limit: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic,
                 address_limit: int = 50) -> None:
        self.limit, self.window, self.clock, self.address_limit = limit, window, clock, address_limit
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _limit(self, key: str) -> int:
        """A shared address (a proxy, an office behind NAT) may fail more often than one user name."""
        return self.address_limit if key.startswith("client:") else self.limit

    def wait_for(self, *keys: str) -> float:
        """Seconds before any of these may try again; 0 when they may now."""
        now = self.clock()
        with self._lock:
            waits = []
            for key in keys:
                failures = self._failures[key]
                while failures and failures[0] <= now - self.window:
                    failures.popleft()
                if len(failures) >= self._limit(key):
                    waits.append(failures[0] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures[key].append(self.clock())
            while len(self._failures) > self.MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)
