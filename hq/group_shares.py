"""Groups across provinces (跨区集团业务, R-20): HQ tells each province where a group's members live what it needs.

After each batch of a province's customer events, every group it touched is compared with what HQ has told
each other province: a province with members now sees the group and only its own members; a province whose
last member left stops seeing it. The shares are HQ's own aggregates, addressed to their province.
"""

from __future__ import annotations

from typing import Any

from shared.domain.group_share import GroupShare, group_view, share_id
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


class GroupSharing:
    """Mixed into the HQ application."""

    def share_groups(self, touched: list[Any]) -> None:
        """Inside a replicated batch: bring the shares of every group the batch touched up to date."""
        for group, by in touched:
            if not group.is_group:
                continue
            present = {m["province"] for m in group.members.values()} - {group.province}
            for province in sorted(present):
                share = self.find(GroupShare, share_id(str(group.id), province))
                if share is None:
                    self.created(
                        GroupShare(
                            group_id=str(group.id),
                            destination=province,
                            view=group_view(group, province),
                            by=by,
                        )
                    )
                else:
                    share.update(group_view(group, province), by)
            for province in sorted(self._shared_with(str(group.id)) - present):
                self.load(GroupShare, share_id(str(group.id), province)).withdraw(by)

    def _shared_with(self, group_id: str) -> set[str]:
        rows = self.queries.rows(
            "SELECT province FROM {group_share} WHERE group_id = ? AND withdrawn = 0", [group_id]
        )
        return {r["province"] for r in rows} | {
            s.destination for s in self.in_batch(GroupShare) if s.group_id == group_id and not s.withdrawn
        }
