"""The staff read model both tiers keep: HQ's directory, and each province's copy of its own staff."""

from __future__ import annotations

from typing import Any

from shared.persistence.readmodel import Table, Upsert

STAFF_TABLE = Table("staff", (("role", "TEXT"), ("province", "TEXT"), ("enabled", "BIGINT")), indexes=("province",))


def staff_row(username: str, name: str, role: str, province: str, enabled: bool) -> Upsert:
    doc = {"username": username, "name": name, "role": role, "province": province, "enabled": enabled,
           "href": f"/crm/v1/staff/{username}"}
    return Upsert("staff", {"id": username, "role": role, "province": province, "enabled": 1 if enabled else 0,
                            "doc": doc})


class StaffLookup:
    """Mixed into an application whose schema has STAFF_TABLE."""

    def may_sign_in(self, subject: str, issuer: str) -> bool:
        """A member the directory knows acts only while enabled; tokens of other issuers are their business."""
        if issuer != self.settings.auth_issuer:  # type: ignore[attr-defined]
            return True
        rows = self.queries.rows("SELECT enabled FROM {staff} WHERE id = ?", [subject])  # type: ignore[attr-defined]
        return not rows or bool(rows[0]["enabled"])

    def staff_document(self, username: str) -> dict[str, Any]:
        return self.document("staff", username, "staff member")  # type: ignore[attr-defined]
