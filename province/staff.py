"""This province's copy of its staff from HQ's directory: a member disabled at HQ is refused here too."""

from __future__ import annotations

from typing import Any

from shared.domain.staff import StaffCopy, staff_id
from shared.persistence.readmodel import Operation
from shared.staff_table import STAFF_TABLE, StaffLookup, staff_row

TABLES = (STAFF_TABLE,)


def project_copy(c: StaffCopy) -> list[Operation]:
    return [staff_row(c.username, c.name, c.role, c.province, c.enabled)]


PROJECTORS = {StaffCopy: project_copy}


class StaffCopies(StaffLookup):
    """Mixed into the province application."""

    def apply_staff(self, event: Any) -> None:
        """A record of HQ's directory addressed here; in a replicated batch."""
        name = type(event).__qualname__
        if name == "StaffMember.Enrolled":
            if self.find(StaffCopy, staff_id(event.username)) is None:
                self.created(StaffCopy(username=event.username, name=event.name, role=event.role,
                                       province=event.province, by=event.by))
            return
        copy = self.find(StaffCopy, staff_id(event.username))
        if copy is None:  # moved here from elsewhere: known from this record on
            copy = StaffCopy(username=event.username, name=event.username, role=getattr(event, "role", ""),
                             province=getattr(event, "province", ""), by=event.by)
            self.created(copy)
        enabled = {"StaffMember.Disabled": False, "StaffMember.Enabled": True}.get(name, copy.enabled)
        role = getattr(event, "role", copy.role)
        copy.update(enabled, role, getattr(event, "province", copy.province), event.by)
