"""National statistics (R-26, R-27): per province and month, from replicated bills, reports and the registry."""

from hq.statistics.commands import StatisticsCommands

__all__ = ["StatisticsCommands"]
