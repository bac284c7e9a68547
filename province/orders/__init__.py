"""Product orders (R-13..R-19): accepting, desk moves, cancelling, callbacks; the copy of HQ's route table."""

from province.orders.commands import OrderCommands

__all__ = ["OrderCommands"]
