"""Who caused an event (R-25, R-28): actor, role, province and channel travel with every event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from shared.domain.errors import InvalidValue


class Channel(str, Enum):
    """统一接入平台: the channel a request came from."""

    BUSINESS_HALL = "businessHall"
    CALL_CENTRE = "callCentre"
    WEB = "web"
    AGENT = "agent"
    CUSTOMER_MANAGER = "customerManager"
    SYSTEM = "system"


def parse_channel(value: str | None) -> str:
    try:
        return Channel(value or Channel.BUSINESS_HALL.value).value
    except ValueError:
        allowed = ", ".join(c.value for c in Channel)
        raise InvalidValue(f"unknown channel; one of {allowed}", field="X-Channel") from None


@dataclass(frozen=True)
class Operator:
    """The person or process behind a command: who (from their signed token), in which role and province, and
    through which channel."""

    actor: str
    role: str
    channel: str
    name: str = ""
    province: str = ""
    machine: bool = False  # a script's machine token, not a person who signed in

    @classmethod
    def signed_in(
        cls, *, actor: str, name: str, role: str, province: str, channel: str | None, machine: bool = False
    ) -> Operator:
        return cls(
            actor=actor,
            role=role,
            channel=parse_channel(channel),
            name=name,
            province=province,
            machine=machine,
        )

    @classmethod
    def from_record(cls, record: Mapping[str, str]) -> Operator:
        """The operator an event's stored `by` record names (the inverse of `as_dict`). A key the record lacks
        reads as empty, as the audit trail always read it: a record never loads as an error; without a name the
        actor is its own name, as `as_dict` leaves it out."""
        actor = record.get("actor", "")
        return cls(
            actor=actor,
            role=record.get("role", ""),
            channel=record.get("channel", ""),
            name=record.get("name", actor),
            province=record.get("province", ""),
            machine=record.get("kind") == "machine",
        )

    def as_dict(self) -> dict[str, str]:
        """The record an event stores as its `by`: name only where it differs from the actor."""
        who = {"actor": self.actor, "role": self.role, "channel": self.channel}
        if self.name and self.name != self.actor:
            who["name"] = self.name
        if self.province:
            who["province"] = self.province
        if self.machine:
            who["kind"] = "machine"
        return who


SYSTEM = Operator(actor="system", role="system", channel=Channel.SYSTEM.value)
