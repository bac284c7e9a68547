"""HQ's one-off upgrade steps: a store from before provinces signed their staff in (verifiers kept at HQ, every-node
staff never sent) and before bills showed HQ's shares (no apportionment sent home) is brought level once, on record."""

from __future__ import annotations

from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from crm.bootstrap import node_runtime, open_hq, rest_api
from crm.ports import free_port
from hq import upgrades
from hq.application import HqApplication
from hq.upgrades import DESTINATIONS_BESIDE_EVENTS, DIRECTORY_TO_PROVINCES, STEPS, take_upgrade_steps
from replication.chain import GENESIS, verify
from replication.codec import records_of
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from shared.auth.sign_in import HASHER
from shared.classification import HQ_PUBLIC, ReplicationChannel
from shared.domain.settlement import (
    BillApportionment,
    ReceivedApportionment,
    SettlementEntry,
    SettlementRule,
    apportionment_id,
    rule_id,
)
from shared.domain.staff import EVERYWHERE, StaffCopy, StaffMember, staff_id
from shared.domain.upgrade import UpgradeStep, upgrade_id
from shared.persistence.destinations import destination_table
from tests.support.auth import PASSWORD
from tests.support.factories import BY
from tests.support.nodes import channel_as, cluster, eventually
from tests.support.stores import node_settings


def _as_before(hq: HqApplication, username: str, role: str, province: str, destination: str) -> None:
    """A member as the earlier release recorded them: enrolled, and a verifier of version 1 (it stayed at HQ)."""
    member = StaffMember(
        username=username, name=username, role=role, province=province, destination=destination, by=BY
    )
    hq.record(member)
    state = hq.mapper.transcoder.encode(
        {
            "password_hash": HASHER.hash(PASSWORD),
            "by": BY.as_dict(),
            "timestamp": member.modified_on,
            "originator_id": member.id,
            "originator_version": 2,
        }
    )
    hq.recorder.insert_events(
        [
            StoredEvent(
                member.id, 2, "shared.domain.staff:StaffMember.PasswordSet", hq.mapper.cipher.encrypt(state)
            )
        ]
    )


def test_a_store_from_before_sends_every_record_and_apportionment_once_and_staff_then_sign_in_at_home(
    store, tmp_path
):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        _as_before(hq.app, "gd.old", "clerk", "GD", "GD")
        entry = SettlementEntry.apportion(
            month="2026-11",
            home="GD",
            bill_id="b-old",
            rule=hq.app.load(SettlementRule, rule_id("default")),
            line={
                "id": "l1",
                "deliveringProvince": "BJ",
                "kind": "monthly",
                "amount": 10000,
                "offeringId": "PO-DC-2M",
            },
            by=BY,
        )
        hq.app.record(entry)  # apportioned into the ledger before bills learnt their shares
        eventually(lambda: gd.app.find(StaffCopy, staff_id("gd.old")))
        with TestClient(rest_api(gd.app)) as at_gd:
            assert (
                at_gd.post("/auth/token", data={"username": "gd.old", "password": PASSWORD}).status_code
                == 401
            )
            assert gd.app.find(StaffCopy, staff_id("gd.old")).password_hash == ""

            assert hq.app.find(UpgradeStep, upgrade_id(DIRECTORY_TO_PROVINCES)).outcome == {"membersSent": 0}
            again = [
                (f"{name}-as-if-not-taken", take) for name, take in STEPS
            ]  # what HQ does on its first start
            take_upgrade_steps(hq.app, again)
            assert hq.app.find(UpgradeStep, upgrade_id(again[0][0])).outcome == {"membersSent": 1}
            assert hq.app.find(UpgradeStep, upgrade_id(again[1][0])).outcome == {"billsSent": 1}

            eventually(lambda: gd.app.find(StaffCopy, staff_id("gd.old")).password_hash)
            assert (
                at_gd.post("/auth/token", data={"username": "gd.old", "password": PASSWORD}).status_code
                == 200
            )
            received = eventually(lambda: gd.app.find(ReceivedApportionment, apportionment_id("b-old")))
            assert received.lines[0]["shareAmount"] == entry.share

            head = hq.app.head_position()
            take_upgrade_steps(hq.app, again)  # never twice
            take_upgrade_steps(hq.app)
            assert hq.app.head_position() == head


def _share_of(code: str, target: str) -> list:
    """What HQ's log serves province `code` (by its certificate), checked against its own chain and head."""
    with channel_as(code, target, "HQ") as channel:
        stub = pb_grpc.NotificationLogStub(channel)
        batches = stub.Subscribe(pb.SubscribeRequest(after_position=0, tail=False, follower=code), timeout=20)
        records = [r for batch in batches for r in records_of(batch)]
        head = stub.Head(pb.HeadRequest(follower=code), timeout=5)
    last, broken = verify(GENESIS, records)
    assert broken is None and last == head.running_hash and records[-1].position == head.position
    return records


def test_a_store_from_before_destinations_were_written_beside_events_is_filled_once_and_serves_each_its_share(
    store, tmp_path, monkeypatch
):
    with node_settings(store, tmp_path, "HQ", tier="hq", grpc_port=free_port()) as settings:
        taken_before = tuple(step for step in STEPS if step[0] != DESTINATIONS_BESIDE_EVENTS)
        monkeypatch.setattr(upgrades, "STEPS", taken_before)  # the release before this one
        before = open_hq(settings)
        for home in ("GD", "BJ"):
            before.record(
                BillApportionment(
                    destination=home, bill_id=f"b-{home}", month="2026-11", lines=[{"id": "l1"}], by=BY
                )
            )
        before.record(
            StaffMember(
                username="nat.auditor",
                name="审计",
                role="auditor",
                province="HQ",
                destination=EVERYWHERE,
                by=BY,
            )
        )
        table = destination_table(before.schema.prefix)
        written = before.queries.rows(f"SELECT position, destination FROM {table} ORDER BY position")
        assert sorted(d["destination"] for d in written) == ["*", "BJ", "GD"]
        with before.queries.cursor(commit=True) as c:
            before.queries.execute(c, f"DROP TABLE {table}")  # as a store written before the table existed
        before.close()
        monkeypatch.setattr(upgrades, "STEPS", STEPS)

        hq = open_hq(settings)  # this release: the step is taken once, at start
        runtime = node_runtime(hq, follow=False)
        try:
            assert hq.find(UpgradeStep, upgrade_id(DESTINATIONS_BESIDE_EVENTS)).outcome == {
                "eventsAddressed": 3
            }
            assert hq.queries.rows(f"SELECT position, destination FROM {table} ORDER BY position") == written

            def undecodable(notification):
                raise AssertionError(f"the log service decoded the event at {notification.id} to route it")

            monkeypatch.setattr(hq.mapper, "to_domain_event", undecodable)
            runtime.start()
            hq.record(
                BillApportionment(destination="GD", bill_id="b-new", month="2026-12", lines=[], by=BY)
            )  # recorded after the upgrade: addressed as it is written
            target = f"127.0.0.1:{runtime.grpc_port}"
            shares = {code: _share_of(code, target) for code in ("GD", "BJ", "SH")}
        finally:
            runtime.stop()
            monkeypatch.undo()
            hq.close()
    catalog = [r.position for r in shares["GD"] if HQ_PUBLIC[r.topic] is ReplicationChannel.CATALOG]
    assert catalog and catalog == [
        r.position for r in shares["BJ"] if HQ_PUBLIC[r.topic] is ReplicationChannel.CATALOG
    ]
    addressed = {
        code: [hq.decode(r) for r in records if HQ_PUBLIC[r.topic] is not ReplicationChannel.CATALOG]
        for code, records in shares.items()
    }
    for code, events in addressed.items():
        assert all(e.destination in (code, EVERYWHERE) for e in events)
    bills = {
        code: sorted(e.bill_id for e in events if hasattr(e, "bill_id")) for code, events in addressed.items()
    }
    assert bills == {"GD": ["b-GD", "b-new"], "BJ": ["b-BJ"], "SH": []}
    staff = {
        code: [e.username for e in events if hasattr(e, "username")] for code, events in addressed.items()
    }
    assert staff == {"GD": ["nat.auditor"], "BJ": ["nat.auditor"], "SH": ["nat.auditor"]}
