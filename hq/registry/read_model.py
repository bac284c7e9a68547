"""The national registry's read model: each province's customer (a replica, sealed) and its phone numbers."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

from shared.domain.customer import Customer
from shared.domain.values import Grade
from shared.persistence.readmodel import Table

TABLES = (
    Table(
        "province_customer",
        (
            ("province", "TEXT"),
            ("customer_id", "TEXT"),
            ("certificate", "TEXT"),
            ("national_id", "TEXT"),
            ("kind", "TEXT"),
            ("grade", "TEXT"),
            ("status", "TEXT"),
            ("industry", "TEXT"),
            ("national", "BIGINT"),
            ("registered_at", "TEXT"),
            ("replica_version", "BIGINT"),
            ("replica_topic", "TEXT"),
            ("replica_state", "TEXT"),
            ("name", "TEXT"),
        ),
        indexes=("certificate", "national_id", "grade", "industry", "province"),
        personal=True,
        blind=("certificate",),
        sealed=("replica_state",),
    ),
    Table(
        "province_customer_phone",
        (("part_id", "TEXT"), ("phone", "TEXT")),
        parent="part_id",
        indexes=("phone",),
        personal=True,
        blind=("phone",),
    ),
)


def national_id(blind_certificate: str) -> str:
    """The same national identity wherever the customer was first registered (dedupe by certificate): from the
    certificate's keyed hash, so the id does not lead back to the number without HQ's key."""
    return str(uuid5(NAMESPACE_URL, f"crm:national-customer:{blind_certificate}"))


def is_national(customer: Customer) -> bool:
    """High-end individuals (1A–3A) and every group customer (R-5, R-26)."""
    return customer.is_group or Grade(customer.grade).is_national
