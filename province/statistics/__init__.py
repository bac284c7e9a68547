"""Statistics (R-27): the monthly report of this province's orders and tickets, published for HQ."""

from province.statistics.commands import StatisticsCommands

__all__ = ["StatisticsCommands"]
