"""Personal data at rest (PIPL, R-29): events encrypted with the library's AES-GCM cipher, read-model documents
masked with the full document sealed beside them, searchable numbers as keyed hashes (blind indexes).

Rotation: a new key goes in `CRM_CIPHER_KEY` and the old one moves to `CRM_CIPHER_OLD_KEYS`; everything written
from then on uses the new key, everything written before stays readable (keep old keys as long as events they
encrypted are kept), and `crm projections rebuild` re-seals the read models under the new key. Blind indexes
have their own key (`<node>.index.key`), so lookups by number keep working across a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Cipher
from eventsourcing.utils import Environment

CIPHER_TOPIC = "shared.persistence.protection:RotatingAESCipher"


class RotatingAESCipher(AESCipher):
    """The library's AES-GCM cipher, which also reads what older keys (`CIPHER_OLD_KEYS`) encrypted."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        olds = [k for k in (environment.get("CIPHER_OLD_KEYS") or "").split(",") if k.strip()]
        self.old = [AESCipher(Environment(env={"CIPHER_KEY": k.strip()})) for k in olds]

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return super().decrypt(ciphertext)
        except ValueError:
            for old in self.old:
                try:
                    return old.decrypt(ciphertext)
                except ValueError:
                    continue
            raise


def mask_certificate(number: str) -> str:
    """440106********123X: region and the last four kept, the birth date and sequence hidden."""
    if "*" in number:
        return number  # masked already
    return (
        number[:6] + "*" * max(0, len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)
    )


def mask_phone(number: str) -> str:
    """138****8000."""
    if "*" in number:
        return number  # masked already
    digits = re.sub(r"\D", "", number)
    return digits[:3] + "*" * max(0, len(digits) - 7) + digits[-4:] if len(digits) > 7 else "*" * len(digits)


PHONE_KEYS = frozenset({"phoneNumber", "phone"})
CERTIFICATE_KEYS = frozenset({"certificateNumber"})  # an event's attribute, as audit exports name it


def _masker_of(field_path: str) -> Callable[[str], str] | None:
    """How to mask a value named by its path (`contactMedium[0].characteristic.phoneNumber`), as audit trails
    name changed fields."""
    if field_path.endswith("certificate.number") or field_path.rsplit(".", 1)[-1] in CERTIFICATE_KEYS:
        return mask_certificate
    return mask_phone if field_path.rsplit(".", 1)[-1] in PHONE_KEYS else None


def _mask_change(change: dict[str, Any]) -> dict[str, Any]:
    masker = _masker_of(change["field"])
    if masker is None:
        return change
    return {
        **change,
        **{side: masker(change[side]) for side in ("before", "after") if isinstance(change[side], str)},
    }


def mask(document: object) -> object:
    """A copy of a document with every certificate number and phone number masked, wherever they stand."""
    if isinstance(document, list):
        return [mask(item) for item in document]
    if not isinstance(document, dict):
        return document
    if isinstance(document.get("field"), str) and {"before", "after"} <= document.keys():
        return _mask_change(document)
    out: dict[str, object] = {}
    for key, value in document.items():
        if key in PHONE_KEYS and isinstance(value, str):
            out[key] = mask_phone(value)
        elif key in CERTIFICATE_KEYS and isinstance(value, str):
            out[key] = mask_certificate(value)
        elif key == "certificate" and isinstance(value, dict) and isinstance(value.get("number"), str):
            out[key] = {**value, "number": mask_certificate(value["number"])}
        else:
            out[key] = mask(value)
    return out


class Protection:
    """One node's sealing and blind indexes, from its cipher (each node has its own key)."""

    def __init__(self, cipher: Cipher, index_key: bytes) -> None:
        self.cipher = cipher
        self.index_key = index_key
        self.log_key = hmac.new(
            index_key, b"crm whole-log chain", hashlib.sha256
        ).digest()  # its own use of the key

    def seal(self, document: object) -> str:
        raw = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.b64encode(self.cipher.encrypt(raw)).decode()

    def unseal(self, sealed: str) -> Any:
        return json.loads(self.cipher.decrypt(base64.b64decode(sealed)))

    def blind(self, value: str | None) -> str | None:
        """A keyed hash: equal values give equal hashes, and without the node's key nothing leads back."""
        if value is None:
            return None
        return hmac.new(self.index_key, value.encode(), hashlib.sha256).hexdigest()[:40]


def create_cipher_key(path: Path) -> bool:
    """A node's AES-256 key for data at rest and, beside it, its blind-index key (kept apart, so that a data key
    rotates without changing how personal numbers are looked up); owner-only, never overwritten."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for key_file in (path, index_key_path(path)):
        key_file.touch(mode=0o600)
        key_file.write_text(AESCipher.create_key(32))
    return True


def index_key_path(cipher_key_path: Path) -> Path:
    return cipher_key_path.with_name(cipher_key_path.name.replace(".cipher.key", ".index.key"))
