"""Billing (R-22, R-23): accounts, charges, bills, payments, arrears."""

from province.billing.commands import BillingCommands

__all__ = ["BillingCommands"]
