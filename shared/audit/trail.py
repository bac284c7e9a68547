"""Every event of one aggregate, decoded, with who did it and what it changed; its document as of any time.

Documents come from the node's own projectors, so an aggregate as of version N reads exactly as its read-model
row read after event N. Both history and time travel replay from the first event: snapshots would be faster but
are not covered by the log's chain, and an auditor's answer must rest on what the chain proves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, CanMutateAggregate
from eventsourcing.utils import resolve_topic

from shared.audit.changes import changes, flatten
from shared.auth.roles import Permission
from shared.domain.errors import InvalidValue, NotFound
from shared.domain.json_types import JSONObject
from shared.naming import camel_keys
from shared.persistence.readmodel import Upsert

if TYPE_CHECKING:
    from shared.application import CrmApplication

NEVER_SHOWN = frozenset(
    {"password_hash"}
)  # secrets some aggregates and events carry: they never leave the node


def uuid_of(resource_id: str) -> UUID:
    try:
        return UUID(resource_id)
    except ValueError:
        raise NotFound(f"no such id '{resource_id[:64]}'", field="id") from None


@dataclass(frozen=True)
class AuditedResource:
    """A resource the audit surface shows: its TMF name, the aggregates behind it, who may read it."""

    name: str
    kinds: tuple[type[Aggregate], ...]
    permission: Permission
    aggregate_id: Callable[[str], UUID] = uuid_of


def document_of(app: CrmApplication, aggregate: Aggregate) -> JSONObject:
    """The aggregate as its read model shows it (its own row), or its attributes where nothing projects it."""
    rows = [op.row for op in app.project(aggregate) if isinstance(op, Upsert)]
    # Its row is keyed by its id, or by the business key it is known by (an offering's id): projectors put an
    # aggregate's own row first, before any they touch on its behalf.
    own = next((r for r in rows if r.get("id") == str(aggregate.id)), rows[0] if rows else None)
    if own is None:
        return attributes_of(aggregate)
    doc = own["doc"]
    return json.loads(doc) if isinstance(doc, str) else json.loads(json.dumps(doc, default=str))


def attributes_of(aggregate: Aggregate) -> JSONObject:
    """An aggregate's own attributes, camelCase, secrets left out (where no read model shows it, as at HQ for a
    province's customers)."""
    state = {k: v for k, v in vars(aggregate).items() if not k.startswith("_") and k not in NEVER_SHOWN}
    plain: JSONObject = json.loads(json.dumps(state, default=str))
    return {
        "id": str(aggregate.id),
        "@type": type(aggregate).__name__,
        **cast(JSONObject, camel_keys(plain)),  # renaming keys keeps a JSON document JSON
    }


def told(
    events: Iterable[tuple[int | None, CanMutateAggregate[UUID]]], document: Callable[[Aggregate], JSONObject]
) -> list[JSONObject]:
    """Each event with its position, operator and the fields it changed, replayed from the first."""
    entries: list[JSONObject] = []
    aggregate: Aggregate | None = None
    before: JSONObject = {}
    for position, event in events:
        aggregate = event.mutate(aggregate)
        after = flatten(document(aggregate)) if aggregate is not None else {}
        entries.append(
            {
                "position": position,
                "version": event.originator_version,
                "time": event.timestamp.isoformat(),
                **operator_of(event),
                "eventType": event_type(event),
                "changes": [*changes(before, after)],  # as list[JSON], what a document holds
            }
        )
        before = after
    return entries


def operator_of(event: object) -> dict[str, str | None]:
    by = getattr(event, "by", None)
    if by is None:
        return {"actor": None, "role": None, "channel": None}
    return {"actor": by.actor, "role": by.role, "channel": by.channel}


def event_type(event: object) -> str:
    return type(event).__qualname__


def selected(
    event: CanMutateAggregate[UUID],
    *,
    aggregate_type: str | None,
    since: datetime | None,
    until: datetime | None,
) -> bool:
    """Of that aggregate type (when given) and recorded in [since, until)."""
    if aggregate_type and event_type(event).split(".")[0] != aggregate_type:
        return False
    return not ((since and event.timestamp < since) or (until and event.timestamp >= until))


class AuditTrail:
    """Read-only: nothing here records an event."""

    def __init__(self, app: CrmApplication, resources: tuple[AuditedResource, ...]) -> None:
        self.app = app
        self.resources = {r.name: r for r in resources}

    def _events(
        self, resource: AuditedResource, resource_id: str
    ) -> tuple[UUID, list[CanMutateAggregate[UUID]]]:
        aggregate_id = self.aggregate_id_of(resource, resource_id)
        return aggregate_id, cast("list[CanMutateAggregate[UUID]]", list(self.app.events.get(aggregate_id)))

    def aggregate_id_of(self, resource: AuditedResource, resource_id: str) -> UUID:
        """The aggregate behind a resource id, checked to be one (404 otherwise)."""
        aggregate_id = resource.aggregate_id(resource_id)
        first = next(iter(self.app.events.get(aggregate_id, limit=1)), None)
        if first is None or not issubclass(
            _created_class(cast("CanInitAggregate[UUID]", first)), resource.kinds
        ):
            raise NotFound(f"no {resource.name} '{resource_id[:64]}'", field="id")
        return aggregate_id

    def history(self, resource: AuditedResource, resource_id: str) -> list[JSONObject]:
        """Every event in order: position, version, time, operator, type and field changes."""
        aggregate_id, events = self._events(resource, resource_id)
        positions = self.app.recorder.positions_of(aggregate_id)
        return told(
            ((positions.get(e.originator_version), e) for e in events),
            lambda aggregate: document_of(self.app, aggregate),
        )

    def state(
        self,
        resource: AuditedResource,
        resource_id: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> JSONObject:
        """The document as it stood after `version`, or at time `as_of`."""
        _aggregate_id, events = self._events(resource, resource_id)
        if as_of is not None:
            earlier = [e.originator_version for e in events if e.timestamp <= as_of]
            if not earlier:
                raise InvalidValue(
                    f"the {resource.name} did not exist yet at {as_of.isoformat()} (it was created "
                    f"{events[0].timestamp.isoformat()})",
                    field="asOf",
                )
            version = earlier[-1] if version is None else min(version, earlier[-1])
        last = events[-1].originator_version
        if version is None:
            version = last
        if not events[0].originator_version <= version <= last:
            raise InvalidValue(f"versions run from {events[0].originator_version} to {last}", field="version")
        aggregate = None
        for event in events:  # from the first event, as the chain proves them (snapshots are not chained)
            if event.originator_version > version:
                break
            aggregate, at = event.mutate(aggregate), event.timestamp
        assert aggregate is not None  # the first event is at or below `version`
        return {
            "resource": resource.name,
            "id": resource_id,
            "version": version,
            "recordedAt": at.isoformat(),
            "document": document_of(self.app, aggregate),
        }

    def operations(
        self,
        *,
        actor: str | None = None,
        role: str | None = None,
        channel: str | None = None,
        aggregate_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[JSONObject]:
        """The operation log (R-28), derived from the events: who did what, when, how, on which aggregate."""
        for notification in self.app._all_notifications():
            event = cast("CanMutateAggregate[UUID]", self.app.mapper.to_domain_event(notification))
            who = operator_of(event)
            if (
                (actor and who["actor"] != actor)
                or (role and who["role"] != role)
                or (channel and who["channel"] != channel)
                or not selected(event, aggregate_type=aggregate_type, since=since, until=until)
            ):
                continue
            yield {
                "position": notification.id,
                "time": event.timestamp.isoformat(),
                **who,
                "aggregateType": event_type(event).split(".")[0],
                "aggregateId": str(event.originator_id),
                "version": event.originator_version,
                "eventType": event_type(event),
                "subjects": getattr(event, "subjects", None),
            }


def _created_class(first_event: CanInitAggregate[UUID]) -> type:
    """The aggregate class an aggregate's first event created."""
    return resolve_topic(first_event.originator_topic)
