"""Prometheus metrics of one node: its own registry (tests run several nodes in one process), request counters
and latency by route template, store errors, and live values read on each scrape: the node's log head, the
upstream records it kept as orphans and, per upstream, the follower's position, lag and state."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg
import psycopg_pool
from eventsourcing import persistence
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shared.persistence.availability import StoreUnavailable

if TYPE_CHECKING:
    from shared.application import CrmApplication

disable_created_metrics()  # the *_created series double every counter and tell an operator nothing here

FOLLOWER_STATES = ("starting", "connecting", "streaming", "disconnected", "stopped")
STORE_ERRORS = (
    persistence.OperationalError,
    persistence.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg_pool.PoolTimeout,
    sqlite3.OperationalError,
    StoreUnavailable,
)


def is_store_error(error: BaseException | None) -> bool:
    """The store could not be reached or used (not a conflict, not bad input), here or anywhere in the chain."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, STORE_ERRORS):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


class NodeMetrics:
    def __init__(self, application: CrmApplication, runtime: Callable[[], object]) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "crm_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "crm_http_request_duration_seconds",
            "Time to answer, by method and route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.store_errors = Counter(
            "crm_store_errors",
            "Operations that failed because the store was unreachable or refused to work",
            registry=self.registry,
        )
        self.registry.register(NodeCollector(application, runtime, self.store_errors))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class NodeCollector(Collector):
    """Read at scrape time, so the numbers are the node's, not a copy that could drift."""

    def __init__(
        self, application: CrmApplication, runtime: Callable[[], object], store_errors: Counter
    ) -> None:
        self.application = application
        self.runtime = runtime
        self.store_errors = store_errors

    def collect(self) -> Iterator[Metric]:
        settings = self.application.settings
        info = GaugeMetricFamily(
            "crm_node_info", "This node: code, tier and store", labels=["node", "tier", "store"]
        )
        info.add_metric([settings.node_code, settings.tier, settings.store], 1)
        yield info
        try:
            head = self.application.head_position()
            orphans = self.application.orphans_by_upstream()
        except Exception as error:
            if not is_store_error(error):
                raise
            self.store_errors.inc()
        else:
            yield GaugeMetricFamily(
                "crm_events_head_position",
                "Position of the last event recorded in this node's store (events recorded so far)",
                value=head,
            )
            kept = CounterMetricFamily(
                "crm_replication_orphans",
                "Upstream records kept here as orphans, not "
                "applied: they refer to something this node does not hold",
                labels=["upstream"],
            )
            followed = getattr(self.runtime(), "followers", None) or {}
            for code in sorted({*orphans, *followed}):  # 0 for every upstream followed, so an increase shows
                kept.add_metric([code], orphans.get(code, 0))
            yield kept
        yield from self._followers()

    def _followers(self) -> Iterator[Metric]:
        runtime = self.runtime()
        followers = dict(getattr(runtime, "followers", None) or {})
        gauges = {
            "position": GaugeMetricFamily(
                "crm_replication_position", "Last upstream position applied here", labels=["upstream"]
            ),
            "headPosition": GaugeMetricFamily(
                "crm_replication_upstream_head_position",
                "The upstream's head position as last heard",
                labels=["upstream"],
            ),
            "lagEvents": GaugeMetricFamily(
                "crm_replication_lag_events", "Upstream events not yet applied here", labels=["upstream"]
            ),
            "lagSeconds": GaugeMetricFamily(
                "crm_replication_lag_seconds",
                "Recording time of the upstream's head minus that of the last event applied here",
                labels=["upstream"],
            ),
        }
        counters = {
            "appliedEvents": CounterMetricFamily(
                "crm_replication_applied_events",
                "Events applied from the upstream since this process started",
                labels=["upstream"],
            ),
            "reconnects": CounterMetricFamily(
                "crm_replication_reconnects",
                "Times the follower reconnected since this process started",
                labels=["upstream"],
            ),
        }
        silence = GaugeMetricFamily(
            "crm_replication_last_message_age_seconds",
            "Seconds since the upstream last "
            "sent anything (batch or keepalive), where the follower reports it",
            labels=["upstream"],
        )
        state = GaugeMetricFamily(
            "crm_replication_follower_state",
            "1 for the follower's current state",
            labels=["upstream", "state"],
        )
        families: list[tuple[str, GaugeMetricFamily | CounterMetricFamily]] = [
            *gauges.items(),
            *counters.items(),
        ]
        for code, follower in sorted(followers.items()):
            view = follower.view()
            for key, family in families:
                value = view.get(key)
                if isinstance(value, (int, float)):
                    family.add_metric([code], value)
            age = _age_seconds(view.get("lastMessageAt"))
            if age is not None:
                silence.add_metric([code], age)
            current = view.get("state")
            for name in dict.fromkeys((*FOLLOWER_STATES, current)):
                if name:
                    state.add_metric([code, name], 1 if name == current else 0)
        yield from gauges.values()
        yield from counters.values()
        yield silence
        yield state


def _age_seconds(moment: object) -> float | None:
    if not isinstance(moment, str) or not moment:
        return None
    try:
        then = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if then.tzinfo is None:
        return None
    return max(0.0, (datetime.now(UTC) - then).total_seconds())
