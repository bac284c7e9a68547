"""HQ's staff directory (R-29): every member's role, province and password verifier (Argon2, argon2-cffi).

Every change is an event with who made it; each province receives its own staff's records (verifiers included, so
it signs them in while HQ is away) and the records of those who act on every node. HQ also trusts each province's
signing key for that province alone and hands the keys to every node.
"""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hq.staff.schemas import StaffCreate, StaffUpdate
from shared.application import CrmApplication
from shared.auth.roles import EVERY_NODE_ROLES, HQ_ROLES, Role
from shared.auth.sign_in import HASHER, StaffEntry
from shared.auth.tokens import jwk_key, key_id
from shared.domain.errors import Conflict
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.signing_key import SigningKey, TrustedKey, trusted_key_id
from shared.domain.staff import EVERYWHERE, HQ_ONLY, StaffMember, parse_home, parse_username, staff_id
from shared.domain.values import plain, text
from shared.persistence.queries import Page, equal
from shared.staff_table import StaffAccess

log = logging.getLogger(__name__)


def _placement(role: Role, province: object) -> tuple[str, str]:
    """(home province, destination of its records): province staff's go to their province, others' everywhere."""
    home = parse_home(province, everywhere=role in EVERY_NODE_ROLES, hq_only=role in HQ_ROLES)
    return home, EVERYWHERE if role in EVERY_NODE_ROLES else (HQ_ONLY if role in HQ_ROLES else home)


def is_signing_key(kid: object, jwk: object) -> bool:
    """An Ed25519 public key (no private part) whose id is the one its bytes give."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "d" in jwk:
        return False
    key = jwk_key(jwk)
    return (
        key is not None and isinstance(key.key, Ed25519PublicKey) and kid == key_id(key.key) == jwk.get("kid")
    )


class StaffCommands:
    """The directory's commands and queries; `access` is how the node signs in whom the directory holds."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store
        self.access = StaffAccess(store, self.directory_entry)

    def enrol_staff(self, request: StaffCreate, by: Operator) -> JSONObject:
        """The request's shape (the password's length among it) is its model's, for the API and `crm users add`
        alike; the user name's form and where a role's member lives are the domain's."""
        username = parse_username(request.username)
        if self.store.find(StaffMember, staff_id(username)) is not None:
            raise Conflict("this user name is taken", field="username", existing_id=username)
        home, destination = _placement(request.role, request.province)
        member = StaffMember(
            username=username,
            name=text(request.name or username, "name"),
            role=request.role.value,
            province=home,
            destination=destination,
            by=by,
        )
        member.set_password(HASHER.hash(plain(request.password, "password")), by)
        self.store.record(member)
        return self.access.staff_document(username)

    def change_staff(self, username: str, patch: StaffUpdate, by: Operator) -> JSONObject:
        member: StaffMember = self.store.load(StaffMember, staff_id(username), field="username")
        given = patch.model_fields_set
        if patch.role is not None or "province" in given:
            role = patch.role or Role(member.role)
            home, destination = _placement(role, patch.province if "province" in given else member.province)
            member.change_role(role.value, home, destination, by)
        if patch.password is not None:
            member.set_password(HASHER.hash(plain(patch.password, "password")), by)
        if patch.enabled is not None:
            (member.enable if patch.enabled else member.disable)(by)
        self.store.record(member)
        return self.access.staff_document(member.username)

    def list_staff(self, province: str | None = None, offset: int = 0, limit: int = 100) -> Page:
        return self.store.queries.page("staff", equal(("province", province)), offset=offset, limit=limit)

    def directory_entry(self, username: str) -> StaffEntry | None:
        """Whom HQ signs in: anyone its directory holds, enabled."""
        member = self.store.find(StaffMember, staff_id(username))
        if member is None:
            return None
        return StaffEntry(
            member.username, member.name, member.role, member.province, member.enabled, member.password_hash
        )

    # --- the provinces' signing keys -------------------------------------------------------------

    def distrust_key(self, kid: str, reason: str, by: Operator) -> JSONObject:
        """Stop trusting a province's signing key everywhere (rotated away, or leaked); recorded, sent to every
        province. The province's staff sign in again once it signs with a new key."""
        key: TrustedKey = self.store.load(TrustedKey, trusted_key_id(kid), field="kid")
        key.distrust(text(reason, "reason"), by)
        self.store.record(key)
        self.access.keyring.reload()
        return {"kid": kid, "province": key.province, "distrusted": True}

    def trust_province_key(self, upstream: str, event: SigningKey.Published) -> None:
        """A province published its signing key: trusted for that province alone — the one whose certificate
        the replication link carried, whatever the record claims; in a replicated batch."""
        if event.province != upstream:
            log.warning("%s published a signing key for %s: not trusted", upstream, str(event.province)[:8])
            return
        if not is_signing_key(event.kid, event.jwk):
            log.warning(
                "%s published a key that is not an Ed25519 public key named by its id: not trusted", upstream
            )
            return
        if self.store.find(TrustedKey, trusted_key_id(event.kid)) is None:
            self.store.created(
                TrustedKey(
                    kid=event.kid, province=upstream, jwk=event.jwk, destination=EVERYWHERE, by=event.by
                )
            )
            log.info("trusts %s's signing key %s", upstream, event.kid)
