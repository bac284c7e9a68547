"""Signing in (the OAuth2 password and refresh grants), the same at HQ and in a province: a member's password is
checked against their Argon2 verifier, failures are throttled, and tokens are signed with the node's own key.
HQ signs in anyone its directory holds; a province only its own staff, from the verifiers HQ sent it."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth.throttle import SignInThrottle
from shared.auth.tokens import ACCESS, REFRESH, InvalidToken, TokenIssuer, TokenValidator
from shared.domain.errors import TooManyAttempts, Unauthenticated
from shared.domain.staff import canonical_username, parse_username
from shared.persistence.sign_in_ledger import SignInLedger
from shared.settings import Settings

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


@dataclass(frozen=True)
class SignInSession:
    """One sign-in, carried from refresh token to refresh token."""

    sid: str
    auth_time: int


Directory = Callable[[str], "StaffEntry | None"]


class SignInDesk:
    """Each refresh token works once and carries its sign-in (`sid`, `auth_time`) and a fingerprint of the verifier
    it was issued under: a replayed refresh token revokes its whole sign-in, a changed password ends every sign-in
    made with the old one, and no sign-in is refreshed beyond `session_seconds`. At most `verifications` Argon2
    checks run at once (each takes tens of MiB): beyond them a sign-in is asked to try again in a second."""

    def __init__(
        self,
        directory: Directory,
        issuer: TokenIssuer,
        validator: TokenValidator,
        throttle: SignInThrottle,
        ledger: SignInLedger,
        settings: Settings,
    ) -> None:
        self.directory, self.issuer, self.validator = directory, issuer, validator
        self.throttle, self.ledger = throttle, ledger
        self.access_seconds, self.session_seconds = (
            settings.auth_access_seconds,
            settings.auth_session_max_seconds,
        )
        self.refresh_seconds = settings.auth_refresh_seconds
        self._verifying = threading.BoundedSemaphore(settings.auth_concurrent_verifications)
        self.verification_wait = settings.auth_verification_wait_seconds

    def sign_in(self, username: str, password: str, client: str) -> TokenGrant:
        """Tokens for a member who may sign in here and whose password matches; 5 failures wait 5 minutes."""
        name = parse_username(username)
        attempt, wait = self.throttle.attempt(name, client)
        if attempt is None:
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {int(wait) + 1} s",
                field="username",
                retry_after=wait,
            )
        member = self.directory(name)
        if not self._matches(member, password) or member is None or not member.acts_here:
            raise Unauthenticated(REFUSED, field="password")  # the attempt stays counted
        self.throttle.succeeded(attempt, name, client)
        return self._grant(member, SignInSession(uuid.uuid4().hex, int(time.time())))

    def refresh(self, refresh_token: str) -> TokenGrant:
        """New tokens for a member still allowed here (their role as it is now), within their sign-in's life."""
        try:
            claims = self.validator.refresh_claims(refresh_token)
        except InvalidToken as error:
            raise Unauthenticated(f"the refresh token is not valid: {error}", field="refresh_token") from None
        sid, now = str(claims.get("sid", "")), time.time()
        ends = float(claims.get("auth_time", 0)) + self.session_seconds
        if not sid or self.ledger.is_revoked(sid):
            raise Unauthenticated("this sign-in was ended: sign in again", field="refresh_token")
        if not self.ledger.use_refresh(str(claims.get("jti", "")), float(claims["exp"]), now):
            self.ledger.revoke(sid, ends, now)  # a replay: someone else holds this sign-in's tokens
            raise Unauthenticated(
                "this refresh token was already used: its sign-in is ended, sign in again",
                field="refresh_token",
            )
        if now > ends:
            raise Unauthenticated("this sign-in is too old to refresh: sign in again", field="refresh_token")
        member = self.directory(canonical_username(str(claims["sub"])))
        if member is None or not member.acts_here:
            raise Unauthenticated("this staff member is disabled", field="refresh_token")
        if claims.get("cred") != fingerprint(member.password_hash):
            raise Unauthenticated(
                "the password has changed since this sign-in: sign in again", field="refresh_token"
            )
        return self._grant(member, SignInSession(sid, int(claims["auth_time"])))

    def _matches(self, member: StaffEntry | None, password: str) -> bool:
        if not self._verifying.acquire(timeout=self.verification_wait):
            raise TooManyAttempts(
                "too many sign-ins at once; try again in a second", field="username", retry_after=1
            )
        try:
            return _matches(member, password)
        finally:
            self._verifying.release()

    def _grant(self, member: StaffEntry, session: SignInSession) -> TokenGrant:
        who = (member.username, member.name, member.role, member.province)
        refresh_ttl = max(
            1, min(self.refresh_seconds, session.auth_time + self.session_seconds - int(time.time()))
        )
        carried = {
            "sid": session.sid,
            "auth_time": session.auth_time,
            "cred": fingerprint(member.password_hash),
        }
        return TokenGrant(
            access_token=self.issuer.issue(*who, kind=ACCESS),
            refresh_token=self.issuer.issue(*who, kind=REFRESH, ttl=refresh_ttl, extra=carried),
            expires_in=self.access_seconds,
            role=member.role,
            province=member.province,
        )


def fingerprint(verifier: str) -> str:
    """Which verifier a refresh token was issued under, without carrying it."""
    return hashlib.sha256(verifier.encode()).hexdigest()[:16]


def _matches(member: StaffEntry | None, password: str) -> bool:
    """An unknown member, or one without a verifier here, costs one Argon2 verification too: timing does not tell
    who exists."""
    verifier = member.password_hash if member is not None and member.password_hash else UNKNOWN_HASH
    try:
        return HASHER.verify(verifier, password) and verifier is not UNKNOWN_HASH
    except (VerificationError, InvalidHashError):
        return False
