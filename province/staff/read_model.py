"""The staff read model: this province's copy of HQ's directory, and the signing keys it trusts."""

from __future__ import annotations

from shared.application import Projector
from shared.domain.signing_key import TrustedKey
from shared.domain.staff import StaffCopy
from shared.persistence.readmodel import Operation
from shared.staff_table import TABLES, project_trusted_key, staff_row

__all__ = ["PROJECTORS", "TABLES"]  # TABLES: the staff and trusted-key read models


def project_copy(c: StaffCopy) -> list[Operation]:
    return [staff_row(c.username, c.name, c.role, c.province, c.acts_here)]


PROJECTORS: dict[type, Projector] = {StaffCopy: project_copy, TrustedKey: project_trusted_key}
