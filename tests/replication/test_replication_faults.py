"""Replication under hostile callers and faults: bounded streams, validated requests, a frozen upstream noticed,
a poison record stopping only its own follower."""

from __future__ import annotations

import logging
import shutil
import signal
import time
import uuid

import grpc
import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from crm.bootstrap import api_alone, open_hq, rest_api
from crm.ports import free_port
from province.customers.schemas import CustomerCreate
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from replication.tls import create_certificates, secure_channel
from shared.classification import ReplicationChannel
from shared.settings import Settings
from tests.support.auth import keys_dir, staff
from tests.support.factories import BY, individual
from tests.support.nodes import channel_as, cluster, eventually, start_node
from tests.support.processes import NodeProcess
from tests.support.stores import node_settings

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
OPS = staff("systemAdmin", "HQ", "ops")


def _tail(channel, follower: str, after: int = 0, **fields):
    return pb_grpc.NotificationLogStub(channel).Subscribe(
        pb.SubscribeRequest(after_position=after, tail=True, follower=follower, **fields)
    )


def _refusal(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as refused:
        next(call)
    return refused.value.code(), refused.value.details()


def test_fifty_idle_tails_from_strangers_do_not_delay_hqs_follower(store, tmp_path):
    with start_node(store, tmp_path, "GD") as gd, start_node(store, tmp_path, "HQ") as hq:
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        head = gd.runtime.service.chain.extend()
        stranger = Settings(node_code="XX", keys_dir=tmp_path / "stranger")  # the cluster's CA, but no node
        shutil.copytree(
            keys_dir() / "tls",
            stranger.keys_path() / "tls",
            ignore=lambda _, names: [n for n in names if not n.startswith("ca.")],
        )
        create_certificates(stranger.keys_path() / "tls", ["XX"])
        with (
            secure_channel(stranger, gd.target, "GD", []) as alien,
            channel_as("HQ", gd.target, "GD") as stale,
        ):
            refused = [_tail(alien, "") for _ in range(50)]
            held = [_tail(stale, "HQ", head) for _ in range(50)]  # a stale HQ process's idle tails, say
            assert {_refusal(call)[0] for call in refused} == {grpc.StatusCode.PERMISSION_DENIED}
            eventually(
                lambda: sum(not call.done() for call in held) <= gd.app.settings.replication_streams_per_peer
            )
            ended = [call for call in held if call.done()]
            assert {call.code() for call in ended} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
            assert all("superseded" in call.details() or "not ended yet" in call.details() for call in ended)

            hq.runtime.add_upstream("GD", gd.target)  # HQ's follower connects while the tails are held
            gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="2A")), BY)
            eventually(lambda: hq.app.registry.list_national_customers().total == 2, timeout=5)
            assert hq.follower("GD").status.state == "streaming"
            for call in held:
                call.cancel()


def test_callers_without_a_certificate_are_bounded_per_peer_and_in_all(store, tmp_path):
    with start_node(store, tmp_path, "HQ", replication_plaintext=True, replication_max_streams=3) as hq:
        with grpc.insecure_channel(hq.target) as channel:
            gd = [_tail(channel, "GD", heartbeat_ms=100) for _ in range(2)]
            for call in gd:
                next(call)  # open: a batch or a heartbeat arrives
            assert _refusal(_tail(channel, "GD")) == (
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "GD@ipv4:127.0.0.1 already holds 2 streams (at most 2 per caller)",
            )
            bj = _tail(channel, "BJ", heartbeat_ms=100)
            next(bj)
            code, reason = _refusal(_tail(channel, "SH"))
            assert code is grpc.StatusCode.RESOURCE_EXHAUSTED and "at most 3 streams" in reason
            gd[0].cancel()
            eventually(lambda: hq.runtime.service.limits.held("GD@ipv4:127.0.0.1") == 1)
            assert next(_tail(channel, "GD", heartbeat_ms=100)) is not None


def test_request_fields_out_of_range_are_invalid_argument_and_not_logged_whole(store, tmp_path, caplog):
    with start_node(store, tmp_path, "GD") as gd:
        for grade in ("1A", "2A", "3A"):
            gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade=grade)), BY)
        long_name = "H" * 1_000_000
        with channel_as("HQ", gd.target, "GD") as channel:
            stub = pb_grpc.NotificationLogStub(channel)

            def subscribe(**fields):
                request = pb.SubscribeRequest(**{"follower": "HQ", "tail": False, **fields})
                return list(stub.Subscribe(request, timeout=5))

            for field, value in [
                ("max_batch", -1),
                ("max_batch", 5001),
                ("max_batch", 2**31 - 1),
                ("after_position", -1),
                ("after_position", 2**63 - 1),
                ("heartbeat_ms", -5),
                ("heartbeat_ms", 10**6),
                ("follower", "ZZ"),
                ("follower", "HQ\x00"),
                ("follower", long_name),
            ]:
                with pytest.raises(grpc.RpcError) as refused:
                    subscribe(**{field: value})
                assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT, (field, value)
                assert refused.value.details().startswith(field) and len(refused.value.details()) < 200
            with pytest.raises(grpc.RpcError) as refused:
                stub.Head(pb.HeadRequest(follower="ZZ"), timeout=5)
            assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            # seven public records: three customers, their accounts, and the province's signing key
            assert len(subscribe(max_batch=0)) == 1  # 0: the server's default batch holds all seven
            assert len(subscribe(max_batch=1)) == 7 == len(subscribe(max_batch=1, after_position=0))
        logged = [r.getMessage() for r in caplog.records if r.name.startswith("replication")]
        assert any("'HHHHHHHHHHHHHHHH' (+999984 characters)" in line for line in logged)
        assert max(len(line) for line in logged) < 500


def _status(client: TestClient) -> dict:
    return client.get("/replication/status").json()["upstreams"][0]


def test_a_frozen_upstream_is_reported_within_15_s_then_caught_up(store, tmp_path):
    with node_settings(store, tmp_path, "GD") as gd_settings, start_node(store, tmp_path, "HQ") as hq:
        gd = NodeProcess(gd_settings, free_port(), free_port(), "", tmp_path / "gd.log").start()
        try:
            gd.send("POST", CUSTOMERS, individual(grade="1A"), expect=201)
            hq.runtime.add_upstream("GD", gd.target)
            eventually(lambda: hq.app.registry.list_national_customers().total == 1)
            api = rest_api(hq.app, hq.runtime)
            with TestClient(api, headers=OPS) as client:
                assert _status(client)["state"] == "streaming" and _status(client)["lastMessageAt"]
                frozen = time.monotonic()
                gd.process.send_signal(signal.SIGSTOP)
                try:
                    seen = []
                    while _status(client)["state"] == "streaming" and time.monotonic() - frozen < 20:
                        seen.append((time.monotonic() - frozen, _status(client)))
                        time.sleep(0.2)
                    noticed = time.monotonic() - frozen
                    view = _status(client)
                    progress = hq.runtime.progress()["GD"]
                finally:
                    gd.process.send_signal(signal.SIGCONT)
                assert noticed < 15 and view["state"] != "streaming" and view["lastError"]
                assert hq.follower("GD").status.state in ("disconnected", "connecting")
                # while still "streaming", a frozen upstream shows its silence: never lag 0 for long
                silent_for = hq.app.settings.replication_heartbeat_seconds + 1
                assert all(v["lagSeconds"] > 0 for at, v in seen if at > silent_for)
                assert progress.state != "streaming" and progress.last_message_at == view["lastMessageAt"]
                assert progress.lag_seconds > 0 and progress.lag_events == 0

                gd.send("POST", CUSTOMERS, individual(grade="2A"), expect=201)
                eventually(lambda: hq.app.registry.list_national_customers().total == 2, timeout=30)
                view = _status(client)
                assert view["state"] == "streaming" and view["lagEvents"] == 0 and view["lagSeconds"] == 0
        finally:
            gd.stop()
            gd.http.close()


def _undecodable(gd) -> StoredEvent:
    return StoredEvent(
        originator_id=uuid.uuid4(),
        originator_version=1,
        topic="shared.domain.customer:Customer.Registered",
        state=gd.app.sealed(b"{not json"),
    )


def _newer_type(gd) -> StoredEvent:
    """A type GD publishes after an upgrade HQ has not had yet (GD's public table is one entry ahead)."""
    topic = "shared.domain.customer:Customer.Upgraded"
    service = gd.runtime.service
    service.public = service.chain.public = {**service.public, topic: ReplicationChannel.BUSINESS_DATA}
    return StoredEvent(
        originator_id=uuid.uuid4(),
        originator_version=1,
        topic=topic,
        state=gd.app.sealed(b'{"timestamp": "2026-01-01T00:00:00+00:00"}'),
    )


@pytest.mark.parametrize("poison", [_undecodable, _newer_type], ids=["undecodable", "unknown-type"])
def test_a_poison_record_stops_its_follower_loudly_and_the_others_go_on(store, tmp_path, caplog, poison):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        gd, bj, hq = nodes["GD"], nodes["BJ"], nodes["HQ"]
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        before, mirrored = hq.follower("GD").status.position, hq.app.mirror.count("GD")
        record = poison(gd)
        position = gd.app.recorder.insert_events([record])[0]  # written into GD's store behind its back
        gd.app.customers.register_customer(
            CustomerCreate.model_validate(individual(grade="2A")), BY
        )  # a good record after it

        status = eventually(lambda: (s := hq.follower("GD").status).state == "stopped" and s, timeout=10)
        assert (status.stopped_at_position, status.stopped_at_topic) == (position, record.topic)
        assert f"position {position}" in status.last_error and record.topic in status.last_error
        eventually(
            lambda: not hq.follower("GD").is_alive(), timeout=5
        )  # it ends: no hot loop, it waits for an operator
        assert status.reconnects <= 5
        assert status.position == before and hq.app.mirror.count("GD") == mirrored
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and f"position {position}" in errors[0] and record.topic in errors[0]

        bj.app.customers.register_customer(
            CustomerCreate.model_validate(individual(grade="1A")), BY
        )  # the other provinces go on
        eventually(lambda: hq.app.registry.list_national_customers(province="BJ").total == 1)
        assert hq.follower("BJ").status.state == "streaming"

        api = rest_api(hq.app, hq.runtime)
        with TestClient(api, headers=OPS) as client:
            view = next(
                u for u in client.get("/replication/status").json()["upstreams"] if u["upstream"] == "GD"
            )
            assert view["state"] == "stopped" and view["stoppedAtPosition"] == position
            assert client.post("/replication/upstreams/GD/resume").status_code == 200  # an operator retries
            eventually(
                lambda: not hq.follower("GD").is_alive() and hq.follower("GD").status.state == "stopped"
            )
            assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 2
            assert client.post("/replication/upstreams/XX/resume").status_code == 404


def test_verifying_the_mirror_of_a_province_hq_does_not_follow_is_404(store, tmp_path):
    with node_settings(store, tmp_path, "HQ", tier="hq", upstreams="GD=127.0.0.1:1") as settings:
        app = open_hq(settings)
        try:  # the node's upstreams, as `crm hq serve` reads them
            with TestClient(api_alone(app), headers=staff("auditor", "HQ", "zhao.audit")) as client:
                assert (
                    client.get("/replication/mirror/GD/verify").json()["ok"] is True
                )  # followed, empty so far
                for code in ("XX", "SH", "x" * 100):
                    response = client.get(f"/replication/mirror/{code}/verify")
                    assert response.status_code == 404, code
                    assert response.json()["code"] == "notFound" and response.json()["field"] == "upstream"
                    assert client.get(f"/replication/mirror/{code}").status_code == 404
        finally:
            app.close()


def test_a_record_that_decodes_but_cannot_be_applied_is_tried_a_handful_of_times_then_stops(
    store, tmp_path, caplog
):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        before = hq.follower("GD").status.position
        gd.app.recorder.insert_events(
            [
                StoredEvent(  # a registration without a customer in it
                    originator_id=uuid.uuid4(),
                    originator_version=1,
                    topic="shared.domain.customer:Customer.Registered",
                    state=gd.app.sealed(
                        b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-01T00:00:00+00:00"}}'
                    ),
                )
            ]
        )
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="2A")), BY)
        status = eventually(lambda: (s := hq.follower("GD").status).state == "stopped" and s, timeout=10)
        attempts = hq.app.settings.replication_failed_attempts
        assert status.reconnects == attempts - 1 and not hq.follower("GD").is_alive()
        assert f"{attempts} attempts" in status.last_error and f"after position {before}" in status.last_error
        assert status.position == before
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
