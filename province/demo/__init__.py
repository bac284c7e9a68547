"""Demo data for a province node: customers of every kind and grade, orders, bills and tickets.

Each area adds its part in its own module; `load` runs them in business order and is a no-op on a
node that already holds customers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.domain.calendar import business_date
from shared.domain.operator import Operator

if TYPE_CHECKING:  # the node imports nothing of the demo; the demo only needs its type
    from province.application import ProvinceApplication
    from province.demo.context import DemoContext

DEMO_OPERATOR = Operator(actor="demo.loader", role="staff", channel="system")


def load(app: ProvinceApplication) -> dict[str, int]:
    """Load the demo data once; returns how many of each resource were created."""
    if app.customers.list_customers(limit=1).total:
        return {}
    from province.demo import billing, customers, orders, tickets

    created: dict[str, int] = {}
    context: DemoContext = {}
    for part in (customers, orders, billing, tickets):
        created.update(part.load(app, context, DEMO_OPERATOR))
    month = business_date(app.clock()).strftime("%Y-%m")
    app.statistics.publish_monthly_report(month, DEMO_OPERATOR)
    created["reports"] = 1
    return created
