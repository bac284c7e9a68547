"""Failed sign-ins are throttled: after `limit` failures within `window` seconds, a user name (or a client
address) waits until the window has passed."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Callable


class SignInThrottle:
    def __init__(self, limit: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait_for(self, *keys: str) -> float:
        """Seconds before any of these may try again; 0 when they may now."""
        now = self.clock()
        with self._lock:
            waits = []
            for key in keys:
                failures = self._failures[key]
                while failures and failures[0] <= now - self.window:
                    failures.popleft()
                if len(failures) >= self.limit:
                    waits.append(failures[0] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures[key].append(self.clock())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)
