"""A restored province takes HQ's stream again: what HQ relays about an order or leg the province no longer holds
(lost in the restore) is kept as an orphan — on record, listed, counted — and its follower goes on; forwarded work
it already holds stays as it is; a stopped follower shows on /health as degraded."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from crm.bootstrap import open_province, rest_api, start_node
from hq.catalog.schemas import OfferingCreate
from hq.mirror.repair import divergence, reseed
from province.orders.schemas import CancelOrderCreate
from province.work_orders.schemas import WorkOrderPatch
from replication.chain import GENESIS, LogRecord, recorded_at
from shared.audit.replay import replay_and_compare
from shared.audit.trail import AuditTrail
from shared.classification import HQ_PUBLIC, channel_of
from shared.domain.cross_province import CrossProvinceOrder, CrossProvinceRequest, request_id
from shared.domain.errors import NotFound
from shared.domain.operator import Operator
from shared.domain.settlement import SettlementStatement, statement_figures
from shared.persistence.backup import back_up, restore
from shared.persistence.integrity import link
from tests.replication.test_cross_province import customer, forwarded, leg, order, order_state, work_through
from tests.support.auth import seat_test_managers, staff
from tests.support.factories import BY, individual
from tests.support.nodes import Node, cluster, eventually, node_env
from tests.support.processes import REPO, NodeProcess, process_cluster
from tests.support.stores import node_settings

OPERATOR = staff("systemAdmin", "HQ", "ops.wang")
REPAIRER = Operator(actor="ops.wang", role="systemAdmin", channel="system")
AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def as_hq_log(app, events, after: int = 0, previous: bytes = GENESIS) -> list[LogRecord]:
    """HQ's domain events as its log service sends them: the public ones, at positions after `after`, the running
    hash chained on."""
    records = []
    for position, event in enumerate(events, start=after + 1):
        stored = app.wire.to_stored_event(event)
        if channel_of(stored.topic, "hq") is None:
            continue
        previous = link(
            previous,
            position,
            stored.topic,
            str(stored.originator_id),
            stored.originator_version,
            stored.state,
        )
        records.append(
            LogRecord(
                position,
                stored.topic,
                str(stored.originator_id),
                stored.originator_version,
                stored.state,
                recorded_at(stored.state),
                "HQ",
                previous,
                channel_of(stored.topic, "hq").value,
            )
        )
    return records


def deliver(app, records: list[LogRecord]) -> None:
    app.apply_replicated("HQ", records, records[-1].running_hash)


def orphans_of(app, **query) -> list[dict]:
    with TestClient(rest_api(app), headers=OPERATOR) as client:
        answer = client.get("/replication/orphans", params={"limit": 1000, **query})
    assert answer.status_code == 200, answer.text
    assert int(answer.headers["X-Total-Count"]) == len(answer.json())
    return answer.json()


@contextmanager
def provinces(store, tmp_path, *codes):
    """Province applications, each on its own store (no runtime: batches are delivered by hand)."""
    with ExitStack() as stack:
        apps = []
        for n, code in enumerate(codes):
            app = open_province(stack.enter_context(node_settings(store, tmp_path / str(n), code)))
            stack.callback(app.close)
            seat_test_managers(app)
            apps.append(app)
        yield apps


def hq_routing_of(app, order_id: str) -> CrossProvinceOrder:
    """HQ's routing record of a GD order delivered by BJ, moved the way BJ's work and a cancellation move it."""
    routing = CrossProvinceOrder.open(app.load(CrossProvinceRequest, request_id(order_id)), {"GD", "BJ"}, BY)
    routing.relay_progress("BJ", "resourceConfirmation", "inProgress", "inProgress", "", AT, BY)
    routing.forward_cancellation(["BJ"], "the customer moved", AT, BY)
    routing.relay_cancellation_answer("BJ", True, "cancelled before completion", AT, BY)
    return routing


def test_hq_records_about_an_order_or_leg_not_held_here_are_kept_as_orphans_and_the_batch_goes_on(
    store, tmp_path
):
    with provinces(store, tmp_path, "GD", "BJ", "GD") as (home, restored_bj, restored_gd):
        placed = order(home, customer(home)["id"], ("PO-DC-2M", "BJ"))
        events = hq_routing_of(home, placed["id"]).collect_events()
        statement = SettlementStatement(
            destination="BJ", month="2026-10", figures=statement_figures("BJ", []), entries=0, by=BY
        )
        statement.reissue(statement_figures("BJ", [{"home": "GD", "delivering": "BJ", "share": 1800}]), 1, BY)
        events += statement.collect_events()
        log = as_hq_log(home, events)
        names = [r.topic.partition(":")[2] for r in log]
        cancellation_forwarded = log[names.index("CrossProvinceOrder.CancellationForwarded")]
        reissued = log[names.index("SettlementStatement.Reissued")]

        # BJ, restored from before the work was forwarded, hears of its cancellation and a re-issued statement
        before = restored_bj.head_position()
        deliver(restored_bj, [cancellation_forwarded, reissued])
        assert restored_bj.replication_position("HQ")[:2] == (reissued.position, reissued.running_hash)
        kept = orphans_of(restored_bj)
        assert [
            (o["upstream"], o["position"], o["eventType"], o["referredType"], o["orderId"]) for o in kept
        ] == [
            (
                "HQ",
                cancellation_forwarded.position,
                "CrossProvinceOrder.CancellationForwarded",
                "DeliveryLeg",
                placed["id"],
            )
        ]
        assert kept[0]["recordedAt"] and kept[0]["upstreamRecordedAt"] == cancellation_forwarded.recorded_at
        assert (
            restored_bj.work_orders.list_work_orders().total == 0
        )  # nothing made up for the leg it does not hold
        assert [s["revision"] for s in restored_bj.settlement.list_statements().items] == [
            1
        ]  # a statement comes whole
        assert restored_bj.head_position() == before + 2  # the orphan and the statement copy, nothing else

        # GD, restored from before the order was accepted: every relay about it is an orphan, once
        deliver(restored_gd, log)
        relayed = [
            r.position
            for r, n in zip(log, names)
            if n in ("CrossProvinceOrder.LegProgressed", "CrossProvinceOrder.CancellationAnswered")
        ]
        kept = orphans_of(restored_gd, upstream="HQ")
        assert [o["position"] for o in kept] == relayed
        assert {(o["eventType"], o["referredType"], o["referredId"], o["province"]) for o in kept} == {
            ("CrossProvinceOrder.LegProgressed", "ProductOrder", placed["id"], "BJ"),
            ("CrossProvinceOrder.CancellationAnswered", "ProductOrder", placed["id"], "BJ"),
        }
        assert restored_gd.replication_position("HQ")[0] == log[-1].position
        assert restored_gd.orphans_by_upstream() == {"HQ": len(relayed)}
        assert orphans_of(restored_gd, orderId=placed["id"]) == kept
        assert orphans_of(restored_gd, orderId="no-such-order") == []
        on_record = list(AuditTrail(restored_gd, ()).operations(aggregate_type="OrphanRecord"))
        assert [(o["eventType"], o["actor"]) for o in on_record] == [
            ("OrphanRecord.Recorded", "system")
        ] * len(kept)
        scratch = open_province(restored_gd.settings)
        try:  # the list is a read model like any other: rebuilt from the events, the same
            assert replay_and_compare(restored_gd, scratch)["identical"]
        finally:
            scratch.close()


def test_orphans_of_an_upstream_that_is_no_node_are_a_400_naming_the_parameter(store, tmp_path):
    with provinces(store, tmp_path, "GD") as (gd,), TestClient(rest_api(gd), headers=OPERATOR) as client:
        for code in ("zz", "XX"):
            refused = client.get("/replication/orphans", params={"upstream": code})
            assert refused.status_code == 400, refused.text
            assert refused.json()["field"] == "upstream" and "expected one of" in refused.json()["reason"]
            assert refused.json()["reason"].endswith("or HQ")
        for code in ("HQ", "hq", "BJ"):  # a node's code, in any case: its orphans (none here)
            listed = client.get("/replication/orphans", params={"upstream": code})
            assert (listed.status_code, listed.json()) == (200, []), listed.text


def test_work_forwarded_again_for_a_leg_held_here_leaves_it_as_it_is(store, tmp_path):
    with provinces(store, tmp_path, "GD", "BJ") as (home, bj):
        placed = order(home, customer(home)["id"], ("PO-DC-2M", "BJ"))
        routing = CrossProvinceOrder.open(
            home.load(CrossProvinceRequest, request_id(placed["id"])), {"GD", "BJ"}, BY
        )
        first = as_hq_log(home, routing.collect_events())
        deliver(bj, first)
        works = bj.work_orders.list_work_orders(order_id=placed["id"]).items
        bj.work_orders.change_work_order(
            works[0]["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), BY
        )
        worked = bj.work_orders.list_work_orders(order_id=placed["id"]).items
        again = as_hq_log(
            home, [bj.decode(r) for r in first], after=first[-1].position, previous=first[-1].running_hash
        )
        deliver(bj, again)  # HQ forwards the same work once more (HQ restored and re-routing, say)
        assert bj.replication_position("HQ")[0] == again[-1].position
        assert (
            bj.work_orders.list_work_orders(order_id=placed["id"]).items == worked
        )  # three, the first still inProgress
        assert [w["state"] for w in worked] == ["inProgress", "acknowledged", "acknowledged"]
        assert orphans_of(bj) == []


@contextmanager
def back_on_its_store(settings, hq: Node):
    """The restored province started again on its gRPC address, following HQ as before."""
    node = start_node(settings)
    node.runtime.add_upstream("HQ", hq.target)
    try:
        yield node
    finally:
        node.stop()


def served(app, runtime, headers=OPERATOR):
    return TestClient(rest_api(app, runtime), headers=headers)


def hq_share_head(hq: Node) -> int:
    chain = hq.runtime.service.chain
    chain.extend()
    return chain.head("GD").position


def relayed_to_gd_about(hq: Node, order_ids: set[str]) -> list[int]:
    """The positions of every record HQ addressed to GD about these orders, from HQ's own store."""
    positions = []
    for n in hq.app.recorder.select_notifications(start=1, limit=10**6):
        if n.topic in HQ_PUBLIC and "CrossProvinceOrder" in n.topic:
            event = hq.app.mapper.to_domain_event(n)
            if event.destination == "GD" and event.order_id in order_ids:
                positions.append(n.id)
    return positions


def offering_at(app, offering_id: str):
    try:
        return app.catalog.get_offering(offering_id)
    except NotFound:
        return None


def test_backup_orders_crossing_restore_reseed_then_new_cross_province_orders_complete_for_gd(
    store, tmp_path
):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        gd, bj, hq = nodes["GD"], nodes["BJ"], nodes["HQ"]
        settings = gd.app.settings
        c = customer(gd.app)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        back_up(settings, tmp_path / "gd.backup")

        lost = order(gd.app, c["id"], ("PO-DC-2M", "BJ"))  # accepted after the backup: gone with the restore
        withdrawn = order(gd.app, c["id"], ("PO-DC-2M", "BJ"))
        works = forwarded(bj.app, lost["id"])
        forwarded(bj.app, withdrawn["id"])
        bj.app.work_orders.change_work_order(
            works[0]["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), BY
        )
        gd.app.orders.cancel_order(
            CancelOrderCreate.model_validate(
                {"productOrder": {"id": withdrawn["id"]}, "cancellationReason": "moved"}
            ),
            BY,
        )
        order_state(gd.app, withdrawn["id"], "cancelled")
        eventually(lambda: leg(gd.app.orders.get_order(lost["id"]), "BJ")["state"] == "inProgress")
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        gd.stop()
        restore(settings, tmp_path / "gd.backup")

        with back_on_its_store(settings, hq) as again:
            # HQ refuses GD's shorter history and says so on /health (still ready); the operator reseeds
            stopped = eventually(
                lambda: hq.follower("GD").status.state == "stopped" and hq.follower("GD").status
            )
            with served(hq.app, hq.runtime) as client:
                health = client.get("/health")
            assert health.status_code == 200 and health.json()["status"] == "degraded"
            assert health.json()["degraded"] == [
                {"upstream": "GD", "reason": stopped.last_error, "since": stopped.last_error_at}
            ]
            mismatch = divergence(hq.app, "GD", again.target)["mismatch"]
            reseed(hq.app, "GD", mismatch["lastAgreeingPosition"], "GD restored from backup", REPAIRER)
            hq.runtime.resume("GD")

            # BJ works the order GD lost on; HQ relays every move to GD, and ships a new product
            work_through(bj.app, bj.app.work_orders.list_work_orders(order_id=lost["id"]).items)
            hq.app.catalog.create_product(
                OfferingCreate(
                    **{
                        "id": "PO-IPTV",
                        "name": "IPTV",
                        "kind": "service",
                        "oneTimeFee": 0,
                        "monthlyFee": 2000,
                    }
                ),
                BY,
            )
            eventually(lambda: offering_at(again.app, "PO-IPTV"))
            assert offering_at(bj.app, "PO-IPTV")

            fresh = order(again.app, c["id"], ("PO-DC-2M", "BJ"))
            work_through(bj.app, forwarded(bj.app, fresh["id"]))
            done = order_state(again.app, fresh["id"], "completed")
            assert leg(done, "BJ")["state"] == "completed"
            eventually(lambda: again.follower("HQ").status.position == hq_share_head(hq))
            eventually(lambda: hq.follower("GD").status.position == again.runtime.service.chain.extend())
            assert {f.status.state for n in (again, hq) for f in n.runtime.followers.values()} == {
                "streaming"
            }

            expected = relayed_to_gd_about(hq, {lost["id"], withdrawn["id"]})
            with served(again.app, again.runtime) as client:
                listed = client.get("/replication/orphans", params={"limit": 1000})
                audited = client.get(
                    "/replication/orphans",
                    params={"limit": 1000},
                    headers=staff("auditor", "HQ", "zhao.audit"),
                )
                refused = client.get("/replication/orphans", headers=staff("billingClerk", "GD"))
                health = client.get("/health").json()
                metrics = client.get("/metrics").text
            assert (
                listed.status_code == 200 and audited.json() == listed.json() and refused.status_code == 403
            )
            kept = listed.json()
            assert [o["position"] for o in kept] == expected and len(expected) >= 6
            assert {o["orderId"] for o in kept} == {lost["id"], withdrawn["id"]}
            assert {o["eventType"] for o in kept} == {
                "CrossProvinceOrder.LegProgressed",
                "CrossProvinceOrder.CancellationAnswered",
            }
            assert {(o["upstream"], o["referredType"]) for o in kept} == {("HQ", "ProductOrder")}
            assert f'crm_replication_orphans_total{{upstream="HQ"}} {float(len(expected))}' in metrics
            assert (
                health["status"] == "up"
                and health["followers"] == {"HQ": "streaming"}
                and "degraded" not in health
            )


# --- the README's procedure, with every node its own process -------------------------------------------------

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
WORK = "/tmf-api/serviceOrdering/v4/serviceOrder"


def crm(node: NodeProcess, *args: str) -> subprocess.CompletedProcess:
    """A `crm` command on a node's store, as an operator runs it."""
    env = node_env(node.settings, tier=node.settings.tier)
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def place_at(node: NodeProcess, customer_id: str, delivering: str) -> dict:
    return node.send(
        "POST",
        ORDERS,
        {
            "relatedParty": [{"id": customer_id, "role": "customer"}],
            "productOrderItem": [
                {"id": "1", "productOffering": {"id": "PO-DC-2M"}, "deliveringProvince": delivering}
            ],
        },
        expect=201,
    )


def work_at(node: NodeProcess, order_id: str) -> None:
    for w in eventually(lambda: node.get(WORK, **{"productOrder.id": order_id}), timeout=60):
        for state in ("inProgress", "completed"):
            node.send("PATCH", w["href"], {"state": state})


def as_operator(node: NodeProcess, path: str, **params) -> httpx.Response:
    return node.http.get(path, params=params, headers=staff("systemAdmin", "HQ", "ops.wang"))


def followers_of(node: NodeProcess) -> dict[str, str]:
    return {u["upstream"]: u["state"] for u in as_operator(node, "/replication/status").json()["upstreams"]}


@pytest.mark.multinode
def test_the_restore_procedure_ends_with_every_follower_streaming_and_the_orphans_listed(store, tmp_path):
    with process_cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        hq, gd, bj = nodes["HQ"], nodes["GD"], nodes["BJ"]
        c = gd.send("POST", CUSTOMERS, individual(grade="2A"), expect=201)
        gd.send("PATCH", c["href"], {"status": "active"})
        backup = tmp_path / "gd.backup"
        assert crm(gd, "backup", "--code", "GD", "--to", str(backup)).returncode == 0
        lost = place_at(gd, c["id"], "BJ")  # after the backup: the restore loses it
        eventually(lambda: bj.get(WORK, **{"productOrder.id": lost["id"]}), timeout=60)
        eventually(
            lambda: (
                followers_of(hq)["GD"] == "streaming"
                and as_operator(hq, "/replication/status").json()["upstreams"][0]["lagEvents"] == 0
            ),
            timeout=60,
        )

        gd.stop()
        restored = crm(gd, "restore", "--code", "GD", "--from", str(backup))
        assert restored.returncode == 0, restored.stderr
        gd.start()
        eventually(lambda: followers_of(hq)["GD"] == "stopped", timeout=60)
        health = hq.http.get("/health").json()
        assert health["status"] == "degraded" and health["degraded"][0]["upstream"] == "GD"
        assert "history changed" in health["degraded"][0]["reason"]

        seen = crm(hq, "replication", "divergence", "--upstream", "GD", "--upstreams", f"GD={gd.target}")
        assert seen.returncode == 1, seen.stderr
        keep = json.loads(seen.stdout)["mismatch"]["lastAgreeingPosition"]
        hq.stop()
        cut = crm(
            hq,
            "replication",
            "reseed",
            "--upstream",
            "GD",
            "--keep-upto",
            str(keep),
            "--reason",
            "GD restored from backup",
            "--by",
            "ops.wang",
        )
        assert cut.returncode == 0, cut.stderr
        hq.start()

        work_at(bj, lost["id"])  # BJ works on the order GD no longer holds; HQ relays each move to GD
        fresh = place_at(gd, c["id"], "BJ")
        work_at(bj, fresh["id"])
        eventually(lambda: gd.get(f"{ORDERS}/{fresh['id']}")["state"] == "completed", timeout=60)
        eventually(
            lambda: {s for n in nodes.values() for s in followers_of(n).values()} == {"streaming"}, timeout=60
        )

        kept = eventually(
            lambda: len(orphans := as_operator(gd, "/replication/orphans").json()) == 6 and orphans,
            timeout=60,
        )  # BJ's six moves of the lost order
        assert {(o["eventType"], o["orderId"], o["province"]) for o in kept} == {
            ("CrossProvinceOrder.LegProgressed", lost["id"], "BJ")
        }
        assert all(gd.http.get(f"{ORDERS}/{o['orderId']}").status_code == 404 for o in kept)
        assert 'crm_replication_orphans_total{upstream="HQ"} 6.0' in gd.http.get("/metrics").text
        assert (
            "degraded" not in hq.http.get("/health").json()
            and gd.http.get("/health").json()["status"] == "up"
        )
        assert "kept as an orphan" in gd.log.read_text()
