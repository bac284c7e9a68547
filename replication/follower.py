"""Follows another node's log over gRPC and applies each batch exactly once (tracking in the same transaction).

At-least-once transport, exactly-once effect: a batch is applied with the library's tracking record for
(upstream, last position) and the running hash in one transaction; after a crash or a broken stream the
follower resubscribes from the recorded position. A running hash that does not follow stops the follower.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import grpc
from eventsourcing.persistence import IntegrityError

from replication.chain import LogRecord, verify
from replication.codec import records_of
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from replication.poison import PoisonRecord, find_poison, is_transient, unknown_topic
from replication.server import FOLLOWER_PING_MS, MAX_MESSAGE
from replication.tls import IdentityError, is_identity_failure, secure_channel, verify_head
from shared.domain.json_types import JSONObject
from shared.naming import camel_case

if TYPE_CHECKING:
    from shared.application import CrmApplication

log = logging.getLogger(__name__)

CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.keepalive_time_ms", FOLLOWER_PING_MS),
    ("grpc.keepalive_timeout_ms", 4_000),
    ("grpc.http2.ping_timeout_ms", 4_000),  # the one gRPC enforces: a frozen upstream is noticed within ~9 s
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.enable_retries", 0),  # a broken stream is resubscribed from the recorded position instead
]


CONFLICT_RETRIES = 20


class HistoryChanged(Exception):
    """The upstream's running hash does not follow what this node recorded: its history was altered."""


@dataclass(frozen=True)
class Progress:
    """Where a follower stands on one upstream, for gauges (metrics) and readiness."""

    state: str
    position: int
    lag_events: int
    lag_seconds: float
    last_message_at: str | None


@dataclass
class UpstreamStatus:
    upstream: str
    target: str
    state: str = "starting"  # connecting, streaming, disconnected, stopped
    position: int = 0
    running_hash: str = (
        ""  # ours after `position`; equal to the upstream's at that position, or we would stop
    )
    recorded_at: str = ""
    head_position: int = 0
    head_recorded_at: str = ""
    last_error: str | None = None  # what keeps it from streaming now; cleared once it streams again
    last_error_at: str | None = None
    previous_error: str | None = None  # the last error it recovered from, and when that happened
    previous_error_at: str | None = None
    applied_batches: int = 0
    applied_events: int = 0
    reconnects: int = 0
    last_message_at: str | None = None  # ISO UTC: the last batch or heartbeat heard from the upstream
    stopped_at_position: int | None = None  # a record this node cannot take: where, and its type
    stopped_at_topic: str | None = None

    def progress(self, heartbeat: float) -> Progress:
        """Lag in seconds is the larger of how far behind the applied records are and how long the upstream has been
        silent beyond its heartbeat — so a frozen upstream never looks caught up."""
        lag_events = max(0, self.head_position - self.position)
        behind = _seconds_between(self.recorded_at, self.head_recorded_at) if lag_events else 0.0
        silent = (
            max(0.0, _seconds_between(self.last_message_at, _now()) - heartbeat)
            if self.last_message_at
            else 0.0
        )
        return Progress(
            self.state, self.position, lag_events, round(max(behind, silent), 3), self.last_message_at
        )

    def streaming(self) -> None:
        """Connected again: an error it recovered from is no longer the last word."""
        self.state = "streaming"
        if self.last_error is not None:
            self.previous_error, self.previous_error_at = self.last_error, self.last_error_at
            self.last_error = self.last_error_at = None

    def view(self, heartbeat: float) -> JSONObject:
        progress = self.progress(heartbeat)
        return {
            **{camel_case(k): v for k, v in asdict(self).items()},
            "lagEvents": progress.lag_events,
            "lagSeconds": progress.lag_seconds,
        }


def _seconds_between(earlier: str, later: str) -> float:
    try:
        return max(0.0, (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds())
    except (ValueError, TypeError):  # an empty or naive time: no lag can be derived
        return 0.0


def _now() -> str:
    return datetime.now(UTC).isoformat()


Apply = Callable[[str, list[LogRecord], bytes], None]


@dataclass
class Backoff:
    initial: float = 0.2
    cap: float = 10.0
    current: float = field(init=False, default=0.0)

    def next(self) -> float:
        self.current = self.initial if self.current == 0 else min(self.cap, self.current * 2)
        return self.current

    def reset(self) -> None:
        self.current = 0.0


class _Subscription(Protocol):
    """A server-streaming call: its batches as they come, and a way to end it from another thread."""

    def __iter__(self) -> Iterator[pb.NotificationBatch]: ...
    def cancel(self) -> bool: ...


class Follower(threading.Thread):
    """One upstream, one thread. `apply(upstream, records, last_hash)` must be atomic with tracking."""

    def __init__(
        self,
        app: CrmApplication,
        upstream: str,
        target: str,
        apply: Apply,
        *,
        batch: int = 2000,
        deadline: float = 5.0,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(name=f"follow-{upstream}", daemon=True)
        self.app = app
        self.upstream = upstream
        self.target = target
        self.apply = apply
        self.batch = batch
        self.deadline = deadline
        self.backoff = backoff or Backoff()
        self.heartbeat = app.settings.replication_heartbeat_seconds
        self.silence = app.settings.replication_silence_seconds
        self.status = UpstreamStatus(upstream=upstream, target=target)
        self._stopping = threading.Event()
        self._call: _Subscription | None = None
        self._heard = 0.0  # monotonic time of the last message on the current stream
        self._silenced = False
        self._failures = (0, 0)  # (position, failed attempts there) of batches that would not apply

    def stop(self) -> None:
        self._stopping.set()
        if self._call is not None:
            self._call.cancel()

    def progress(self) -> Progress:
        return self.status.progress(self.heartbeat)

    def view(self) -> JSONObject:
        return self.status.view(self.heartbeat)

    def run(self) -> None:
        threading.Thread(target=self._watch, name=f"watch-{self.upstream}", daemon=True).start()
        while not self._stopping.is_set():
            try:
                self._follow_once()
            except (HistoryChanged, IdentityError, PoisonRecord) as error:
                self._stop_loudly(error)
                return
            except grpc.RpcError as error:
                if self._stopping.is_set():
                    break
                self._fail(self._rpc_failure(error), "disconnected")
            except Exception as error:
                if self._stopping.is_set():
                    break
                if self._failed_again(error):
                    return
            self.status.reconnects += 1
            self._stopping.wait(self.backoff.next())
        if self.status.state != "stopped":
            self.status.state = "stopped"

    def _stop_loudly(self, error: Exception) -> None:
        """One ERROR line; the follower ends and waits for an operator (or the node's restart) to try again."""
        kind = {HistoryChanged: "history changed", IdentityError: "identity", PoisonRecord: "cannot apply"}
        message = f"{kind.get(type(error), 'stopped')}: {error}"
        if isinstance(error, PoisonRecord):
            self.status.stopped_at_position, self.status.stopped_at_topic = error.position, error.topic
        self._fail(message, "stopped")
        log.error("replication from %s stopped: %s", self.upstream, message)

    def _rpc_failure(self, error: grpc.RpcError) -> str:
        if self._silenced and error.code() is grpc.StatusCode.CANCELLED:
            return f"UNAVAILABLE: nothing heard from {self.upstream} for {self.silence:g} s (frozen or unreachable)"
        what = "identity: TLS refused" if is_identity_failure(error) else error.code().name
        return f"{what}: {error.details()}"

    def _failed_again(self, error: Exception) -> bool:
        """A failure other than a store outage, at the same position again and again, is no longer worth retrying:
        stop (True) after `replication_failed_attempts`."""
        self._fail(f"{type(error).__name__}: {str(error)[:500]}", "disconnected")
        if is_transient(error):
            log.warning("replication from %s waits for the store: %s", self.upstream, str(error)[:500])
            return False
        position, count = self._failures
        count = count + 1 if position == self.status.position else 1
        self._failures = (self.status.position, count)
        if count == 1:
            log.warning(
                "replication from %s failed after position %d",
                self.upstream,
                self.status.position,
                exc_info=True,
            )
        if count < self.app.settings.replication_failed_attempts:
            return False
        self._stop_loudly(
            RuntimeError(
                f"{count} attempts to apply the batch after position {self.status.position} "
                f"failed; the last: {type(error).__name__}: {str(error)[:500]}"
            )
        )
        return True

    def _fail(self, message: str, state: str) -> None:
        self.status.state = state
        self.status.last_error = message
        self.status.last_error_at = _now()

    def _watch(self) -> None:
        """Drop a stream that has gone silent for `silence` seconds: the upstream sends at least a heartbeat far more
        often, so it is frozen, wedged or cut off, whatever the transport believes."""
        while not self._stopping.wait(min(1.0, self.silence / 4)) and self.is_alive():
            call = self._call
            if (
                call is not None
                and self.status.state == "streaming"
                and time.monotonic() - self._heard > self.silence
            ):
                self._silenced = True
                call.cancel()

    def _follow_once(self) -> None:
        self.status.state = "connecting"
        self._silenced = False
        position, running_hash, recorded_at = self.app.replication_position(self.upstream)
        self.status.position, self.status.recorded_at = (
            position,
            recorded_at,
        )  # shown even while the upstream is down
        self.status.running_hash = running_hash.hex()
        with secure_channel(self.app.settings, self.target, self.upstream, CHANNEL_OPTIONS) as channel:
            stub = pb_grpc.NotificationLogStub(channel)
            head = stub.Head(pb.HeadRequest(follower=self.app.settings.node_code), timeout=self.deadline)
            self._heard_now()
            self.status.head_position, self.status.head_recorded_at = head.position, head.recorded_at
            if head.position < position:
                raise HistoryChanged(
                    f"upstream head {head.position} is behind the recorded position {position}"
                )
            request = pb.SubscribeRequest(
                after_position=position,
                tail=True,
                max_batch=self.batch,
                follower=self.app.settings.node_code,
                heartbeat_ms=round(self.heartbeat * 1000),
            )
            self._call = stub.Subscribe(request)
            self.status.streaming()
            for message in self._call:
                if self._stopping.is_set():
                    return
                self._heard_now()
                if message.notifications:
                    running_hash = self._apply(message, running_hash)
                    self._heard = time.monotonic()  # a long apply is not the upstream's silence
                else:  # a heartbeat: the upstream is alive, and where its head is
                    self.status.head_position = max(message.head_position, self.status.position)
                    self.status.head_recorded_at = message.head_recorded_at or self.status.head_recorded_at

    def _heard_now(self) -> None:
        self._heard = time.monotonic()
        self.status.last_message_at = _now()

    def _apply_once(self, records: list[LogRecord], last_hash: bytes) -> bytes:
        """Apply a batch; a lost race with a local command on the same aggregate is retried at once (the batch is
        applied again from the store), a batch already recorded is skipped."""
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                self.apply(self.upstream, records, last_hash)
                return last_hash
            except IntegrityError:
                position, recorded_hash, _ = self.app.replication_position(self.upstream)
                if position >= records[-1].position:
                    return recorded_hash  # already applied: another delivery won
                if attempt == CONFLICT_RETRIES or self._stopping.wait(_conflict_pause(attempt)):
                    raise
            except Exception as error:
                if is_transient(error):
                    raise
                poison = find_poison(self.app, records)
                if poison is None:
                    raise
                raise poison from error
        return last_hash

    def _apply(self, message: pb.NotificationBatch, previous: bytes) -> bytes:
        records = records_of(message)
        last_hash, broken = verify(previous, records)
        if broken is not None:
            raise HistoryChanged(f"running hash at position {broken.position} does not follow")
        if not self.app.settings.replication_plaintext:
            verify_head(
                self.app.settings,
                self.upstream,
                self.app.settings.node_code,
                records[-1].position,
                last_hash,
                message.head_signature,
            )
            records[-1] = replace(
                records[-1], head_signature=message.head_signature
            )  # kept: proof for auditors
        poison = unknown_topic(self.upstream, records)
        if poison is not None:
            raise poison
        last_hash = self._apply_once(records, last_hash)
        last = records[-1]
        status = self.status
        status.position, status.recorded_at = last.position, last.recorded_at
        status.running_hash = last_hash.hex()
        status.head_position = max(message.head_position, last.position)
        status.head_recorded_at = message.head_recorded_at or last.recorded_at
        status.applied_batches += 1
        status.applied_events += len(records)
        self.backoff.reset()  # only a batch applied proves the link works: a poison record keeps backing off
        self._failures = (0, 0)
        return last_hash


def _conflict_pause(attempt: int) -> float:
    return 0.01 * attempt


def parse_upstreams(text: str) -> dict[str, str]:
    """`CODE=host:port,CODE=host:port` → {CODE: target}."""
    upstreams = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        code, _, target = part.partition("=")
        if not code or not target:
            raise ValueError(f"upstream '{part}' is not CODE=host:port")
        upstreams[code.strip().upper()] = target.strip()
    return upstreams
