"""Reading personal data in full is itself a fact on record (PIPL): who saw whose data, when, through which channel."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from shared.domain.operator import Operator


class PersonalDataRead(Aggregate):
    """One read of certificate or phone numbers in full, by a role allowed to ask for them."""

    class Recorded(Aggregate.Created):
        resource: str
        subjects: list[str]
        by: Operator

    @event(Recorded)
    def __init__(self, *, resource: str, subjects: list[str], by: Operator) -> None:
        self.resource = resource
        self.subjects = subjects
