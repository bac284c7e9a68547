"""Orphans: HQ's records this province could not apply (what they refer to is not held here), kept and listed."""

from province.orphans.commands import OrphanRecords

__all__ = ["OrphanRecords"]
