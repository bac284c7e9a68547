"""Records aggregates keep in their state for their documents: one shape each, named once."""

from __future__ import annotations

from typing import TypedDict


class StateChange(TypedDict):
    """One step of an order's or a work order's state history."""

    state: str
    at: str  # ISO 8601, UTC
    reason: str
    by: dict[str, str]  # Operator.as_dict()


class Callback(TypedDict):
    """The customer callback (回访, R-17) after an order completed or a ticket was resolved."""

    result: str
    satisfied: bool
    at: str  # ISO 8601, UTC
    by: dict[str, str]  # Operator.as_dict()
