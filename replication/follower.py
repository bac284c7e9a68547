"""Follows another node's log over gRPC and applies each batch exactly once (tracking in the same transaction).

At-least-once transport, exactly-once effect: a batch is applied with the library's tracking record for
(upstream, last position) and the running hash in one transaction; after a crash or a broken stream the
follower resubscribes from the recorded position. A running hash that does not follow stops the follower.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

import grpc
from eventsourcing.persistence import IntegrityError

from replication.chain import LogRecord, verify
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from replication.server import MAX_MESSAGE
from replication.tls import IdentityError, is_identity_failure, secure_channel, verify_head

log = logging.getLogger(__name__)

CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.http2.ping_timeout_ms", 5_000),  # the one gRPC enforces: a frozen upstream is noticed within ~15 s
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.enable_retries", 0),  # a broken stream is resubscribed from the recorded position instead
]


CONFLICT_RETRIES = 20


class HistoryChanged(Exception):
    """The upstream's running hash does not follow what this node recorded: its history was altered."""


@dataclass
class UpstreamStatus:
    upstream: str
    target: str
    state: str = "starting"  # connecting, streaming, disconnected, stopped
    position: int = 0
    running_hash: str = ""  # ours after `position`; equal to the upstream's at that position, or we would stop
    recorded_at: str = ""
    head_position: int = 0
    head_recorded_at: str = ""
    last_error: str | None = None
    last_error_at: str | None = None
    applied_batches: int = 0
    applied_events: int = 0
    reconnects: int = 0

    def view(self) -> dict[str, Any]:
        lag_events = max(0, self.head_position - self.position)
        return {
            **{_camel(k): v for k, v in asdict(self).items()},
            "lagEvents": lag_events,
            "lagSeconds": _seconds_between(self.recorded_at, self.head_recorded_at) if lag_events else 0.0,
        }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _seconds_between(earlier: str, later: str) -> float:
    try:
        return max(0.0, (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds())
    except ValueError:
        return 0.0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


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


class Follower(threading.Thread):
    """One upstream, one thread. `apply(upstream, records, last_hash)` must be atomic with tracking."""

    def __init__(self, app: Any, upstream: str, target: str, apply: Apply, *, batch: int = 2000,
                 deadline: float = 5.0, backoff: Backoff | None = None) -> None:
        super().__init__(name=f"follow-{upstream}", daemon=True)
        self.app = app
        self.upstream = upstream
        self.target = target
        self.apply = apply
        self.batch = batch
        self.deadline = deadline
        self.backoff = backoff or Backoff()
        self.status = UpstreamStatus(upstream=upstream, target=target)
        self._stopping = threading.Event()
        self._call: Any = None

    def stop(self) -> None:
        self._stopping.set()
        if self._call is not None:
            self._call.cancel()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._follow_once()
            except HistoryChanged as error:
                self._fail(f"history changed: {error}", "stopped")
                log.error("replication from %s stopped: %s", self.upstream, error)
                return
            except IdentityError as error:
                self._fail(f"identity: {error}", "stopped")
                log.error("replication from %s stopped: %s", self.upstream, error)
                return
            except grpc.RpcError as error:
                if self._stopping.is_set():
                    break
                what = "identity: TLS refused" if is_identity_failure(error) else error.code().name
                self._fail(f"{what}: {error.details()}", "disconnected")
            except Exception as error:  # noqa: BLE001 — keep following; the node must keep serving
                if self._stopping.is_set():
                    break
                log.exception("replication from %s failed", self.upstream)
                self._fail(f"{type(error).__name__}: {error}", "disconnected")
            self.status.reconnects += 1
            self._stopping.wait(self.backoff.next())
        if self.status.state != "stopped":
            self.status.state = "stopped"

    def _fail(self, message: str, state: str) -> None:
        self.status.state = state
        self.status.last_error = message
        self.status.last_error_at = _now()

    def _follow_once(self) -> None:
        self.status.state = "connecting"
        position, running_hash, recorded_at = self.app.replication_position(self.upstream)
        self.status.position, self.status.recorded_at = position, recorded_at  # shown even while the upstream is down
        self.status.running_hash = running_hash.hex()
        with secure_channel(self.app.settings, self.target, self.upstream, CHANNEL_OPTIONS) as channel:
            stub = pb_grpc.NotificationLogStub(channel)
            head = stub.Head(pb.HeadRequest(follower=self.app.settings.node_code), timeout=self.deadline)
            self.status.head_position, self.status.head_recorded_at = head.position, head.recorded_at
            if head.position < position:
                raise HistoryChanged(f"upstream head {head.position} is behind the recorded position {position}")
            request = pb.SubscribeRequest(after_position=position, tail=True, max_batch=self.batch,
                                          follower=self.app.settings.node_code)
            self._call = stub.Subscribe(request)
            self.status.state = "streaming"
            for message in self._call:
                if self._stopping.is_set():
                    return
                running_hash = self._apply(message, running_hash)

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
        return last_hash

    def _apply(self, message: pb.NotificationBatch, previous: bytes) -> bytes:
        records = [
            LogRecord(n.position, n.topic, n.originator_id, n.originator_version, n.state, n.recorded_at,
                      n.source, n.running_hash, n.channel)
            for n in message.notifications
        ]
        last_hash, broken = verify(previous, records)
        if broken is not None:
            raise HistoryChanged(f"running hash at position {broken.position} does not follow")
        if not self.app.settings.replication_plaintext:
            verify_head(self.app.settings, self.upstream, self.app.settings.node_code, records[-1].position,
                        last_hash, message.head_signature)
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
