"""Monthly statistics report (统计报表, R-27): a province's aggregates of its local data, sent up to HQ.

Orders, tickets and SLA figures stay in the province as detail; only these totals leave it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator


def report_id(province: str, month: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:monthly-report:{province}:{month}")


class MonthlyReport(Aggregate):
    @staticmethod
    def create_id(province: str, month: str, figures: JSONObject, by: Operator) -> UUID:
        return report_id(province, month)

    class Published(Aggregate.Created):
        province: str
        month: str
        figures: JSONObject
        by: Operator

    @event(Published)
    def __init__(self, province: str, month: str, figures: JSONObject, by: Operator) -> None:
        self.province = province
        self.month = month
        self.figures = figures

    def republish(self, figures: JSONObject, by: Operator) -> None:
        """Figures change while the month is open; the latest report replaces the earlier one."""
        if figures != self.figures:
            self._republished(figures=figures, by=by)

    class Republished(Aggregate.Event):
        figures: JSONObject
        by: Operator

    @event(Republished)
    def _republished(self, figures: JSONObject, by: Operator) -> None:
        self.figures = figures
