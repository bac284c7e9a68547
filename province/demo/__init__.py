"""Demo data for a province node: customers of every kind and grade, orders, bills and tickets.

Each area adds its part in its own module; `load` runs them in business order and is a no-op on a
node that already holds customers.
"""

from __future__ import annotations

from typing import Any

DEMO_OPERATOR = {"actor": "demo.loader", "role": "staff", "channel": "system"}


def load(app: Any) -> dict[str, int]:
    """Load the demo data once; returns how many of each resource were created."""
    if app.list_customers(limit=1).total:
        return {}
    from province.demo import billing, customers, orders, tickets

    created: dict[str, int] = {}
    context: dict[str, Any] = {}
    for part in (customers, orders, billing, tickets):
        created.update(part.load(app, context, DEMO_OPERATOR))
    return created
