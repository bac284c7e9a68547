"""Whom a node trusts to have signed a token, and with which key it signs its own: HQ's issuer for anyone in its
directory, each province's issuer for that province's staff only, and an external OpenID provider if configured."""

from __future__ import annotations

from shared.auth.keyring import KeyRing
from shared.auth.tokens import (
    ACCESS,
    HQ_KEYS_REMEDY,
    MACHINE,
    REFRESH,
    TokenIssuer,
    TokenValidator,
    TrustedIssuer,
    jwk_key,
    read_jwks,
)
from shared.domain.json_types import JSONObject
from shared.domain.values import PROVINCES
from shared.settings import Settings


def lifetimes(settings: Settings) -> dict[str, int]:
    return {
        ACCESS: settings.auth_access_seconds,
        REFRESH: settings.auth_refresh_seconds,
        MACHINE: settings.auth_machine_max_seconds,
    }


def issuer_name(settings: Settings, code: str) -> str:
    """`iss` of the tokens a node signs: HQ's is the embedded issuer's name, a province's adds its code."""
    return settings.auth_issuer if code == "HQ" else f"{settings.auth_issuer}/{code}"


def node_issuer(settings: Settings, code: str | None = None) -> TokenIssuer:
    """A node's own issuer (default: this node's): HQ's issuer key, or the province's signing key."""
    code = code or settings.node_code
    path = settings.signing_key_path() if code == "HQ" else settings.province_signing_key_path(code)
    return TokenIssuer(path, issuer_name(settings, code), settings.auth_audience, lifetimes(settings), code)


def hq_public_keys(settings: Settings) -> list[JSONObject]:
    """HQ's issuer keys as this node holds them (<keys>/jwks.json; none without the file)."""
    path = settings.jwks_path()
    return read_jwks(path, HQ_KEYS_REMEDY) if path.is_file() else []


def own_issuer_validator(settings: Settings, issuer: TokenIssuer) -> TokenValidator:
    """Validates the refresh tokens this node issued, and no one else's."""
    key = issuer.public_jwk()
    own = jwk_key(key)
    return TokenValidator(
        [
            TrustedIssuer(
                issuer.issuer,
                issuer.audience,
                lambda kid: own if kid == key["kid"] else None,
                lifetimes(settings),
                embedded=True,
            )
        ]
    )


def validator_for(settings: Settings, keyring: KeyRing) -> TokenValidator:
    """HQ's issuer (its public keys: <keys>/jwks.json), every province's issuer with the keys HQ distributed (each
    for its own province only), and an external OpenID provider when configured."""
    issuers = [
        TrustedIssuer.from_file(
            settings.auth_issuer,
            settings.auth_audience,
            settings.jwks_path(),
            lifetimes(settings),
            embedded=True,
        )
    ]
    issuers += [
        TrustedIssuer(
            issuer_name(settings, code),
            settings.auth_audience,
            keyring.key_of(code),
            lifetimes(settings),
            scope=code,
            embedded=True,
        )
        for code in sorted(PROVINCES)
    ]
    if settings.auth_external_issuer and settings.auth_external_jwks_file:
        issuers.append(
            TrustedIssuer.from_file(
                settings.auth_external_issuer,
                settings.auth_external_audience,
                settings.auth_external_jwks_file,
                {ACCESS: settings.auth_external_max_seconds},
                role_claim=settings.auth_external_role_claim,
                province_claim=settings.auth_external_province_claim,
                name_claim=settings.auth_external_name_claim,
            )
        )
    return TokenValidator(issuers)
