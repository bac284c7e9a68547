"""Bearer tokens (JWT, Ed25519 signatures) issued by HQ's staff directory or an external OpenID Connect provider.

Every node validates them offline with the issuers' public keys (a JWKS file), so a province keeps serving while
HQ is away. PyJWT does the cryptography; this module only chooses keys and maps claims.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.roles import Role

ALGORITHMS = ["EdDSA", "ES256"]
NOT_ACCESS = frozenset({"refresh", "id", "offline"})  # our refresh tokens; an OpenID provider's ID/refresh tokens


class InvalidToken(Exception):
    """Missing, expired, forged or for another audience: the caller is not known (401)."""


@dataclass(frozen=True)
class Principal:
    """A signed-in person, as the token says: everything an event records about who acted comes from here."""

    subject: str
    name: str
    role: Role
    province: str
    issuer: str


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer whose tokens this node accepts, with where its claims put the role and province."""

    issuer: str
    audience: str
    keys: jwt.PyJWKSet
    role_claim: str = "role"
    province_claim: str = "province"
    name_claim: str = "name"

    @classmethod
    def from_file(cls, issuer: str, audience: str, jwks_file: Path, **claims: str) -> "TrustedIssuer":
        if not jwks_file.is_file():
            raise FileNotFoundError(f"no public keys for issuer {issuer} at {jwks_file}: run `crm keys init`")
        return cls(issuer, audience, jwt.PyJWKSet.from_json(jwks_file.read_text()), **claims)


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


class TokenValidator:
    def __init__(self, issuers: list[TrustedIssuer]) -> None:
        self.issuers = {i.issuer: i for i in issuers}

    def subject_of_refresh(self, token: str) -> str:
        """The user a refresh token was issued to (it must be one: an access token does not refresh)."""
        claims = self._claims(token)
        if claims.get("typ") != "refresh":
            raise InvalidToken("not a refresh token")
        return str(claims["sub"])

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            trusted = self.issuers.get(str(unverified.get("iss")))
            if trusted is None:
                raise InvalidToken("the token's issuer is not trusted here")
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in trusted.keys.keys if k.key_id == kid), None)
            if key is None:
                raise InvalidToken("the token was not signed with a key of its issuer")
            return jwt.decode(token, key.key, algorithms=ALGORITHMS, audience=trusted.audience,
                              issuer=trusted.issuer, options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None

    def principal(self, token: str) -> Principal:
        claims = self._claims(token)
        trusted = self.issuers[claims["iss"]]
        if str(claims.get("typ", "access")).lower() in NOT_ACCESS:
            raise InvalidToken("only an access token is a bearer token (refresh and ID tokens are not)")
        return Principal(subject=str(claims["sub"]), name=str(_claim(claims, trusted.name_claim) or claims["sub"]),
                         role=_role(_claim(claims, trusted.role_claim)),
                         province=str(_claim(claims, trusted.province_claim) or "").upper(), issuer=trusted.issuer)


def _role(value: Any) -> Role:
    """A role claim is one role or a list of them (an OpenID provider's role list): the first one we know."""
    for candidate in value if isinstance(value, list) else [value]:
        try:
            return Role(candidate)
        except ValueError:
            continue
    raise InvalidToken("the token names no role of this system")


class TokenIssuer:
    """HQ's issuer in the embedded default: signs short-lived access tokens and longer refresh tokens."""

    def __init__(self, private_key_file: Path, issuer: str, audience: str, access_seconds: int,
                 refresh_seconds: int) -> None:
        if not private_key_file.is_file():
            raise FileNotFoundError(f"no signing key at {private_key_file}: run `crm keys init`")
        self.key = serialization.load_pem_private_key(private_key_file.read_bytes(), password=None)
        self.kid = key_id(self.key.public_key())
        self.issuer, self.audience = issuer, audience
        self.access_seconds, self.refresh_seconds = access_seconds, refresh_seconds

    def issue(self, subject: str, name: str, role: str, province: str, kind: str = "access") -> str:
        now = int(time.time())
        ttl = self.access_seconds if kind == "access" else self.refresh_seconds
        claims = {"iss": self.issuer, "aud": self.audience, "sub": subject, "name": name, "role": role,
                  "province": province, "iat": now, "nbf": now, "exp": now + ttl, "jti": uuid.uuid4().hex,
                  "typ": kind}
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})


def key_id(public_key: Any) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()[:16]


def create_issuer_keys(private_key_file: Path, jwks_file: Path) -> bool:
    """An Ed25519 signing key (owner-only) and its public JWKS; nothing is overwritten. True when created."""
    if private_key_file.exists():
        return False
    private_key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    private_key_file.touch(mode=0o600)
    private_key_file.write_bytes(pem)
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    jwks_file.write_text(json.dumps({"keys": [{**jwk, "kid": key_id(key.public_key()), "use": "sig",
                                               "alg": "EdDSA"}]}, indent=2))
    return True

