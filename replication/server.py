"""The gRPC log service a node serves in its own process: public notifications in batches, then a tail."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from typing import TYPE_CHECKING

import grpc

from replication import chain
from replication.chain import LogChain, Route
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from replication.streams import Refused, Stream, StreamLimits, Subscribers
from replication.tls import HeadSigner, caller_of, server_credentials
from shared.classification import is_broadcast, public_topics
from shared.domain.staff import EVERYWHERE
from shared.domain.values import HQ_CODE, PROVINCES
from shared.observability.metrics import is_store_error
from shared.persistence.destinations import recorded

if TYPE_CHECKING:
    from eventsourcing.persistence import Notification

    from shared.application import CrmApplication

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
MAX_BATCH = 5000
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_MESSAGE = 64 * 1024 * 1024
MAX_POSITION = 2**62  # as on the REST mirror: well inside every store's integers
MAX_FOLLOWER = 16  # node codes are two letters; longer is not a node, and is never logged whole
HEARTBEAT_MS = (100, 60_000)  # the range a follower may ask for
SAFETY_RECHECK_SECONDS = 5.0  # a missed wake-up costs at most this; saves wake tails at once
FOLLOWER_PING_MS = 5_000  # followers' HTTP/2 keepalive; the server must not count these pings as abuse

SERVER_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.ping_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    # the least time between a client's pings on a quiet stream; closer ones are strikes, and three end the
    # connection ("Too many pings"): well below the followers' keepalive
    ("grpc.http2.min_ping_interval_without_data_ms", FOLLOWER_PING_MS // 2),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.so_reuseport", 0),  # a second node started on this port fails to bind instead of sharing it
]


def route_of(app: CrmApplication) -> tuple[Route, str | None]:
    """Where each public record goes: a province's all go to HQ; HQ's catalog to every province, and every other
    record to the one province its event names (`destination`, recorded beside the event: never decoded here)."""
    if app.settings.tier != "hq":
        return (lambda page: [(HQ_CODE,)] * len(page)), HQ_CODE

    def addressed(page: Sequence[Notification]) -> list[tuple[str, ...]]:
        named = recorded(app.queries, app.schema.prefix, page[0].id, page[-1].id)
        return [_addressed_to(n.topic, named.get(n.id, "")) for n in page]

    return addressed, None


def _addressed_to(topic: str, destination: str) -> tuple[str, ...]:
    if is_broadcast(topic, "hq") or destination == EVERYWHERE:
        return tuple(sorted(PROVINCES))
    return (destination,) if destination in PROVINCES else ()


class CannotListen(OSError):
    """The log service's port is taken (or its host is not this machine's)."""


class LogService(pb_grpc.NotificationLogServicer):
    def __init__(self, app: CrmApplication) -> None:
        self.app = app
        self.source = app.settings.node_code
        self.tier = app.settings.tier
        self.public = public_topics(self.tier)
        route, primary = route_of(app)
        self.chain = LogChain(app, self.public, route, primary)
        self.stopping = threading.Event()
        self.signer = None if app.settings.replication_plaintext else HeadSigner(app.settings)
        self.followers = PROVINCES if self.tier == "hq" else frozenset({HQ_CODE})
        self.limits = StreamLimits(
            app.settings.replication_streams_per_peer, app.settings.replication_max_streams
        )
        self.subscribers = Subscribers()

    def _destination(self, follower: str, context: grpc.ServicerContext) -> str:
        """Whose share of the log a caller gets — by its certificate; a province serves HQ only, HQ provinces."""
        if len(follower) > MAX_FOLLOWER or (
            follower and follower.strip().upper() not in {HQ_CODE, *PROVINCES}
        ):
            _invalid(context, "follower", f"{_shown(follower)} is not a node's code")
        code = follower.strip().upper()
        certified = caller_of(context)
        if certified is not None and code and code != certified:
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"the caller's certificate names {certified}, not '{follower[:16]}'",
            )
        if certified is not None:
            code = certified
        elif self.signer is not None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "a client certificate is required")
        if code not in self.followers:
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{self.source} serves its log to {'provinces' if self.tier == 'hq' else 'HQ'} only, "
                f"not to '{follower[:16]}'",
            )
        return code

    def Head(self, request: pb.HeadRequest, context: grpc.ServicerContext) -> pb.HeadReply:
        destination = self._destination(request.follower, context)
        with _unavailable_while_the_store_is(context):
            self.chain.extend()
            head = self.chain.head(destination)
        return pb.HeadReply(
            source=self.source, position=head.position, running_hash=head.hash, recorded_at=head.recorded_at
        )

    def Subscribe(
        self, request: pb.SubscribeRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.NotificationBatch]:
        _check(request, context)
        destination = self._destination(request.follower, context)
        stream = self._admit(destination, context)
        self.subscribers.opened(destination)
        try:
            log.info("%s follows %s from %d", destination, self.source, request.after_position)
            with _unavailable_while_the_store_is(context):
                yield from self._stream(request, destination, stream, context)
        finally:
            self.subscribers.closed(destination)
            self.limits.release(stream)

    def _admit(self, destination: str, context: grpc.ServicerContext) -> Stream:
        certified = caller_of(context) is not None
        peer = destination if certified else f"{destination}@{context.peer().rpartition(':')[0]}"
        try:
            stream, superseded = self.limits.admit(peer, certified)
        except Refused as refused:
            log.warning("refused a stream to %s: %s", peer, refused)
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(refused))
        if superseded:
            self.app.pulse.beat()  # the superseded tail wakes and ends
        return stream

    def _stream(
        self, request: pb.SubscribeRequest, destination: str, stream: Stream, context: grpc.ServicerContext
    ) -> Iterator[pb.NotificationBatch]:
        after = request.after_position
        limit = request.max_batch or DEFAULT_BATCH
        heartbeat = request.heartbeat_ms / 1000
        seen = self.app.pulse.count
        context.add_callback(self.app.pulse.beat)  # a cancelled tail wakes at once and ends
        spoke = time.monotonic()
        while context.is_active() and not self.stopping.is_set():
            if stream.superseded.is_set():
                context.abort(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"superseded by a newer stream of {stream.peer} (at most {self.limits.per_peer} each)",
                )
            self.chain.extend()
            head = self.chain.head(destination)
            if after < head.position:
                batch = self._batch(destination, after, head, limit)
                after = batch.notifications[-1].position
                spoke = time.monotonic()
                yield batch
                continue
            if not request.tail:
                return
            quiet = time.monotonic() - spoke
            if heartbeat and quiet >= heartbeat:
                spoke = time.monotonic()
                yield pb.NotificationBatch(head_position=head.position, head_recorded_at=head.recorded_at)
                quiet = 0.0
            seen = self.app.pulse.wait(
                seen, min(heartbeat - quiet, SAFETY_RECHECK_SECONDS) if heartbeat else SAFETY_RECHECK_SECONDS
            )

    def _batch(self, destination: str, after: int, head: chain.Head, limit: int) -> pb.NotificationBatch:
        chained = self.chain.records(destination, after, head.position, limit)
        notifications = self.app.recorder.select_notifications_at([c.position for c in chained])
        batch = pb.NotificationBatch(head_position=head.position, head_recorded_at=head.recorded_at)
        size = 0
        for n, link in zip(notifications, chained):
            batch.notifications.append(
                pb.Notification(
                    position=n.id,
                    topic=n.topic,
                    originator_id=str(n.originator_id),
                    originator_version=n.originator_version,
                    state=self.app.plain(n.state),
                    recorded_at=link.recorded_at,
                    source=self.source,
                    running_hash=link.hash,
                    channel=self.public[n.topic].value,
                )
            )
            size += len(n.state) + 200
            if size > MAX_BATCH_BYTES:
                break
        if self.signer is not None:
            last = batch.notifications[-1]
            batch.head_signature = self.signer.sign(
                self.source, destination, last.position, last.running_hash
            )
        return batch


@contextmanager
def _unavailable_while_the_store_is(context: grpc.ServicerContext) -> Iterator[None]:
    """A store that cannot be reached is the caller's UNAVAILABLE (it retries with backoff), one log line,
    not a traceback and UNKNOWN."""
    try:
        yield
    except Exception as error:
        if not is_store_error(error):
            raise
        log.warning(
            "log service: the store is unavailable: %s",
            str(error).splitlines()[0] if str(error) else type(error).__name__,
        )
        context.abort(grpc.StatusCode.UNAVAILABLE, "the node's store cannot be reached now; try again later")


def _check(request: pb.SubscribeRequest, context: grpc.ServicerContext) -> None:
    if not 0 <= request.after_position <= MAX_POSITION:
        _invalid(context, "after_position", f"must be between 0 and {MAX_POSITION}")
    if not 0 <= request.max_batch <= MAX_BATCH:
        _invalid(context, "max_batch", f"must be between 1 and {MAX_BATCH} (0: the server's {DEFAULT_BATCH})")
    low, high = HEARTBEAT_MS
    if request.heartbeat_ms and not low <= request.heartbeat_ms <= high:
        _invalid(context, "heartbeat_ms", f"must be between {low} and {high} (0: none)")


def _invalid(context: grpc.ServicerContext, name: str, reason: str) -> None:
    log.warning("refused a request from %s: %s %s", _shown(context.peer()), name, reason)
    context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{name} {reason}")


def _shown(text: str) -> str:
    """Caller-supplied text as logs and messages show it: quoted, and cut short."""
    return repr(text[:MAX_FOLLOWER]) + (
        f" (+{len(text) - MAX_FOLLOWER} characters)" if len(text) > MAX_FOLLOWER else ""
    )


def serve_log(app: CrmApplication, host: str, port: int) -> tuple[grpc.Server, LogService, int]:
    """Start the node's log service; returns the server, the servicer and the bound port."""
    service = LogService(app)
    s = app.settings
    workers = StreamLimits.threads(
        len(service.followers),
        s.replication_streams_per_peer,
        s.replication_max_streams,
        s.replication_spare_threads,
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), options=SERVER_OPTIONS)
    pb_grpc.add_NotificationLogServicer_to_server(service, server)
    credentials = None if app.settings.replication_plaintext else server_credentials(app.settings)
    try:
        bound = (
            server.add_insecure_port(f"{host}:{port}")
            if credentials is None
            else server.add_secure_port(f"{host}:{port}", credentials)
        )
    except RuntimeError:  # grpcio raises where older versions returned 0
        bound = 0
    if bound == 0:
        raise CannotListen(
            f"cannot listen for gRPC on {host}:{port}: in use by another process, or not an "
            "address of this machine"
        )
    server.start()
    return server, service, bound


def stop_log(server: grpc.Server, service: LogService, grace: float = 1.0) -> None:
    service.stopping.set()
    service.app.pulse.beat()
    server.stop(grace).wait()
