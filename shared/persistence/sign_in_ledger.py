"""What a node remembers of sign-ins beside its events: failed attempts (so a wait outlives a restart) and the refresh
tokens already used (each refreshes once). Neither is a business fact worth an event; both are pruned."""

from __future__ import annotations

from typing import Any, Iterable


class SignInLedger:
    def __init__(self, queries: Any, prefix: str) -> None:
        self.queries = queries
        self.failures = f"{prefix}_sign_in_failure"
        self.used = f"{prefix}_refresh_used"
        with queries.cursor(commit=True) as c:
            queries.execute(c, f"CREATE TABLE IF NOT EXISTS {self.failures} (key TEXT NOT NULL, "
                               "at DOUBLE PRECISION NOT NULL)")
            queries.execute(c, f"CREATE INDEX IF NOT EXISTS {self.failures}_key_idx ON {self.failures} (key, at)")
            queries.execute(c, f"CREATE TABLE IF NOT EXISTS {self.used} (jti TEXT PRIMARY KEY, "
                               "expires_at DOUBLE PRECISION NOT NULL)")

    def failures_since(self, key: str, since: float) -> tuple[int, float | None]:
        """How many failures of `key` since a moment, and the oldest of them."""
        rows = self.queries.rows(f"SELECT COUNT(*) AS n, MIN(at) AS oldest FROM {self.failures} "
                                 "WHERE key = ? AND at > ?", [key, since])
        oldest = rows[0]["oldest"]
        return int(rows[0]["n"]), float(oldest) if oldest is not None else None

    def add_failure(self, keys: Iterable[str], at: float, forget_before: float) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(c, f"DELETE FROM {self.failures} WHERE at <= ?", [forget_before])
            for key in keys:
                self.queries.execute(c, f"INSERT INTO {self.failures} (key, at) VALUES (?, ?)", [key, at])

    def clear(self, key: str) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(c, f"DELETE FROM {self.failures} WHERE key = ?", [key])

    def use_refresh(self, jti: str, expires_at: float, now: float) -> bool:
        """Mark a refresh token used; False when it was used before (a replay)."""
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(c, f"DELETE FROM {self.used} WHERE expires_at < ?", [now])
            self.queries.execute(c, f"INSERT INTO {self.used} (jti, expires_at) VALUES (?, ?) "
                                    "ON CONFLICT (jti) DO NOTHING RETURNING jti", [jti, expires_at])
            return c.fetchone() is not None
