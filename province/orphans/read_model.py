"""The orphans read model: HQ's records kept instead of applied."""

from __future__ import annotations

from shared.domain.json_types import JSONObject
from shared.domain.orphan import OrphanRecord
from shared.persistence.readmodel import Operation, Table, Upsert

TABLES = (
    Table(
        "replication_orphan",
        (("upstream", "TEXT"), ("position", "BIGINT"), ("order_id", "TEXT")),
        indexes=("upstream", "order_id"),
    ),
)


def orphan_document(o: OrphanRecord) -> JSONObject:
    return {
        "id": str(o.id),
        "upstream": o.upstream,
        "position": o.position,
        "eventType": o.event_type,
        "referredType": o.referred_type,
        "referredId": o.referred_id,
        "orderId": o.order_id,
        "province": o.province or None,
        "upstreamRecordedAt": o.upstream_recorded_at or None,
        "recordedAt": o.created_on.isoformat(),
        "reason": o.reason,
    }


def project_orphan(o: OrphanRecord) -> list[Operation]:
    return [
        Upsert(
            "replication_orphan",
            {
                "id": str(o.id),
                "upstream": o.upstream,
                "position": o.position,
                "order_id": o.order_id,
                "doc": orphan_document(o),
            },
        )
    ]


PROJECTORS = {OrphanRecord: project_orphan}
