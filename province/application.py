"""The province node's application: one event store, read models written in the events' transactions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from province import (
    billing,
    catalog,
    customers,
    order_documents,
    orphans,
    routes,
    settlement,
    staff,
    statistics,
    tickets,
)
from province.audit import AUDITED
from province.cross_province import CrossProvinceHandlers
from province.orders import OrderCommands
from province.work_orders import WorkOrderCommands
from shared.application import CrmApplication
from shared.classification import Channel, channel_of
from shared.domain.billing import BillingAccount
from shared.domain.calendar import WorkingCalendar
from shared.domain.customer import Customer
from shared.domain.orphan import NotHeld
from shared.domain.signing_key import TrustedKey
from shared.settings import Settings
from shared.staff_table import StaffAccess

AREAS = (customers, catalog, order_documents, billing, tickets, statistics, settlement, staff, orphans)


class ProvinceApplication(
    orphans.OrphanRecords,
    routes.RouteCopies,
    staff.StaffCopies,
    settlement.SettlementCopies,
    CrossProvinceHandlers,
    statistics.StatisticsCommands,
    billing.BillingCommands,
    tickets.TicketCommands,
    WorkOrderCommands,
    OrderCommands,
    catalog.CatalogCommands,
    customers.CustomerCommands,
    CrmApplication,
):
    tables = tuple(t for area in AREAS for t in area.TABLES)
    audited_resources = AUDITED
    projectors = {cls: p for area in AREAS for cls, p in area.PROJECTORS.items()}
    snapshotting_intervals = {Customer: 50, BillingAccount: 50}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.staff_access = StaffAccess(self, self.directory_entry)
        self.calendar = WorkingCalendar.from_text(settings.holidays, settings.extra_working_days)
        self.rebuild_if_reshaped()
        self.after_start()

    def apply_replicated(self, upstream: str, records: list, last_hash: bytes) -> None:
        """A batch of HQ's log: the catalog (R-11) and HQ's route table, and what HQ addressed to this province —
        forwarded work and relayed states (R-19), group shares (R-20), settlement statements (R-21), staff records
        and trusted keys — applied in one transaction with the batch's tracking record. A record about something
        this province does not hold (an order lost in a restore) is kept as an orphan in the same transaction, and
        the batch goes on."""
        orphaned = []
        with self.batch() as batch:
            catalog_events = []
            for record in records:
                channel = channel_of(record.topic, "hq")
                if channel is None:
                    continue
                event = self.decode(record)
                if routes.is_route_table(record.topic):
                    self.apply_route_table(event)
                elif channel is Channel.CATALOG:
                    catalog_events.append(event)
                elif self.addressed_to_me(getattr(event, "destination", "")):
                    try:
                        self._handler_of(record.topic)(event)
                    except NotHeld as missing:  # raised before the handler changed anything
                        orphaned.append(self.orphaned(upstream, record, event, missing))
            self.apply_hq_catalog(catalog_events)
            last = records[-1]
            keys_changed = bool(batch.of_type(TrustedKey))
            self.record_replicated(upstream, last.position, last_hash, last.recorded_at, *batch.changed())
        self.warn_orphaned(orphaned)
        if keys_changed:
            self.staff_access.keyring.reload()

    def _handler_of(self, topic: str) -> Callable[[Any], None]:
        aggregate = topic.partition(":")[2].partition(".")[0]
        return {
            "CrossProvinceOrder": self.apply_work_order_channel,
            "GroupShare": self.apply_group_share,
            "SettlementStatement": self.apply_statement,
            "BillApportionment": self.apply_apportionment,
            "StaffMember": self.apply_staff,
            "TrustedKey": self.copy_trusted_key,
        }[aggregate]

    def after_start(self) -> None:
        """Hooks of the areas that need start-up work (loading the shipped catalog, say)."""
        for area in type(self).__mro__:
            hook = area.__dict__.get("on_start")
            if hook is not None:
                hook(self)
