"""Ticket commands and read model (to be built)."""

from __future__ import annotations

from shared.persistence.readmodel import Table

TABLES: tuple[Table, ...] = ()
PROJECTORS: dict = {}


class TicketCommands:
    """Mixed into the province application."""
