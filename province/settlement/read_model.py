"""The settlement read model: HQ's statements for this province and the revenue shares of its bills."""

from __future__ import annotations

from shared.api.documents import statement_document
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.settlement import ReceivedApportionment, ReceivedStatement
from shared.persistence.readmodel import Operation, Table, Upsert

BASE = "/crm/v1/settlementStatement"

TABLES = (
    Table("settlement_statement", (("month", "TEXT"),), indexes=("month",)),
    Table("bill_revenue_share", (("month", "TEXT"),)),  # id: the bill's
)


def project_statement(s: ReceivedStatement) -> list[Operation]:
    return [
        Upsert(
            "settlement_statement",
            {
                "id": str(s.id),
                "month": s.month,
                "doc": {
                    "id": str(s.id),
                    "href": f"{BASE}/{s.id}",
                    **statement_document(s.province, s.month, s.figures, s.entries),
                    "issuedAt": s.issued_at,
                    "revision": s.revision,
                },
            },
        )
    ]


def project_apportionment(a: ReceivedApportionment) -> list[Operation]:
    return [
        Upsert(
            "bill_revenue_share",
            {"id": a.bill_id, "month": a.month, "doc": {"lines": a.lines, "apportionedAt": a.apportioned_at}},
        )
    ]


PROJECTORS = {ReceivedStatement: project_statement, ReceivedApportionment: project_apportionment}

AUDITED = (AuditedResource("settlementStatement", (ReceivedStatement,), P.READ_SETTLEMENT),)
