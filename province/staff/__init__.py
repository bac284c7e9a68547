"""Staff: this province's copy of HQ's directory (who signs in here) and the signing keys it trusts."""

from province.staff.commands import StaffCommands

__all__ = ["StaffCommands"]
