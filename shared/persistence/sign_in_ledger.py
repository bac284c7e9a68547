"""What a node remembers of sign-ins beside its events: attempts (so a wait outlives a restart), the addresses each
member signed in from, the refresh tokens already used and the sign-ins revoked. None of it is a business fact
worth an event; all of it is pruned."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable

from shared.persistence.queries import ReadModelQueries

ADVISORY_LOCK = 0x5197  # PostgreSQL: attempts are counted one sign-in at a time, whichever process counts


class SignInLedger:
    def __init__(self, queries: ReadModelQueries, prefix: str, postgres: bool) -> None:
        self.queries, self.postgres = queries, postgres
        self.attempts = f"{prefix}_sign_in_attempt"
        self.known = f"{prefix}_sign_in_known"
        self.used = f"{prefix}_refresh_used"
        self.revoked = f"{prefix}_session_revoked"
        self._lock = threading.Lock()
        with queries.cursor(commit=True) as c:
            for statement in (
                f"CREATE TABLE IF NOT EXISTS {self.attempts} (key TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, "
                "attempt TEXT)",
                f"CREATE INDEX IF NOT EXISTS {self.attempts}_key_idx ON {self.attempts} (key, at)",
                f"CREATE TABLE IF NOT EXISTS {self.known} (key TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS {self.used} (jti TEXT PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS {self.revoked} (sid TEXT PRIMARY KEY, "
                "expires_at DOUBLE PRECISION NOT NULL)",
            ):
                queries.execute(c, statement)

    def reserve(
        self, keys: Iterable[str], at: float, since: float, over: Callable[[str, int], bool]
    ) -> str | None:
        """Count an attempt for each key before its password is checked, atomically: the attempt's id, or None
        when a key has had `over` its share since `since` (then nothing is counted)."""
        attempt, keys = uuid.uuid4().hex, list(keys)
        with self._lock, self.queries.cursor(commit=True) as c:
            if self.postgres:
                self.queries.execute(c, "SELECT pg_advisory_xact_lock(?)", [ADVISORY_LOCK])
            for key in keys:
                self.queries.execute(
                    c, f"SELECT COUNT(*) AS n FROM {self.attempts} WHERE key = ? AND at > ?", [key, since]
                )
                counted = c.fetchone()  # COUNT gives one row
                if over(key, int(counted["n"]) if counted is not None else 0):
                    return None
            self.queries.execute(c, f"DELETE FROM {self.attempts} WHERE at <= ?", [since])
            for key in keys:
                self.queries.execute(
                    c, f"INSERT INTO {self.attempts} (key, at, attempt) VALUES (?, ?, ?)", [key, at, attempt]
                )
        return attempt

    def oldest_since(self, key: str, since: float) -> float | None:
        rows = self.queries.rows(
            f"SELECT MIN(at) AS oldest FROM {self.attempts} WHERE key = ? AND at > ?", [key, since]
        )
        return float(rows[0]["oldest"]) if rows[0]["oldest"] is not None else None

    def count_since(self, key: str, since: float) -> int:
        rows = self.queries.rows(
            f"SELECT COUNT(*) AS n FROM {self.attempts} WHERE key = ? AND at > ?", [key, since]
        )
        return int(rows[0]["n"])

    def forget_attempt(self, attempt: str) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(c, f"DELETE FROM {self.attempts} WHERE attempt = ?", [attempt])

    def clear(self, key: str) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(c, f"DELETE FROM {self.attempts} WHERE key = ?", [key])

    def remember(self, key: str, at: float, forget_before: float) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(c, f"DELETE FROM {self.known} WHERE at <= ?", [forget_before])
            self.queries.execute(
                c,
                f"INSERT INTO {self.known} (key, at) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET at = excluded.at",
                [key, at],
            )

    def known_since(self, key: str, since: float) -> bool:
        return bool(
            self.queries.rows(f"SELECT 1 AS x FROM {self.known} WHERE key = ? AND at > ?", [key, since])
        )

    def use_refresh(self, jti: str, expires_at: float, now: float) -> bool:
        """Mark a refresh token used; False when it was used before (a replay)."""
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(c, f"DELETE FROM {self.used} WHERE expires_at < ?", [now])
            self.queries.execute(
                c,
                f"INSERT INTO {self.used} (jti, expires_at) VALUES (?, ?) "
                "ON CONFLICT (jti) DO NOTHING RETURNING jti",
                [jti, expires_at],
            )
            return c.fetchone() is not None

    def revoke(self, sid: str, expires_at: float, now: float) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(c, f"DELETE FROM {self.revoked} WHERE expires_at < ?", [now])
            self.queries.execute(
                c,
                f"INSERT INTO {self.revoked} (sid, expires_at) VALUES (?, ?) ON CONFLICT (sid) DO NOTHING",
                [sid, expires_at],
            )

    def is_revoked(self, sid: str) -> bool:
        return bool(self.queries.rows(f"SELECT 1 AS x FROM {self.revoked} WHERE sid = ?", [sid]))
