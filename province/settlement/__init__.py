"""Settlement (跨省账单接口, R-21): HQ's statements for this province and the revenue shares of its bills."""

from province.settlement.commands import SettlementCommands

__all__ = ["SettlementCommands"]
