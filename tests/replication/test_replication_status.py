"""`/replication/status` as an operator reads it: an error the follower recovered from is no longer its last error,
and HQ lists the provinces that follow it (or that it expects), not every code its catalog is addressed to. Real
nodes, real gRPC on loopback, both stores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from crm.bootstrap import open_province, rest_api, run_node
from crm.ports import free_port
from province.customers.schemas import CustomerCreate
from tests.support.auth import staff
from tests.support.factories import BY, individual
from tests.support.nodes import Node, cluster, eventually


@contextmanager
def status_of(node: Node) -> Iterator[TestClient]:
    """The node's REST API as its operator calls it."""
    with TestClient(
        rest_api(node.app, node.runtime), headers=staff("systemAdmin", "HQ", "ops.desk")
    ) as client:
        yield client


def upstream(client: TestClient, code: str) -> dict:
    return next(u for u in client.get("/replication/status").json()["upstreams"] if u["upstream"] == code)


def test_last_error_is_cleared_once_the_follower_streams_again_and_kept_as_the_previous_error(
    store, tmp_path
):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        settings, grpc_port = gd.app.settings, gd.runtime.grpc_port
        gd.runtime.stop()
        gd.app.close()
        gd.runtime.stop = gd.app.close = lambda: None  # stopped here, not by the cluster's exit
        with status_of(hq) as client:
            down = eventually(
                lambda: (u := upstream(client, "GD"))["state"] != "streaming" and u["lastError"] and u
            )
            back = open_province(settings.model_copy(update={"grpc_port": grpc_port}))
            runtime = run_node(back, follow=False).runtime
            try:
                back.customers.register_customer(CustomerCreate.model_validate(individual(grade="2A")), BY)
                eventually(lambda: hq.app.registry.list_national_customers().total == 1, timeout=30)
                again = eventually(lambda: (u := upstream(client, "GD"))["state"] == "streaming" and u)
            finally:
                runtime.stop()
                back.close()
    assert again["lastError"] is None and again["lastErrorAt"] is None
    assert again["previousError"] and again["previousErrorAt"]
    assert again["previousErrorAt"] >= down["lastErrorAt"]  # the last of the outage's errors, not a stale one


def test_hq_lists_the_provinces_that_follow_it_and_marks_one_expected_that_never_connected(store, tmp_path):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        hq = nodes["HQ"]
        hq.runtime.add_upstream("SH", f"127.0.0.1:{free_port()}")  # in the cluster, never started
        with status_of(hq) as client:

            def destinations() -> dict[str, dict]:
                log = client.get("/replication/status").json()["log"]
                return {d["destination"]: d for d in log["destinations"]}

            connected = eventually(
                lambda: (
                    (d := destinations())["GD"]["connection"] == "connected"
                    and d["BJ"]["connection"] == "connected"
                    and d
                )
            )
            assert set(connected) == {"GD", "BJ", "SH"}
            assert all(d["expected"] for d in connected.values())
            assert (
                connected["SH"]["connection"] == "neverConnected"
                and connected["SH"]["lastConnectedAt"] is None
            )
            assert (
                connected["GD"]["lastConnectedAt"] and connected["GD"]["headPosition"] > 0
            )  # its catalog share
            nodes["BJ"].follower("HQ").stop()
            assert eventually(lambda: destinations()["BJ"]["connection"] == "disconnected")
        with status_of(nodes["GD"]) as client:
            own = client.get("/replication/status").json()["log"]["destinations"]
        assert [(d["destination"], d["expected"], d["connection"]) for d in own] == [
            ("HQ", True, "connected")
        ]
