"""Replication under hostile callers: bounded streams and validated requests."""

from __future__ import annotations

import shutil

import grpc
import pytest

from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from replication.tls import create_certificates, secure_channel
from shared.settings import Settings
from tests.auth import keys_dir
from tests.cluster import BY, channel_as, eventually, start_node
from tests.factories import individual


def _tail(channel, follower: str, after: int = 0, **fields):
    return pb_grpc.NotificationLogStub(channel).Subscribe(
        pb.SubscribeRequest(after_position=after, tail=True, follower=follower, **fields))


def _refusal(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as refused:
        next(call)
    return refused.value.code(), refused.value.details()


def test_fifty_idle_tails_from_strangers_do_not_delay_hqs_follower(store, tmp_path):
    with start_node(store, tmp_path, "GD") as gd, start_node(store, tmp_path, "HQ") as hq:
        gd.app.register_customer(individual(grade="1A"), BY)
        head = gd.runtime.service.chain.extend()
        stranger = Settings(node_code="XX", keys_dir=tmp_path / "stranger")  # the cluster's CA, but no node
        shutil.copytree(keys_dir() / "tls", stranger.keys_path() / "tls", ignore=lambda _, names: [n for n in names if not n.startswith("ca.")])
        create_certificates(stranger.keys_path() / "tls", ["XX"])
        with secure_channel(stranger, gd.target, "GD", []) as alien, channel_as("HQ", gd.target, "GD") as stale:
            refused = [_tail(alien, "") for _ in range(50)]
            held = [_tail(stale, "HQ", head) for _ in range(50)]  # a stale HQ process's idle tails, say
            assert {_refusal(call)[0] for call in refused} == {grpc.StatusCode.PERMISSION_DENIED}
            eventually(lambda: sum(not call.done() for call in held) <= gd.app.settings.replication_streams_per_peer)
            ended = [call for call in held if call.done()]
            assert {call.code() for call in ended} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
            assert all("superseded" in call.details() or "not ended yet" in call.details() for call in ended)

            hq.runtime.add_upstream("GD", gd.target)  # HQ's follower connects while the tails are held
            gd.app.register_customer(individual(grade="2A"), BY)
            eventually(lambda: hq.app.list_national_customers().total == 2, timeout=5)
            assert hq.follower("GD").status.state == "streaming"
            for call in held:
                call.cancel()


def test_callers_without_a_certificate_are_bounded_per_peer_and_in_all(store, tmp_path):
    with start_node(store, tmp_path, "HQ", replication_plaintext=True, replication_max_streams=3) as hq:
        with grpc.insecure_channel(hq.target) as channel:
            gd = [_tail(channel, "GD", heartbeat_ms=100) for _ in range(2)]
            for call in gd:
                next(call)  # open: a batch or a heartbeat arrives
            assert _refusal(_tail(channel, "GD")) == (grpc.StatusCode.RESOURCE_EXHAUSTED,
                                                      "GD@ipv4:127.0.0.1 already holds 2 streams (at most 2 per caller)")
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
            gd.app.register_customer(individual(grade=grade), BY)
        long_name = "H" * 1_000_000
        with channel_as("HQ", gd.target, "GD") as channel:
            stub = pb_grpc.NotificationLogStub(channel)

            def subscribe(**fields):
                request = pb.SubscribeRequest(**{"follower": "HQ", "tail": False, **fields})
                return list(stub.Subscribe(request, timeout=5))

            for field, value in [("max_batch", -1), ("max_batch", 5001), ("max_batch", 2**31 - 1),
                                 ("after_position", -1), ("after_position", 2**63 - 1), ("heartbeat_ms", -5),
                                 ("heartbeat_ms", 10**6), ("follower", "ZZ"), ("follower", "HQ\x00"),
                                 ("follower", long_name)]:
                with pytest.raises(grpc.RpcError) as refused:
                    subscribe(**{field: value})
                assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT, (field, value)
                assert refused.value.details().startswith(field) and len(refused.value.details()) < 200
            with pytest.raises(grpc.RpcError) as refused:
                stub.Head(pb.HeadRequest(follower="ZZ"), timeout=5)
            assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert len(subscribe(max_batch=0)) == 1  # 0: the server's default batch holds all six
            assert len(subscribe(max_batch=1)) == 6 == len(subscribe(max_batch=1, after_position=0))
        logged = [r.getMessage() for r in caplog.records if r.name.startswith("replication")]
        assert any("'HHHHHHHHHHHHHHHH' (+999984 characters)" in line for line in logged)
        assert max(len(line) for line in logged) < 500
