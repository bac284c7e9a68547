"""The HQ node: composes its areas (each a package of hq/) and applies what every province's public log brings,
dispatching each replicated event by its class to the area it concerns (`HqApplication.policy`)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from functools import singledispatchmethod
from typing import Any

from eventsourcing.utils import resolve_topic

from hq.catalog import HqCatalogCommands
from hq.catalog import read_model as catalog_model
from hq.group_shares import GroupShareCommands
from hq.group_shares import read_model as group_shares_model
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
from replication.audit import verify_mirror
from shared.application import CrmApplication
from shared.audit.trail import attributes_of, told
from shared.domain.billing import CustomerBill
from shared.domain.cross_province import CrossProvinceRequest, DeliveryLeg
from shared.domain.customer import Customer
from shared.domain.errors import NotFound
from shared.domain.mirror_repair import MirrorReseeded
from shared.domain.product import Product
from shared.domain.signing_key import SigningKey
from shared.domain.statistics import MonthlyReport
from shared.settings import Settings

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
        self.catalog = HqCatalogCommands(self)
        self.registry = RegistryCommands(self)
        self.statistics = StatisticsCommands(self, registry=self.registry)
        self.routing = RoutingCommands(self)
        self.group_shares = GroupShareCommands(self)
        self.settlement = SettlementCommands(self, catalog=self.catalog)
        self.staff = StaffCommands(self)
        self.mirror_table = f"{self.schema.prefix}_mirror"
        self.signed_heads_table = (
            f"{self.schema.prefix}_signed_head"  # each batch's head as its province signed it
        )
        self.staff_access = self.staff.access
        self._applying = threading.Lock()  # one province's batch at a time: routing records are shared by two
        self._create_mirror()
        self.rebuild_if_reshaped()
        self.catalog.adopt_shipped_catalog()
        self.settlement.define_default_rule()
        take_upgrade_steps(self)

    def follow_upstreams(self, codes: set[str]) -> None:
        super().follow_upstreams(codes)
        self.routing.follow(codes)

    def _create_mirror(self) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.mirror_table} (upstream TEXT NOT NULL, position BIGINT NOT NULL, "
                "topic TEXT NOT NULL, originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, "
                "state TEXT NOT NULL, recorded_at TEXT NOT NULL, running_hash TEXT NOT NULL, channel TEXT NOT NULL, "
                "PRIMARY KEY (upstream, position))",
            )
            self.queries.execute(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.signed_heads_table} (upstream TEXT NOT NULL, position BIGINT NOT "
                "NULL, hash TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (upstream, position))",
            )

    # --- replication from provinces ------------------------------------------------------------

    def apply_replicated(self, upstream: str, records: list[Any], last_hash: bytes) -> None:
        """A province's batch, in one transaction with its tracking record: verbatim mirror rows, the registry and
        statistics, and HQ's own records it causes — routing and relays (R-19), group shares (R-20), ledger
        entries (R-21)."""
        mirror = [
            (
                upstream,
                r.position,
                r.topic,
                r.originator_id,
                r.originator_version,
                base64.b64encode(self.sealed(r.state)).decode(),
                r.recorded_at,
                r.running_hash.hex(),
                r.channel,
            )
            for r in records
        ]
        insert = (
            f"INSERT INTO {self.mirror_table} (upstream, position, topic, originator_id, originator_version, "
            "state, recorded_at, running_hash, channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        events = self._applied(records)
        with self._applying, self.batch() as batch:
            customers, operations = self._derived(upstream, events)
            self.group_shares.share_groups(customers)
            for event in events:
                self.policy(event, upstream)
            last = records[-1]
            signed = (
                [(upstream, last.position, last_hash.hex(), last.head_signature.hex())]
                if last.head_signature
                else []
            )
            self.record_replicated(
                upstream,
                last.position,
                last_hash,
                last.recorded_at,
                *batch.changed(),
                operations=operations,
                bulk=[(insert, mirror), (self._sign_insert, signed)],
            )

    def _applied(self, records: list[Any]) -> list[Any]:
        """The domain events of the records HQ applies, in log order (known by their class, not decoded else)."""
        return [self.decode(r) for r in records if issubclass(resolve_topic(r.topic), APPLIED)]

    @singledispatchmethod
    def policy(self, event: Any, upstream: str) -> None:
        """What a province's event causes at HQ beyond the registry and statistics, inside the batch's unit of
        work; most cause nothing more."""

    @policy.register(CrossProvinceRequest.Submitted)
    def _order_submitted(self, event: CrossProvinceRequest.Submitted, upstream: str) -> None:
        self.routing.open_order(event)

    @policy.register(CrossProvinceRequest.CancellationRequested)
    def _cancellation_requested(self, event: Any, upstream: str) -> None:
        self.routing.forward_cancellation(event)

    @policy.register(CrossProvinceRequest.HomeStateChanged)
    def _home_state_changed(self, event: Any, upstream: str) -> None:
        self.routing.record_home_state(event)

    # DeliveryLeg.Received causes nothing: the leg arrived; its first move is what the home province needs
    @policy.register(DeliveryLeg.WorkProgressed)
    def _work_progressed(self, event: Any, upstream: str) -> None:
        self.routing.relay_progress(upstream, event)

    @policy.register(DeliveryLeg.CancellationAnswered)
    def _cancellation_answered(self, event: Any, upstream: str) -> None:
        self.routing.relay_cancellation_answer(upstream, event)

    @policy.register(CustomerBill.Issued)
    def _bill_issued(self, event: CustomerBill.Issued, upstream: str) -> None:
        self.settlement.apportion(upstream, event)

    @policy.register(SigningKey.Published)
    def _signing_key_published(self, event: SigningKey.Published, upstream: str) -> None:
        self.staff.trust_province_key(upstream, event)

    @property
    def _sign_insert(self) -> str:
        return (
            f"INSERT INTO {self.signed_heads_table} (upstream, position, hash, signature) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (upstream, position) DO NOTHING"
        )

    def signed_heads(self, upstream: str, upto: int) -> dict[int, tuple[str, bytes]]:
        rows = self.queries.rows(
            f"SELECT position, hash, signature FROM {self.signed_heads_table} WHERE upstream = ? "
            "AND position <= ?",
            [upstream, upto],
        )
        return {int(r["position"]): (r["hash"], bytes.fromhex(r["signature"])) for r in rows}

    def _derived(self, upstream: str, events: list[Any]) -> tuple[list[Touched], list[Any]]:
        """The registry's and the statistics' rows for a batch's events (both rebuildable from the mirror), and
        the customers the batch touched with who last changed each."""
        customers = [e for e in events if isinstance(e, Customer.Event)]
        figures = [e for e in events if isinstance(e, (CustomerBill.Event, MonthlyReport.Event))]
        touched, operations = self.registry.apply(upstream, customers)
        return touched, [*operations, *self.statistics.operations(upstream, figures)]

    def mirror_page(self, upstream: str, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Mirrored records as the province sent them (kept encrypted under HQ's own key, decrypted here)."""
        rows = self.queries.rows(
            f"SELECT upstream, position, topic, originator_id, originator_version, state, recorded_at, "
            f"running_hash, channel FROM {self.mirror_table} WHERE upstream = ? AND position > ? "
            "ORDER BY position LIMIT ?",
            [upstream, after, limit],
        )
        for row in rows:
            row["state"] = base64.b64encode(self._mirrored(base64.b64decode(row["state"]))).decode()
        return rows

    def _mirrored(self, sealed: bytes) -> bytes:
        try:
            return self.plain(sealed)
        except ValueError:  # changed behind HQ's back: the chain will not follow it, and says where
            return b"(a mirror row that HQ's key does not open)"

    def mirror_history(self, upstream: str, originator_id: str) -> list[dict[str, Any]]:
        """Every mirrored event of one of a province's aggregates, with the fields it changed, in order."""
        rows = self.queries.rows(
            f"SELECT position, topic, originator_id, originator_version, state FROM {self.mirror_table} "
            "WHERE upstream = ? AND originator_id = ? ORDER BY position",
            [upstream, originator_id],
        )
        if not rows:
            raise NotFound(
                f"no mirrored events of '{originator_id[:64]}' from {upstream}", field="aggregate_id"
            )
        for row in rows:
            row["state"] = base64.b64encode(self._mirrored(base64.b64decode(row["state"]))).decode()
        return told(((int(r["position"]), self.decode(_MirrorRecord(r))) for r in rows), attributes_of)

    def mirror_count(self, upstream: str) -> int:
        return int(
            self.queries.rows(
                f"SELECT COUNT(*) AS n FROM {self.mirror_table} WHERE upstream = ?", [upstream]
            )[0]["n"]
        )

    def cut_mirror(
        self, upstream: str, keep_upto: int, kept_hash: str, kept_recorded_at: str, repair: MirrorReseeded
    ) -> None:
        """One transaction: the repair's event, the mirror and the tracking record cut back to `keep_upto`, the
        running hash set to the kept record's (see replication/repair.py)."""
        recorder: Any = self.recorder
        tracking = "tracking"  # the library's one row per followed log
        if self.settings.store == "postgres":
            tracking = f'"{recorder.datastore.schema}"."{recorder.tracking_table_name}"'
        rewind = (
            (f"UPDATE {tracking} SET notification_id = ? WHERE application_name = ?", [(keep_upto, upstream)])
            if keep_upto
            else (f"DELETE FROM {tracking} WHERE application_name = ?", [(upstream,)])
        )
        self.record(
            repair,
            bulk=[
                (
                    f"DELETE FROM {self.mirror_table} WHERE upstream = ? AND position > ?",
                    [(upstream, keep_upto)],
                ),
                (
                    f"DELETE FROM {self.signed_heads_table} WHERE upstream = ? AND position > ?",
                    [(upstream, keep_upto)],
                ),
                rewind,
                (
                    f"UPDATE {self.upstream_table} SET position = ?, running_hash = ?, recorded_at = ? WHERE upstream = ?",
                    [(keep_upto, kept_hash, kept_recorded_at, upstream)],
                ),
            ],
        )

    def mirrored_upstreams(self) -> list[str]:
        return [
            r["upstream"]
            for r in self.queries.rows(f"SELECT DISTINCT upstream FROM {self.mirror_table} ORDER BY upstream")
        ]

    def integrity(self) -> dict[str, Any]:
        """HQ's own log, and each province's mirror proved against the chain HQ accepted."""
        return {
            **super().integrity(),
            "mirrors": [verify_mirror(self, code) for code in self.mirrored_upstreams()],
        }

    def rebuild_read_models(self, progress: Callable[[int, int], None] | None = None) -> int:
        """HQ's own aggregates from its store, then the registry again from the mirror."""
        count = super().rebuild_read_models(progress)
        for upstream in self.mirrored_upstreams():
            after = 0
            while rows := self.mirror_page(upstream, after, 5000):
                _, operations = self._derived(upstream, self._applied([_MirrorRecord(r) for r in rows]))
                with self.queries.cursor(commit=True) as cursor:
                    for op in operations:
                        for sql, params in self.schema.statements_for(op):
                            self.queries.execute(cursor, sql, params)
                after = int(rows[-1]["position"])
        return count


class _MirrorRecord:
    def __init__(self, row: dict[str, Any]) -> None:
        self.position = int(row["position"])
        self.topic = row["topic"]
        self.originator_id = row["originator_id"]
        self.originator_version = int(row["originator_version"])
        self.state = base64.b64decode(row["state"])
