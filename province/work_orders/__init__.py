"""Work orders (TMF641): the three steps of each leg of an order delivered here, local or forwarded."""

from province.work_orders.commands import WorkOrderCommands

__all__ = ["WorkOrderCommands"]
