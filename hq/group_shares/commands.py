"""Groups across provinces (跨区集团业务, R-20): HQ tells each province where a group's members live what it needs.

After each batch of a province's customer events, every group it touched is compared with what HQ has told
each other province: a province with members now sees the group and only its own members; a province whose
last member left stops seeing it. The shares are HQ's own aggregates, addressed to their province.
"""

from __future__ import annotations

from hq.registry import Touched
from shared.application import CrmApplication
from shared.domain.group_share import GroupShare, group_view, share_id


class GroupShareCommands:
    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def share_groups(self, touched: list[Touched]) -> None:
        """Inside a replicated batch: bring the shares of every group the batch touched up to date."""
        for group, by in touched:
            if not group.is_group:
                continue
            present = {m["province"] for m in group.members.values()} - {group.province}
            for province in sorted(present):
                share = self.store.find(GroupShare, share_id(str(group.id), province))
                if share is None:
                    self.store.created(
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
                self.store.load(GroupShare, share_id(str(group.id), province)).withdraw(by)

    def _shared_with(self, group_id: str) -> set[str]:
        rows = self.store.queries.rows(
            "SELECT province FROM {group_share} WHERE group_id = ? AND withdrawn = 0", [group_id]
        )
        return {r["province"] for r in rows} | {
            s.destination
            for s in self.store.in_batch(GroupShare)
            if s.group_id == group_id and not s.withdrawn
        }
