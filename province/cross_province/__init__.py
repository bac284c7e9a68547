"""Cross-province work (R-19) as HQ relays it: forwarded legs and cancellations, relayed states and answers."""

from province.cross_province.commands import CrossProvinceCommands

__all__ = ["CrossProvinceCommands"]
