"""The catalog copy (R-11, R-12): the shipped default until HQ's arrives, then HQ's; what may be ordered."""

from province.catalog.commands import CatalogCommands

__all__ = ["CatalogCommands"]
