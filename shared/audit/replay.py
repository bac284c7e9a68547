"""Whole-node replay (R-30): every read model rebuilt from the event store into scratch tables beside the live
ones, then compared row by row. A healthy node shows no difference; otherwise each names table, key, column."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shared.domain.json_types import JSONObject
from shared.persistence.queries import ReadModelQueries
from shared.persistence.readmodel import ReadModelSchema

if TYPE_CHECKING:
    from shared.application import CrmApplication

SCRATCH_SUFFIX = "_replay"
MAX_DIFFERENCES = 100


def replay_and_compare(
    live: CrmApplication, scratch: CrmApplication, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:  # bench and the CLI read its fields as typed (identical: bool)
    """`scratch` is a second application on the same store; its read models are pointed at scratch tables (the
    event store, and HQ's mirror, stay the live ones), rebuilt, compared with `live`'s, then dropped."""
    schema = ReadModelSchema(
        live.schema.prefix + SCRATCH_SUFFIX, live.schema.tables.values(), live.schema.protection
    )
    scratch.schema, scratch.queries = schema, ReadModelQueries(scratch.recorder, schema)
    scratch.queries.create_tables()
    try:
        aggregates = scratch.rebuild_read_models(progress)
        differences = compare(live.queries.dump(), scratch.queries.dump(), live.schema)
    finally:
        drop(scratch.queries, schema)
    return {
        "node": live.settings.node_code,
        "aggregates": aggregates,
        "events": live.head_position(),
        "identical": not differences,
        "differences": differences[:MAX_DIFFERENCES],
        "differenceCount": len(differences),
    }


def compare(
    live: dict[str, list[tuple]], replayed: dict[str, list[tuple]], schema: ReadModelSchema
) -> list[JSONObject]:
    out: list[JSONObject] = []
    for name, table in schema.tables.items():
        columns = table.column_names
        have = {row[0]: row for row in live.get(name, [])}
        want = {row[0]: row for row in replayed.get(name, [])}
        for key in sorted(have.keys() | want.keys()):
            if key not in want:
                out.append(
                    {
                        "table": name,
                        "key": key,
                        "column": None,
                        "problem": "a live row the events do not make",
                    }
                )
            elif key not in have:
                out.append(
                    {"table": name, "key": key, "column": None, "problem": "missing from the live table"}
                )
            else:
                out.extend(
                    {
                        "table": name,
                        "key": key,
                        "column": column,
                        "problem": "differs",
                        "live": _shown(have[key][i]),
                        "replayed": _shown(want[key][i]),
                    }
                    for i, column in enumerate(columns)
                    if have[key][i] != want[key][i]
                )
    return out


def _shown(value: object) -> int | float | str | None:
    return value if isinstance(value, (int, float, type(None))) else str(value)[:500]


def drop(queries: ReadModelQueries, schema: ReadModelSchema) -> None:
    with queries.cursor(commit=True) as c:
        for name in schema.tables:
            queries.execute(c, f"DROP TABLE IF EXISTS {schema.physical(name)}")
        queries.execute(c, f"DROP TABLE IF EXISTS {schema.prefix}_idempotency")
        queries.execute(c, f"DROP TABLE IF EXISTS {schema.prefix}_rm_schema")
