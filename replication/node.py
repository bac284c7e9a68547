"""What runs beside a node's REST API: its log service and one follower per configured upstream."""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
from eventsourcing.persistence import PersistenceError

from replication.follower import Backoff, Follower, Progress, parse_upstreams
from replication.server import LogService, serve_log, stop_log
from shared.domain.errors import NotFound
from shared.domain.json_types import JSONObject

if TYPE_CHECKING:
    from shared.application import CrmApplication

log = logging.getLogger(__name__)


class NodeRuntime:
    # `Any`: a tier's application (HQ's or a province's), a CrmApplication with its own apply_replicated;
    # replication sits below both tiers and cannot name them.
    def __init__(self, app: Any, *, follow: bool = True) -> None:
        self.app = app
        self.follow = follow
        self.server: grpc.Server | None = None
        self.service: LogService | None = None
        self.grpc_port = 0
        self.followers: dict[str, Follower] = {}
        self.upstreams = parse_upstreams(app.settings.upstreams)
        app.follow_upstreams(set(self.upstreams))
        self.audits: dict[str, JSONObject] = {}
        self._auditor: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> NodeRuntime:
        settings = self.app.settings
        self.server, self.service, self.grpc_port = serve_log(
            self.app, settings.grpc_host, settings.grpc_port
        )
        if self.follow:
            self.start_followers()
        return self

    def start_followers(self) -> None:
        for code in self.upstreams:
            self.start_follower(code)
        self.start_auditor()

    def start_auditor(self) -> None:
        """At HQ, every `audit_interval_seconds`, audit each province that is caught up: a changed history is
        found without anyone asking, and reported on the status endpoint."""
        interval = self.app.settings.audit_interval_seconds
        if (
            self.app.settings.tier != "hq" or interval <= 0 or self._auditor is not None
        ):  # HQ keeps the mirrors
            return
        self._auditor = threading.Thread(
            target=self._audit_every, args=(interval,), name="auditor", daemon=True
        )
        self._auditor.start()

    def _audit_every(self, interval: float) -> None:
        while not self._stopping.wait(interval):
            for code, follower in list(self.followers.items()):
                status = follower.status
                if status.state != "streaming" or status.position < status.head_position:
                    continue
                try:
                    self.audit(code)
                except Exception as error:
                    log.warning("audit of %s did not finish: %s", code, error)

    def start_follower(self, code: str) -> Follower:
        old = self.followers.get(code)
        if old is not None and old.is_alive():
            return old
        backoff = Backoff(
            self.app.settings.reconnect_initial_seconds, self.app.settings.reconnect_cap_seconds
        )
        follower = Follower(
            self.app,
            code,
            self.upstreams[code],
            self.app.apply_replicated,
            backoff=backoff,
            batch=self.app.settings.replication_batch,
        )
        self.followers[code] = follower
        follower.start()
        return follower

    def add_upstream(self, code: str, target: str) -> Follower:
        self.upstreams[code] = target
        self.app.follow_upstreams(set(self.upstreams))
        return self.start_follower(code)

    def stop(self) -> None:
        self._stopping.set()
        if self._auditor is not None:
            self._auditor.join(timeout=5)
        for follower in self.followers.values():
            follower.stop()
        for follower in self.followers.values():
            follower.join(timeout=5)
        if self.server is not None and self.service is not None:
            stop_log(self.server, self.service)

    def follower_states(self) -> dict[str, str]:
        return {code: f.status.state for code, f in self.followers.items()}

    def stopped_followers(self) -> list[dict[str, str | None]]:
        """Followers that wait for an operator: the node serves on, but takes nothing more from those upstreams."""
        return [
            {"upstream": code, "reason": f.status.last_error or "stopped", "since": f.status.last_error_at}
            for code, f in list(self.followers.items())
            if f.status.state == "stopped"
        ]

    def status(self) -> JSONObject:
        service = self.service
        chain = service.chain if service else None
        store_error = None
        if chain is not None:
            try:
                chain.extend()
            except PersistenceError as error:  # the store is away: answer from memory, saying so
                store_error = f"{type(error).__name__}: the log head is as last read"
        return {
            "node": self.app.settings.node_code,
            "tier": self.app.settings.tier,
            "log": {  # a province's one share (HQ's); at HQ, each province's share is under destinations
                "headPosition": max((h.position for h in chain.heads.values()), default=0) if chain else 0,
                "runningHash": chain.head_hash.hex() if chain and chain.primary else None,
                "recordedAt": chain.head_recorded_at if chain and chain.primary else None,
                "grpcPort": self.grpc_port,
                "destinations": [  # each follower's share of the log and its own running hash
                    {
                        "destination": d,
                        "headPosition": chain.head(d).position,
                        "runningHash": chain.head(d).hash.hex(),
                        "recordedAt": chain.head(d).recorded_at,
                        "expected": d in self.upstreams,
                        **service.subscribers.connection(d),
                    }
                    for d in self._destinations(service)
                ]
                if chain and service
                else [],
            },
            "upstreams": [
                {**f.view(), "lastAudit": self.audits.get(code)} for code, f in self.followers.items()
            ],
            **({"storeError": store_error} if store_error else {}),
        }

    def _destinations(self, service: LogService) -> list[str]:
        """The nodes that follow this log, not every code a broadcast is addressed to (HQ's catalog goes to each of
        the 31 provinces): those this node follows in turn (expected), those it holds records from, and those that
        subscribed since it started."""
        primary = service.chain.primary
        known = {*self.upstreams, *service.subscribers.seen(), *([primary] if primary else [])}
        with contextlib.suppress(PersistenceError):  # the store is away: the status answers from memory
            known |= _replicated_from(self.app)
        return sorted(known)

    def progress(self) -> dict[str, Progress]:
        """Per upstream: state, position, lag in events and seconds, last message heard (read-only, for gauges)."""
        return {code: follower.progress() for code, follower in list(self.followers.items())}

    def resume(self, code: str) -> JSONObject:
        """An operator's retry of a stopped follower (after fixing or upgrading what stopped it)."""
        if code not in self.upstreams:
            raise NotFound(f"no upstream '{code}'", field="upstream")
        return self.start_follower(code).view()

    def audit(self, code: str) -> JSONObject:
        """Re-read an upstream from the start; a difference stops its follower loudly."""
        if code not in self.upstreams:
            raise NotFound(f"no upstream '{code}'", field="upstream")
        mirror = getattr(self.app, "mirror", None)  # HQ keeps a mirror of each province; a province none
        if mirror is None:
            raise NotFound("this node keeps no mirror of its upstreams", field="upstream")
        result = mirror.audit(code, self.upstreams[code])
        self.audits[code] = {
            "at": datetime.now(UTC).isoformat(),
            "ok": result["ok"],
            "checked": result["checked"],
            "mismatch": result["mismatch"],
        }
        if not result["ok"]:
            follower = self.followers.get(code)
            message = f"audit: {result['mismatch']['reason']} at position {result['mismatch']['position']}"
            log.error("upstream %s failed its audit: %s", code, message)
            if follower is not None:
                follower.stop()
                follower.status.state = "stopped"
                follower.status.last_error = message
        return result


def _replicated_from(app: CrmApplication) -> set[str]:
    """The upstreams whose records this node holds (one row each beside the library's tracking records)."""
    return {row["upstream"] for row in app.queries.rows(f"SELECT upstream FROM {app.upstream_table}")}
