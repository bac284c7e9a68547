"""HQ's settlement ledger (R-21): rules, the entries apportioned from billed cross-province lines, statements."""

from hq.settlement.commands import SettlementCommands

__all__ = ["SettlementCommands"]
