"""The province node's application: one event store, read models written in the events' transactions."""

from __future__ import annotations

from province import billing, catalog, customers, orders, statistics, tickets
from shared.application import CrmApplication
from shared.domain.calendar import WorkingCalendar
from shared.domain.billing import BillingAccount
from shared.domain.customer import Customer
from shared.settings import Settings

AREAS = (customers, catalog, orders, billing, tickets, statistics)


class ProvinceApplication(
    statistics.StatisticsCommands,
    billing.BillingCommands,
    tickets.TicketCommands,
    orders.OrderCommands,
    catalog.CatalogCommands,
    customers.CustomerCommands,
    CrmApplication,
):
    tables = tuple(t for area in AREAS for t in area.TABLES)
    projectors = {cls: p for area in AREAS for cls, p in area.PROJECTORS.items()}
    snapshotting_intervals = {Customer: 50, BillingAccount: 50}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.calendar = WorkingCalendar.from_text(settings.holidays, settings.extra_working_days)
        self.after_start()

    def apply_replicated(self, upstream: str, records: list, last_hash: bytes) -> None:
        """A province follows only HQ, whose log carries the catalog (R-11)."""
        self.apply_hq_catalog(upstream, records, last_hash)

    def after_start(self) -> None:
        """Hooks of the areas that need start-up work (loading the shipped catalog, say)."""
        for area in type(self).__mro__:
            hook = area.__dict__.get("on_start")
            if hook is not None:
                hook(self)
