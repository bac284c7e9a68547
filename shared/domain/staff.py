"""The staff directory (职责与权限, R-29): who may sign in, in which role and province.

HQ keeps it; each province receives the records of its own staff, with their password verifiers, so that it can
sign them in while HQ is away (R-1), and the records of those who act on every node (auditors, system
administrators: without verifiers, they sign in at HQ). A member's verifier travels only to the province whose
staff they are; HQ's own staff's verifiers never leave HQ.

User names have one canonical form (`canonical_username`): sign-in, the directory, tokens and manager assignments
all compare that form.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import InvalidValue
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.values import PROVINCES, text

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EVERYWHERE = "*"  # the destination of staff who act on every node
HQ_ONLY = ""  # the destination of HQ's own staff: their records stay at HQ


def canonical_username(value: object) -> str:
    """The one form a user name is compared in: trimmed, lower case."""
    return value.strip().lower() if isinstance(value, str) else ""


def staff_id(username: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:staff:{canonical_username(username)}")


def parse_username(value: object) -> str:
    name = canonical_username(text(value, "username", max_length=64))
    if not USERNAME.match(name):
        raise InvalidValue(
            "2 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit", field="username"
        )
    return name


def parse_home(province: object, everywhere: bool, hq_only: bool) -> str:
    if everywhere or hq_only:
        return "HQ"
    code = text(province, "province", max_length=2).upper()
    if code not in PROVINCES:
        raise InvalidValue(f"unknown province code '{province}'", field="province")
    return code


def verifier_destination(destination: str) -> str:
    """Where a member's password verifier may go: to their own province only."""
    return destination if destination in PROVINCES else HQ_ONLY


class StaffMember(Aggregate):
    """A member of HQ's directory. Events that name a `destination` travel to that province ("*": every one)."""

    class PasswordSet(Aggregate.Event):
        """The member's password verifier (an Argon2 hash); v1 stayed at HQ, v2 names where it travels."""

        password_hash: str
        username: str
        destination: str
        by: Operator
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: JSONObject) -> None:
            state.setdefault("username", "")
            state.setdefault("destination", HQ_ONLY)  # set before verifiers travelled: kept at HQ

    @staticmethod
    def create_id(username: str, **_: object) -> UUID:
        return staff_id(username)

    class Enrolled(Aggregate.Created):
        username: str
        name: str
        role: str
        province: str
        destination: str
        by: Operator

    @event(Enrolled)
    def __init__(
        self, *, username: str, name: str, role: str, province: str, destination: str, by: Operator
    ) -> None:
        self.username = username
        self.name = name
        self.role = role
        self.province = province
        self.destination = destination
        self.enabled = True
        self.password_hash = ""

    def set_password(self, password_hash: str, by: Operator) -> None:
        self._password_set(
            password_hash=password_hash,
            username=self.username,
            destination=verifier_destination(self.destination),
            by=by,
        )

    @event(PasswordSet)
    def _password_set(self, password_hash: str, username: str, destination: str, by: Operator) -> None:
        self.password_hash = password_hash

    def change_role(self, role: str, province: str, destination: str, by: Operator) -> None:
        """A new role or province; a member whose records now go elsewhere is withdrawn from where they went and
        handed whole (enabled or not, with their verifier where it may travel) to where they go now."""
        if (role, province) == (self.role, self.province):
            return
        if destination == self.destination:
            self._role_changed(
                role=role, province=province, destination=destination, username=self.username, by=by
            )
            return
        if self.destination != HQ_ONLY:
            self._withdrawn(destination=self.destination, username=self.username, by=by)
        travelling = verifier_destination(destination)
        self._transferred(
            role=role,
            province=province,
            destination=destination,
            username=self.username,
            name=self.name,
            enabled=self.enabled,
            password_hash=self.password_hash if travelling else "",
            by=by,
        )

    class RoleChanged(Aggregate.Event):
        role: str
        province: str
        destination: str
        username: str
        by: Operator

    @event(RoleChanged)
    def _role_changed(self, role: str, province: str, destination: str, username: str, by: Operator) -> None:
        self.role, self.province, self.destination = role, province, destination

    class Withdrawn(Aggregate.Event):
        destination: str
        username: str
        by: Operator

    @event(Withdrawn)
    def _withdrawn(self, destination: str, username: str, by: Operator) -> None:
        """The records no longer go to `destination`: the member no longer acts there."""

    class Transferred(Aggregate.Event):
        role: str
        province: str
        destination: str
        username: str
        name: str
        enabled: bool
        password_hash: str
        by: Operator

    @event(Transferred)
    def _transferred(
        self,
        role: str,
        province: str,
        destination: str,
        username: str,
        name: str,
        enabled: bool,
        password_hash: str,
        by: Operator,
    ) -> None:
        self.role, self.province, self.destination = role, province, destination

    def republish(self, by: Operator) -> None:
        """Send the member's record whole again to where it goes (their verifier too where it may travel): for
        provinces that joined, or were upgraded, after the records went out."""
        if self.destination == HQ_ONLY:
            return
        travelling = verifier_destination(self.destination)
        self._republished(
            role=self.role,
            province=self.province,
            destination=self.destination,
            username=self.username,
            name=self.name,
            enabled=self.enabled,
            password_hash=self.password_hash if travelling else "",
            by=by,
        )

    class Republished(Aggregate.Event):
        role: str
        province: str
        destination: str
        username: str
        name: str
        enabled: bool
        password_hash: str
        by: Operator

    @event(Republished)
    def _republished(
        self,
        role: str,
        province: str,
        destination: str,
        username: str,
        name: str,
        enabled: bool,
        password_hash: str,
        by: Operator,
    ) -> None:
        """Nothing changes at HQ: the record goes out again."""

    def disable(self, by: Operator) -> None:
        if self.enabled:
            self._disabled(destination=self.destination, username=self.username, by=by)

    class Disabled(Aggregate.Event):
        destination: str
        username: str
        by: Operator

    @event(Disabled)
    def _disabled(self, destination: str, username: str, by: Operator) -> None:
        self.enabled = False

    def enable(self, by: Operator) -> None:
        if not self.enabled:
            self._enabled(destination=self.destination, username=self.username, by=by)

    class Enabled(Aggregate.Event):
        destination: str
        username: str
        by: Operator

    @event(Enabled)
    def _enabled(self, destination: str, username: str, by: Operator) -> None:
        self.enabled = True


class StaffCopy(Aggregate):
    """In a province: one staff member as HQ's directory says (enabled or not, their verifier if they are this
    province's staff). A withdrawn copy no longer acts here."""

    @staticmethod
    def create_id(username: str, **_: object) -> UUID:
        return staff_id(username)

    class Copied(Aggregate.Created):
        username: str
        name: str
        role: str
        province: str
        by: Operator

    @event(Copied)
    def __init__(self, *, username: str, name: str, role: str, province: str, by: Operator) -> None:
        self.username, self.name, self.role, self.province = username, name, role, province
        self.enabled = True
        self.password_hash = ""
        self.withdrawn = False

    def update(self, enabled: bool, role: str, province: str, by: Operator) -> None:
        if (enabled, role, province) != (self.enabled, self.role, self.province) or self.withdrawn:
            self._updated(enabled=enabled, role=role, province=province, by=by)

    class Updated(Aggregate.Event):
        enabled: bool
        role: str
        province: str
        by: Operator

    @event(Updated)
    def _updated(self, enabled: bool, role: str, province: str, by: Operator) -> None:
        self.enabled, self.role, self.province = enabled, role, province
        self.withdrawn = False

    def take_verifier(self, password_hash: str, by: Operator) -> None:
        if password_hash != self.password_hash:
            self._verifier_taken(password_hash=password_hash, by=by)

    class VerifierTaken(Aggregate.Event):
        password_hash: str
        by: Operator

    @event(VerifierTaken)
    def _verifier_taken(self, password_hash: str, by: Operator) -> None:
        self.password_hash = password_hash

    def withdraw(self, by: Operator) -> None:
        if not self.withdrawn:
            self._withdrawn(by=by)

    class Withdrawn(Aggregate.Event):
        by: Operator

    @event(Withdrawn)
    def _withdrawn(self, by: Operator) -> None:
        self.withdrawn = True
        self.password_hash = ""

    @property
    def acts_here(self) -> bool:
        return self.enabled and not self.withdrawn


class SignInUnlocked(Aggregate):
    """A system administrator lifted the sign-in wait of a user name (or of a client address) on this node."""

    class Recorded(Aggregate.Created):
        username: str
        address: str
        by: Operator

    @event(Recorded)
    def __init__(self, *, username: str, address: str, by: Operator) -> None:
        self.username, self.address = username, address
