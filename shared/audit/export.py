"""Export of events for auditors (R-30): a time range, an aggregate type or one aggregate's history, as JSON Lines
or CSV, streamed page by page in constant memory.

Each exported line extends a running hash, SHA-256 over (previous hash ‖ the line's UTF-8 bytes without its
newline), from 32 zero bytes; the last line of the export carries the hash and the count, so a recipient can
check that nothing was changed, dropped or added (`crm audit check-export FILE`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from eventsourcing.domain import CanMutateAggregate

from shared.audit.trail import NEVER_SHOWN, event_type, operator_of, selected
from shared.domain.json_types import JSON, JSONObject
from shared.naming import camel_keys
from shared.persistence.integrity import notifications
from shared.persistence.protection import mask

if TYPE_CHECKING:
    from shared.application import CrmApplication

COLUMNS = (
    "position",
    "time",
    "aggregateType",
    "aggregateId",
    "version",
    "eventType",
    "actor",
    "role",
    "channel",
    "data",
)
TRAILER = "exportHash"
GENESIS = bytes(32)
# Every event in a node's store is an aggregate's (the library types them only as its protocol, hence the casts).
INTERNAL = {"originator_id", "originator_version", "timestamp", "originator_topic", "by"}


def exported_event(position: int | None, event: CanMutateAggregate[UUID]) -> JSONObject:
    data = camel_keys({k: v for k, v in vars(event).items() if k not in INTERNAL and k not in NEVER_SHOWN})
    return {
        "position": position,
        "time": event.timestamp.isoformat(),
        "aggregateType": event_type(event).split(".")[0],
        "aggregateId": str(event.originator_id),
        "version": event.originator_version,
        "eventType": event_type(event),
        **operator_of(event),
        "data": cast(
            JSON, mask(json.loads(json.dumps(data, default=str, ensure_ascii=False)))
        ),  # JSON stays JSON
    }


def log_events(
    app: CrmApplication,
    *,
    aggregate_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[JSONObject]:
    for notification in notifications(app.recorder):
        event = cast("CanMutateAggregate[UUID]", app.mapper.to_domain_event(notification))
        if selected(event, aggregate_type=aggregate_type, since=since, until=until):
            yield exported_event(notification.id, event)


def aggregate_events(app: CrmApplication, aggregate_id: UUID) -> Iterator[JSONObject]:
    positions = app.recorder.positions_of(aggregate_id)
    for event in cast("Iterator[CanMutateAggregate[UUID]]", app.events.get(aggregate_id)):
        yield exported_event(positions.get(event.originator_version), event)


class RunningHash:
    def __init__(self) -> None:
        self.value, self.count = GENESIS, 0

    def add(self, line: str) -> None:
        self.value = hashlib.sha256(self.value + line.encode()).digest()
        self.count += 1

    def trailer(self) -> dict[str, str | int]:
        return {TRAILER: self.value.hex(), "count": self.count}


def json_lines(records: Iterable[JSONObject]) -> Iterator[str]:
    running = RunningHash()
    for record in records:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        running.add(line)
        yield line + "\n"
    yield json.dumps(running.trailer()) + "\n"


def csv_lines(records: Iterable[JSONObject]) -> Iterator[str]:
    running = RunningHash()
    yield _csv_row(COLUMNS)
    for record in records:
        row = [record[c] if c != "data" else json.dumps(record[c], ensure_ascii=False) for c in COLUMNS]
        line = _csv_row(["" if v is None else v for v in row])
        running.add(line.rstrip("\r\n"))
        yield line
    trailer = running.trailer()
    yield _csv_row([f"# {TRAILER}={trailer[TRAILER]}", f"count={trailer['count']}"])


def _csv_row(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def exported(
    app: CrmApplication,
    *,
    resource_id: UUID | None = None,
    aggregate_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    as_csv: bool = False,
) -> Iterator[str]:
    records = (
        aggregate_events(app, resource_id)
        if resource_id
        else log_events(app, aggregate_type=aggregate_type, since=since, until=until)
    )
    return csv_lines(records) if as_csv else json_lines(records)


def check_export(lines: Iterable[str]) -> JSONObject:
    """Recompute an export's running hash; JSON Lines or CSV (told apart by the first line). Anything after the
    trailer, or no trailer, fails."""
    claimed: dict[str, str | int] | None = None  # the trailer as the file states it
    running, is_csv, after_trailer = RunningHash(), False, 0
    for n, raw in enumerate(lines):
        line = raw.rstrip("\r\n")
        if claimed is not None:
            after_trailer += 1
            continue
        if n == 0:
            is_csv = not line.startswith("{")
            if is_csv:
                continue
        if is_csv and line.startswith(f"# {TRAILER}="):
            hash_part, count_part = line.split(",", 1)
            claimed = {TRAILER: hash_part.split("=", 1)[1], "count": int(count_part.split("=", 1)[1])}
        elif not is_csv and line.startswith('{"' + TRAILER):
            claimed = json.loads(line)
        else:
            running.add(line)
    ok = claimed is not None and claimed == running.trailer() and not after_trailer
    return {
        "ok": ok,
        "count": running.count,
        "recomputed": running.value.hex(),
        "claimed": claimed[TRAILER] if claimed else None,
        "linesAfterTrailer": after_trailer,
    }
