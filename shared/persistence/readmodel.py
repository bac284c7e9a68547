"""Read-model tables: one row per aggregate (plus child rows), each with filter columns and a JSON document.

Rows are derived from an aggregate's current state only, so writing them beside the events and
rebuilding them from the event store give the same tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from shared.persistence.protection import Protection, mask


@dataclass(frozen=True)
class Table:
    """A read-model table: `id` primary key, typed filter columns, a JSON `doc`."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (column, "TEXT" | "BIGINT")
    indexes: tuple[str, ...] = ()
    parent: str | None = None  # column naming the owning aggregate, for child tables
    unique: tuple[str, ...] = ()  # columns no two rows may share (NULLs exempt)
    personal: bool = False  # documents hold certificate or phone numbers: stored masked, the full one sealed
    blind: tuple[str, ...] = ()  # columns holding such numbers: stored as keyed hashes, searched the same way
    sealed: tuple[str, ...] = ()  # other columns holding them: stored encrypted, read back with `unseal`

    @property
    def column_names(self) -> tuple[str, ...]:
        return ("id", *(c for c, _ in self.columns), *(("sealed",) if self.personal else ()), "doc")


@dataclass(frozen=True)
class Upsert:
    table: str
    row: Mapping[str, object]


@dataclass(frozen=True)
class ReplaceChildren:
    """Replace every row of a child table that belongs to one parent aggregate."""

    table: str
    parent_id: str
    rows: tuple[Mapping[str, object], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Delete:
    """Remove one row (an aggregate that no longer belongs in the table, such as a withdrawn group share)."""

    table: str
    row_id: str


Operation = Upsert | ReplaceChildren | Delete


def to_doc(document: object) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ReadModelSchema:
    """The tables of one node, named `<prefix>_rm_<table>` in its database."""

    def __init__(self, prefix: str, tables: Iterable[Table], protection: Protection | None = None) -> None:
        self.prefix = prefix
        self.tables = {t.name: t for t in tables}
        self.protection = protection

    def physical(self, table: str) -> str:
        return f"{self.prefix}_rm_{table}"

    def create_statements(self) -> list[str]:
        statements = []
        for table in self.tables.values():
            cols = ", ".join(f"{c} {t}" for c, t in table.columns) + (
                ", sealed TEXT" if table.personal else ""
            )
            name = self.physical(table.name)
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {name} (id TEXT PRIMARY KEY, {cols}, doc TEXT NOT NULL)"
            )
            for column in (*table.indexes, *([table.parent] if table.parent else [])):
                statements.append(f"CREATE INDEX IF NOT EXISTS {name}_{column}_idx ON {name} ({column})")
            for column in table.unique:
                statements.append(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_{column}_key ON {name} ({column})"
                )
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.prefix}_idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, "
            "status BIGINT NOT NULL, body TEXT NOT NULL, recorded_at TEXT NOT NULL)"
        )
        return statements

    def statements_for(self, op: Operation) -> list[tuple[str, Sequence[object]]]:
        """SQL with `?` placeholders for one operation."""
        table = self.tables[op.table]
        name = self.physical(table.name)
        if isinstance(op, Upsert):
            return [self._upsert(table, name, op.row)]
        if isinstance(op, Delete):
            return [(f"DELETE FROM {name} WHERE id = ?", (op.row_id,))]
        statements: list[tuple[str, Sequence[object]]] = [
            (f"DELETE FROM {name} WHERE {table.parent} = ?", (op.parent_id,))
        ]
        statements.extend(self._upsert(table, name, row) for row in op.rows)
        return statements

    def _upsert(self, table: Table, name: str, row: Mapping[str, object]) -> tuple[str, Sequence[object]]:
        columns = table.column_names
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
        sql = (
            f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        values = [self._stored(table, c, row.get(c)) for c in columns[:-1]]
        document = row["doc"]
        if table.personal:
            values[-1] = self._protection().seal(document)
            document = mask(document)
        return sql, [*values, to_doc(document)]

    def _stored(self, table: Table, column: str, value: object) -> object:
        if column in table.blind:
            return self.blind(value)
        if column in table.sealed and value is not None:
            return self._protection().seal(value)
        return value

    def seal(self, value: object) -> str:
        return self._protection().seal(value)

    def unseal(self, value: str) -> Any:
        return self._protection().unseal(value)

    @overload
    def blind(self, value: str) -> str: ...
    @overload
    def blind(self, value: object) -> object: ...
    def blind(self, value: object) -> object:
        return self._protection().blind(value) if isinstance(value, str) else value

    def _protection(self) -> Protection:
        if self.protection is None:
            raise RuntimeError("personal data written without the node's keys")
        return self.protection

    def clear_statements(self) -> list[str]:
        return [f"DELETE FROM {self.physical(t)}" for t in self.tables]


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    request_hash: str
    status: int
    body: str
    recorded_at: str = ""
