"""Response shape of the national statistics' API."""

from __future__ import annotations

from pydantic import Field

from shared.api.models import Money, Resource


class NationalStatistics(Resource):
    province: str
    month: str
    customersByGrade: dict[str, int] | None = None
    revenueBilled: Money | None = None
    revenuePaid: Money | None = None
    report: dict[str, object] | None = Field(
        None, description="The province's published report for the month."
    )
