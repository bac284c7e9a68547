"""Token signing keys of the provinces (R-1, R-29): each province signs its own staff in with its own key.

A province publishes the public half of its key up to HQ; HQ, which knows by the replication link's certificate
which province sent it, trusts the key for that province alone and hands it to every node. No node accepts a
province's key for anyone but that province's staff.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.operator import Operator


def signing_key_id(kid: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:signing-key:{kid}")


def trusted_key_id(kid: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:trusted-key:{kid}")


class SigningKey(Aggregate):
    """In a province: the public half of this province's signing key, published for HQ to distribute."""

    @staticmethod
    def create_id(kid: str, **_: object) -> UUID:
        return signing_key_id(kid)

    class Published(Aggregate.Created):
        kid: str
        province: str
        jwk: dict[str, str]
        by: Operator

    @event(Published)
    def __init__(self, *, kid: str, province: str, jwk: dict[str, str], by: Operator) -> None:
        self.kid, self.province, self.jwk = kid, province, jwk


class TrustedKey(Aggregate):
    """A province's public key as HQ trusts it: for that province's staff only. Recorded at HQ (and sent to every
    province: `destination` "*"), kept as a copy in each province."""

    @staticmethod
    def create_id(kid: str, **_: object) -> UUID:
        return trusted_key_id(kid)

    class Trusted(Aggregate.Created):
        kid: str
        province: str
        jwk: dict[str, str]
        destination: str
        by: Operator

    @event(Trusted)
    def __init__(
        self, *, kid: str, province: str, jwk: dict[str, str], destination: str, by: Operator
    ) -> None:
        self.kid, self.province, self.jwk = kid, province, jwk
        self.distrusted = False

    def distrust(self, reason: str, by: Operator) -> None:
        """No node accepts a token signed with this key any more (rotated away, or the key leaked)."""
        if not self.distrusted:
            self._distrusted(reason=reason, destination="*", by=by)

    class Distrusted(Aggregate.Event):
        reason: str
        destination: str
        by: Operator

    @event(Distrusted)
    def _distrusted(self, reason: str, destination: str, by: Operator) -> None:
        self.distrusted = True
