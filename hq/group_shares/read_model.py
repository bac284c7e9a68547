"""Group shares' read model: which province HQ tells about which group, and whether it still does."""

from __future__ import annotations

from shared.domain.group_share import GroupShare
from shared.persistence.readmodel import Operation, Table, Upsert

TABLES = (
    Table(
        "group_share",
        (("group_id", "TEXT"), ("province", "TEXT"), ("withdrawn", "BIGINT")),
        indexes=("group_id",),
        personal=True,
    ),
)


def project_share(s: GroupShare) -> list[Operation]:
    return [
        Upsert(
            "group_share",
            {
                "id": str(s.id),
                "group_id": s.group_id,
                "province": s.destination,
                "withdrawn": 1 if s.withdrawn else 0,
                "doc": {
                    "groupId": s.group_id,
                    "province": s.destination,
                    "withdrawn": s.withdrawn,
                    "view": s.view,
                },
            },
        )
    ]


PROJECTORS = {GroupShare: project_share}
