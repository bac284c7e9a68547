"""Records a follower cannot take — an event type this node does not know (its upstream was upgraded first) or a
state it cannot decode — and the failures that are only the store being away for a while."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from eventsourcing.persistence import InterfaceError, OperationalError

from replication.chain import LogRecord
from shared.classification import public_topics
from shared.domain.values import HQ_CODE

if TYPE_CHECKING:
    from shared.application import CrmApplication

SHOWN = 120  # an upstream's topic is shown and logged at most this long
TRANSIENT = {
    "OperationalError",
    "InterfaceError",
    "PoolTimeout",
    "ConnectionTimeout",
}  # psycopg's and sqlite3's


class PoisonRecord(Exception):
    """Retrying cannot help: the same record comes back and fails the same way."""

    def __init__(self, position: int, topic: str, reason: str) -> None:
        self.position = position
        self.topic = topic[:SHOWN]
        super().__init__(f"the record at position {position} of type '{self.topic}' {reason}")


def unknown_topic(upstream: str, records: Sequence[LogRecord]) -> PoisonRecord | None:
    known = public_topics("hq" if upstream == HQ_CODE else "province")
    for record in records:
        if record.topic not in known:
            return PoisonRecord(
                record.position,
                record.topic,
                "is an event type this node does not know "
                "(upgrade this node before its upstream ships new types)",
            )
    return None


def find_poison(app: CrmApplication, records: Sequence[LogRecord]) -> PoisonRecord | None:
    """After a batch failed to apply: the first record this node cannot decode, if that is why."""
    for record in records:
        try:
            app.decode(record)
        except Exception as error:
            return PoisonRecord(
                record.position,
                record.topic,
                f"cannot be decoded ({type(error).__name__}: {str(error)[:200]})",
            )
    return None


def is_transient(error: BaseException) -> bool:
    """The store refused or timed out (it comes back by itself): retry with backoff, however long."""
    seen: BaseException | None = error
    walked: set[int] = set()  # a chain may loop (`raise e from e`): each exception is looked at once
    while seen is not None and id(seen) not in walked:
        walked.add(id(seen))
        if (
            isinstance(seen, (OperationalError, InterfaceError, OSError, TimeoutError))
            or type(seen).__name__ in TRANSIENT
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
