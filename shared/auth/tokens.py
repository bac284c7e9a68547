"""Bearer tokens (JWT) issued by our own nodes or by an external OpenID Connect provider.

Our nodes sign with Ed25519: HQ for anyone in its directory, each province for its own staff only (so that a
province signs its staff in while HQ is away, R-1). Every node validates tokens offline with the issuers' public
keys. PyJWT does the cryptography; this module chooses keys, bounds lifetimes and maps claims.

Kinds of token: `access` (a signed-in person; the directory must hold them as they are now), `refresh` (only to
get new tokens, once), and `machine` (minted offline from a node's key by `crm token issue` for scripts: the
directory need not know its subject, which may not be a member's name, and its lifetime is capped).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.auth.roles import PROVINCE_ROLES, Role
from shared.domain.json_types import JSONObject
from shared.domain.staff import canonical_username

ACCESS, REFRESH, MACHINE = "access", "refresh", "machine"
NOT_BEARER = frozenset(
    {REFRESH, "id", "offline"}
)  # our refresh tokens; an OpenID provider's ID/refresh tokens
CLOCK_SKEW_SECONDS = 30

KeyLookup = Callable[[str], "jwt.PyJWK | None"]


class InvalidToken(Exception):
    """Missing, expired, forged or for another audience: the caller is not known (401)."""


class KeyFileUnreadable(OSError):
    """A key file that is there but holds no key we can use (empty, damaged, of another kind): the node cannot
    start. Its message names the file and the way out (crm prints it as the one line it exits with)."""


HQ_KEYS_REMEDY = (
    "copy HQ's <keys>/jwks.json here, or at HQ remove the file and run `crm keys init --code HQ` "
    "(it is written again from HQ's issuer.pem)"
)


@dataclass(frozen=True)
class Principal:
    """A signed-in person (or a script), as the token says: everything an event records about who acted comes
    from here."""

    subject: str
    name: str
    role: Role
    province: str
    issuer: str
    kind: str = ACCESS
    embedded: bool = False  # issued by one of our nodes: the directory rules apply


def _lookup_in(keys: jwt.PyJWKSet) -> KeyLookup:
    return lambda kid: next((k for k in keys.keys if k.key_id == kid), None)


class IssuerOptions(TypedDict, total=False):
    """What `TrustedIssuer.from_file` passes on beside the key set: its optional fields."""

    scope: str | None
    embedded: bool
    role_claim: str
    province_claim: str
    name_claim: str


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer whose tokens this node accepts: its keys, the one province it speaks for (`scope`; None: any),
    the longest lifetime accepted per kind of token, and where its claims put the role and province."""

    issuer: str
    audience: str
    key: KeyLookup
    lifetimes: Mapping[str, int]
    scope: str | None = None
    embedded: bool = False
    role_claim: str = "role"
    province_claim: str = "province"
    name_claim: str = "name"

    @classmethod
    def from_file(
        cls,
        issuer: str,
        audience: str,
        jwks_file: Path,
        lifetimes: Mapping[str, int],
        **options: Unpack[IssuerOptions],
    ) -> TrustedIssuer:
        remedy = HQ_KEYS_REMEDY if options.get("embedded") else "download the provider's key set again"
        if not jwks_file.is_file():
            raise FileNotFoundError(f"no public keys for issuer {issuer} at {jwks_file}: {remedy}")
        return cls(
            issuer, audience, _lookup_in(jwt.PyJWKSet(read_jwks(jwks_file, remedy))), lifetimes, **options
        )


def _claim(claims: Mapping[str, object], path: str) -> object:
    value: object = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


class TokenValidator:
    def __init__(self, issuers: list[TrustedIssuer], clock: Callable[[], float] = time.time) -> None:
        self.issuers = {i.issuer: i for i in issuers}
        self.clock = clock

    def refresh_claims(self, token: str) -> dict[str, Any]:
        """The claims of a refresh token (it must be one: an access token does not refresh)."""
        claims = self._claims(token)[1]
        if claims.get("typ") != REFRESH:
            raise InvalidToken("not a refresh token")
        return claims

    def _claims(self, token: str) -> tuple[TrustedIssuer, dict[str, Any]]:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            trusted = self.issuers.get(str(unverified.get("iss")))
            if trusted is None:
                raise InvalidToken("the token's issuer is not trusted here")
            key = trusted.key(str(jwt.get_unverified_header(token).get("kid")))
            if key is None:
                raise InvalidToken("the token was not signed with a key of its issuer")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=trusted.audience,
                issuer=trusted.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        except (TypeError, ValueError, KeyError, AttributeError):  # a header or key PyJWT cannot use
            raise InvalidToken("the token cannot be read with its issuer's keys") from None
        self._check_lifetime(trusted, claims)
        return trusted, claims

    def _check_lifetime(self, trusted: TrustedIssuer, claims: Mapping[str, object]) -> None:
        kind = str(claims.get("typ", ACCESS)).lower()
        longest = trusted.lifetimes.get(kind, trusted.lifetimes.get(ACCESS, 0))
        issued, expires = claims["iat"], claims["exp"]
        if not (isinstance(issued, (int, float)) and isinstance(expires, (int, float))):
            raise InvalidToken("iat and exp must be numbers")
        if expires <= self.clock():  # the skew allowed for clocks ahead, never to outlive the token
            raise InvalidToken("Signature has expired")
        if issued > self.clock() + CLOCK_SKEW_SECONDS:
            raise InvalidToken("the token was issued in the future")
        if expires - issued > longest + CLOCK_SKEW_SECONDS:
            raise InvalidToken(f"a {kind} token lives at most {longest} s here")

    def principal(self, token: str) -> Principal:
        trusted, claims = self._claims(token)
        kind = str(claims.get("typ", ACCESS)).lower()
        if kind in NOT_BEARER:
            raise InvalidToken("only an access token is a bearer token (refresh and ID tokens are not)")
        if not trusted.embedded:
            kind = ACCESS  # whatever an OpenID provider calls its access tokens ("Bearer", say)
        elif kind not in (ACCESS, MACHINE):
            raise InvalidToken(f"a token of kind '{kind[:16]}' is not a bearer token here")
        subject = str(claims["sub"])
        role = _role(_claim(claims, trusted.role_claim))
        province = str(_claim(claims, trusted.province_claim) or "").upper()
        if trusted.scope is not None and (province != trusted.scope or role not in PROVINCE_ROLES):
            raise InvalidToken(
                f"the issuer {trusted.issuer} speaks only for {trusted.scope}'s province staff"
            )
        return Principal(
            subject=canonical_username(subject) if trusted.embedded else subject,
            name=str(_claim(claims, trusted.name_claim) or subject),
            role=role,
            province=province,
            issuer=trusted.issuer,
            kind=kind,
            embedded=trusted.embedded,
        )


def _role(value: object) -> Role:
    """A role claim is one role or a list of them (an OpenID provider's role list): the first one we know."""
    for candidate in value if isinstance(value, list) else [value]:
        try:
            return Role(candidate)
        except ValueError:
            continue
    raise InvalidToken("the token names no role of this system")


@dataclass
class TokenIssuer:
    """One node's issuer: signs access, refresh and machine tokens with the node's Ed25519 key."""

    private_key_file: Path
    issuer: str
    audience: str
    lifetimes: Mapping[str, int]
    node: str = "HQ"  # whose key it is (the way out of a missing or damaged one names it)
    key: Ed25519PrivateKey = field(init=False, repr=False)
    kid: str = field(init=False)

    def __post_init__(self) -> None:
        if not self.private_key_file.is_file():
            raise FileNotFoundError(
                f"no signing key at {self.private_key_file}: run `crm keys init --code {self.node}`"
            )
        self.key = load_signing_key(self.private_key_file, self.node)
        self.kid = key_id(self.key.public_key())

    def issue(
        self,
        subject: str,
        name: str,
        role: str,
        province: str,
        kind: str = ACCESS,
        ttl: int | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> str:
        now = int(time.time())
        longest = self.lifetimes[kind]
        claims = {
            **(extra or {}),
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "name": name,
            "role": role,
            "province": province,
            "iat": now,
            "nbf": now,
            "exp": now + min(ttl or longest, longest),
            "jti": uuid.uuid4().hex,
            "typ": kind,
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.key.public_key())


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()[:16]


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(public_key))
    return {**jwk, "kid": key_id(public_key), "use": "sig", "alg": "EdDSA"}


def jwk_key(jwk: Mapping[str, str]) -> jwt.PyJWK | None:
    """A published public key as PyJWT uses it; None for one it cannot use."""
    try:
        return jwt.PyJWK.from_dict(dict(jwk))
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None


def create_signing_key(private_key_file: Path) -> bool:
    """An Ed25519 signing key, owner-only, created once (never overwritten, even by a racing process)."""
    private_key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(private_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    return True


def load_signing_key(private_key_file: Path, node: str) -> Ed25519PrivateKey:
    """`node`'s Ed25519 signing key from its PEM file; KeyFileUnreadable when the file holds none."""
    try:
        key = serialization.load_pem_private_key(private_key_file.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # empty, damaged, encrypted
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileUnreadable(
            f"{private_key_file} holds no usable Ed25519 signing key (empty or damaged): put "
            f"it back from a backup, or remove it and run `crm keys init --code {node}` for a "
            "new one (tokens signed with the old one are refused)"
        )
    return key


def load_public_key(private_key_file: Path, node: str) -> Ed25519PublicKey:
    return load_signing_key(private_key_file, node).public_key()


def read_jwks(jwks_file: Path, remedy: str) -> list[JSONObject]:
    """The keys of a JWKS file, each one PyJWT can use; KeyFileUnreadable (saying `remedy`) for anything else."""
    try:
        keys = json.loads(jwks_file.read_text())["keys"]
        jwt.PyJWKSet(keys)  # refuses an empty set, or one with a key it cannot use
    except (ValueError, TypeError, KeyError, AttributeError, jwt.PyJWTError):  # not UTF-8, JSON, a key set
        raise KeyFileUnreadable(
            f'{jwks_file} is not a key set of usable public keys (JSON {{"keys": [...]}}, '
            f"empty or damaged): {remedy}"
        ) from None
    return keys


def create_issuer_keys(private_key_file: Path, jwks_file: Path) -> bool:
    """HQ's signing key (owner-only, never overwritten) and its public JWKS (written with a new key, and again
    from the key when missing). True when the key was created."""
    created = create_signing_key(private_key_file)
    if created or not jwks_file.exists():
        jwks_file.write_text(
            json.dumps({"keys": [public_jwk(load_public_key(private_key_file, "HQ"))]}, indent=2)
        )
    return created
