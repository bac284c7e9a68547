"""The settlement statements HQ sends this province down the cross-province bill channel (跨省账单接口, R-21)."""

from __future__ import annotations

from typing import Any

from shared.domain.billing import parse_cycle
from shared.domain.settlement import ReceivedStatement
from shared.persistence.queries import Page, equal
from shared.persistence.readmodel import Operation, Table, Upsert
from shared.api.documents import statement_document

BASE = "/crm/v1/settlementStatement"

TABLES = (Table("settlement_statement", (("month", "TEXT"),), indexes=("month",)),)


def project_statement(s: ReceivedStatement) -> list[Operation]:
    return [Upsert("settlement_statement", {"id": str(s.id), "month": s.month, "doc": {
        "id": str(s.id), "href": f"{BASE}/{s.id}", **statement_document(s.province, s.month, s.figures, s.entries),
        "issuedAt": s.issued_at, "revision": s.revision}})]


PROJECTORS = {ReceivedStatement: project_statement}


class SettlementCopies:
    """Mixed into the province application."""

    def apply_statement(self, event: Any) -> None:
        """HQ issued (or re-issued) this province's statement for a month; in a replicated batch."""
        statement = self.find(ReceivedStatement, event.originator_id)
        issued_at = event.timestamp.isoformat()
        if statement is None:
            self.created(ReceivedStatement(statement=str(event.originator_id), province=event.destination,
                                           month=event.month, figures=event.figures, entries=event.entries,
                                           issued_at=issued_at, by=event.by))
        else:
            statement.replace(event.figures, event.entries, issued_at, event.by)

    def list_statements(self, month: str | None = None, offset: int = 0, limit: int = 100) -> Page:
        month = parse_cycle(month, "month") if month else None
        return self.queries.page("settlement_statement", equal(("month", month)), offset=offset, limit=limit,
                                 order_by="month DESC, id")

    def get_statement(self, statement_id: str) -> dict[str, Any]:
        return self.document("settlement_statement", statement_id, "settlement statement")
