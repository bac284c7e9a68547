"""Between protobuf messages and the records replication works with (`LogRecord`): the one place that maps them."""

from __future__ import annotations

from replication.chain import LogRecord
from replication.generated import replication_pb2 as pb


def records_of(batch: pb.NotificationBatch) -> list[LogRecord]:
    """A batch's notifications as records, exactly as they travelled (the head signature stays on the batch)."""
    return [
        LogRecord(
            n.position,
            n.topic,
            n.originator_id,
            n.originator_version,
            n.state,
            n.recorded_at,
            n.source,
            n.running_hash,
            n.channel,
        )
        for n in batch.notifications
    ]
