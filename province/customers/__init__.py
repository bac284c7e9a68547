"""Customers (客户资料): registration, changes, closing, group members and the groups other provinces share here."""

from province.customers.commands import CustomerCommands

__all__ = ["CustomerCommands"]
