"""An upstream's whole log read once from the start (no tail): what an audit compares its copy with."""

from __future__ import annotations

from collections.abc import Generator

from replication.chain import LogRecord
from replication.codec import records_of
from replication.follower import CHANNEL_OPTIONS
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from replication.tls import secure_channel
from shared.settings import Settings


def read_log(
    settings: Settings, upstream: str, target: str, deadline: float = 300.0, batch: int = 2000
) -> Generator[list[LogRecord], None, None]:
    """The upstream's log in the batches it sends, over the node's own identity; closing the iterator ends the
    stream."""
    with secure_channel(settings, target, upstream, CHANNEL_OPTIONS) as channel:
        stub = pb_grpc.NotificationLogStub(channel)
        request = pb.SubscribeRequest(
            after_position=0, tail=False, max_batch=batch, follower=settings.node_code
        )
        for message in stub.Subscribe(request, timeout=deadline):
            yield records_of(message)
