"""National statistics (R-26, R-27) per province, product, grade and month.

From replicated events: bill summaries (revenue billed and paid) and the registry (customers by grade);
from provinces' monthly reports: their local totals (orders by state and product, tickets, overdue SLAs).
"""

from __future__ import annotations

import json
from typing import Any

from shared.persistence.readmodel import Operation, Table, Upsert

BILL_PREFIX = "shared.domain.billing:CustomerBill."
REPORT_PREFIX = "shared.domain.statistics:MonthlyReport."

TABLES = (
    Table("province_report", (("province", "TEXT"), ("month", "TEXT")), indexes=("month",)),
    Table(
        "bill_summary",
        (("province", "TEXT"), ("cycle", "TEXT"), ("amount_due", "BIGINT"), ("paid", "BIGINT")),
        indexes=("cycle",),
    ),
)


def is_statistical(topic: str) -> bool:
    return topic.startswith(BILL_PREFIX) or topic.startswith(REPORT_PREFIX)


class Statistics:
    def __init__(self, app: Any) -> None:
        self.app = app

    def operations(self, upstream: str, events: list[Any]) -> list[Operation]:
        bills = self._bills(upstream, [e for e in events if type(e).__qualname__.startswith("CustomerBill.")])
        reports: dict[str, dict[str, Any]] = {}
        for e in events:
            name = type(e).__qualname__
            if name == "CustomerBill.Issued":
                bills[str(e.originator_id)] = {
                    "cycle": e.cycle,
                    "amount_due": sum(line["amount"] for line in e.lines),
                    "paid": 0,
                }
            elif name == "CustomerBill.PaymentApplied" and str(e.originator_id) in bills:
                bills[str(e.originator_id)]["paid"] += e.amount
            elif name.startswith("MonthlyReport."):
                month = (
                    e.month if hasattr(e, "month") else self._report_month(upstream, e.originator_id, reports)
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

    def _bills(self, province: str, events: list[Any]) -> dict[str, dict[str, Any]]:
        ids = sorted({f"{province}:{e.originator_id}" for e in events})
        bills: dict[str, dict[str, Any]] = {}
        for first in range(0, len(ids), 500):
            chunk = ids[first : first + 500]
            for row in self.app.queries.rows(
                f"SELECT id, doc FROM {{bill_summary}} WHERE id IN ({', '.join('?' for _ in chunk)})", chunk
            ):
                bills[row["id"].split(":", 1)[1]] = json.loads(row["doc"])
        return bills

    def _report_month(self, province: str, report_id: Any, batch: dict[str, dict[str, Any]]) -> str:
        if str(report_id) in batch:
            return batch[str(report_id)]["month"]
        rows = self.app.queries.rows(
            "SELECT month, doc FROM {province_report} WHERE province = ?", [province]
        )
        for row in rows:
            if json.loads(row["doc"]).get("reportId") == str(report_id):
                return row["month"]
        raise LookupError(f"monthly report {report_id} from {province} arrived before its first publication")

    def national(self, month: str | None = None, province: str | None = None) -> list[dict[str, Any]]:
        """One entry per province and month: customers by grade, revenue billed and paid, reported totals."""
        grades: dict[str, dict[str, int]] = {}
        for row in self.app.queries.rows(
            "SELECT province, grade, COUNT(*) AS n FROM {province_customer} GROUP BY province, grade"
        ):
            grades.setdefault(row["province"], {})[row["grade"]] = int(row["n"])
        revenue = {
            (r["province"], r["cycle"]): (int(r["billed"]), int(r["paid"]))
            for r in self.app.queries.rows(
                "SELECT province, cycle, SUM(amount_due) AS billed, SUM(paid) AS paid FROM {bill_summary} "
                "GROUP BY province, cycle"
            )
        }
        reports = {
            (r["province"], r["month"]): json.loads(r["doc"])
            for r in self.app.queries.rows("SELECT province, month, doc FROM {province_report}")
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
