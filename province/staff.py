"""This province's copy of HQ's staff directory: its own staff (with their password verifiers, so it signs them in
while HQ is away) and those who act on every node; a member disabled, moved or withdrawn at HQ is refused here
too. And the province's own signing key: published for HQ to distribute, trusted here from the key file at once;
the keys of other provinces as HQ distributed them."""

from __future__ import annotations

import logging
from typing import Any

from shared.auth.keyring import ProvinceKey
from shared.auth.roles import PROVINCE_ROLES
from shared.auth.sign_in import StaffEntry
from shared.auth.tokens import create_signing_key, key_id, load_public_key, public_jwk
from shared.domain.operator import SYSTEM
from shared.domain.signing_key import SigningKey, TrustedKey, signing_key_id, trusted_key_id
from shared.domain.staff import EVERYWHERE, StaffCopy, staff_id
from shared.persistence.readmodel import Operation
from shared.staff_table import PROJECTORS as KEY_PROJECTORS
from shared.staff_table import TABLES, staff_row

log = logging.getLogger(__name__)
__all__ = ["PROJECTORS", "TABLES", "StaffCopies"]  # TABLES: the staff and trusted-key read models


def project_copy(c: StaffCopy) -> list[Operation]:
    return [staff_row(c.username, c.name, c.role, c.province, c.acts_here)]


PROJECTORS = {StaffCopy: project_copy, **KEY_PROJECTORS}


class StaffCopies:
    """Mixed into the province application."""

    def on_start(self) -> None:
        self.publish_signing_key()

    def addressed_to_me(self, destination: str) -> bool:
        return destination in (self.settings.node_code, EVERYWHERE)

    def apply_staff(self, event: Any) -> None:
        """A record of HQ's directory addressed here; in a replicated batch."""
        kind = type(event).__qualname__.removeprefix("StaffMember.")
        copy = self.find(StaffCopy, staff_id(event.username)) if event.username else None
        if kind == "Withdrawn":
            if copy is not None:
                copy.withdraw(event.by)
            return
        if kind == "PasswordSet":
            if copy is not None:
                copy.take_verifier(event.password_hash, event.by)
            return
        if copy is None:  # enrolled, or moved here from elsewhere: known from this record on
            copy = StaffCopy(
                username=event.username,
                name=getattr(event, "name", event.username),
                role=getattr(event, "role", ""),
                province=getattr(event, "province", ""),
                by=event.by,
            )
            self.created(copy)
        enabled = {"Disabled": False, "Enabled": True}.get(kind, getattr(event, "enabled", copy.enabled))
        copy.update(
            enabled, getattr(event, "role", copy.role), getattr(event, "province", copy.province), event.by
        )
        if kind in ("Transferred", "Republished") and event.password_hash:
            copy.take_verifier(event.password_hash, event.by)

    def directory_entry(self, username: str) -> StaffEntry | None:
        """Whom this province signs in: its own staff, with the verifier HQ sent."""
        copy = self.find(StaffCopy, staff_id(username))
        here = self.settings.node_code
        if copy is None or copy.province != here or copy.role not in {r.value for r in PROVINCE_ROLES}:
            return None
        return StaffEntry(
            copy.username, copy.name, copy.role, copy.province, copy.acts_here, copy.password_hash
        )

    # --- signing keys ----------------------------------------------------------------------------

    def publish_signing_key(self) -> None:
        """The province's signing key (made at its first start) is trusted here at once, and published once for
        HQ to hand to every node."""
        path = self.settings.province_signing_key_path()
        if create_signing_key(path):
            log.info("created %s's token signing key %s", self.settings.node_code, path)
        public = load_public_key(path, self.settings.node_code)
        kid, jwk = key_id(public), public_jwk(public)
        copy = self.find(TrustedKey, trusted_key_id(kid))
        if copy is not None and copy.distrusted:
            log.error(
                "HQ distrusts %s's signing key %s: nobody signs in here until it has a new one (remove %s and "
                "start the node again)",
                self.settings.node_code,
                kid,
                path,
            )
            return
        self.staff_access.keyring.hold_own(kid, ProvinceKey(self.settings.node_code, jwk))
        if self.find(SigningKey, signing_key_id(kid)) is None:
            self.record(SigningKey(kid=kid, province=self.settings.node_code, jwk=jwk, by=SYSTEM))

    def copy_trusted_key(self, event: Any) -> None:
        """HQ trusts a province's key (for that province alone), or no longer does: kept here too; in a replicated
        batch."""
        copy = self.find(TrustedKey, event.originator_id)
        if type(event).__qualname__ == "TrustedKey.Distrusted":
            if copy is not None:
                copy.distrust(event.reason, event.by)
                self.staff_access.keyring.drop(copy.kid)  # this province's own, too: it signs with it no more
            return
        if copy is None:
            self.created(
                TrustedKey(
                    kid=event.kid,
                    province=event.province,
                    jwk=event.jwk,
                    destination=event.destination,
                    by=event.by,
                )
            )
