"""What HQ's ledger sends this province down the cross-province bill channel (跨省账单接口, R-21): its settlement
statements, and for each of its bills with lines other provinces delivered, the shares HQ settled of them."""

from __future__ import annotations

from typing import Any

from shared.api.documents import money, statement_document
from shared.domain.billing import parse_cycle
from shared.domain.settlement import ReceivedApportionment, ReceivedStatement
from shared.persistence.queries import Page, equal
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


def revenue_share(
    home: str, lines: list[dict[str, Any]], apportioned: dict[str, Any] | None
) -> dict[str, Any]:
    """What a bill shows of its revenue share: only what HQ settled (HQ applies the one rule), per delivering
    province with its lines; nothing to share when every line was delivered at home; awaited until HQ's
    apportionment has arrived."""
    if apportioned is None:
        remote = any((line.get("deliveringProvince") or home) != home for line in lines)
        return (
            {"revenueShareStatus": "awaitingHq"}
            if remote
            else {"revenueShare": [], "revenueShareStatus": "notShared"}
        )
    provinces: dict[str, list[dict[str, Any]]] = {}
    for line in apportioned["lines"]:
        provinces.setdefault(line["deliveringProvince"], []).append(
            {
                "id": line["billLineId"],
                "chargeKind": line["chargeKind"],
                "billedAmount": money(line["billedAmount"]),
                "sharePercent": line["sharePercent"],
                "shareAmount": money(line["shareAmount"]),
                "rule": line["rule"],
            }
        )
    return {
        "revenueShare": [
            {
                "province": p,
                "amount": money(sum(s["shareAmount"]["value"] for s in shares)),
                "billLine": shares,
            }
            for p, shares in sorted(provinces.items())
        ],
        "revenueShareStatus": "apportioned",
        "revenueShareDate": apportioned["apportionedAt"],
    }


PROJECTORS = {ReceivedStatement: project_statement, ReceivedApportionment: project_apportionment}


class SettlementCopies:
    """Mixed into the province application."""

    def apply_statement(self, event: Any) -> None:
        """HQ issued (or re-issued) this province's statement for a month; in a replicated batch."""
        statement = self.find(ReceivedStatement, event.originator_id)
        issued_at = event.timestamp.isoformat()
        if statement is None:
            self.created(
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

    def apply_apportionment(self, event: Any) -> None:
        """HQ apportioned one of this province's bills; in a replicated batch (HQ records it once per bill)."""
        if self.find(ReceivedApportionment, event.originator_id) is None:
            self.created(
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
        found = self.queries.documents("bill_revenue_share", (b["id"] for b in bills))
        home = self.settings.node_code
        for bill in bills:
            bill.update(revenue_share(home, bill["billLine"] or [], found.get(bill["id"])))
        return bills

    def list_statements(self, month: str | None = None, offset: int = 0, limit: int = 100) -> Page:
        month = parse_cycle(month, "month") if month else None
        return self.queries.page(
            "settlement_statement",
            equal(("month", month)),
            offset=offset,
            limit=limit,
            order_by="month DESC, id",
        )

    def get_statement(self, statement_id: str) -> dict[str, Any]:
        return self.document("settlement_statement", statement_id, "settlement statement")
