"""Groups across provinces (R-20): what HQ tells each province where a group's members live."""

from hq.group_shares.commands import GroupShareCommands

__all__ = ["GroupShareCommands"]
