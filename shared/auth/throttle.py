"""Failed sign-ins are throttled: after `limit` failures within `window` seconds, a user name (or a client
address) waits until the window has passed. Failures are kept in the node's store, so a restart lifts no wait;
a system administrator can lift one (`unlock`)."""

from __future__ import annotations

import time
from typing import Callable

from shared.persistence.sign_in_ledger import SignInLedger


def user_key(username: str) -> str:
    return f"user:{username}"


def client_key(address: str) -> str:
    return f"client:{address}"


class SignInThrottle:
    def __init__(self, ledger: SignInLedger, limit: int = 5, window: float = 300.0, address_limit: int = 50,
                 clock: Callable[[], float] = time.time) -> None:
        self.ledger, self.limit, self.window, self.address_limit, self.clock = ledger, limit, window, address_limit, clock

    def _limit(self, key: str) -> int:
        """A shared address (a proxy, an office behind NAT) may fail more often than one user name."""
        return self.address_limit if key.startswith("client:") else self.limit

    def wait_for(self, *keys: str) -> float:
        """Seconds before any of these may try again; 0 when they may now."""
        now = self.clock()
        waits = []
        for key in keys:
            count, oldest = self.ledger.failures_since(key, now - self.window)
            if count >= self._limit(key) and oldest is not None:
                waits.append(oldest + self.window - now)
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        self.ledger.add_failure(keys, now, forget_before=now - self.window)

    def succeeded(self, key: str) -> None:
        self.ledger.clear(key)

    def locked(self, username: str) -> bool:
        return self.wait_for(user_key(username)) > 0
