"""HQ's one-off upgrade steps: a store from before provinces signed their staff in (verifiers kept at HQ, every-node
staff never sent) and before bills showed HQ's shares (no apportionment sent home) is brought level once, on record."""

from __future__ import annotations

from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from crm.bootstrap import rest_api
from hq.application import HqApplication
from hq.upgrades import DIRECTORY_TO_PROVINCES, STEPS, take_upgrade_steps
from shared.auth.sign_in import HASHER
from shared.domain.settlement import (
    ReceivedApportionment,
    SettlementEntry,
    SettlementRule,
    apportionment_id,
    rule_id,
)
from shared.domain.staff import StaffCopy, StaffMember, staff_id
from shared.domain.upgrade import UpgradeStep, upgrade_id
from tests.support.auth import PASSWORD
from tests.support.factories import BY
from tests.support.nodes import cluster, eventually


def _as_before(hq: HqApplication, username: str, role: str, province: str, destination: str) -> None:
    """A member as the earlier release recorded them: enrolled, and a verifier of version 1 (it stayed at HQ)."""
    member = StaffMember(
        username=username, name=username, role=role, province=province, destination=destination, by=BY
    )
    hq.record(member)
    state = hq.mapper.transcoder.encode(
        {
            "password_hash": HASHER.hash(PASSWORD),
            "by": BY,
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
