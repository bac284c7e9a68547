"""Process recorders that also write read-model rows and idempotency records in the events' transaction (and,
beside each event, its link in the log's seal and, for an addressed event, its destination).

The application passes `read_model=[…operations]`, `bulk=[(sql, rows)]` (many rows of one statement,
for replicated batches) and `idempotency=IdempotencyRecord` through
`Application.save(**kwargs)`; the library hands those kwargs to `_insert_events` inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow

from shared.persistence import destinations
from shared.persistence.integrity import GENESIS, LogTampered, chain_table, links_for
from shared.persistence.readmodel import IdempotencyRecord, Operation, ReadModelSchema

StoreCursor: TypeAlias = SQLiteCursor | Cursor[DictRow]  # the library's cursor of each store


class ReadModelWriting:
    """Mixed into a process recorder: knows the node's read-model schema and its SQL dialect."""

    read_model_schema: ReadModelSchema | None = None
    placeholder = "?"

    def dialect(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def seal_log(
        self, cursor: StoreCursor, positions: Sequence[int] | None, stored_events: Sequence[StoredEvent]
    ) -> None:
        """Extend the whole-log chain over the events just inserted, in their transaction."""
        schema = self.read_model_schema
        if schema is None or schema.protection is None or not positions:
            return
        table = chain_table(schema.prefix)
        cursor.execute(f"SELECT position, hash FROM {table} ORDER BY position DESC LIMIT 1")
        last = cursor.fetchone()
        if last is not None and positions[0] <= int(last["position"]):
            # SQLite numbers a new event after the highest one left: the newest was deleted behind our back.
            raise LogTampered(
                f"position {positions[0]} was already recorded and sealed: the log was changed "
                "behind the node's back; run `crm audit verify`"
            )
        previous = bytes.fromhex(last["hash"]) if last else GENESIS
        cursor.executemany(
            self.dialect(f"INSERT INTO {table} (position, hash) VALUES (?, ?)"),
            links_for(schema.protection.log_key, previous, positions, stored_events),
        )

    def write_destinations(
        self, cursor: StoreCursor, positions: Sequence[int] | None, stored_events: Sequence[StoredEvent]
    ) -> None:
        """Each addressed event's destination beside its position, in its transaction (HQ's mapper makes them)."""
        schema = self.read_model_schema
        rows = destinations.rows_for(positions or (), stored_events)
        if rows and schema is not None:
            cursor.executemany(self.dialect(destinations.insert_statement(schema.prefix)), rows)

    def write_read_model(self, cursor: StoreCursor, kwargs: dict[str, Any]) -> None:
        schema = self.read_model_schema
        operations: Sequence[Operation] = kwargs.get("read_model") or ()
        if operations and schema is None:
            raise RuntimeError("read-model operations given to a recorder without a schema")
        pending_sql, pending_rows = "", list[Sequence[object]]()
        for op in operations:
            for sql, params in schema.statements_for(op):  # type: ignore[union-attr]
                if sql != pending_sql and pending_rows:
                    cursor.executemany(self.dialect(pending_sql), pending_rows)
                    pending_rows = []
                pending_sql = sql
                pending_rows.append(params)
        if pending_rows:  # runs of one statement go as one executemany: a replicated batch is many rows
            cursor.executemany(self.dialect(pending_sql), pending_rows)
        for sql, rows in kwargs.get("bulk") or ():
            if rows:
                cursor.executemany(self.dialect(sql), rows)
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record is not None and schema is not None:  # the first answer, sealed: it may hold personal data
            cursor.execute(
                self.dialect(
                    f"INSERT INTO {schema.prefix}_idempotency (key, request_hash, status, body, recorded_at) "
                    "VALUES (?, ?, ?, ?, ?)"
                ),
                (
                    record.key,
                    record.request_hash,
                    record.status,
                    schema.seal(record.body),
                    record.recorded_at,
                ),
            )


class SQLiteReadModelRecorder(ReadModelWriting, SQLiteProcessRecorder):
    def select_notifications_at(self, positions: Sequence[int]) -> list[Notification]:
        """The notifications at exactly these positions (a destination's share of the log), in order."""
        if not positions:
            return []
        marks = ",".join("?" for _ in positions)
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, * FROM {self.events_table_name} WHERE rowid IN ({marks}) ORDER BY rowid",
                list(positions),
            )
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        """Where each version of one aggregate stands in the node's log: {version: position}."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_version FROM {self.events_table_name} WHERE originator_id = ?",
                [originator_id.hex if isinstance(originator_id, UUID) else originator_id],
            )
            return {row["originator_version"]: row["rowid"] for row in c.fetchall()}

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        self.seal_log(c, notification_ids, stored_events)
        self.write_destinations(c, notification_ids, stored_events)
        self.write_read_model(c, kwargs)
        return notification_ids


class PostgresReadModelRecorder(ReadModelWriting, PostgresProcessRecorder):
    placeholder = "%s"

    def select_notifications_at(self, positions: Sequence[int]) -> list[Notification]:
        """The notifications at exactly these positions (a destination's share of the log), in order."""
        if not positions:
            return []
        table = f'"{self.datastore.schema}"."{self.events_table_name}"'
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT * FROM {table} WHERE notification_id = ANY(%s) ORDER BY notification_id",
                [list(positions)],
            )
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        """Where each version of one aggregate stands in the node's log: {version: position}."""
        table = f'"{self.datastore.schema}"."{self.events_table_name}"'
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT notification_id, originator_version FROM {table} WHERE originator_id = %s",
                [originator_id],
            )
            return {row["originator_version"]: row["notification_id"] for row in curs.fetchall()}

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        self.write_read_model(curs, kwargs)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The library's insert lock is held until commit: links are made in notification order.
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self.seal_log(curs, notification_ids, stored_events)
        self.write_destinations(curs, notification_ids, stored_events)
        return notification_ids


ReadModelRecorder: TypeAlias = (
    SQLiteReadModelRecorder | PostgresReadModelRecorder
)  # what a node's Settings name
