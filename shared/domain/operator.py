"""Who caused an event (R-25, R-28): actor, role and channel travel with every event."""

from __future__ import annotations

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


MAX_ACTOR_LENGTH = 64


@dataclass(frozen=True)
class Operator:
    """The person or process behind a command."""

    actor: str
    role: str
    channel: str

    @classmethod
    def parse(cls, actor: str | None, role: str | None, channel: str | None) -> "Operator":
        if not actor or not actor.strip():
            raise InvalidValue("the actor is required", field="X-Actor")
        if len(actor) > MAX_ACTOR_LENGTH:
            raise InvalidValue(f"at most {MAX_ACTOR_LENGTH} characters", field="X-Actor")
        role = (role or "staff").strip()
        if len(role) > MAX_ACTOR_LENGTH:
            raise InvalidValue(f"at most {MAX_ACTOR_LENGTH} characters", field="X-Role")
        try:
            channel_value = Channel(channel or Channel.BUSINESS_HALL.value).value
        except ValueError:
            allowed = ", ".join(c.value for c in Channel)
            raise InvalidValue(f"unknown channel; one of {allowed}", field="X-Channel") from None
        return cls(actor=actor.strip(), role=role, channel=channel_value)

    def as_dict(self) -> dict[str, str]:
        return {"actor": self.actor, "role": self.role, "channel": self.channel}


SYSTEM = Operator(actor="system", role="system", channel=Channel.SYSTEM.value)
