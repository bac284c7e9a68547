"""Test nodes, built by `crm.bootstrap`: real applications on real stores, real gRPC servers on loopback ports
(`crm.ports`), clusters of them; HQ alone behind its API; what a node has recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from crm.bootstrap import Node, api_alone, open_application, open_hq, run_node
from crm.ports import free_port
from hq.application import HqApplication
from province.application import ProvinceApplication
from tests.support.auth import keys_dir, seat_test_managers
from tests.support.stores import node_settings


def eventually(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {predicate}")
        time.sleep(interval)


@contextmanager
def start_node(store: str, tmp_path: Path, code: str, **settings: Any) -> Iterator[Node]:
    tier = "hq" if code == "HQ" else "province"
    grpc_port = settings.pop("grpc_port", None) or free_port()
    with node_settings(
        store,
        tmp_path,
        code,
        tier=tier,
        grpc_port=grpc_port,
        reconnect_initial_seconds=0.05,
        reconnect_cap_seconds=0.5,
        **settings,
    ) as s:
        app = open_application(s)
        try:
            if tier == "province":
                seat_test_managers(app)
            node = run_node(app)
        except BaseException:
            app.close()
            raise
        try:
            yield node
        finally:
            node.stop()


@contextmanager
def cluster(store: str, tmp_path: Path, provinces: tuple[str, ...] = ("GD",)) -> Iterator[dict[str, Node]]:
    """HQ following every province; every province following HQ, and holding HQ's whole route table."""
    with ExitStack() as stack:
        nodes = {code: stack.enter_context(start_node(store, tmp_path, code)) for code in provinces}
        hq = stack.enter_context(start_node(store, tmp_path, "HQ"))
        for code, node in nodes.items():
            hq.runtime.add_upstream(code, node.target)
            node.runtime.add_upstream("HQ", hq.target)
        for node in nodes.values():  # each addition changed it: an order must not meet an older one
            wait_for_routes(node, provinces)
        nodes["HQ"] = hq
        yield nodes


def wait_for_routes(node: Node, provinces: tuple[str, ...]) -> None:
    eventually(
        lambda: (
            (routes := node.app.routes.hq_routes()) is not None and set(routes.provinces) == set(provinces)
        )
    )


def node_env(settings: Any, **extra: Any) -> dict[str, str]:
    """The environment a node subprocess needs to run on the same store as `settings`."""
    import os

    env = {
        **os.environ,
        "CRM_STORE": settings.store,
        "CRM_DATA_DIR": str(settings.data_dir),
        "CRM_PG_DBNAME": settings.pg_dbname,
        "CRM_NODE_CODE": settings.node_code,
        "CRM_TIER": settings.tier,
        "CRM_KEYS_DIR": str(settings.keys_path()),
    }
    env.update({f"CRM_{k.upper()}": str(v) for k, v in extra.items()})
    return env


def channel_as(code: str, target: str, peer: str) -> Any:
    """A gRPC channel to `peer`'s log at `target`, presenting node `code`'s certificate (the test CA's)."""
    from replication.tls import secure_channel
    from shared.settings import Settings

    return secure_channel(Settings(node_code=code, keys_dir=keys_dir()), target, peer, [])


def event_count(app: ProvinceApplication | HqApplication) -> int:
    """How many events the node has recorded: a rejected command must leave this unchanged."""
    return app.head_position()


@contextmanager
def hq_alone(store: str, tmp_path: Path, **overrides: object) -> Iterator[tuple[HqApplication, TestClient]]:
    """HQ on its own store, following nobody: the application and a client of its API (no token set)."""
    with node_settings(store, tmp_path / "hq", "HQ", tier="hq", **overrides) as settings:
        hq = open_hq(settings)
        try:
            with TestClient(api_alone(hq)) as client:
                yield hq, client
        finally:
            hq.close()


def personal_reads(app: ProvinceApplication | HqApplication, after: int) -> list[tuple[str, list[str], str]]:
    """The personal-data reads recorded after this position: (resource, whose data, by whom)."""
    notifications = app.recorder.select_notifications(start=after + 1, limit=10_000)
    reads = [
        app.mapper.to_domain_event(n) for n in notifications if n.topic.endswith("PersonalDataRead.Recorded")
    ]
    return [(read.resource, read.subjects, read.by.actor) for read in reads]
