"""Database faults (issue 9): a PostgreSQL database refusing connections (the server never stopped) gives quick 503s
with `Retry-After`, liveness stays apart from readiness, and everything recovers by itself with nothing lost; a
missing database is created at start-up, an unreachable one named in a clear error at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest

from crm.ports import free_port
from province.customers.schemas import CustomerCreate
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from shared.persistence.databases import connect
from tests.support.auth import keys_dir, staff
from tests.support.factories import BY, individual
from tests.support.nodes import channel_as, eventually, node_env, start_node
from tests.support.processes import REPO, process_cluster
from tests.support.stores import admin_settings, refusing_connections, require_postgres

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
BOUND = 2.0  # seconds: what the issue demands of an answer while the database is away


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def assert_unavailable(response: httpx.Response, seconds: float) -> None:
    assert response.status_code == 503, response.text
    assert seconds < BOUND, seconds
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    assert set(body) >= {"code", "reason", "field"} and body["code"] == "storeUnavailable", body


def replication_heads(nodes: dict[str, Any]) -> tuple[int, int]:
    """GD's log head and how far HQ's follower of GD has come."""
    gd_head = nodes["GD"].get("/replication/status")["log"]["headPosition"]
    upstreams = nodes["HQ"].get("/replication/status")["upstreams"]
    return gd_head, next(u["position"] for u in upstreams if u["upstream"] == "GD")


def test_a_database_refusing_connections_gives_quick_503s_then_recovers_with_nothing_lost(tmp_path):
    require_postgres()
    with process_cluster("postgres", tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        kept = gd.send("POST", CUSTOMERS, individual(name="李四"), expect=201)
        eventually(lambda: (heads := replication_heads(nodes))[0] == heads[1] > 0)

        with refusing_connections(gd.settings.database_name):
            patch = {"name": "王五"}
            for call in (
                lambda: gd.http.post(CUSTOMERS, json=individual()),
                lambda: gd.http.patch(
                    f"{CUSTOMERS}/{kept['id']}",
                    content=json.dumps(patch),
                    headers={"Content-Type": "application/merge-patch+json"},
                ),
                lambda: gd.http.get(CUSTOMERS),
                lambda: gd.http.get(f"{CUSTOMERS}/{kept['id']}"),
                lambda: gd.http.get("/replication/status"),
            ):  # its token check reads the staff table
                assert_unavailable(*timed(call))
            live, seconds = timed(lambda: gd.http.get("/health/live"))
            assert live.status_code == 200 and seconds < 1.0, (live.text, seconds)
            for path in ("/health/ready", "/health"):
                ready, seconds = timed(lambda: gd.http.get(path))
                assert ready.status_code == 503 and ready.json()["status"] == "down" and seconds < BOUND
                assert ready.headers["Retry-After"]
            hq_ready = hq.http.get(
                "/health/ready"
            )  # HQ's own store is fine: HQ stays ready and says how GD is
            assert hq_ready.status_code == 200 and "GD" in hq_ready.json()["followers"]
            assert hq.get("/replication/status")["upstreams"][0]["upstream"] == "GD"

        back = time.monotonic()
        eventually(lambda: gd.http.get("/health/ready").status_code == 200, timeout=15, interval=0.1)
        print(f"ready again {time.monotonic() - back:.1f}s after the database accepted connections")
        assert (
            gd.get(f"{CUSTOMERS}/{kept['id']}")["name"] == "李四"
        )  # kept; the refused change never happened
        gd.send("POST", CUSTOMERS, individual(), expect=201)
        assert len(gd.get(CUSTOMERS)) == 2
        eventually(lambda: (heads := replication_heads(nodes))[0] == heads[1], timeout=20)


def test_liveness_and_readiness_on_both_stores(client, province, store):
    live = client.get("/health/live")
    assert live.status_code == 200 and live.json()["status"] == "up"
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["store"] == store
    health = client.get("/health").json()
    assert health["status"] == "up" and health["lastEventPosition"] == province.head_position() > 0


def serve_command(dbname: str, tmp_path: Any, **env: Any) -> tuple[list[str], dict[str, str]]:
    settings = admin_settings().model_copy(
        update={"pg_dbname": dbname, "data_dir": tmp_path, "keys_dir": keys_dir()}
    )
    return (
        [
            sys.executable,
            "-m",
            "crm.cli",
            "province",
            "serve",
            "--code",
            "GD",
            "--store",
            "postgres",
            "--port",
            str(env.pop("http_port", free_port())),
            "--grpc-port",
            str(free_port()),
        ],
        node_env(settings.model_copy(update={"node_code": "GD", "tier": "province"}), upstreams="", **env),
    )


def database_exists(dbname: str) -> bool:
    with connect(admin_settings(), "postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is not None


def test_a_missing_database_is_created_when_the_node_starts(tmp_path):
    require_postgres()
    dbname = f"crm_test_{uuid.uuid4().hex[:12]}"
    port = free_port()
    command, env = serve_command(dbname, tmp_path, http_port=port)
    node = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        eventually(lambda: _ready(port, node), timeout=60, interval=0.2)
        assert database_exists(dbname)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=staff()) as http:
            assert http.post(CUSTOMERS, json=individual()).status_code == 201
    finally:
        node.terminate()
        output = node.communicate(timeout=20)[0]
        with connect(admin_settings(), "postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    assert f"created PostgreSQL database '{dbname}'" in output


def test_an_unreachable_database_is_named_in_a_clear_error_within_5_seconds(tmp_path):
    dbname = f"crm_test_{uuid.uuid4().hex[:12]}"
    closed_port = free_port()  # nothing listens there
    command, env = serve_command(dbname, tmp_path, pg_port=closed_port)
    start = time.monotonic()
    node = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=30)
    seconds = time.monotonic() - start
    assert node.returncode != 0 and seconds < 5.0, (node.returncode, seconds, node.stderr)
    assert f"'{dbname}'" in node.stderr and f"127.0.0.1:{closed_port}" in node.stderr, node.stderr
    assert "Traceback" not in node.stderr


def _ready(port: int, node: subprocess.Popen) -> bool:
    assert node.poll() is None, node.communicate()[0]
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_database_refusing_connections_makes_the_log_service_unavailable_not_unknown(tmp_path, caplog):
    """During an outage the province's Head and Subscribe let store errors escape: tracebacks, and HQ saw UNKNOWN."""
    require_postgres()
    with start_node("postgres", tmp_path, "GD") as gd, channel_as("HQ", gd.target, "GD") as channel:
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual()), BY)
        stub = pb_grpc.NotificationLogStub(channel)
        head = stub.Head(pb.HeadRequest(follower="HQ"), timeout=10).position
        assert head > 0
        with refusing_connections(gd.app.settings.database_name):
            calls = {
                "Head": lambda: stub.Head(pb.HeadRequest(follower="HQ"), timeout=15),
                "Subscribe": lambda: list(
                    stub.Subscribe(pb.SubscribeRequest(follower="HQ", tail=False), timeout=15)
                ),
            }
            for name, call in calls.items():
                with pytest.raises(grpc.RpcError) as refused:
                    call()
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, (name, refused.value.details())
                assert "store" in refused.value.details()
        assert not [r for r in caplog.records if r.exc_info], [
            r.getMessage() for r in caplog.records if r.exc_info
        ]

        def answers() -> bool:
            try:
                return stub.Head(pb.HeadRequest(follower="HQ"), timeout=10).position == head
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNAVAILABLE, error.details()  # until it is back
                return False

        eventually(answers, timeout=15)
