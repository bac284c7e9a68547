"""The staff read model: this province's copy of HQ's directory, and the signing keys it trusts."""

from __future__ import annotations

from shared.domain.staff import StaffCopy
from shared.persistence.readmodel import Operation
from shared.staff_table import PROJECTORS as KEY_PROJECTORS
from shared.staff_table import TABLES, staff_row

__all__ = ["PROJECTORS", "TABLES"]  # TABLES: the staff and trusted-key read models


def project_copy(c: StaffCopy) -> list[Operation]:
    return [staff_row(c.username, c.name, c.role, c.province, c.acts_here)]


PROJECTORS = {StaffCopy: project_copy, **KEY_PROJECTORS}
