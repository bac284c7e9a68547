"""National statistics' read model: provinces' monthly reports and a summary of each bill."""

from __future__ import annotations

from shared.persistence.readmodel import Table

TABLES = (
    Table("province_report", (("province", "TEXT"), ("month", "TEXT")), indexes=("month",)),
    Table(
        "bill_summary",
        (("province", "TEXT"), ("cycle", "TEXT"), ("amount_due", "BIGINT"), ("paid", "BIGINT")),
        indexes=("cycle",),
    ),
)
