"""What HQ's ledger sends this province down the cross-province bill channel (跨省账单接口, R-21): its settlement
statements, and for each of its bills with lines other provinces delivered, the shares HQ settled of them."""

from __future__ import annotations

from typing import Any

from province.settlement.documents import revenue_share
from shared.application import CrmApplication
from shared.domain.billing import parse_cycle
from shared.domain.json_types import JSONObject
from shared.domain.settlement import (
    BillApportionment,
    ReceivedApportionment,
    ReceivedStatement,
    SettlementStatement,
)
from shared.persistence.queries import Page, equal


class SettlementCommands:
    """HQ's statements and bill apportionments as this province keeps them, applied in a replicated batch."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def apply_statement(self, event: SettlementStatement.Issued | SettlementStatement.Reissued) -> None:
        """HQ issued (or re-issued) this province's statement for a month; in a replicated batch."""
        statement = self.store.find(ReceivedStatement, event.originator_id)
        issued_at = event.timestamp.isoformat()
        if statement is None:
            self.store.created(
                ReceivedStatement(
                    statement=str(event.originator_id),
                    province=event.destination,
                    month=event.month,
                    figures=event.figures,
                    entries=event.entries,
                    issued_at=issued_at,
                    by=event.by,
                )
            )
        else:
            statement.replace(event.figures, event.entries, issued_at, event.by)

    def apply_apportionment(self, event: BillApportionment.Recorded) -> None:
        """HQ apportioned one of this province's bills; in a replicated batch (HQ records it once per bill)."""
        if self.store.find(ReceivedApportionment, event.originator_id) is None:
            self.store.created(
                ReceivedApportionment(
                    bill_id=event.bill_id,
                    month=event.month,
                    lines=event.lines,
                    apportioned_at=event.timestamp.isoformat(),
                    by=event.by,
                )
            )

    def with_revenue_shares(self, bills: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Bill documents with what HQ settled of them (`revenue_share`), looked up when they are read."""
        found = self.store.queries.documents("bill_revenue_share", (b["id"] for b in bills))
        home = self.store.settings.node_code
        for bill in bills:
            bill.update(revenue_share(home, bill["billLine"] or [], found.get(bill["id"])))
        return bills

    def list_statements(self, month: str | None = None, offset: int = 0, limit: int = 100) -> Page:
        month = parse_cycle(month, "month") if month else None
        return self.store.queries.page(
            "settlement_statement",
            equal(("month", month)),
            offset=offset,
            limit=limit,
            order_by="month DESC, id",
        )

    def get_statement(self, statement_id: str) -> JSONObject:
        return self.store.document("settlement_statement", statement_id, "settlement statement")
