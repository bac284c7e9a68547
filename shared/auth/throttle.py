"""Failed sign-ins are throttled: after `limit` attempts within `window` seconds, a user name (or a client address)
waits until the window has passed. Each attempt is counted before its password is checked, so a burst gets no
more checks than the limit. Attempts are kept in the node's store (a restart lifts no wait); a system
administrator lifts a user name's (`unlock`). An address's wait never stops a member who signed in from that address
before: a wrong password spree through a shared proxy locks out strangers, not the office."""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.persistence.sign_in_ledger import SignInLedger

KNOWN_FOR_SECONDS = 30 * 86400  # how long a member's address is remembered after they signed in from it


def user_key(username: str) -> str:
    return f"user:{username}"


def client_key(address: str) -> str:
    return f"client:{address}"


class SignInThrottle:
    def __init__(
        self,
        ledger: SignInLedger,
        limit: int = 5,
        window: float = 300.0,
        address_limit: int = 50,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger, self.limit, self.window, self.address_limit, self.clock = (
            ledger,
            limit,
            window,
            address_limit,
            clock,
        )

    def _over(self, key: str, count: int) -> bool:
        """A shared address (a proxy, an office behind NAT) may fail more often than one user name."""
        return count >= (self.address_limit if key.startswith("client:") else self.limit)

    def attempt(self, username: str, address: str) -> tuple[str | None, float]:
        """Count a sign-in attempt: (its id, 0) — or (None, seconds to wait) when the name or the address has had
        its share; a member's own address never holds them back."""
        now, since = self.clock(), self.clock() - self.window
        keys = [user_key(username)]
        if not self.ledger.known_since(f"{username}@{address}", now - KNOWN_FOR_SECONDS):
            keys.append(client_key(address))
        attempt = self.ledger.reserve(keys, now, since, self._over)
        if attempt is not None:
            return attempt, 0.0
        waits = [
            oldest + self.window - now
            for key in keys
            if self._over(key, self.ledger.count_since(key, since))
            and (oldest := self.ledger.oldest_since(key, since)) is not None
        ]
        return None, max(waits, default=1.0)

    def succeeded(self, attempt: str, username: str, address: str) -> None:
        now = self.clock()
        self.ledger.forget_attempt(attempt)
        self.ledger.clear(user_key(username))
        self.ledger.remember(f"{username}@{address}", now, forget_before=now - KNOWN_FOR_SECONDS)

    def lift(self, username: str) -> bool:
        """Lift a user name's wait; whether it was waiting."""
        since = self.clock() - self.window
        waiting = self._over(user_key(username), self.ledger.count_since(user_key(username), since))
        self.ledger.clear(user_key(username))
        return waiting

    def lift_address(self, address: str) -> bool:
        since = self.clock() - self.window
        waiting = self._over(client_key(address), self.ledger.count_since(client_key(address), since))
        self.ledger.clear(client_key(address))
        return waiting
