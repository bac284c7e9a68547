"""The staff read models both tiers keep — HQ's directory or a province's copy of its staff, and the province
signing keys the node trusts — and what both tiers do with them: check who acts on each request, sign staff in,
lift a sign-in wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.auth.keyring import KeyRing, ProvinceKey
from shared.auth.sign_in import SignInDesk, StaffEntry
from shared.auth.throttle import SignInThrottle
from shared.auth.tokens import MACHINE, Principal, TokenIssuer
from shared.auth.trust import hq_public_keys, issuer_name, node_issuer, own_issuer_validator
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.signing_key import TrustedKey
from shared.domain.staff import SignInUnlocked, parse_username
from shared.domain.values import text
from shared.persistence.readmodel import Delete, Operation, Table, Upsert
from shared.persistence.sign_in_ledger import SignInLedger

if TYPE_CHECKING:
    from shared.application import CrmApplication

STAFF_TABLE = Table(
    "staff", (("role", "TEXT"), ("province", "TEXT"), ("enabled", "BIGINT")), indexes=("province",)
)
TRUSTED_KEY_TABLE = Table("trusted_key", (("province", "TEXT"),))
TABLES = (STAFF_TABLE, TRUSTED_KEY_TABLE)


def staff_row(username: str, name: str, role: str, province: str, enabled: bool) -> Upsert:
    doc = {
        "username": username,
        "name": name,
        "role": role,
        "province": province,
        "enabled": enabled,
        "href": f"/crm/v1/staff/{username}",
    }
    return Upsert(
        "staff",
        {"id": username, "role": role, "province": province, "enabled": 1 if enabled else 0, "doc": doc},
    )


def project_trusted_key(k: TrustedKey) -> list[Operation]:
    if getattr(k, "distrusted", False):
        return [Delete("trusted_key", k.kid)]
    return [
        Upsert(
            "trusted_key",
            {
                "id": k.kid,
                "province": k.province,
                "doc": {"kid": k.kid, "province": k.province, "jwk": k.jwk},
            },
        )
    ]


PROJECTORS = {TrustedKey: project_trusted_key}

Lookup = Callable[[str], "StaffEntry | None"]


class StaffAccess:
    """Composed by each node's application: `entry` is how the node's own directory (HQ's members, or a
    province's copies) answers for a user name when someone signs in."""

    def __init__(self, app: CrmApplication, entry: Lookup) -> None:
        self.app = app
        self.entry = entry
        self.ledger = SignInLedger(app.queries, app.schema.prefix, app.settings.store == "postgres")
        self.throttle = SignInThrottle(self.ledger)
        self.keyring = KeyRing(self._trusted_keys)
        self._desk: SignInDesk | None = None

    def _trusted_keys(self) -> dict[str, ProvinceKey]:
        rows = self.app.queries.page("trusted_key", limit=10_000).items
        return {row["kid"]: ProvinceKey(row["province"], row["jwk"]) for row in rows}

    def desk(self) -> SignInDesk:
        """Sign-in with this node's own key (created with the node: HQ's issuer key, a province's signing key)."""
        if self._desk is None:
            settings = self.app.settings
            issuer: TokenIssuer = node_issuer(settings)
            self._desk = SignInDesk(
                self.entry,
                issuer,
                own_issuer_validator(settings, issuer),
                self.throttle,
                self.ledger,
                settings,
            )
        return self._desk

    def signs(self) -> bool:
        """Whether tokens this node signs are trusted: HQ's always; a province's while HQ trusts its key."""
        return self.app.settings.tier == "hq" or self.keyring.holds_own()

    def refusal(self, principal: Principal) -> str | None:
        """Why a validly signed token may not act here now, or None: a person must be in this node's directory as
        the token says (a member disabled, moved or given another role since signing in is refused at once); a
        machine may not carry a member's name."""
        if not principal.embedded:
            return None  # an external provider's people are its business
        rows = self.app.queries.rows(
            "SELECT role, province, enabled FROM {staff} WHERE id = ?", [principal.subject]
        )
        if principal.kind == MACHINE:
            return (
                "a machine token may not carry a staff member's name: the member signs in" if rows else None
            )
        if not rows:
            return f"{self.app.settings.node_code}'s staff directory does not hold this user"
        row = rows[0]
        if not row["enabled"]:
            return "this staff member is disabled"
        if (row["role"], row["province"]) != (principal.role.value, principal.province):
            return "this staff member's role or province has changed: sign in again"
        return None

    def unlock(self, username: str, by: Operator) -> JSONObject:
        """Lift a user name's sign-in wait on this node; recorded (who, when) whether or not it was waiting."""
        name = parse_username(username)
        self.app.record(SignInUnlocked(username=name, address="", by=by))
        return {"username": name, "node": self.app.settings.node_code, "wasLocked": self.throttle.lift(name)}

    def unlock_address(self, address: str, by: Operator) -> JSONObject:
        """Lift a client address's sign-in wait on this node (strangers' failures through a shared proxy); recorded."""
        shown = text(address, "address", max_length=64)
        self.app.record(SignInUnlocked(username="", address=shown, by=by))
        return {
            "address": shown,
            "node": self.app.settings.node_code,
            "wasLocked": self.throttle.lift_address(shown),
        }

    def published_keys(self) -> list[JSONObject]:
        """HQ's public keys (for every province) and each province's as HQ distributed it (for that one)."""
        settings = self.app.settings
        hq = hq_public_keys(settings)
        self.keyring.reload()
        provinces: list[JSONObject] = [
            {**key.jwk, "iss": issuer_name(settings, key.province), "province": key.province}
            for key in self.keyring.published().values()
        ]
        return [
            *({**key, "iss": settings.auth_issuer} for key in hq),
            *sorted(provinces, key=lambda k: str(k["kid"])),  # a kid is text
        ]

    def staff_document(self, username: str) -> JSONObject:
        return self.app.document("staff", username, "staff member")
