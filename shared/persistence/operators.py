"""Events carry an `Operator` as their `by`; the store keeps the record it always kept (`Operator.as_dict`).

Only an event's own `by` is converted: records nested in other fields (an order's history entries) and
aggregate state in snapshots stay plain records, so stored bytes, the log's chain and HQ's mirror are unchanged.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent

from shared.domain.operator import Operator


class OperatorMapper(Mapper[UUID]):
    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        by = vars(domain_event).get("by")
        if isinstance(by, Operator):
            # A shallow copy with the record in place of the operator; `by` keeps its place in the state.
            clone = object.__new__(type(domain_event))
            object.__setattr__(clone, "__dict__", {**vars(domain_event), "by": by.as_dict()})
            domain_event = clone
        return super().to_stored_event(domain_event)

    def to_domain_event(
        self, stored_event: StoredEvent
    ) -> Any:  # an event or a snapshot: callers mutate or match it
        domain_event = super().to_domain_event(stored_event)
        state = vars(domain_event)
        if isinstance(state.get("by"), dict):
            state["by"] = Operator.from_record(state["by"])
        return domain_event
