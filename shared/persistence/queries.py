"""Reads of the read-model tables (never the event store) through the recorder's own connection pool."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from shared.domain.errors import InvalidValue
from shared.persistence.readmodel import IdempotencyRecord, ReadModelSchema, Table
from shared.persistence.recorders import ReadModelRecorder, StoreCursor


@dataclass(frozen=True)
class Page:
    total: int
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class Filter:
    """One SQL condition with `?` placeholders, e.g. Filter("status = ?", ("active",))."""

    condition: str
    params: Sequence[object] = ()


def equal(*pairs: tuple[str, object]) -> list[Filter]:
    """`column = value` for each pair whose value was given."""
    return [Filter(f"{column} = ?", (value,)) for column, value in pairs if value is not None]


def contains(column: str, part: str | None) -> list[Filter]:
    """`column` contains `part` literally: LIKE's wildcards in it match only themselves."""
    if not part:
        return []
    if "\x00" in part:
        raise InvalidValue("holds a character text may not hold (U+0000)", field=column)
    escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [Filter(f"{column} LIKE ? ESCAPE '\\'", (f"%{escaped}%",))]


class ReadModelQueries:
    def __init__(self, recorder: ReadModelRecorder, schema: ReadModelSchema) -> None:
        self.recorder = recorder
        self.schema = schema

    @contextmanager
    def cursor(self, commit: bool = False) -> Iterator[StoreCursor]:
        with self.recorder.datastore.transaction(commit=commit) as c:
            yield c

    def execute(self, cursor: StoreCursor, sql: str, params: Sequence[object] = ()) -> None:
        cursor.execute(self.recorder.dialect(sql), params)

    def create_tables(self) -> bool:
        """Create the read-model tables. When their shape differs from what the store last had (a new column, a
        new index), they are dropped and created anew: returns True, and the caller rebuilds them from the
        events — read models are derived, never migrated by hand."""
        marker = f"{self.schema.prefix}_rm_schema"
        fingerprint = hashlib.sha256("\n".join(self.schema.create_statements()).encode()).hexdigest()
        with self.cursor(commit=True) as c:
            self.execute(
                c, f"CREATE TABLE IF NOT EXISTS {marker} (id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL)"
            )
            self.execute(c, f"SELECT fingerprint FROM {marker} WHERE id = 'tables'")
            row = c.fetchone()
            changed = row is None or row["fingerprint"] != fingerprint
            if changed:  # idempotency receipts are derived too: an older shape goes with the tables
                for table in [
                    *map(self.schema.physical, self.schema.tables),
                    f"{self.schema.prefix}_idempotency",
                ]:
                    self.execute(c, f"DROP TABLE IF EXISTS {table}")
                self.execute(
                    c,
                    f"INSERT INTO {marker} (id, fingerprint) VALUES ('tables', ?) "
                    "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint",
                    [fingerprint],
                )
            for statement in self.schema.create_statements():
                self.execute(c, statement)
        return changed

    def page(
        self,
        table: str,
        filters: Sequence[Filter] = (),
        *,
        offset: int = 0,
        limit: int = 100,
        order_by: str = "id",
        unmask: bool = False,
    ) -> Page:
        """A page of documents; `unmask` gives personal tables' full documents (the caller records that read)."""
        name = self.schema.physical(table)
        where = " AND ".join(f"({f.condition})" for f in filters) or "1 = 1"
        params = [p for f in filters for p in f.params]
        column = self._document_column(table, unmask)
        with self.cursor() as c:
            self.execute(c, f"SELECT COUNT(*) AS n FROM {name} WHERE {where}", params)
            counted = c.fetchone()  # COUNT gives one row
            total = counted["n"] if counted is not None else 0
            self.execute(
                c,
                f"SELECT {column} AS doc FROM {name} WHERE {where} ORDER BY {order_by} LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
            items = [self._document(row["doc"], column) for row in c.fetchall()]
        return Page(total=total, items=items)

    def get(self, table: str, row_id: str, unmask: bool = False) -> dict[str, Any] | None:
        column = self._document_column(table, unmask)
        with self.cursor() as c:
            self.execute(
                c, f"SELECT {column} AS doc FROM {self.schema.physical(table)} WHERE id = ?", [row_id]
            )
            row = c.fetchone()
        return self._document(row["doc"], column) if row else None

    def documents(self, table: str, row_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The documents of these rows (masked, of a personal table), by id: what one page of a list refers to."""
        ids = sorted(set(row_ids))
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        with self.cursor() as c:
            self.execute(c, f"SELECT id, doc FROM {self.schema.physical(table)} WHERE id IN ({marks})", ids)
            return {row["id"]: json.loads(row["doc"]) for row in c.fetchall()}

    def _document_column(self, table: str, unmask: bool) -> str:
        return "sealed" if unmask and self.schema.tables[table].personal else "doc"

    def _document(self, value: str, column: str) -> dict[str, Any]:
        return self.schema.unseal(value) if column == "sealed" else json.loads(value)

    def blind(self, value: str) -> str:
        """How a searchable personal number is stored, to look it up."""
        return self.schema.blind(value)

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        """A free query; `{table}` placeholders name read-model tables, e.g. `{customer}`."""
        physical = {t: self.schema.physical(t) for t in self.schema.tables}
        with self.cursor() as c:
            self.execute(c, sql.format(**physical), params)
            return [dict(row) for row in c.fetchall()]

    def idempotency(self, key: str) -> IdempotencyRecord | None:
        with self.cursor() as c:
            self.execute(
                c,
                f"SELECT key, request_hash, status, body, recorded_at FROM {self.schema.prefix}_idempotency "
                "WHERE key = ?",
                [key],
            )
            row = c.fetchone()
        if row is None:
            return None
        body = self.schema.unseal(row["body"])
        return IdempotencyRecord(row["key"], row["request_hash"], row["status"], body, row["recorded_at"])

    def forget_idempotency_before(self, moment: str) -> None:
        """Receipts older than their time to live go: a key used again after that is a new request."""
        with self.cursor(commit=True) as c:
            self.execute(c, f"DELETE FROM {self.schema.prefix}_idempotency WHERE recorded_at < ?", [moment])

    def _comparable(self, value: object, column: str, table: Table) -> object:
        """Sealed values differ in every sealing (a fresh nonce): they compare by what they hold."""
        if isinstance(value, str) and (column == "sealed" or column in table.sealed):  # sealed: text or NULL
            return self.schema.unseal(value)
        return value

    def dump(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table, ordered: what a rebuild must reproduce."""
        out = {}
        for table in self.schema.tables.values():
            columns = ", ".join(table.column_names)
            with self.cursor() as c:
                self.execute(c, f"SELECT {columns} FROM {self.schema.physical(table.name)} ORDER BY id")
                out[table.name] = [
                    tuple(self._comparable(row[col], col, table) for col in table.column_names)
                    for row in c.fetchall()
                ]
        return out
