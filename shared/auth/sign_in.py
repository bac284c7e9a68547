"""Signing in (the OAuth2 password and refresh grants), the same at HQ and in a province: a member's password is
checked against their Argon2 verifier, failures are throttled, and tokens are signed with the node's own key.
HQ signs in anyone its directory holds; a province only its own staff, from the verifiers HQ sent it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth.throttle import SignInThrottle, client_key, user_key
from shared.auth.tokens import ACCESS, REFRESH, InvalidToken, TokenIssuer, TokenValidator
from shared.domain.errors import TooManyAttempts, Unauthenticated
from shared.domain.staff import canonical_username
from shared.persistence.sign_in_ledger import SignInLedger

REFUSED = "unknown user name or wrong password"
HASHER = PasswordHasher()
UNKNOWN_HASH = HASHER.hash("no such staff member")


@dataclass(frozen=True)
class StaffEntry:
    """A member as the node's directory holds them now."""

    username: str
    name: str
    role: str
    province: str
    acts_here: bool
    password_hash: str


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_in: int
    role: str
    province: str
    token_type: str = "bearer"


Directory = Callable[[str], "StaffEntry | None"]


class SignInDesk:
    def __init__(self, directory: Directory, issuer: TokenIssuer, validator: TokenValidator,
                 throttle: SignInThrottle, ledger: SignInLedger, access_seconds: int) -> None:
        self.directory, self.issuer, self.validator = directory, issuer, validator
        self.throttle, self.ledger, self.access_seconds = throttle, ledger, access_seconds

    def sign_in(self, username: str, password: str, client: str) -> TokenGrant:
        """Tokens for a member who may sign in here and whose password matches; 5 failures wait 5 minutes."""
        name = canonical_username(username)
        wait = self.throttle.wait_for(user_key(name), client_key(client))
        if wait:
            raise TooManyAttempts(f"too many failed sign-ins; try again in {int(wait) + 1} s", field="username",
                                  retry_after=wait)
        member = self.directory(name) if name else None
        if not _matches(member, password) or member is None or not member.acts_here:
            self.throttle.failed(user_key(name), client_key(client))
            raise Unauthenticated(REFUSED, field="password")
        self.throttle.succeeded(user_key(name))
        return self._grant(member)

    def refresh(self, refresh_token: str) -> TokenGrant:
        """New tokens for a member still allowed here (their role as it is now); each refresh token works once."""
        try:
            claims = self.validator.refresh_claims(refresh_token)
        except InvalidToken as error:
            raise Unauthenticated(f"the refresh token is not valid: {error}", field="refresh_token") from None
        if not self.ledger.use_refresh(str(claims.get("jti", "")), float(claims["exp"]), time.time()):
            raise Unauthenticated("this refresh token was already used: sign in again", field="refresh_token")
        member = self.directory(canonical_username(str(claims["sub"])))
        if member is None or not member.acts_here:
            raise Unauthenticated("this staff member is disabled", field="refresh_token")
        return self._grant(member)

    def _grant(self, member: StaffEntry) -> TokenGrant:
        who = (member.username, member.name, member.role, member.province)
        return TokenGrant(access_token=self.issuer.issue(*who, kind=ACCESS),
                          refresh_token=self.issuer.issue(*who, kind=REFRESH), expires_in=self.access_seconds,
                          role=member.role, province=member.province)


def _matches(member: StaffEntry | None, password: str) -> bool:
    """An unknown member, or one without a verifier here, costs one Argon2 verification too: timing does not tell
    who exists."""
    verifier = member.password_hash if member is not None and member.password_hash else UNKNOWN_HASH
    try:
        return HASHER.verify(verifier, password) and verifier is not UNKNOWN_HASH
    except (VerificationError, InvalidHashError):
        return False
