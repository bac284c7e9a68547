"""HQ's catalog master (R-11, R-12): products and packages are created and moved through their lifecycle here only."""

from hq.catalog.commands import HqCatalogCommands

__all__ = ["HqCatalogCommands"]
