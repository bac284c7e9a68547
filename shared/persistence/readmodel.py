"""Read-model tables: one row per aggregate (plus child rows), each with filter columns and a JSON document.

Rows are derived from an aggregate's current state only, so writing them beside the events and
rebuilding them from the event store give the same tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class Table:
    """A read-model table: `id` primary key, typed filter columns, a JSON `doc`."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (column, "TEXT" | "BIGINT")
    indexes: tuple[str, ...] = ()
    parent: str | None = None  # column naming the owning aggregate, for child tables
    unique: tuple[str, ...] = ()  # columns no two rows may share (NULLs exempt)

    @property
    def column_names(self) -> tuple[str, ...]:
        return ("id", *(c for c, _ in self.columns), "doc")


@dataclass(frozen=True)
class Upsert:
    table: str
    row: dict[str, Any]


@dataclass(frozen=True)
class ReplaceChildren:
    """Replace every row of a child table that belongs to one parent aggregate."""

    table: str
    parent_id: str
    rows: tuple[dict[str, Any], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Delete:
    """Remove one row (an aggregate that no longer belongs in the table, such as a withdrawn group share)."""

    table: str
    row_id: str


Operation = Upsert | ReplaceChildren | Delete


def to_doc(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ReadModelSchema:
    """The tables of one node, named `<prefix>_rm_<table>` in its database."""

    def __init__(self, prefix: str, tables: Iterable[Table]) -> None:
        self.prefix = prefix
        self.tables = {t.name: t for t in tables}

    def physical(self, table: str) -> str:
        return f"{self.prefix}_rm_{table}"

    def create_statements(self) -> list[str]:
        statements = []
        for table in self.tables.values():
            cols = ", ".join(f"{c} {t}" for c, t in table.columns)
            name = self.physical(table.name)
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {name} (id TEXT PRIMARY KEY, {cols}, doc TEXT NOT NULL)"
            )
            for column in (*table.indexes, *( [table.parent] if table.parent else [])):
                statements.append(
                    f"CREATE INDEX IF NOT EXISTS {name}_{column}_idx ON {name} ({column})"
                )
            for column in table.unique:
                statements.append(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_{column}_key ON {name} ({column})"
                )
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.prefix}_idempotency ("
            "key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status BIGINT NOT NULL, body TEXT NOT NULL)"
        )
        return statements

    def statements_for(self, op: Operation) -> list[tuple[str, Sequence[Any]]]:
        """SQL with `?` placeholders for one operation."""
        table = self.tables[op.table]
        name = self.physical(table.name)
        if isinstance(op, Upsert):
            return [self._upsert(table, name, op.row)]
        if isinstance(op, Delete):
            return [(f"DELETE FROM {name} WHERE id = ?", (op.row_id,))]
        statements = [(f"DELETE FROM {name} WHERE {table.parent} = ?", (op.parent_id,))]
        statements.extend(self._upsert(table, name, row) for row in op.rows)
        return statements

    @staticmethod
    def _upsert(table: Table, name: str, row: dict[str, Any]) -> tuple[str, Sequence[Any]]:
        columns = table.column_names
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
        sql = (
            f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        values = [row.get(c) for c in columns[:-1]] + [to_doc(row["doc"])]
        return sql, values

    def clear_statements(self) -> list[str]:
        return [f"DELETE FROM {self.physical(t)}" for t in self.tables]


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    request_hash: str
    status: int
    body: str
