"""Test staff: one issuer key pair for the whole test run, and tokens for any role and province."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

from shared.auth.tokens import TokenIssuer, create_issuer_keys
from shared.persistence.protection import create_cipher_key
from replication.tls import create_certificates
from shared.domain.values import PROVINCES

ISSUER, AUDIENCE = "crm-hq", "crm"


@lru_cache
def keys_dir() -> Path:
    """Where the run's issuer keys live (created once); node settings point their JWKS here."""
    directory = Path(tempfile.mkdtemp(prefix="crm-test-keys-"))
    create_issuer_keys(directory / "issuer.pem", directory / "jwks.json")
    for code in (*PROVINCES, "HQ"):  # each node its own data key, as in production
        create_cipher_key(directory / f"{code.lower()}.cipher.key")
    create_certificates(directory / "tls", ["HQ", *sorted(PROVINCES)])
    return directory


@lru_cache
def issuer() -> TokenIssuer:
    return TokenIssuer(keys_dir() / "issuer.pem", ISSUER, AUDIENCE, access_seconds=3600, refresh_seconds=7200)


def token(role: str = "provinceAdmin", province: str = "GD", subject: str = "zhang.san", name: str = "张三") -> str:
    return issuer().issue(subject, name, role, province)


def staff(role: str = "provinceAdmin", province: str = "GD", subject: str = "zhang.san", name: str = "张三",
          channel: str = "businessHall") -> dict[str, str]:
    """Request headers of a signed-in staff member."""
    return {"Authorization": f"Bearer {token(role, province, subject, name)}", "X-Channel": channel}
