"""HQ's staff directory (R-29): members, their roles and verifiers, and the provinces' trusted signing keys."""

from hq.staff.commands import StaffCommands

__all__ = ["StaffCommands"]
