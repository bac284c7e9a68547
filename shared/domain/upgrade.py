"""A one-off step a node takes when it first starts on a new release, on record (what it did, when), and never
again: the record is the proof that it ran."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.operator import Operator


def upgrade_id(step: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:upgrade:{step}")


class UpgradeStep(Aggregate):
    @staticmethod
    def create_id(step: str, **_: object) -> UUID:
        return upgrade_id(step)

    class Taken(Aggregate.Created):
        step: str
        outcome: dict[str, int]
        by: Operator

    @event(Taken)
    def __init__(self, *, step: str, outcome: dict[str, int], by: Operator) -> None:
        self.step, self.outcome = step, outcome
