"""Bounds on the log service's open Subscribe streams: each holds a server thread while it lasts, so no caller may
hold many, and the pool is sized above every bound.

A node that this one serves (known by its certificate) always gets through: its newest stream replaces its oldest,
which is then a reconnect's stale predecessor (or a thief's, who holds the node's key anyway). Callers without a
certificate (plaintext development links) are refused beyond their own and the shared limit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.domain.json_types import JSONObject


class Refused(Exception):
    """No stream for this caller now (RESOURCE_EXHAUSTED)."""


@dataclass(eq=False)
class Stream:
    peer: str
    certified: bool
    superseded: threading.Event = field(default_factory=threading.Event)


class StreamLimits:
    def __init__(self, per_peer: int, shared: int) -> None:
        self.per_peer = per_peer
        self.shared = shared
        self._open: dict[str, list[Stream]] = {}
        self._uncertified = 0
        self._lock = threading.Lock()

    @staticmethod
    def threads(serves: int, per_peer: int, shared: int, spare: int) -> int:
        """Pool size: each served node's streams, including those superseded but not yet ended, the shared ones
        and spare threads for Head calls — so streams never take the last thread."""
        return serves * 2 * per_peer + shared + spare

    def admit(self, peer: str, certified: bool) -> tuple[Stream, bool]:
        """A stream for `peer`, and whether an older one of its was superseded (its thread must be woken)."""
        with self._lock:
            held = self._open.setdefault(peer, [])
            live = [s for s in held if not s.superseded.is_set()]
            superseded = False
            if certified:
                if len(held) >= 2 * self.per_peer:  # superseded streams that have not ended: stuck writes
                    raise Refused(f"{peer} holds {len(held)} streams that have not ended yet")
                for old in live[: max(0, len(live) - self.per_peer + 1)]:
                    old.superseded.set()
                    superseded = True
            elif len(held) >= self.per_peer:
                raise Refused(
                    f"{peer} already holds {len(held)} streams (at most {self.per_peer} per caller)"
                )
            elif self._uncertified >= self.shared:
                raise Refused(
                    f"this node serves at most {self.shared} streams to callers without a node certificate"
                )
            else:
                self._uncertified += 1
            stream = Stream(peer, certified)
            held.append(stream)
            return stream, superseded

    def release(self, stream: Stream) -> None:
        with self._lock:
            held = self._open.get(stream.peer, [])
            if stream in held:
                held.remove(stream)
                if not stream.certified:
                    self._uncertified -= 1
            if not held:
                self._open.pop(stream.peer, None)

    def held(self, peer: str) -> int:
        with self._lock:
            return len(self._open.get(peer, []))


class Subscribers:
    """Which nodes follow this log, as an operator asks: streams open now per node, and when each last subscribed
    (since this process started)."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def opened(self, code: str) -> None:
        with self._lock:
            self._open[code] = self._open.get(code, 0) + 1
            self._last[code] = datetime.now(UTC).isoformat()

    def closed(self, code: str) -> None:
        with self._lock:
            self._open[code] = max(0, self._open.get(code, 0) - 1)

    def seen(self) -> set[str]:
        with self._lock:
            return set(self._last)

    def connection(self, code: str) -> JSONObject:
        """`connected` (a stream open now), `disconnected` (followed earlier) or `neverConnected` (not since this
        node started), and when it last subscribed."""
        with self._lock:
            last = self._last.get(code)
            state = "connected" if self._open.get(code) else "disconnected" if last else "neverConnected"
            return {"connection": state, "lastConnectedAt": last}
