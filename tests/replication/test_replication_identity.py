"""Replication between known nodes only: mutual TLS, identity from the certificate, signed chain heads."""

from __future__ import annotations

import shutil

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from province.customers.schemas import CustomerCreate
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from replication.tls import create_certificates, secure_channel
from shared.settings import Settings
from tests.support.auth import keys_dir
from tests.support.factories import BY, individual
from tests.support.nodes import channel_as, eventually, start_node


def _subscribe(channel, follower=""):
    return list(
        pb_grpc.NotificationLogStub(channel).Subscribe(
            pb.SubscribeRequest(after_position=0, tail=False, follower=follower), timeout=5
        )
    )


def test_only_hq_with_the_clusters_certificate_reads_a_provinces_log(store, tmp_path):
    with start_node(store, tmp_path, "GD") as gd:
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        with channel_as("HQ", gd.target, "GD") as channel:
            assert _subscribe(channel, "HQ")[0].notifications  # HQ, by its certificate
        with grpc.insecure_channel(gd.target) as channel:  # plaintext: refused
            with pytest.raises(grpc.RpcError):
                _subscribe(channel, "HQ")
        with channel_as("BJ", gd.target, "GD") as channel:  # a real province's certificate: not HQ
            with pytest.raises(grpc.RpcError) as denied:
                _subscribe(channel)
            assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
        with channel_as("BJ", gd.target, "GD") as channel:  # claiming to be HQ does not make it HQ
            with pytest.raises(grpc.RpcError) as denied:
                _subscribe(channel, "HQ")
            assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
        other_ca = tmp_path / "other-ca"
        create_certificates(other_ca, ["HQ"])  # a certificate that says HQ, from a CA nobody trusts
        stranger = Settings(node_code="HQ", keys_dir=tmp_path / "stranger")
        shutil.copytree(other_ca, stranger.keys_path() / "tls")
        with secure_channel(stranger, gd.target, "GD", []) as channel:
            with pytest.raises(grpc.RpcError):
                _subscribe(channel, "HQ")


def test_a_forged_history_from_a_rogue_is_refused_and_reported_as_an_identity_error(store, tmp_path):
    with start_node(store, tmp_path, "GD") as gd, start_node(store, tmp_path, "HQ") as hq:
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        rogue_keys = tmp_path / "rogue-keys"
        shutil.copytree(keys_dir(), rogue_keys, ignore=shutil.ignore_patterns("tls"))
        create_certificates(rogue_keys / "tls", ["GD", "HQ"])  # self-made CA and certificates
        with start_node(store, tmp_path / "rogue", "GD", keys_dir=rogue_keys) as rogue:
            rogue.app.customers.register_customer(
                CustomerCreate.model_validate(individual(grade="1A")), BY
            )  # a "GD" history of its own
            hq.runtime.add_upstream("GD", rogue.target)
            view = eventually(lambda: (u := hq.runtime.status()["upstreams"][0])["lastError"] and u)
            assert view["lastError"].startswith("identity") and view["position"] == 0
            assert hq.app.mirror.count("GD") == 0  # nothing of it was mirrored
            hq.follower("GD").stop()
            hq.follower("GD").join(timeout=5)
        hq.runtime.add_upstream("GD", gd.target)  # the real GD: accepted, and its chain verifies
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        assert hq.runtime.audit("GD")["ok"] is True


def test_a_node_at_gds_address_without_gds_signing_key_is_refused(store, tmp_path):
    """Even with a certificate the cluster's CA signed, a log whose heads GD's key did not sign is not GD's."""
    with start_node(store, tmp_path, "HQ") as hq:
        thief_keys = tmp_path / "thief-keys"
        shutil.copytree(keys_dir(), thief_keys)
        (thief_keys / "tls" / "gd.sign.key").write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        with start_node(store, tmp_path / "thief", "GD", keys_dir=thief_keys) as thief:
            thief.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
            hq.runtime.add_upstream("GD", thief.target)
            status = eventually(
                lambda: hq.follower("GD").status.state == "stopped" and hq.follower("GD").status
            )
            assert status.last_error.startswith("identity") and "signed" in status.last_error
            assert hq.app.mirror.count("GD") == 0
