"""The staff directory's read models (the staff table both tiers keep, and the trusted province keys) and its audit
surface."""

from __future__ import annotations

from shared.application import Projector
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.signing_key import TrustedKey
from shared.domain.staff import StaffMember, staff_id
from shared.persistence.readmodel import Operation
from shared.staff_table import TABLES, project_trusted_key, staff_row

__all__ = ["AUDITED", "PROJECTORS", "TABLES"]


def project_member(m: StaffMember) -> list[Operation]:
    return [staff_row(m.username, m.name, m.role, m.province, m.enabled)]


PROJECTORS: dict[type, Projector] = {StaffMember: project_member, TrustedKey: project_trusted_key}
AUDITED = (AuditedResource("staff", (StaffMember,), P.AUDIT, staff_id),)
