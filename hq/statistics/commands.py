"""National statistics (R-26, R-27) per province, product, grade and month.

From replicated events: bill summaries (revenue billed and paid) and the registry (customers by grade);
from provinces' monthly reports: their local totals (orders by state and product, tickets, overdue SLAs).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeAlias, TypedDict
from uuid import UUID

from hq.registry import RegistryCommands
from shared.application import CrmApplication
from shared.domain.billing import CustomerBill, parse_cycle
from shared.domain.json_types import JSONObject
from shared.domain.statistics import MonthlyReport
from shared.persistence.readmodel import Operation, Upsert

Figure: TypeAlias = CustomerBill.Event | MonthlyReport.Event  # the events statistics are kept from


class BillSummary(TypedDict):
    """One bill's row document (`bill_summary.doc`)."""

    cycle: str
    amount_due: int
    paid: int


class Reported(TypedDict):
    month: str
    figures: JSONObject
    at: str


class StatisticsCommands:
    """Keeps the figures from replicated bills and reports; answers per province and month with the registry's."""

    def __init__(self, store: CrmApplication, *, registry: RegistryCommands) -> None:
        self.store = store
        self.registry = registry

    def operations(self, upstream: str, events: Sequence[Figure]) -> list[Operation]:
        """The rows a batch's bill and report events change."""
        bills = self._bills(upstream, [e for e in events if isinstance(e, CustomerBill.Event)])
        reports: dict[str, Reported] = {}
        for e in events:
            if isinstance(e, CustomerBill.Issued):
                bills[str(e.originator_id)] = {
                    "cycle": e.cycle,
                    "amount_due": sum(line["amount"] for line in e.lines),
                    "paid": 0,
                }
            elif isinstance(e, CustomerBill.PaymentApplied) and str(e.originator_id) in bills:
                bills[str(e.originator_id)]["paid"] += e.amount
            elif isinstance(e, MonthlyReport.Published | MonthlyReport.Republished):
                month = (
                    e.month
                    if isinstance(e, MonthlyReport.Published)
                    else self._report_month(upstream, e.originator_id, reports)
                )
                reports[str(e.originator_id)] = {
                    "month": month,
                    "figures": e.figures,
                    "at": e.timestamp.isoformat(),
                }
        ops: list[Operation] = [
            Upsert(
                "bill_summary",
                {
                    "id": f"{upstream}:{bill_id}",
                    "province": upstream,
                    "cycle": b["cycle"],
                    "amount_due": b["amount_due"],
                    "paid": b["paid"],
                    "doc": b,
                },
            )
            for bill_id, b in bills.items()
        ]
        ops += [
            Upsert(
                "province_report",
                {
                    "id": f"{upstream}:{r['month']}",
                    "province": upstream,
                    "month": r["month"],
                    "doc": {**r["figures"], "reportedAt": r["at"], "reportId": rid},
                },
            )
            for rid, r in reports.items()
        ]
        return ops

    def _bills(self, province: str, events: Sequence[CustomerBill.Event]) -> dict[str, BillSummary]:
        ids = sorted({f"{province}:{e.originator_id}" for e in events})
        bills: dict[str, BillSummary] = {}
        for first in range(0, len(ids), 500):
            chunk = ids[first : first + 500]
            for row in self.store.queries.rows(
                f"SELECT id, doc FROM {{bill_summary}} WHERE id IN ({', '.join('?' for _ in chunk)})", chunk
            ):
                bills[row["id"].split(":", 1)[1]] = json.loads(row["doc"])
        return bills

    def _report_month(self, province: str, report_id: UUID, batch: dict[str, Reported]) -> str:
        if str(report_id) in batch:
            return batch[str(report_id)]["month"]
        rows = self.store.queries.rows(
            "SELECT month, doc FROM {province_report} WHERE province = ?", [province]
        )
        for row in rows:
            if json.loads(row["doc"]).get("reportId") == str(report_id):
                return str(row["month"])
        raise LookupError(f"monthly report {report_id} from {province} arrived before its first publication")

    def national_statistics(self, month: str | None = None, province: str | None = None) -> list[JSONObject]:
        """One entry per province and month: customers by grade, revenue billed and paid, reported totals."""
        month = parse_cycle(month, "month") if month else None
        grades = self.registry.customers_by_grade()
        revenue = {
            (r["province"], r["cycle"]): (int(r["billed"]), int(r["paid"]))
            for r in self.store.queries.rows(
                "SELECT province, cycle, SUM(amount_due) AS billed, SUM(paid) AS paid FROM {bill_summary} "
                "GROUP BY province, cycle"
            )
        }
        reports = {
            (r["province"], r["month"]): json.loads(r["doc"])
            for r in self.store.queries.rows("SELECT province, month, doc FROM {province_report}")
        }
        keys = sorted(set(revenue) | set(reports))
        entries = []
        for prov, mon in keys:
            if (month and mon != month) or (province and prov != province):
                continue
            billed, paid = revenue.get((prov, mon), (0, 0))
            entries.append(
                {
                    "province": prov,
                    "month": mon,
                    "customersByGrade": grades.get(prov, {}),
                    "revenueBilled": {"unit": "fen", "value": billed},
                    "revenuePaid": {"unit": "fen", "value": paid},
                    "report": reports.get((prov, mon)),
                }
            )
        return entries
