"""HQ's staff directory and sign-in (the embedded token issuer, R-29).

Passwords are hashed with Argon2 (argon2-cffi); every change is an event with who made it. `sign_in` exchanges a
user name and password for a short-lived access token and a refresh token; failures are throttled.
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth.roles import EVERY_NODE_ROLES, HQ_ROLES, Role
from shared.auth.throttle import SignInThrottle
from shared.auth.tokens import InvalidToken, TokenIssuer, TokenValidator, TrustedIssuer
from shared.domain.errors import Conflict, InvalidValue, TooManyAttempts, Unauthenticated
from shared.domain.staff import EVERYWHERE, StaffMember, parse_home, parse_username, staff_id
from shared.domain.values import only_fields, text
from shared.persistence.queries import Page, equal
from shared.persistence.readmodel import Operation
from shared.staff_table import STAFF_TABLE, StaffLookup, staff_row

TABLES = (STAFF_TABLE,)
MIN_PASSWORD = 10
REFUSED = "unknown user name or wrong password"
UNKNOWN_HASH = PasswordHasher().hash("no such staff member")


def project_member(m: StaffMember) -> list[Operation]:
    return [staff_row(m.username, m.name, m.role, m.province, m.enabled)]


PROJECTORS = {StaffMember: project_member}


def _role(value: object) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidValue(f"unknown role; one of {', '.join(r.value for r in Role)}", field="role") from None


def _placement(role: Role, province: object) -> tuple[str, str]:
    """(home province, destination of its records): province staff's go to their province, others' everywhere."""
    home = parse_home(province, everywhere=role in EVERY_NODE_ROLES, hq_only=role in HQ_ROLES)
    return home, EVERYWHERE if role in EVERY_NODE_ROLES else ("" if role in HQ_ROLES else home)


def _password(value: object) -> str:
    password = text(value, "password", max_length=256)
    if len(password) < MIN_PASSWORD:
        raise InvalidValue(f"at least {MIN_PASSWORD} characters", field="password")
    return password


class StaffDirectory(StaffLookup):
    """Mixed into the HQ application."""

    hasher = PasswordHasher()
    throttle: SignInThrottle  # per node (set by the application)

    def enrol_staff(self, data: dict[str, Any], by: dict[str, str]) -> dict[str, Any]:
        only_fields(data, ("username", "name", "role", "province", "password"))
        username = parse_username(data.get("username"))
        if self.find(StaffMember, staff_id(username)) is not None:
            raise Conflict("this user name is taken", field="username", existing_id=username)
        role = _role(data.get("role"))
        home, destination = _placement(role, data.get("province"))
        member = StaffMember(username=username, name=text(data.get("name") or username, "name"), role=role.value,
                             province=home, destination=destination, by=by)
        member.set_password(self.hasher.hash(_password(data.get("password"))), by)
        self.record(member)
        return self.staff_document(username)

    def change_staff(self, username: str, patch: dict[str, Any], by: dict[str, str]) -> dict[str, Any]:
        only_fields(patch, ("role", "province", "enabled", "password"))
        member: StaffMember = self.load(StaffMember, staff_id(username.lower()), field="username")
        if "role" in patch or "province" in patch:
            role = _role(patch.get("role", member.role))
            home, destination = _placement(role, patch.get("province", member.province))
            member.change_role(role.value, home, destination, by)
        if "password" in patch:
            member.set_password(self.hasher.hash(_password(patch["password"])), by)
        if "enabled" in patch:
            if not isinstance(patch["enabled"], bool):
                raise InvalidValue("must be true or false", field="enabled")
            (member.enable if patch["enabled"] else member.disable)(by)
        self.record(member)
        return self.staff_document(member.username)

    def list_staff(self, province: str | None = None, offset: int = 0, limit: int = 100) -> Page:
        return self.queries.page("staff", equal(("province", province)), offset=offset, limit=limit)

    # --- signing in ------------------------------------------------------------------------------

    def issuer(self) -> TokenIssuer:
        s = self.settings
        return TokenIssuer(s.signing_key_path(), s.auth_issuer, s.auth_audience, s.auth_access_seconds,
                           s.auth_refresh_seconds)

    def sign_in(self, username: object, password: object, client: str) -> dict[str, Any]:
        """Password grant: tokens for an enabled member whose password matches; 5 failures wait 5 minutes."""
        name = str(username or "").strip().lower()
        wait = self.throttle.wait_for(f"user:{name}", f"client:{client}")
        if wait:
            raise TooManyAttempts(f"too many failed sign-ins; try again in {int(wait) + 1} s", field="username",
                                  retry_after=wait)
        member = self.find(StaffMember, staff_id(name)) if name else None
        if not self._matches(member, str(password or "")) or member is None or not member.enabled:
            self.throttle.failed(f"user:{name}", f"client:{client}")
            raise Unauthenticated(REFUSED, field="password")
        self.throttle.succeeded(f"user:{name}")
        return self._tokens(member)

    def refresh(self, refresh_token: object) -> dict[str, Any]:
        """Refresh grant: new tokens while the member is still enabled (their role as it is now)."""
        s = self.settings
        validator = TokenValidator([TrustedIssuer.from_file(s.auth_issuer, s.auth_audience, s.jwks_path())])
        try:
            subject = validator.subject_of_refresh(str(refresh_token or ""))
        except InvalidToken as error:
            raise Unauthenticated(f"the refresh token is not valid: {error}", field="refresh_token") from None
        member = self.find(StaffMember, staff_id(subject))
        if member is None or not member.enabled:
            raise Unauthenticated("this staff member is disabled", field="refresh_token")
        return self._tokens(member)

    def _matches(self, member: StaffMember | None, password: str) -> bool:
        """An unknown or disabled user costs one Argon2 verification too: timing does not tell who exists."""
        try:
            return self.hasher.verify(member.password_hash if member else UNKNOWN_HASH, password) and bool(member)
        except (VerificationError, InvalidHashError):
            return False

    def _tokens(self, member: StaffMember) -> dict[str, Any]:
        issuer = self.issuer()
        args = (member.username, member.name, member.role, member.province)
        return {"access_token": issuer.issue(*args), "token_type": "bearer",
                "expires_in": self.settings.auth_access_seconds, "refresh_token": issuer.issue(*args, kind="refresh"),
                "role": member.role, "province": member.province}
