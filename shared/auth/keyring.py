"""The province signing keys a node trusts, each for one province only: its own (a province's key file) and those
HQ distributed (the node's `trusted_key` read model)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jwt

from shared.auth.tokens import jwk_key


@dataclass(frozen=True)
class ProvinceKey:
    province: str
    jwk: Mapping[str, str]


Loader = Callable[[], dict[str, ProvinceKey]]  # kid → key


class KeyRing:
    """Looks a key up by its id; an id it does not hold makes it read the store again, at most every `refresh`
    seconds (a stream of made-up ids costs one query per interval, not one per request)."""

    def __init__(
        self, load: Loader, refresh: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load, self._refresh, self._clock = load, refresh, clock
        self._own: dict[str, ProvinceKey] = {}
        self._keys: dict[str, ProvinceKey] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def hold_own(self, kid: str, key: ProvinceKey) -> None:
        """This province's own key: trusted here from its key file, before HQ has seen it."""
        self._own[kid] = key

    def holds_own(self) -> bool:
        return bool(self._own)

    def drop(self, kid: str) -> None:
        """A key no longer trusted, this province's own included."""
        self._own.pop(kid, None)
        self.reload()

    def reload(self) -> None:
        keys = self._load()
        with self._lock:
            self._keys, self._loaded_at = keys, self._clock()

    def key_of(self, province: str) -> Callable[[str], jwt.PyJWK | None]:
        """The lookup for one province's issuer: a key of another province is not its key."""

        def lookup(kid: str) -> jwt.PyJWK | None:
            entry = self._find(kid)
            return jwk_key(entry.jwk) if entry is not None and entry.province == province else None

        return lookup

    def _find(self, kid: str) -> ProvinceKey | None:
        entry = self._own.get(kid) or self._keys.get(kid)
        if entry is None and self._clock() - self._loaded_at >= self._refresh:
            self.reload()
            entry = self._keys.get(kid)
        return entry

    def published(self) -> dict[str, ProvinceKey]:
        """Every key held (for the node's JWKS document)."""
        with self._lock:
            return {**self._keys, **self._own}
