"""The HQ node: composes its areas (each a package of hq/) and applies what every province's public log brings,
dispatching each replicated event by its class to the area it concerns (`HqApplication.policy`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import singledispatchmethod
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import Mapper
from eventsourcing.utils import TopicError, resolve_topic

from hq.catalog import HqCatalogCommands
from hq.catalog import read_model as catalog_model
from hq.group_shares import GroupShareCommands
from hq.group_shares import read_model as group_shares_model
from hq.mirror.store import Mirror, MirrorRecord
from hq.registry import RegistryCommands, Touched
from hq.registry import read_model as registry_model
from hq.routing import RoutingCommands
from hq.routing import read_model as routing_model
from hq.settlement import SettlementCommands
from hq.settlement import read_model as settlement_model
from hq.staff import StaffCommands
from hq.staff import read_model as staff_model
from hq.statistics import StatisticsCommands
from hq.statistics import read_model as statistics_model
from hq.upgrades import take_upgrade_steps
from shared.application import CrmApplication
from shared.domain.billing import CustomerBill
from shared.domain.cross_province import CrossProvinceRequest, DeliveryLeg
from shared.domain.customer import Customer
from shared.domain.json_types import JSONObject
from shared.domain.product import Product
from shared.domain.signing_key import SigningKey
from shared.domain.statistics import MonthlyReport
from shared.persistence import destinations
from shared.persistence.readmodel import Operation
from shared.settings import Settings

if TYPE_CHECKING:
    from replication.chain import LogRecord

READ_MODELS = (
    catalog_model,
    registry_model,
    statistics_model,
    routing_model,
    group_shares_model,
    settlement_model,
    staff_model,
)
# The events of a province's log that HQ applies (beyond mirroring them): the rest are never decoded here.
APPLIED = (
    Customer.Event,
    CustomerBill.Event,
    MonthlyReport.Event,
    CrossProvinceRequest.Event,
    DeliveryLeg.Event,
    SigningKey.Event,
)


class HqApplication(CrmApplication):
    tables = tuple(t for area in READ_MODELS for t in area.TABLES)
    audited_resources = (
        *catalog_model.AUDITED,
        *routing_model.AUDITED,
        *settlement_model.AUDITED,
        *staff_model.AUDITED,
    )
    projectors = {cls: p for area in READ_MODELS for cls, p in getattr(area, "PROJECTORS", {}).items()}
    snapshotting_intervals = {Product: 50}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        with self.queries.cursor(commit=True) as c:  # before the first save: the recorder writes into it
            self.queries.execute(c, destinations.create_statement(self.schema.prefix))
        self.catalog = HqCatalogCommands(self)
        self.registry = RegistryCommands(self)
        self.statistics = StatisticsCommands(self, registry=self.registry)
        self.routing = RoutingCommands(self)
        self.group_shares = GroupShareCommands(self)
        self.settlement = SettlementCommands(self, catalog=self.catalog)
        self.staff = StaffCommands(self)
        self.mirror = Mirror(self)
        self.staff_access = self.staff.access
        self._applying = threading.Lock()  # one province's batch at a time: routing records are shared by two
        self.rebuild_if_reshaped()
        self.catalog.adopt_shipped_catalog()
        self.settlement.define_default_rule()
        take_upgrade_steps(self)

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper with events' `by` an Operator, also keeping each event's `destination` for the
        recorder to write beside it: HQ's log service routes by that column (shared/persistence/destinations.py)."""
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=destinations.AddressingMapper
        )

    def follow_upstreams(self, codes: set[str]) -> None:
        super().follow_upstreams(codes)
        self.routing.follow(codes)

    # --- replication from provinces ------------------------------------------------------------

    def apply_replicated(self, upstream: str, records: list[LogRecord], last_hash: bytes) -> None:
        """A province's batch, in one transaction with its tracking record: verbatim mirror rows, the registry and
        statistics, and HQ's own records it causes — routing and relays (R-19), group shares (R-20), ledger
        entries (R-21)."""
        events = self._applied(records)
        with self._applying, self.batch() as batch:
            customers, operations = self._derived(upstream, events)
            self.group_shares.share_groups(customers)
            for event in events:
                self.policy(event, upstream)
            last = records[-1]
            self.record_replicated(
                upstream,
                last.position,
                last_hash,
                last.recorded_at,
                *batch.changed(),
                operations=operations,
                bulk=self.mirror.writes(upstream, records, last_hash),
            )

    def _applied(self, records: Sequence[LogRecord | MirrorRecord]) -> list[object]:
        """The domain events of the records HQ applies, in log order (known by their class, not decoded else)."""
        return [self.decode(r) for r in records if _is_applied(r.topic)]

    @singledispatchmethod
    def policy(self, event: object, upstream: str) -> None:
        """What a province's event causes at HQ beyond the registry and statistics, inside the batch's unit of
        work; most cause nothing more."""

    @policy.register(CrossProvinceRequest.Submitted)
    def _order_submitted(self, event: CrossProvinceRequest.Submitted, upstream: str) -> None:
        self.routing.open_order(event)

    @policy.register(CrossProvinceRequest.CancellationRequested)
    def _cancellation_requested(
        self, event: CrossProvinceRequest.CancellationRequested, upstream: str
    ) -> None:
        self.routing.forward_cancellation(event)

    @policy.register(CrossProvinceRequest.HomeStateChanged)
    def _home_state_changed(self, event: CrossProvinceRequest.HomeStateChanged, upstream: str) -> None:
        self.routing.record_home_state(event)

    # DeliveryLeg.Received causes nothing: the leg arrived; its first move is what the home province needs
    @policy.register(DeliveryLeg.WorkProgressed)
    def _work_progressed(self, event: DeliveryLeg.WorkProgressed, upstream: str) -> None:
        self.routing.relay_progress(upstream, event)

    @policy.register(DeliveryLeg.CancellationAnswered)
    def _cancellation_answered(self, event: DeliveryLeg.CancellationAnswered, upstream: str) -> None:
        self.routing.relay_cancellation_answer(upstream, event)

    @policy.register(CustomerBill.Issued)
    def _bill_issued(self, event: CustomerBill.Issued, upstream: str) -> None:
        self.settlement.apportion(upstream, event)

    @policy.register(SigningKey.Published)
    def _signing_key_published(self, event: SigningKey.Published, upstream: str) -> None:
        self.staff.trust_province_key(upstream, event)

    def _derived(self, upstream: str, events: Sequence[object]) -> tuple[list[Touched], list[Operation]]:
        """The registry's and the statistics' rows for a batch's events (both rebuildable from the mirror), and
        the customers the batch touched with who last changed each."""
        customers = [e for e in events if isinstance(e, Customer.Event)]
        figures = [e for e in events if isinstance(e, (CustomerBill.Event, MonthlyReport.Event))]
        touched, operations = self.registry.apply(upstream, customers)
        return touched, [*operations, *self.statistics.operations(upstream, figures)]

    def integrity(self) -> JSONObject:
        """HQ's own log, and each province's mirror proved against the chain HQ accepted."""
        return {
            **super().integrity(),
            "mirrors": [self.mirror.verify(code) for code in self.mirror.upstreams()],
        }

    def rebuild_read_models(self, progress: Callable[[int, int], None] | None = None) -> int:
        """HQ's own aggregates from its store, then the registry again from the mirror."""
        count = super().rebuild_read_models(progress)
        for upstream in self.mirror.upstreams():
            for records in self.mirror.records(upstream):
                _, operations = self._derived(upstream, self._applied(records))
                with self.queries.cursor(commit=True) as cursor:
                    for op in operations:
                        for sql, params in self.schema.statements_for(op):
                            self.queries.execute(cursor, sql, params)
        return count


def _is_applied(topic: str) -> bool:
    """Whether HQ applies events of this topic; a mirrored topic no longer importable here (a province newer than
    HQ, or a type since retired) is kept verbatim in the mirror and passed over, as the live batch refuses it."""
    try:
        return issubclass(resolve_topic(topic), APPLIED)
    except TopicError:
        return False
