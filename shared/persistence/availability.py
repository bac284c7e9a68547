"""A PostgreSQL store that says "unreachable" at once rather than letting every request wait it out.

eventsourcing retries a failed read or write ten times, each waiting out the pool's timeout: while the database
refuses connections a request would hang for many seconds. Here, when a wait for a pooled connection times out, the
database is probed with a fresh connection; if that fails too the store counts as unreachable: the request fails
with `StoreUnavailable` (which the library does not retry, and the API answers 503 with `Retry-After`), and so does
every request for the next `retry_after` seconds without touching the pool. The pool keeps reconnecting meanwhile;
the first request after that time tries the database again, so recovery needs nobody.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import OperationalError, PersistenceError
from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout, TooManyRequests

from shared.persistence.databases import connect, first_line
from shared.settings import Settings

log = logging.getLogger(__name__)


class StoreUnavailable(PersistenceError):
    """The database cannot serve this request now; asking again after `retry_after` seconds may succeed."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Outage:
    """Whether the store is known to be unreachable, until when, and why (shared by every thread)."""

    def __init__(self, retry_after: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.retry_after = retry_after
        self.clock = clock
        self.reason: str | None = None
        self._until = 0.0
        self._lock = threading.Lock()

    def check(self) -> None:
        if self.clock() < self._until:
            raise StoreUnavailable(f"the database is unreachable: {self.reason}", self.retry_after)

    def begin(self, reason: str) -> StoreUnavailable:
        with self._lock:
            self.reason = reason
            self._until = self.clock() + self.retry_after
        log.warning(
            "the database is unreachable (%s): answering 503 for %ss, then trying again",
            reason,
            self.retry_after,
        )
        return StoreUnavailable(f"the database is unreachable: {reason}", self.retry_after)


class GuardedDatastore:
    """The recorder's datastore with the outage check in front of every connection; the rest is the library's."""

    def __init__(self, datastore: PostgresDatastore, outage: Outage, probe: Callable[[], None]) -> None:
        self._datastore = datastore
        self.outage = outage
        self._probe = probe

    def __getattr__(self, name: str) -> Any:  # a proxy: whatever the library's datastore has
        return getattr(self._datastore, name)

    @contextmanager
    def get_connection(self) -> Iterator[Connection[DictRow]]:
        self.outage.check()
        try:
            with self._datastore.get_connection() as conn:
                yield conn
        except OperationalError as error:
            cause = error.__cause__
            if isinstance(cause, TooManyRequests):  # a queue, not an outage: shed this one request
                raise StoreUnavailable(f"the database is busy: {cause}", self.outage.retry_after) from error
            if not isinstance(cause, PoolTimeout):
                raise
            try:
                self._probe()
            except (psycopg.Error, OSError) as unreachable:
                raise self.outage.begin(first_line(unreachable)) from error
            raise  # the database answers: the pool is only busy (or reconnecting); the library tries again

    @contextmanager
    def cursor(self) -> Iterator[Cursor[DictRow]]:
        with self.get_connection() as conn:
            yield conn.cursor()

    @contextmanager
    def transaction(self, *, commit: bool = False) -> Iterator[Cursor[DictRow]]:
        with self.get_connection() as conn, conn.transaction(force_rollback=not commit):
            yield conn.cursor()


def guard(recorder: Any, settings: Settings) -> Outage:
    """Put the outage check in front of a PostgreSQL recorder's connections, and bound its pool's reconnecting."""
    datastore: PostgresDatastore = recorder.datastore
    # eventsourcing passes neither: libpq would wait for a silent server as long as TCP does, and psycopg_pool
    # would back off for up to 5 minutes per lost connection before starting afresh.
    connection_kwargs = datastore.pool.kwargs
    assert isinstance(connection_kwargs, dict)  # the library hands its pool a dict
    connection_kwargs["connect_timeout"] = settings.pg_connect_timeout_seconds
    datastore.pool.reconnect_timeout = settings.pg_reconnect_seconds
    outage = Outage(settings.store_retry_after_seconds)
    recorder.datastore = GuardedDatastore(datastore, outage, lambda: connect(settings).close())
    return outage
