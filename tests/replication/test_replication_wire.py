"""What is on the wire: public types only, in batches, a verifiable chain, tails woken by saves; HQ's mirror proof."""

from __future__ import annotations

import base64
import time

import pytest
from eventsourcing.utils import resolve_topic

from crm import cli
from hq.mirror.verification import verify_mirror
from province.customers.schemas import CustomerCreate
from replication.chain import GENESIS, LogRecord, verify
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from replication.server import SAFETY_RECHECK_SECONDS
from shared.classification import HQ_PUBLIC, PROVINCE_PUBLIC, channel_of, is_public
from tests.support.factories import BY, individual
from tests.support.nodes import channel_as, cluster, eventually, start_node


def _records(batch: pb.NotificationBatch) -> list[LogRecord]:
    return [
        LogRecord(
            n.position,
            n.topic,
            n.originator_id,
            n.originator_version,
            n.state,
            n.recorded_at,
            n.source,
            n.running_hash,
            n.channel,
        )
        for n in batch.notifications
    ]


def test_every_public_topic_names_an_event_class_and_unknown_topics_stay_local():
    for topic in (*PROVINCE_PUBLIC, *HQ_PUBLIC):
        resolve_topic(topic)  # a renamed event class would silently stop replicating: fail here instead
    assert not is_public("shared.domain.ticket:TroubleTicket.Opened")
    assert not is_public("shared.domain.someday:Opportunity.Created")
    assert not is_public("shared.domain.product:Product.Designed")  # HQ's catalog is not a province's to send
    assert channel_of("shared.domain.customer:Customer.Registered").value == "businessData"


def _recorded_events(aggregate: type) -> set[str]:
    from eventsourcing.domain import CanMutateAggregate
    from eventsourcing.utils import get_topic

    return {
        get_topic(e)
        for name, e in vars(aggregate).items()
        if isinstance(e, type) and issubclass(e, CanMutateAggregate) and name not in ("Event", "Created")
    }


def test_aggregates_followed_whole_have_every_event_public():
    """HQ replays a province's customer events onto replicas (the library checks each version follows the
    last), and provinces replay HQ's product events: one local-only event type there would break the chain."""
    from shared.domain.customer import Customer
    from shared.domain.product import Product

    assert _recorded_events(Customer) and _recorded_events(Customer) <= set(PROVINCE_PUBLIC)
    assert _recorded_events(Product) and _recorded_events(Product) <= set(HQ_PUBLIC)


def test_the_wire_carries_only_public_types_in_batches_with_a_chain_that_verifies(store, tmp_path):
    from province import demo

    with start_node(store, tmp_path, "GD") as gd:
        demo.load(gd.app)  # customers, orders, work orders, bills, tickets, catalog copies
        stored = {n.topic for n in gd.app.recorder.select_notifications(start=1, limit=100000)}
        local = stored - set(PROVINCE_PUBLIC)
        assert any("TroubleTicket" in t for t in local) and any("ProductOrder" in t for t in local)
        with channel_as("HQ", gd.target, "GD") as channel:
            stub = pb_grpc.NotificationLogStub(channel)
            batches = list(
                stub.Subscribe(
                    pb.SubscribeRequest(after_position=0, tail=False, max_batch=50, follower="HQ"), timeout=30
                )
            )
            head = stub.Head(pb.HeadRequest(follower="HQ"), timeout=5)
        records = [r for b in batches for r in _records(b)]
        assert len(batches) > 1 and all(len(b.notifications) <= 50 for b in batches)
        wire = {r.topic for r in records}
        assert wire and wire <= set(PROVINCE_PUBLIC) and not wire & local
        assert all(r.channel == PROVINCE_PUBLIC[r.topic].value and r.source == "GD" for r in records)
        positions = [r.position for r in records]
        assert positions == sorted(set(positions))
        last_hash, broken = verify(GENESIS, records)
        assert broken is None and last_hash == head.running_hash and positions[-1] == head.position
        assert len(records) == sum(
            1
            for n in gd.app.recorder.select_notifications(start=1, limit=100000)
            if n.topic in PROVINCE_PUBLIC
        )


def test_a_tail_is_woken_by_the_nodes_own_save_not_by_polling(store, tmp_path):
    with start_node(store, tmp_path, "GD") as gd:
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        with channel_as("HQ", gd.target, "GD") as channel:
            stream = pb_grpc.NotificationLogStub(channel).Subscribe(
                pb.SubscribeRequest(after_position=0, tail=True, follower="HQ")
            )
            first = next(stream)
            assert first.notifications
            time.sleep(0.3)  # the tail is now waiting
            started = time.monotonic()
            gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="2A")), BY)
            woken = next(stream)
            elapsed = time.monotonic() - started
            stream.cancel()
        assert woken.notifications[0].position > first.notifications[-1].position
        assert elapsed < SAFETY_RECHECK_SECONDS / 5


def test_hq_mirror_proves_itself_offline_and_a_changed_mirror_row_is_caught(
    store, tmp_path, monkeypatch, capsys
):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        for grade in ("1A", "2A", "4A"):
            gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade=grade)), BY)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        proof = verify_mirror(hq.app, "GD", page=2)
        assert proof["ok"] and proof["checked"] == hq.app.mirror.count("GD") > 2
        assert proof["runningHash"] == gd.runtime.service.chain.head_hash.hex()

        hs = hq.app.settings
        for key, value in {
            "CRM_STORE": hs.store,
            "CRM_DATA_DIR": str(hs.data_dir),
            "CRM_PG_DBNAME": hs.pg_dbname,
            "CRM_KEYS_DIR": str(hs.keys_path()),
            "CRM_UPSTREAMS": f"GD={gd.target}",
        }.items():
            monkeypatch.setenv(key, value)
        cli.main(
            ["audit", "mirror", "--upstream", "gd"]
        )  # the mirror's chain, then the province's log now: both agree
        assert '"ok": true' in capsys.readouterr().out

        second = hq.app.mirror.page("GD", 0, 2)[1]
        changed_state = base64.b64encode(hq.app.sealed(b" " + base64.b64decode(second["state"])))
        with hq.app.queries.cursor(commit=True) as cursor:
            hq.app.queries.execute(
                cursor,
                f"UPDATE {hq.app.mirror.table} SET state = ? WHERE upstream = ? AND position = ?",
                [changed_state.decode(), "GD", second["position"]],
            )
        changed = verify_mirror(hq.app, "GD")
        assert not changed["ok"] and changed["mismatch"]["position"] == int(second["position"])
        with pytest.raises(SystemExit):
            cli.main(["audit", "mirror", "--upstream", "GD", "--offline"])
