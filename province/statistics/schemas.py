"""The monthly statistics report a province sends to HQ (统计报表, R-27)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from shared.api.models import RequestBody, Resource


class ReportRun(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"month": "2026-11"}]})
    month: str = Field(max_length=7, description="YYYY-MM")


class StatisticsReport(Resource):
    province: str
    month: str
    figures: dict[str, object] = Field(
        description="Orders by state, product and SLA class, SLA overdue, "
        "compensation paid, tickets by type and priority, tickets open."
    )
    version: int | None = Field(None, description="Published reports: the report's version.")
