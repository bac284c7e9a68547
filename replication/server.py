"""The gRPC log service a node serves in its own process: public notifications in batches, then a tail."""

from __future__ import annotations

import logging
import threading
from concurrent import futures
from typing import Any, Iterator

import grpc

from replication.chain import LogChain
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from shared.classification import public_topics

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
MAX_BATCH = 5000
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_MESSAGE = 64 * 1024 * 1024
SAFETY_RECHECK_SECONDS = 5.0  # a missed wake-up costs at most this; saves wake tails at once

SERVER_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.http2.max_pings_without_data", 0),
]


class LogService(pb_grpc.NotificationLogServicer):
    def __init__(self, app: Any) -> None:
        self.app = app
        self.source = app.settings.node_code
        self.public = public_topics(app.settings.tier)
        self.topics = sorted(self.public)
        self.chain = LogChain(app, self.public)
        self.stopping = threading.Event()

    def Head(self, request: pb.HeadRequest, context: grpc.ServicerContext) -> pb.HeadReply:
        self.chain.extend()
        return pb.HeadReply(
            source=self.source,
            position=self.chain.head_position,
            running_hash=self.chain.head_hash,
            recorded_at=self.chain.head_recorded_at,
        )

    def Subscribe(self, request: pb.SubscribeRequest, context: grpc.ServicerContext) -> Iterator[pb.NotificationBatch]:
        after = max(0, request.after_position)
        limit = min(request.max_batch or DEFAULT_BATCH, MAX_BATCH)
        log.info("%s follows %s from %d", request.follower or "?", self.source, after)
        seen = self.app.pulse.count
        context.add_callback(self.app.pulse.beat)  # a cancelled tail wakes at once and ends
        while context.is_active() and not self.stopping.is_set():
            head = self.chain.extend()
            if after < head:
                batch = self._batch(after, head, limit)
                after = batch.notifications[-1].position
                yield batch
                continue
            if not request.tail:
                return
            seen = self.app.pulse.wait(seen, SAFETY_RECHECK_SECONDS)

    def _batch(self, after: int, head: int, limit: int) -> pb.NotificationBatch:
        notifications = self.app.recorder.select_notifications(
            start=after + 1, limit=limit, stop=head, topics=self.topics
        )
        hashes = self.chain.hashes(after, notifications[-1].id)
        batch = pb.NotificationBatch(head_position=head, head_recorded_at=self.chain.head_recorded_at)
        size = 0
        for n in notifications:
            running_hash, stamp = hashes[n.id]
            batch.notifications.append(
                pb.Notification(
                    position=n.id, topic=n.topic, originator_id=str(n.originator_id),
                    originator_version=n.originator_version, state=n.state, recorded_at=stamp,
                    source=self.source, running_hash=running_hash, channel=self.public[n.topic].value,
                )
            )
            size += len(n.state) + 200
            if size > MAX_BATCH_BYTES:
                break
        return batch


def serve_log(app: Any, host: str, port: int, workers: int = 16) -> tuple[grpc.Server, LogService, int]:
    """Start the node's log service; returns the server, the servicer and the bound port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), options=SERVER_OPTIONS)
    service = LogService(app)
    pb_grpc.add_NotificationLogServicer_to_server(service, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen for gRPC on {host}:{port}")
    server.start()
    return server, service, bound


def stop_log(server: grpc.Server, service: LogService, grace: float = 1.0) -> None:
    service.stopping.set()
    service.app.pulse.beat()
    server.stop(grace).wait()
