"""The province node's application: one event store, read models written in the events' transactions.

The node composes the areas (each a package of province/) and holds the one policy: what an event causes here,
dispatched by the event's class — a new customer's billing account in the same transaction, and each record of
HQ's log addressed to this province applied by the area it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatchmethod

from eventsourcing.domain import Aggregate, DomainEvent

from province.billing import BillingCommands
from province.billing import read_model as billing_model
from province.catalog import CatalogCommands
from province.catalog import read_model as catalog_model
from province.catalog.commands import ProductChange
from province.cross_province import CrossProvinceCommands
from province.customers import CustomerCommands
from province.customers import read_model as customers_model
from province.orders import OrderCommands
from province.orders import read_model as orders_model
from province.orders.route_copies import RouteCopies
from province.orphans import OrphanRecords
from province.orphans import read_model as orphans_model
from province.settlement import SettlementCommands
from province.settlement import read_model as settlement_model
from province.staff import StaffCommands
from province.staff import read_model as staff_model
from province.staff.commands import StaffRecord
from province.statistics import StatisticsCommands
from province.tickets import TicketCommands
from province.tickets import read_model as tickets_model
from province.work_orders import WorkOrderCommands
from province.work_orders import read_model as work_orders_model
from replication.chain import LogRecord
from shared.application import CrmApplication
from shared.classification import channel_of
from shared.domain.billing import BillingAccount
from shared.domain.calendar import WorkingCalendar
from shared.domain.cross_province import CrossProvinceOrder
from shared.domain.customer import Customer
from shared.domain.group_share import GroupShare
from shared.domain.json_types import JSONObject
from shared.domain.orphan import NotHeld
from shared.domain.product import Product
from shared.domain.route_table import RouteTable
from shared.domain.settlement import BillApportionment, SettlementStatement
from shared.domain.signing_key import TrustedKey
from shared.domain.staff import StaffMember
from shared.settings import Settings
from shared.staff_table import StaffAccess

# Read models in the order their tables are created; the audit surface lists resources in this order too.
READ_MODELS = (
    customers_model,
    catalog_model,
    orders_model,
    work_orders_model,
    billing_model,
    tickets_model,
    settlement_model,
    staff_model,
    orphans_model,
)


class ProvinceApplication(CrmApplication):
    tables = tuple(t for model in READ_MODELS for t in model.TABLES)
    audited_resources = tuple(r for model in READ_MODELS for r in getattr(model, "AUDITED", ()))
    projectors = {cls: p for model in READ_MODELS for cls, p in model.PROJECTORS.items()}
    snapshotting_intervals = {Customer: 50, BillingAccount: 50}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.calendar = WorkingCalendar.from_text(settings.holidays, settings.extra_working_days)
        self.staff = StaffCommands(self)
        self.orphans = OrphanRecords(self)
        self.settlement = SettlementCommands(self)
        self.catalog = CatalogCommands(self)
        self.routes = RouteCopies(self)
        self.customers = CustomerCommands(self, still_open=self.still_open)
        self.billing = BillingCommands(
            self, self.calendar, customers=self.customers, settlement=self.settlement
        )
        self.tickets = TicketCommands(self, customers=self.customers)
        self.orders = OrderCommands(
            self,
            self.calendar,
            customers=self.customers,
            catalog=self.catalog,
            billing=self.billing,
            routes=self.routes,
        )
        self.work_orders = WorkOrderCommands(self, orders=self.orders)
        self.cross_province = CrossProvinceCommands(
            self,
            self.calendar,
            orders=self.orders,
            work_orders=self.work_orders,
            billing=self.billing,
            orphans=self.orphans,
        )
        self.statistics = StatisticsCommands(self)
        self.staff_access = StaffAccess(self, self.staff.directory_entry)
        self.rebuild_if_reshaped()
        self.staff.publish_signing_key()
        self.catalog.load_if_empty()

    def still_open(self, customer: Customer) -> dict[str, list[JSONObject]]:
        """What the customer still has open, by kind: closing waits until nothing is."""
        return {**self.orders.still_open(customer), **self.billing.still_open(customer)}

    def _refuse_unhandled(self, record: LogRecord, event: DomainEvent) -> None:
        """A record HQ addressed here that no policy entry applies fails its batch (the follower then reports it):
        skipping it would move the tracking position past work this province never did."""
        dispatcher = type(self).__dict__["policy"].dispatcher
        if dispatcher.dispatch(type(event)) is dispatcher.dispatch(object):
            raise LookupError(
                f"{record.topic} at position {record.position}: no policy entry applies it here"
            )

    def orphans_by_upstream(self) -> dict[str, int]:
        return self.orphans.orphans_by_upstream()

    # --- the policy -------------------------------------------------------------------------------

    def caused(self, aggregates: Iterable[Aggregate]) -> list[Aggregate]:
        return [new for a in aggregates for event in a.pending_events for new in self.policy(event)]

    @singledispatchmethod
    def policy(self, event: DomainEvent) -> list[Aggregate]:
        """What an event causes here; the new aggregates it returns are saved with it. Most cause nothing."""
        return []

    @policy.register(Customer.Registered)
    def _(self, event: Customer.Registered) -> list[Aggregate]:
        return [self.billing.open_account(event)]

    @policy.register(CrossProvinceOrder.Forwarded)
    def _(self, event: CrossProvinceOrder.Forwarded) -> list[Aggregate]:
        self.cross_province.receive_leg(event)
        return []

    @policy.register(CrossProvinceOrder.CancellationForwarded)
    def _(self, event: CrossProvinceOrder.CancellationForwarded) -> list[Aggregate]:
        self.cross_province.answer_cancellation(event)
        return []

    @policy.register(CrossProvinceOrder.LegProgressed)
    def _(self, event: CrossProvinceOrder.LegProgressed) -> list[Aggregate]:
        self.cross_province.follow_relayed_progress(event)
        return []

    @policy.register(CrossProvinceOrder.CancellationAnswered)
    def _(self, event: CrossProvinceOrder.CancellationAnswered) -> list[Aggregate]:
        self.cross_province.follow_relayed_answer(event)
        return []

    @policy.register(GroupShare.Shared)
    @policy.register(GroupShare.Updated)
    def _(self, event: GroupShare.Shared | GroupShare.Updated) -> list[Aggregate]:
        self.customers.share_group(event)
        return []

    @policy.register(GroupShare.Withdrawn)
    def _(self, event: GroupShare.Withdrawn) -> list[Aggregate]:
        self.customers.withdraw_group_share(event)
        return []

    @policy.register(SettlementStatement.Issued)
    @policy.register(SettlementStatement.Reissued)
    def _(self, event: SettlementStatement.Issued | SettlementStatement.Reissued) -> list[Aggregate]:
        self.settlement.apply_statement(event)
        return []

    @policy.register(BillApportionment.Event)
    def _(self, event: BillApportionment.Recorded) -> list[Aggregate]:
        self.settlement.apply_apportionment(event)
        return []

    @policy.register(StaffMember.Enrolled)
    @policy.register(StaffMember.RoleChanged)
    @policy.register(StaffMember.Transferred)
    @policy.register(StaffMember.Republished)
    @policy.register(StaffMember.Disabled)
    @policy.register(StaffMember.Enabled)
    def _(self, event: StaffRecord) -> list[Aggregate]:
        self.staff.apply_staff(event)
        return []

    @policy.register(StaffMember.Withdrawn)
    def _(self, event: StaffMember.Withdrawn) -> list[Aggregate]:
        self.staff.withdraw(event)
        return []

    @policy.register(StaffMember.PasswordSet)
    def _(self, event: StaffMember.PasswordSet) -> list[Aggregate]:
        self.staff.take_verifier(event)
        return []

    @policy.register(TrustedKey.Trusted)
    def _(self, event: TrustedKey.Trusted) -> list[Aggregate]:
        self.staff.copy_trusted_key(event)
        return []

    @policy.register(TrustedKey.Distrusted)
    def _(self, event: TrustedKey.Distrusted) -> list[Aggregate]:
        self.staff.distrust_key(event)
        return []

    # --- HQ's log -----------------------------------------------------------------------------------

    def apply_replicated(self, upstream: str, records: list[LogRecord], last_hash: bytes) -> None:
        """A batch of HQ's log: the catalog (R-11) and HQ's route table, and what HQ addressed to this province —
        forwarded work and relayed states (R-19), group shares (R-20), settlement statements (R-21), staff records
        and trusted keys — applied in one transaction with the batch's tracking record. A record about something
        this province does not hold (an order lost in a restore) is kept as an orphan in the same transaction, and
        the batch goes on."""
        orphaned = []
        with self.batch() as batch:
            catalog_events: list[ProductChange] = []
            for record in records:
                if channel_of(record.topic, "hq") is None:  # not a public record of HQ's: not copied here
                    continue
                event = self.decode(record)
                if isinstance(event, RouteTable.Recorded | RouteTable.Changed):
                    self.routes.apply_route_table(event)
                elif isinstance(event, Product.Designed | Product.TariffChanged | Product.LifecycleChanged):
                    catalog_events.append(event)
                elif self.staff.addressed_to_me(getattr(event, "destination", "")):
                    self._refuse_unhandled(record, event)
                    try:
                        self.created(*self.policy(event))
                    except NotHeld as missing:  # raised before the policy changed anything
                        orphaned.append(self.orphans.orphaned(upstream, record, event, missing))
            self.catalog.apply_hq_catalog(catalog_events)
            last = records[-1]
            keys_changed = bool(batch.of_type(TrustedKey))
            self.record_replicated(upstream, last.position, last_hash, last.recorded_at, *batch.changed())
        self.orphans.warn_orphaned(orphaned)
        if keys_changed:
            self.staff_access.keyring.reload()
