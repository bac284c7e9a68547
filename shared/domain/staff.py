"""The staff directory (职责与权限, R-29): who may sign in, in which role and province.

HQ keeps it; each province receives the records of its own staff (and of those who act on every node), so a
disabled member is refused everywhere. The password hash never leaves HQ: it is an event of its own, not sent.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import InvalidValue
from shared.domain.values import PROVINCES, text

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EVERYWHERE = "*"  # the destination of staff who act on every node


def staff_id(username: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:staff:{username}")


def parse_username(value: object) -> str:
    name = text(value, "username", max_length=64).lower()
    if not USERNAME.match(name):
        raise InvalidValue("2 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit", field="username")
    return name


def parse_home(province: object, everywhere: bool, hq_only: bool) -> str:
    if everywhere or hq_only:
        return "HQ"
    code = text(province, "province", max_length=2).upper()
    if code not in PROVINCES:
        raise InvalidValue(f"unknown province code '{province}'", field="province")
    return code


class StaffMember(Aggregate):
    @staticmethod
    def create_id(username: str, **_: Any) -> UUID:
        return staff_id(username)

    @event("Enrolled")
    def __init__(self, *, username: str, name: str, role: str, province: str, destination: str,
                 by: dict[str, str]) -> None:
        self.username = username
        self.name = name
        self.role = role
        self.province = province
        self.destination = destination
        self.enabled = True
        self.password_hash = ""

    def set_password(self, password_hash: str, by: dict[str, str]) -> None:
        self._password_set(password_hash=password_hash, by=by)

    @event("PasswordSet")
    def _password_set(self, password_hash: str, by: dict[str, str]) -> None:
        self.password_hash = password_hash

    def change_role(self, role: str, province: str, destination: str, by: dict[str, str]) -> None:
        if (role, province) != (self.role, self.province):
            self._role_changed(role=role, province=province, destination=destination, username=self.username, by=by)

    @event("RoleChanged")
    def _role_changed(self, role: str, province: str, destination: str, username: str, by: dict[str, str]) -> None:
        self.role, self.province, self.destination = role, province, destination

    def disable(self, by: dict[str, str]) -> None:
        if self.enabled:
            self._disabled(destination=self.destination, username=self.username, by=by)

    @event("Disabled")
    def _disabled(self, destination: str, username: str, by: dict[str, str]) -> None:
        self.enabled = False

    def enable(self, by: dict[str, str]) -> None:
        if not self.enabled:
            self._enabled(destination=self.destination, username=self.username, by=by)

    @event("Enabled")
    def _enabled(self, destination: str, username: str, by: dict[str, str]) -> None:
        self.enabled = True


class StaffCopy(Aggregate):
    """In a province: one staff member as HQ's directory says (enabled or not)."""

    @staticmethod
    def create_id(username: str, **_: Any) -> UUID:
        return staff_id(username)

    @event("Copied")
    def __init__(self, *, username: str, name: str, role: str, province: str, by: dict[str, str]) -> None:
        self.username, self.name, self.role, self.province = username, name, role, province
        self.enabled = True

    def update(self, enabled: bool, role: str, province: str, by: dict[str, str]) -> None:
        if (enabled, role, province) != (self.enabled, self.role, self.province):
            self._updated(enabled=enabled, role=role, province=province, by=by)

    @event("Updated")
    def _updated(self, enabled: bool, role: str, province: str, by: dict[str, str]) -> None:
        self.enabled, self.role, self.province = enabled, role, province
