"""This province's copy of HQ's staff directory: its own staff (with their password verifiers, so it signs them in
while HQ is away) and those who act on every node; a member disabled, moved or withdrawn at HQ is refused here
too. And the province's own signing key: published for HQ to distribute, trusted here from the key file at once;
the keys of other provinces as HQ distributed them."""

from __future__ import annotations

import logging
from typing import TypeAlias

from shared.application import CrmApplication
from shared.auth.keyring import ProvinceKey
from shared.auth.roles import PROVINCE_ROLES
from shared.auth.sign_in import StaffEntry
from shared.auth.tokens import create_signing_key, key_id, load_public_key, public_jwk
from shared.domain.operator import SYSTEM
from shared.domain.signing_key import SigningKey, TrustedKey, signing_key_id, trusted_key_id
from shared.domain.staff import EVERYWHERE, StaffCopy, StaffMember, staff_id

log = logging.getLogger(__name__)

# HQ's directory records a province copies (all of StaffMember's events but the withdrawal and the verifier)
StaffRecord: TypeAlias = (
    StaffMember.Enrolled
    | StaffMember.RoleChanged
    | StaffMember.Transferred
    | StaffMember.Republished
    | StaffMember.Disabled
    | StaffMember.Enabled
)


def _placement(event: StaffRecord) -> tuple[str, str] | None:
    """The role and province a record names, if it names them."""
    if isinstance(
        event,
        StaffMember.Enrolled | StaffMember.RoleChanged | StaffMember.Transferred | StaffMember.Republished,
    ):
        return event.role, event.province
    return None


def _name(event: StaffRecord) -> str:
    """The member's name where the record carries it; else the user name stands in until one that does."""
    if isinstance(event, StaffMember.Enrolled | StaffMember.Transferred | StaffMember.Republished):
        return event.name
    return event.username


class StaffCommands:
    """This province's copy of HQ's directory and its signing keys; replicated records are applied in the batch's
    unit of work."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def addressed_to_me(self, destination: str) -> bool:
        return destination in (self.store.settings.node_code, EVERYWHERE)

    def _copy_of(
        self, event: StaffRecord | StaffMember.Withdrawn | StaffMember.PasswordSet
    ) -> StaffCopy | None:
        return self.store.find(StaffCopy, staff_id(event.username)) if event.username else None

    def withdraw(self, event: StaffMember.Withdrawn) -> None:
        """The member no longer acts here."""
        copy = self._copy_of(event)
        if copy is not None:
            copy.withdraw(event.by)

    def take_verifier(self, event: StaffMember.PasswordSet) -> None:
        copy = self._copy_of(event)
        if copy is not None:
            copy.take_verifier(event.password_hash, event.by)

    def apply_staff(self, event: StaffRecord) -> None:
        """Any other record of HQ's directory addressed here (enrolled, changed, moved, disabled, enabled)."""
        placed = _placement(event)
        copy = self._copy_of(event)
        if copy is None:  # enrolled, or moved here from elsewhere: known from this record on
            copy = StaffCopy(
                username=event.username,
                name=_name(event),
                role=placed[0] if placed else "",
                province=placed[1] if placed else "",
                by=event.by,
            )
            self.store.created(copy)
        if isinstance(event, StaffMember.Disabled):
            enabled = False
        elif isinstance(event, StaffMember.Enabled):
            enabled = True
        elif isinstance(event, StaffMember.Transferred | StaffMember.Republished):
            enabled = event.enabled
        else:
            enabled = copy.enabled
        role, province = placed or (copy.role, copy.province)
        copy.update(enabled, role, province, event.by)
        if isinstance(event, StaffMember.Transferred | StaffMember.Republished) and event.password_hash:
            copy.take_verifier(event.password_hash, event.by)

    def directory_entry(self, username: str) -> StaffEntry | None:
        """Whom this province signs in: its own staff, with the verifier HQ sent."""
        copy = self.store.find(StaffCopy, staff_id(username))
        here = self.store.settings.node_code
        if copy is None or copy.province != here or copy.role not in {r.value for r in PROVINCE_ROLES}:
            return None
        return StaffEntry(
            copy.username, copy.name, copy.role, copy.province, copy.acts_here, copy.password_hash
        )

    # --- signing keys ----------------------------------------------------------------------------

    def publish_signing_key(self) -> None:
        """The province's signing key (made at its first start) is trusted here at once, and published once for
        HQ to hand to every node."""
        path = self.store.settings.province_signing_key_path()
        if create_signing_key(path):
            log.info("created %s's token signing key %s", self.store.settings.node_code, path)
        public = load_public_key(path, self.store.settings.node_code)
        kid, jwk = key_id(public), public_jwk(public)
        copy = self.store.find(TrustedKey, trusted_key_id(kid))
        if copy is not None and copy.distrusted:
            log.error(
                "HQ distrusts %s's signing key %s: nobody signs in here until it has a new one (remove %s and "
                "start the node again)",
                self.store.settings.node_code,
                kid,
                path,
            )
            return
        self.store.staff_access.keyring.hold_own(kid, ProvinceKey(self.store.settings.node_code, jwk))
        if self.store.find(SigningKey, signing_key_id(kid)) is None:
            self.store.record(SigningKey(kid=kid, province=self.store.settings.node_code, jwk=jwk, by=SYSTEM))

    def distrust_key(self, event: TrustedKey.Distrusted) -> None:
        """HQ no longer trusts a province's key: nor does this province; in a replicated batch."""
        copy = self.store.find(TrustedKey, event.originator_id)
        if copy is not None:
            copy.distrust(event.reason, event.by)
            self.store.staff_access.keyring.drop(
                copy.kid
            )  # this province's own, too: it signs with it no more

    def copy_trusted_key(self, event: TrustedKey.Trusted) -> None:
        """HQ trusts a province's key (for that province alone): kept here too; in a replicated batch."""
        if self.store.find(TrustedKey, event.originator_id) is None:
            self.store.created(
                TrustedKey(
                    kid=event.kid,
                    province=event.province,
                    jwk=event.jwk,
                    destination=event.destination,
                    by=event.by,
                )
            )
