"""Billing commands and read model (to be built)."""

from __future__ import annotations

from typing import Any

from shared.persistence.readmodel import Table

TABLES: tuple[Table, ...] = ()
PROJECTORS: dict = {}


class BillingCommands:
    """Mixed into the province application."""

    def charges_for_completed_order(self, order: Any, by: dict[str, str]) -> list[Any]:
        """Aggregates changed by charging a completed order's fees; saved with the order (one transaction)."""
        return []
