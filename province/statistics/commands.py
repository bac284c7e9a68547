"""The province's monthly statistics report (R-27): totals of local data, published for HQ."""

from __future__ import annotations

import json
from collections import Counter

from eventsourcing.application import AggregateNotFoundError

from shared.application import CrmApplication
from shared.domain.billing import billable_cycle
from shared.domain.calendar import business_date
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.statistics import MonthlyReport, report_id


class StatisticsCommands:
    """Totals of this province's orders and tickets by month, published for HQ (R-27)."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def publish_monthly_report(self, month: object, by: Operator) -> JSONObject:
        month = billable_cycle(month, business_date(self.store.clock()), "month")
        figures = self.monthly_figures(month)
        try:
            report: MonthlyReport = self.store.repository.get(report_id(self.store.settings.node_code, month))
            report.republish(figures, by)
        except AggregateNotFoundError:
            report = MonthlyReport(self.store.settings.node_code, month, figures, by)
        self.store.record(report)
        return {
            "province": report.province,
            "month": month,
            "figures": report.figures,
            "version": report.version,
        }

    def monthly_figures(self, month: str) -> JSONObject:
        like = f"{month}%"
        orders = [
            json.loads(r["doc"])
            for r in self.store.queries.rows(
                "SELECT doc FROM {product_order} WHERE created_at LIKE ?", [like]
            )
        ]
        today = business_date(self.store.clock()).isoformat()
        tickets = self.store.queries.rows(
            "SELECT status, ticket_type, priority FROM {trouble_ticket} WHERE created_at LIKE ?", [like]
        )
        return {
            "ordersByState": dict(Counter(o["state"] for o in orders)),
            "ordersByProduct": dict(
                Counter(i["productOffering"]["id"] for o in orders for i in o["productOrderItem"])
            ),
            "ordersBySlaClass": dict(Counter(o["slaClass"] for o in orders)),
            "slaOverdue": sum(
                1
                for o in orders
                if o["dueDate"] < today and o["state"] in ("acknowledged", "inProgress", "pending", "held")
            ),
            "compensationPaid": sum(o.get("compensation", {}).get("value", 0) for o in orders),
            "ticketsByType": dict(Counter(t["ticket_type"] for t in tickets)),
            "ticketsByPriority": dict(Counter(t["priority"] for t in tickets)),
            "ticketsOpen": sum(1 for t in tickets if t["status"] in ("acknowledged", "inProgress")),
        }
