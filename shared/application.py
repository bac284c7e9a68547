"""The base of every node's `eventsourcing` application: events and read-model rows in one transaction."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, StoredEvent, Tracking

from shared.audit.trail import AuditedResource
from shared.auth.lookups import LookupThrottle
from shared.domain.access import PersonalDataRead
from shared.domain.errors import Conflict, InvalidValue, NotFound
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.persistence.availability import guard
from shared.persistence.environment import eventsourcing_env, index_key
from shared.persistence.integrity import LogCheck, notifications, seal_existing
from shared.persistence.operators import OperatorMapper
from shared.persistence.protection import Protection
from shared.persistence.queries import ReadModelQueries
from shared.persistence.readmodel import (
    IdempotencyRecord,
    Operation,
    ReadModelSchema,
    Table,
    to_doc,
)
from shared.persistence.recorders import ReadModelRecorder
from shared.persistence.transcodings import DateAsISO
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.staff_table import StaffAccess

log = logging.getLogger(__name__)

Projector = Callable[[Any], list[Operation]]


class TravellingRecord(Protocol):
    """A record as it travels between nodes (a replicated record, a mirror row): what `decode` reads of it."""

    @property
    def originator_id(self) -> object: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


REBUILD_CHUNK = 2000  # aggregates projected and written at a time when read models are rebuilt
A = TypeVar("A", bound=Aggregate)


class Batch:
    """The aggregates one replicated batch loads or creates: each loaded once, all saved together with the
    batch's tracking record, so commands run for several records of a batch see each other's changes."""

    def __init__(self) -> None:
        self.aggregates: dict[UUID, Aggregate] = {}

    def add(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self.aggregates[aggregate.id] = aggregate

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        return self.aggregates.get(aggregate_id)

    def of_type(self, cls: type[A]) -> list[A]:
        return [a for a in self.aggregates.values() if isinstance(a, cls)]

    def changed(self) -> list[Aggregate]:
        return [a for a in self.aggregates.values() if a.pending_events]


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's `Idempotency-Key` with a fingerprint of the request it came with."""

    key: str
    request_hash: str

    @classmethod
    def of(cls, key: str, payload: object) -> IdempotencyKey:
        digest = hashlib.sha256(to_doc({"payload": payload}).encode()).hexdigest()
        return cls(key=key, request_hash=digest)


@dataclass(frozen=True)
class Outcome:
    """What a command answered; replayed verbatim for a repeated idempotency key."""

    status: int
    body: JSONObject


class ConcurrentChange(Conflict):
    code = "concurrentChange"


P = ParamSpec("P")
R = TypeVar("R")
COMMAND_ATTEMPTS = 8
RECEIPT_PURGE_EVERY = 100
RETRY_PAUSE_SECONDS = 0.005


def retried(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command again when it lost a race to another save of the same aggregate (a replicated batch, say):
    it reloads what it reads and checks its rules again, so a retry is the same request made a moment later.
    The pause grows and is jittered, so a command does not keep meeting a stream of replicated saves in step."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, COMMAND_ATTEMPTS + 1):
            try:
                return command(*args, **kwargs)
            except ConcurrentChange:
                if attempt == COMMAND_ATTEMPTS:
                    raise
                time.sleep(RETRY_PAUSE_SECONDS * attempt * random.random())
        raise AssertionError("unreachable")

    return run


class Pulse:
    """Wakes threads waiting for new events (the log service's tails) without polling the store."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._count = 0

    def beat(self) -> None:
        with self._condition:
            self._count += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self._condition:
            self._condition.wait_for(lambda: self._count != seen, timeout=timeout)
            return self._count

    @property
    def count(self) -> int:
        return self._count


class CrmApplication(Application):
    """One node's application; subclasses list their read-model tables and projectors."""

    tables: ClassVar[tuple[Table, ...]] = ()
    projectors: ClassVar[dict[type, Projector]] = {}
    audited_resources: ClassVar[tuple[AuditedResource, ...]] = ()
    staff_access: StaffAccess  # each node's staff: who acts on a request, sign-in, unlocking
    recorder: ReadModelRecorder  # made by construct_recorder

    def __init__(self, settings: Settings) -> None:
        self.name = settings.app_name
        self.settings = settings
        super().__init__(env=eventsourcing_env(settings))
        assert self.mapper.cipher is not None  # Settings always name the cipher (CIPHER_TOPIC)
        self.protection = Protection(self.mapper.cipher, index_key(settings))
        self.schema = ReadModelSchema(settings.app_name, self.tables, self.protection)
        # Records between nodes travel decrypted (TLS); their events' `by` is an Operator here too.
        self.wire = OperatorMapper(transcoder=self.mapper.transcoder)
        self.recorder.read_model_schema = self.schema
        self.queries = ReadModelQueries(self.recorder, self.schema)
        self._reshaped = self.queries.create_tables()
        self._create_upstream_table()
        if sealed := seal_existing(self.recorder, self.schema.prefix, self.protection.log_key):
            log.warning("sealed the %d events this store held before its log was sealed", sealed)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.pulse = Pulse()
        self.personal_lookups = LookupThrottle(settings.personal_lookups_per_hour)
        self._local = threading.local()
        self.peers: set[str] = set()  # the nodes this one follows (set by its runtime)

    def follow_upstreams(self, codes: set[str]) -> None:
        """The nodes this one follows, as its runtime starts or adds them."""
        self.peers = set(codes)

    def rebuild_if_reshaped(self) -> None:
        """After start-up: read models whose tables changed shape are filled again from the event store."""
        if self._reshaped and self.head_position():
            self.rebuild_read_models()
        self._reshaped = False

    def record_personal_read(self, resource: str, subjects: list[str], by: Operator) -> None:
        """Who saw whose certificate and phone numbers in full, when, through which channel (PIPL)."""
        self.record(PersonalDataRead(resource=resource, subjects=subjects, by=by))

    def orphans_by_upstream(self) -> dict[str, int]:
        """Per upstream, how many of its records were kept as orphans here (a node that keeps none: none)."""
        return {}

    def _notify(self, recordings):  # type: ignore[no-untyped-def]
        super()._notify(recordings)
        self.pulse.beat()

    def construct_mapper(self) -> Mapper[UUID]:
        # The library's mapper (cipher and compressor from the environment), with events' `by` an Operator.
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=OperatorMapper)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def construct_recorder(self) -> ReadModelRecorder:
        # A process recorder: the same store can later take tracking records for followed logs.
        recorder = cast("ReadModelRecorder", self.factory.process_recorder())  # the class Settings name
        if self.settings.store == "postgres":  # an unreachable database: 503 at once, not a long hang
            guard(recorder, self.settings)
        return recorder

    def check_store(self) -> None:
        """Return when the store answers now; raise (StoreUnavailable, or the store's error) when it does not.
        Bounded by the pool's short wait, and immediate while an outage is known."""
        with self.queries.cursor() as cursor:
            self.queries.execute(cursor, "SELECT 1")

    # --- recording -------------------------------------------------------------------------

    def project(self, aggregate: Aggregate) -> list[Operation]:
        for cls in type(aggregate).__mro__:
            projector = self.projectors.get(cls)
            if projector is not None:
                return projector(aggregate)
        return []

    def record(
        self,
        *aggregates: Aggregate,
        idempotency: IdempotencyKey | None = None,
        outcome: Outcome | None = None,
        extra: Iterable[Operation] = (),
        **kwargs: Any,
    ) -> None:
        """Save aggregates, with what their new events cause (`caused`), and their read-model rows; a lost race
        becomes a 409, never a 500."""
        aggregates = (*aggregates, *self.caused(aggregates))
        operations = [op for agg in aggregates for op in self.project(agg)]
        operations.extend(extra)
        receipt = None
        if idempotency is not None and outcome is not None:
            receipt = IdempotencyRecord(
                idempotency.key,
                idempotency.request_hash,
                outcome.status,
                to_doc(outcome.body),
                self.clock().astimezone(UTC).isoformat(),
            )
        if receipt is not None:
            self._forget_expired_receipts()
        try:
            self.save(*aggregates, read_model=operations, idempotency=receipt, **kwargs)
        except IntegrityError as error:
            raise ConcurrentChange(
                "another change to the same resource was recorded first; read it again and retry",
                field=None,
            ) from error

    def caused(self, aggregates: Iterable[Aggregate]) -> list[Aggregate]:
        """The aggregates the events about to be recorded cause, saved in the same transaction: a node's policy
        decides (a province's new customer gets its billing account); none here."""
        return []

    def _forget_expired_receipts(self) -> None:
        """Receipts hold first answers (personal data sealed): none is kept past its time to live."""
        self._receipts_written = getattr(self, "_receipts_written", 0) + 1
        if self._receipts_written % RECEIPT_PURGE_EVERY == 1:
            kept_since = self.clock() - timedelta(hours=self.settings.idempotency_hours)
            self.queries.forget_idempotency_before(kept_since.astimezone(UTC).isoformat())

    def replay_outcome(self, idempotency: IdempotencyKey | None) -> Outcome | None:
        """The first answer for a repeated key; a 409 when the key came with another request."""
        if idempotency is None:
            return None
        previous = self.queries.idempotency(idempotency.key)
        if previous is None:
            return None
        kept_since = (self.clock() - timedelta(hours=self.settings.idempotency_hours)).astimezone(UTC)
        if previous.recorded_at < kept_since.isoformat():
            self.queries.forget_idempotency_before(kept_since.isoformat())  # expired: a new request
            return None
        if previous.request_hash != idempotency.request_hash:
            raise Conflict(
                "this Idempotency-Key was already used with a different request",
                field="Idempotency-Key",
            )
        return Outcome(previous.status, json.loads(previous.body))

    def load(self, cls: type[A], aggregate_id: str | UUID, field: str = "id") -> A:
        """An aggregate of the given class, or NotFound naming the field that referred to it."""
        aggregate = self.find(cls, aggregate_id)
        if aggregate is None:
            raise NotFound(f"no {cls.__name__} with id '{aggregate_id}'", field=field)
        return aggregate

    def find(self, cls: type[A], aggregate_id: str | UUID) -> A | None:
        """An aggregate of the given class or None; inside a replicated batch, the batch's own copy."""
        try:
            uuid = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
        except ValueError:
            return None
        batch: Batch | None = getattr(self._local, "batch", None)
        aggregate = batch.get(uuid) if batch is not None else None
        if aggregate is None:
            try:
                aggregate = self.repository.get(uuid)
            except AggregateNotFoundError:
                return None
            if batch is not None:
                batch.add(aggregate)
        return aggregate if isinstance(aggregate, cls) else None

    def created(self, *aggregates: Aggregate) -> None:
        """New aggregates of the current replicated batch (outside one, the caller saves them itself)."""
        batch: Batch | None = getattr(self._local, "batch", None)
        if batch is not None:
            batch.add(*aggregates)

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """A unit of work: every aggregate loaded once, so a command's (or a replicated batch's) steps see each
        other's changes; the caller saves `batch.changed()` in one transaction. Nested uses share the outer one."""
        outer: Batch | None = getattr(self._local, "batch", None)
        if outer is not None:
            yield outer
            return
        self._local.batch = Batch()
        try:
            yield self._local.batch
        finally:
            self._local.batch = None

    def in_batch(self, cls: type[A]) -> list[A]:
        batch: Batch | None = getattr(self._local, "batch", None)
        return batch.of_type(cls) if batch is not None else []

    def plain(self, state: bytes) -> bytes:
        """A stored event's state as it travels and is hashed: decrypted (by this node's key)."""
        return self.mapper.cipher.decrypt(state) if self.mapper.cipher else state

    def sealed(self, state: bytes) -> bytes:
        return self.mapper.cipher.encrypt(state) if self.mapper.cipher else state

    def decode(self, record: TravellingRecord) -> Any:  # the event, of whichever class its topic names
        """A replicated record (or mirror row), as it travels (decrypted), as the domain event it is."""
        return self.wire.to_domain_event(
            StoredEvent(
                originator_id=UUID(str(record.originator_id)),
                originator_version=record.originator_version,
                topic=record.topic,
                state=record.state,
            )
        )

    # --- replication ----------------------------------------------------------------------------

    @property
    def upstream_table(self) -> str:
        return f"{self.schema.prefix}_upstream"

    def _create_upstream_table(self) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.upstream_table} (upstream TEXT PRIMARY KEY, "
                "position BIGINT NOT NULL, running_hash TEXT NOT NULL, recorded_at TEXT NOT NULL)",
            )

    def replication_position(self, upstream: str) -> tuple[int, bytes, str]:
        """Where this node stands on an upstream's log: the library's tracking record and our running hash."""
        position = self.recorder.max_tracking_id(upstream) or 0
        rows = self.queries.rows(
            f"SELECT position, running_hash, recorded_at FROM {self.upstream_table} WHERE upstream = ?",
            [upstream],
        )
        if not rows:
            return position, bytes(32), ""
        if int(rows[0]["position"]) != position:
            raise RuntimeError(f"tracking and running hash disagree for upstream {upstream}")
        return position, bytes.fromhex(rows[0]["running_hash"]), rows[0]["recorded_at"]

    def record_replicated(
        self,
        upstream: str,
        position: int,
        running_hash: bytes,
        recorded_at: str,
        *aggregates: Aggregate,
        operations: Iterable[Operation] = (),
        bulk: Iterable[tuple[str, list[tuple[object, ...]]]] = (),
    ) -> None:
        """Apply a batch from an upstream exactly once: effects, tracking record and running hash, one transaction.

        A batch already applied fails on the tracking record (the library's IntegrityError) and changes nothing.
        """
        state = (
            f"INSERT INTO {self.upstream_table} (upstream, position, running_hash, recorded_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (upstream) DO UPDATE SET position = excluded.position, "
            "running_hash = excluded.running_hash, recorded_at = excluded.recorded_at"
        )
        ops = [op for agg in aggregates for op in self.project(agg)]
        ops.extend(operations)
        processing = ProcessingEvent[UUID](Tracking(application_name=upstream, notification_id=position))
        processing.collect_events(
            *aggregates,
            read_model=ops,
            bulk=[*bulk, (state, [(upstream, position, running_hash.hex(), recorded_at)])],
        )
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)

    def document(self, table: str, row_id: str, noun: str) -> dict[str, Any]:
        """One read-model document, or NotFound naming what was asked for."""
        doc = self.queries.get(table, row_id)
        if doc is None:
            raise NotFound(f"no {noun} with id '{row_id}'", field="id")
        return doc

    def load_referenced(self, cls: type[A], aggregate_id: object, field: str) -> A:
        """An aggregate a request body refers to; a missing one makes the request invalid (400), not a 404."""
        try:
            return self.load(cls, str(aggregate_id), field=field)
        except NotFound as missing:
            raise InvalidValue(missing.reason, field=field) from None

    # --- read models -------------------------------------------------------------------------

    def rebuild_read_models(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Clear every read-model table and re-project each aggregate, replayed in one pass over the log;
        `progress` hears (events replayed, events in all)."""
        aggregates: dict[UUID, Aggregate | None] = {}
        total = self.head_position()
        for done, notification in enumerate(self._all_notifications(), 1):
            event = cast("CanMutateAggregate[UUID]", self.mapper.to_domain_event(notification))
            aggregates[notification.originator_id] = event.mutate(aggregates.get(notification.originator_id))
            if progress is not None and (done % 1000 == 0 or done == total):
                progress(done, total)
        with self.queries.cursor(commit=True) as cursor:
            for statement in self.schema.clear_statements():
                self.queries.execute(cursor, statement)
            # The tables start empty, so rows may go in grouped by statement, a chunk of aggregates at a time.
            live = [aggregate for aggregate in aggregates.values() if aggregate is not None]
            for first in range(0, len(live), REBUILD_CHUNK):
                statements = sorted(
                    (
                        statement
                        for aggregate in live[first : first + REBUILD_CHUNK]
                        for op in self.project(aggregate)
                        for statement in self.schema.statements_for(op)
                    ),
                    key=lambda statement: statement[0],
                )
                for sql, rows in itertools.groupby(statements, key=lambda statement: statement[0]):
                    cursor.executemany(self.recorder.dialect(sql), [params for _, params in rows])
        return len(aggregates)

    def _all_notifications(self):  # type: ignore[no-untyped-def]
        return notifications(self.recorder)

    def check_log(self) -> JSONObject:
        """Recompute the chain over the whole log and compare it with the links written beside each event."""
        return LogCheck(self.recorder, self.schema.prefix, self.protection.log_key).run()

    def integrity(self) -> JSONObject:
        """Every proof this node can give of its own history (HQ adds its provinces' mirrors)."""
        return {"node": self.settings.node_code, "log": self.check_log()}

    def head_position(self) -> int:
        return self.recorder.max_notification_id() or 0
