"""Cross-province orders at HQ (R-19, R-26): the route table, routing records that forward and relay, the order desk."""

from hq.routing.commands import RoutingCommands

__all__ = ["RoutingCommands"]
