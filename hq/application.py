"""The HQ node's application: its own catalog, plus what it applies from every province's public log."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper

from hq import catalog, group_shares, registry, routing, settlement, staff, statistics
from hq.audit import AUDITED
from hq.mirror.store import Mirror
from hq.upgrades import take_upgrade_steps
from shared.application import CrmApplication
from shared.domain.billing import parse_cycle
from shared.domain.errors import NotFound
from shared.domain.product import Product
from shared.persistence import destinations
from shared.settings import Settings
from shared.staff_table import StaffAccess

AREAS = (catalog, registry, statistics, routing, group_shares, settlement, staff)


class HqApplication(
    staff.StaffDirectory,
    settlement.SettlementLedger,
    group_shares.GroupSharing,
    routing.Routing,
    catalog.HqCatalogCommands,
    CrmApplication,
):
    tables = tuple(t for area in AREAS for t in area.TABLES)
    audited_resources = AUDITED
    projectors = {cls: p for area in AREAS for cls, p in getattr(area, "PROJECTORS", {}).items()}
    snapshotting_intervals = {Product: 50}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        with self.queries.cursor(commit=True) as c:  # before the first save: the recorder writes into it
            self.queries.execute(c, destinations.create_statement(self.schema.prefix))
        self.registry = registry.Registry(self)
        self.statistics = statistics.Statistics(self)
        self.mirror = Mirror(self)
        self.staff_access = StaffAccess(self, self.directory_entry)
        self._applying = threading.Lock()  # one province's batch at a time: routing records are shared by two
        self.rebuild_if_reshaped()
        catalog.HqCatalogCommands.on_start(self)
        settlement.SettlementLedger.on_start(self)
        take_upgrade_steps(self)

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, keeping each event's `destination` for the recorder to write beside it: HQ's log
        service routes by that column (shared/persistence/destinations.py)."""
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=destinations.AddressingMapper
        )

    # --- replication from provinces ------------------------------------------------------------

    def apply_replicated(self, upstream: str, records: list[Any], last_hash: bytes) -> None:
        """A province's batch, in one transaction with its tracking record: verbatim mirror rows, the registry and
        statistics, and HQ's own records it causes — routing and relays (R-19), group shares (R-20), ledger
        entries (R-21)."""
        with self._applying, self.batch() as batch:
            customers, operations = self._derived(upstream, records)
            self.share_groups(customers)
            for record in records:
                if routing.is_cross_province(record.topic):
                    self.route(upstream, self.decode(record))
                elif record.topic == settlement.BILL_ISSUED:
                    self.apportion(upstream, self.decode(record))
                elif record.topic == staff.SIGNING_KEY_PUBLISHED:
                    self.trust_province_key(upstream, self.decode(record))
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

    def _derived(self, upstream: str, records: list[Any]) -> tuple[list[registry.Touched], list[Any]]:
        """The registry's and the statistics' rows for a batch (both rebuildable from the mirror), and the
        customers the batch touched with who last changed each."""
        events = [self.decode(r) for r in records if r.topic.startswith(registry.CUSTOMER_TOPIC_PREFIX)]
        figures = [self.decode(r) for r in records if statistics.is_statistical(r.topic)]
        touched, operations = self.registry.apply(upstream, events)
        return touched, [*operations, *self.statistics.operations(upstream, figures)]

    # The mirror's queries as callers written before it was its own part (tests) know them; new code uses
    # `self.mirror`.
    @property
    def mirror_table(self) -> str:
        return self.mirror.table

    def mirror_page(self, upstream: str, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        return self.mirror.page(upstream, after, limit)

    def mirror_count(self, upstream: str) -> int:
        return self.mirror.count(upstream)

    def signed_heads(self, upstream: str, upto: int) -> dict[int, tuple[str, bytes]]:
        return self.mirror.signed_heads(upstream, upto)

    def integrity(self) -> dict[str, Any]:
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
                _, operations = self._derived(upstream, records)
                with self.queries.cursor(commit=True) as cursor:
                    for op in operations:
                        for sql, params in self.schema.statements_for(op):
                            self.queries.execute(cursor, sql, params)
        return count

    def list_national_customers(self, **filters: Any) -> Any:
        return self.registry.list_national(**filters)

    def national_statistics(
        self, month: str | None = None, province: str | None = None
    ) -> list[dict[str, Any]]:
        return self.statistics.national(parse_cycle(month, "month") if month else None, province)

    def get_national_customer(self, nid: str, unmask: bool = False) -> dict[str, Any]:
        doc = self.registry.by_national_id(nid, unmask)
        if doc is None:
            raise NotFound(f"no national customer with id '{nid}'", field="id")
        return doc
