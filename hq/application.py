"""The HQ node's application: its own catalog, plus what it applies from every province's public log."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from hq import catalog, registry, statistics
from shared.application import CrmApplication
from shared.domain.errors import NotFound
from shared.domain.product import Product
from shared.settings import Settings

AREAS = (catalog, registry, statistics)


class HqApplication(catalog.HqCatalogCommands, CrmApplication):
    tables = tuple(t for area in AREAS for t in area.TABLES)
    projectors = {cls: p for cls, p in catalog.PROJECTORS.items()}
    snapshotting_intervals = {Product: 50}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.registry = registry.Registry(self)
        self.statistics = statistics.Statistics(self)
        self.mirror_table = f"{self.schema.prefix}_mirror"
        self._create_mirror()
        self.on_start()

    def _create_mirror(self) -> None:
        with self.queries.cursor(commit=True) as c:
            self.queries.execute(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.mirror_table} (upstream TEXT NOT NULL, position BIGINT NOT NULL, "
                "topic TEXT NOT NULL, originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, "
                "state TEXT NOT NULL, recorded_at TEXT NOT NULL, running_hash TEXT NOT NULL, channel TEXT NOT NULL, "
                "PRIMARY KEY (upstream, position))",
            )

    # --- replication from provinces ------------------------------------------------------------

    def apply_replicated(self, upstream: str, records: list[Any], last_hash: bytes) -> None:
        """A province's batch: verbatim mirror rows, registry updates, tracking — one transaction."""
        mirror = [
            (upstream, r.position, r.topic, r.originator_id, r.originator_version,
             base64.b64encode(r.state).decode(), r.recorded_at, r.running_hash.hex(), r.channel)
            for r in records
        ]
        insert = (f"INSERT INTO {self.mirror_table} (upstream, position, topic, originator_id, originator_version, "
                  "state, recorded_at, running_hash, channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        operations = self._derived(upstream, records)
        last = records[-1]
        self.record_replicated(upstream, last.position, last_hash, last.recorded_at,
                               operations=operations, bulk=[(insert, mirror)])

    def _derived(self, upstream: str, records: list[Any]) -> list[Any]:
        """The registry's and the statistics' rows for a batch (both rebuildable from the mirror)."""
        customers = self._decode(r for r in records if r.topic.startswith(registry.CUSTOMER_TOPIC_PREFIX))
        figures = self._decode(r for r in records if statistics.is_statistical(r.topic))
        return [*self.registry.operations(upstream, customers), *self.statistics.operations(upstream, figures)]

    def _decode(self, records: Any) -> list[Any]:
        return [
            self.mapper.to_domain_event(StoredEvent(originator_id=UUID(r.originator_id),
                                                    originator_version=r.originator_version,
                                                    topic=r.topic, state=r.state))
            for r in records
        ]

    def mirror_page(self, upstream: str, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        return self.queries.rows(
            f"SELECT upstream, position, topic, originator_id, originator_version, state, recorded_at, "
            f"running_hash, channel FROM {self.mirror_table} WHERE upstream = ? AND position > ? "
            "ORDER BY position LIMIT ?",
            [upstream, after, limit],
        )

    def mirror_count(self, upstream: str) -> int:
        return int(self.queries.rows(
            f"SELECT COUNT(*) AS n FROM {self.mirror_table} WHERE upstream = ?", [upstream])[0]["n"])

    def rebuild_read_models(self) -> int:
        """HQ's own aggregates from its store, then the registry again from the mirror."""
        count = super().rebuild_read_models()
        upstreams = [r["upstream"] for r in self.queries.rows(f"SELECT DISTINCT upstream FROM {self.mirror_table}")]
        for upstream in upstreams:
            after = 0
            while rows := self.mirror_page(upstream, after, 5000):
                records = [_MirrorRecord(r) for r in rows]
                operations = self._derived(upstream, records)
                with self.queries.cursor(commit=True) as cursor:
                    for op in operations:
                        for sql, params in self.schema.statements_for(op):
                            self.queries.execute(cursor, sql, params)
                after = int(rows[-1]["position"])
        return count

    def list_national_customers(self, **filters: Any) -> Any:
        return self.registry.list_national(**filters)

    def national_statistics(self, month: str | None = None, province: str | None = None) -> list[dict[str, Any]]:
        return self.statistics.national(month, province)

    def get_national_customer(self, nid: str) -> dict[str, Any]:
        doc = self.registry.by_national_id(nid)
        if doc is None:
            raise NotFound(f"no national customer with id '{nid}'", field="id")
        return doc


class _MirrorRecord:
    def __init__(self, row: dict[str, Any]) -> None:
        self.position = int(row["position"])
        self.topic = row["topic"]
        self.originator_id = row["originator_id"]
        self.originator_version = int(row["originator_version"])
        self.state = base64.b64decode(row["state"])
