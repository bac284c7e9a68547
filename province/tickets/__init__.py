"""Trouble tickets (R-24) and the overdue-callback work list (R-17)."""

from province.tickets.commands import TicketCommands

__all__ = ["TicketCommands"]
