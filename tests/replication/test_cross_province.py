"""Cross-province orders (R-19), group business across provinces (R-20), one-point billing and settlement (R-21).

Separate nodes — HQ, GD, BJ, SH — each with its own store and its own gRPC log service on loopback, following
each other as in production (provinces never talk to each other, R-3).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from crm.bootstrap import open_hq, rest_api
from hq.settlement.schemas import RuleUpdate
from province.billing.schemas import BillOnDemandCreate
from province.customers.schemas import CustomerCreate, CustomerPatch, MemberCreate
from province.orders.schemas import CancelOrderCreate, OrderCreate, OrderPatch
from province.work_orders.schemas import WorkOrderPatch
from replication.chain import GENESIS, LogRecord, verify
from replication.generated import replication_pb2 as pb
from replication.generated import replication_pb2_grpc as pb_grpc
from shared.classification import HQ_PUBLIC, ReplicationChannel
from shared.domain.errors import IllegalTransition, InvalidValue
from tests.support.auth import STAFF
from tests.support.factories import BY, group, individual
from tests.support.nodes import channel_as, cluster, eventually, start_node, wait_for_routes

MANAGER = {"id": "GD-M9", "name": "陈经理"}
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"


@pytest.fixture
def nodes(store, tmp_path):
    with cluster(store, tmp_path, ("GD", "BJ", "SH")) as n:
        yield n


def customer(app, **overrides):
    c = app.customers.register_customer(
        CustomerCreate.model_validate(individual(grade="2A", customerManager=MANAGER, **overrides)), BY
    )
    app.customers.update_customer(c["id"], CustomerPatch.model_validate({"status": "active"}), BY)
    return c


def order(app, customer_id, *items, sla="urgent"):
    """Items as (offering, delivering province or None for here)."""
    body_items = []
    for n, (offering, province) in enumerate(items, start=1):
        item = {"id": str(n), "productOffering": {"id": offering}}
        if province:
            item["deliveringProvince"] = province
        body_items.append(item)
    return app.orders.place_order(
        OrderCreate.model_validate(
            {
                "relatedParty": [{"id": customer_id, "role": "customer"}],
                "productOrderItem": body_items,
                "slaClass": sla,
            }
        ),
        BY,
    )


def order_body(customer_id, *items):
    return {"relatedParty": [{"id": customer_id, "role": "customer"}], "productOrderItem": list(items)}


def forwarded(app, order_id):
    """The work orders a delivering province holds for another province's order, once they have arrived."""
    return eventually(lambda: app.work_orders.list_work_orders(order_id=order_id).items)


def work_through(app, works, last_state="completed", reason=""):
    """Each work order in turn: inProgress, then completed; the last move of the last one is `last_state`."""
    for n, w in enumerate(works):
        app.work_orders.change_work_order(w["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), BY)
        final = last_state if n == len(works) - 1 else "completed"
        app.work_orders.change_work_order(
            w["id"], WorkOrderPatch.model_validate({"state": final, "stateReason": reason}), BY
        )


def leg(doc, province):
    return next(leg for leg in doc["legs"] if leg["deliveringProvince"] == province)


def order_state(app, order_id, state, timeout=20):
    return eventually(
        lambda: (doc := app.orders.get_order(order_id))["state"] == state and doc, timeout=timeout
    )


def test_a_local_and_a_remote_item_complete_and_the_home_province_bills_both(nodes):
    gd, bj, sh, hq = (nodes[c].app for c in ("GD", "BJ", "SH", "HQ"))
    c = customer(gd)
    placed = order(gd, c["id"], ("PO-DC-2M", None), ("PO-DC-10M", "BJ"))
    assert placed["state"] == "acknowledged" and placed["crossProvince"] is True
    assert [i["deliveringProvince"] for i in placed["productOrderItem"]] == ["GD", "BJ"]

    works = forwarded(bj, placed["id"])
    assert [w["category"] for w in works] == ["resourceConfirmation", "provisioning", "billingSetup"]
    assert {w["homeProvince"] for w in works} == {"GD"} and {w["deliveringProvince"] for w in works} == {"BJ"}
    assert works[0]["productOrder"]["id"] == placed["id"]
    assert works[0]["relatedParty"][0]["id"] == c["id"]
    assert [i["id"] for i in works[0]["productOrderItem"]] == ["2"]  # only BJ's item
    assert bj.work_orders.list_work_orders(home_province="GD").total == 3
    assert (
        len(gd.work_orders.list_work_orders(order_id=placed["id"]).items) == 3
    )  # GD works its own item here
    assert sh.work_orders.list_work_orders(order_id=placed["id"]).total == 0

    work_through(bj, works)
    work_through(gd, gd.work_orders.list_work_orders(order_id=placed["id"]).items)
    done = order_state(gd, placed["id"], "completed")
    assert [(w["workKind"], w["state"]) for w in leg(done, "BJ")["workHistory"]] == [
        (k, s)
        for k in ("resourceConfirmation", "provisioning", "billingSetup")
        for s in ("inProgress", "completed")
    ]
    assert {i["state"] for i in done["productOrderItem"]} == {"completed"}
    assert done["compensation"]["value"] == 0
    desk = eventually(
        lambda: (d := hq.routing.get_cross_province_order(placed["id"]))["state"] == "completed" and d
    )
    assert (
        desk["homeProvince"] == "GD"
        and desk["deliveringProvinces"] == ["BJ", "GD"]
        and desk["overdue"] is False
    )
    assert {i["deliveringProvince"]: i["state"] for i in desk["productOrderItem"]} == {
        "GD": "completed",
        "BJ": "completed",
    }  # the home province's own item as it reported it

    # One bill, at home, for both items; each line names the province that delivered it.
    cycle = datetime.now(UTC).strftime("%Y-%m")
    account = gd.billing.list_accounts(customer_id=c["id"]).items[0]
    bill = gd.billing.get_bill(
        gd.billing.bill_on_demand(
            BillOnDemandCreate.model_validate(
                {"billingAccount": {"id": account["id"]}, "billingCycle": cycle}
            ),
            BY,
        )["customerBill"]["id"]
    )
    one_time = {
        line["deliveringProvince"]: line["amount"] for line in bill["billLine"] if line["kind"] == "oneTime"
    }
    monthly = {
        line["deliveringProvince"]: line["amount"] for line in bill["billLine"] if line["kind"] == "monthly"
    }
    items = {i["deliveringProvince"]: i for i in placed["productOrderItem"]}
    fee = {p: i["itemPrice"][0]["price"]["taxIncludedAmount"]["value"] for p, i in items.items()}
    month_fee = {p: i["itemPrice"][1]["price"]["taxIncludedAmount"]["value"] for p, i in items.items()}
    assert one_time == fee and monthly == month_fee
    assert bj.billing.list_bills().total == 0  # BJ bills nobody for it

    # HQ's ledger: the BJ lines apportioned by the default rule (one-time whole, monthly 70%).
    entries = eventually(lambda: hq.settlement.list_settlement_entries(month=cycle).items)
    assert {(e["homeProvince"], e["deliveringProvince"]) for e in entries} == {("GD", "BJ")}
    shares = {e["chargeKind"]: e["shareAmount"]["value"] for e in entries}
    assert shares == {"oneTime": fee["BJ"], "monthly": (month_fee["BJ"] * 70 + 50) // 100}
    shown = eventually(
        lambda: (b := gd.billing.get_bill(bill["id"]))["revenueShareStatus"] == "apportioned" and b
    )
    assert {s["province"]: s["amount"]["value"] for s in shown["revenueShare"]} == {
        "BJ": sum(shares.values())
    }

    issued = {s["province"]: s for s in hq.settlement.issue_statements(cycle, BY)}
    owed = sum(shares.values())
    assert issued["BJ"]["receivable"]["value"] == owed and issued["GD"]["payable"]["value"] == owed
    assert sum(s["net"]["value"] for s in issued.values()) == 0 and set(issued) == {"GD", "BJ"}
    statement = eventually(lambda: bj.settlement.list_statements(cycle).items)[0]
    assert statement["net"]["value"] == owed and statement["counterpart"][0]["province"] == "GD"
    assert eventually(lambda: gd.settlement.list_statements(cycle).items)[0]["net"]["value"] == -owed
    assert sh.settlement.list_statements().total == 0


def test_a_rejection_reaches_the_home_order_and_its_manager(nodes):
    gd, bj = nodes["GD"].app, nodes["BJ"].app
    c = customer(gd)
    remote_only = order(gd, c["id"], ("PO-DC-2M", "BJ"))
    first = forwarded(bj, remote_only["id"])[0]
    bj.work_orders.change_work_order(
        first["id"],
        WorkOrderPatch.model_validate({"state": "rejected", "stateReason": "no coverage in Yanqing"}),
        BY,
    )
    assert {w["state"] for w in bj.work_orders.list_work_orders(order_id=remote_only["id"]).items} == {
        "rejected",
        "cancelled",
    }
    failed = order_state(gd, remote_only["id"], "failed")
    assert failed["productOrderItem"][0]["state"] == "rejected"
    assert failed["productOrderItem"][0]["stateReason"] == "no coverage in Yanqing"
    assert (
        failed["notices"][0]["to"] == MANAGER["id"].lower()
        and "no coverage in Yanqing" in failed["notices"][0]["text"]
    )

    mixed = order(gd, c["id"], ("PO-DC-2M", None), ("PO-DC-10M", "BJ"))
    first = forwarded(bj, mixed["id"])[0]
    work_through(gd, gd.work_orders.list_work_orders(order_id=mixed["id"]).items)
    assert leg(order_state(gd, mixed["id"], "inProgress"), "GD")["state"] == "completed"
    bj.work_orders.change_work_order(
        first["id"], WorkOrderPatch.model_validate({"state": "rejected", "stateReason": "no free port"}), BY
    )
    partial = order_state(gd, mixed["id"], "partial")
    assert {i["deliveringProvince"]: i["state"] for i in partial["productOrderItem"]} == {
        "GD": "completed",
        "BJ": "rejected",
    }
    charged = gd.billing.list_accounts(customer_id=c["id"]).items[0]["unbilledCharge"]
    assert {line["deliveringProvince"] for line in charged} == {"GD"}  # only what was delivered is billed


def test_the_home_order_is_held_or_pending_while_the_delivering_province_says_so(nodes):
    gd, bj = nodes["GD"].app, nodes["BJ"].app
    c = customer(gd)
    placed = order(gd, c["id"], ("PO-DC-2M", "BJ"), ("PO-DC-10M", None))
    first = forwarded(bj, placed["id"])[0]
    bj.work_orders.change_work_order(first["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), BY)
    bj.work_orders.change_work_order(
        first["id"],
        WorkOrderPatch.model_validate({"state": "held", "stateReason": "waiting for the landlord's consent"}),
        BY,
    )
    held = order_state(gd, placed["id"], "held")
    assert (
        held["stateHistory"][-1]["reason"]
        == "BJ resourceConfirmation held: waiting for the landlord's consent"
    )
    local = gd.work_orders.list_work_orders(order_id=placed["id"]).items[0]
    gd.work_orders.change_work_order(
        local["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), BY
    )  # GD's own work goes on meanwhile
    bj.work_orders.change_work_order(first["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), BY)
    order_state(gd, placed["id"], "inProgress")
    bj.work_orders.change_work_order(
        first["id"],
        WorkOrderPatch.model_validate({"state": "pending", "stateReason": "customer to confirm the site"}),
        BY,
    )
    order_state(gd, placed["id"], "pending")
    with pytest.raises(IllegalTransition):  # the desk does not move a cross-province order: its legs do
        gd.orders.change_order(placed["id"], OrderPatch.model_validate({"state": "inProgress"}), BY)


def test_cancelling_in_flight_stops_remote_work_and_delivered_work_refuses(nodes):
    gd, bj, hq = nodes["GD"].app, nodes["BJ"].app, nodes["HQ"].app
    c = customer(gd)
    placed = order(gd, c["id"], ("PO-DC-2M", None), ("PO-DC-10M", "BJ"))
    works = forwarded(bj, placed["id"])
    bj.work_orders.change_work_order(
        works[0]["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), BY
    )
    order_state(gd, placed["id"], "inProgress")
    asked = gd.orders.cancel_order(
        CancelOrderCreate.model_validate(
            {"productOrder": {"id": placed["id"]}, "cancellationReason": "customer withdrew"}
        ),
        BY,
    )
    assert asked["state"] == "inProgress" and asked["awaitingAnswerFrom"] == ["BJ"]
    assert gd.orders.get_order(placed["id"])["state"] == "assessingCancellation"
    with pytest.raises(IllegalTransition):  # GD's own work waits for the answer
        gd.work_orders.change_work_order(
            gd.work_orders.list_work_orders(order_id=placed["id"]).items[0]["id"],
            WorkOrderPatch.model_validate({"state": "inProgress"}),
            BY,
        )
    cancelled = order_state(gd, placed["id"], "cancelled")
    assert [h["state"] for h in cancelled["stateHistory"]][-3:] == [
        "assessingCancellation",
        "pendingCancellation",
        "cancelled",
    ]
    assert gd.orders.get_cancellation(asked["id"])["state"] == "done"
    assert {w["state"] for w in bj.work_orders.list_work_orders(order_id=placed["id"]).items} == {"cancelled"}
    assert {w["state"] for w in gd.work_orders.list_work_orders(order_id=placed["id"]).items} == {"cancelled"}
    eventually(lambda: hq.routing.get_cross_province_order(placed["id"])["state"] == "cancelled")

    # Known delivered: refused at once, with the reason.
    done = order(gd, c["id"], ("PO-DC-2M", "BJ"), ("PO-DC-10M", None))
    work_through(bj, forwarded(bj, done["id"]))
    eventually(lambda: leg(gd.orders.get_order(done["id"]), "BJ")["state"] == "completed")
    with pytest.raises(IllegalTransition) as refused:
        gd.orders.cancel_order(CancelOrderCreate.model_validate({"productOrder": {"id": done["id"]}}), BY)
    assert "BJ completed its work" in refused.value.reason

    # Delivered while the cancellation travelled: BJ refuses, and GD's answer says why.
    racing = order(gd, c["id"], ("PO-DC-2M", "BJ"))
    works = forwarded(bj, racing["id"])
    order_state(gd, racing["id"], "acknowledged")
    gd_follower = nodes["GD"].follower("HQ")
    gd_follower.stop()
    gd_follower.join(timeout=5)
    work_through(bj, works)  # GD does not hear of it yet
    asked = gd.orders.cancel_order(
        CancelOrderCreate.model_validate(
            {"productOrder": {"id": racing["id"]}, "cancellationReason": "too slow"}
        ),
        BY,
    )
    assert asked["state"] == "inProgress"
    eventually(
        lambda: hq.routing.get_cross_province_order(racing["id"]).get("cancellation", {}).get("answers")
    )
    nodes["GD"].runtime.start_follower("HQ")
    answer = eventually(
        lambda: (a := gd.orders.get_cancellation(asked["id"]))["state"] == "terminatedWithError" and a
    )
    assert "BJ completed the work" in answer["stateReason"]
    assert order_state(gd, racing["id"], "completed")["productOrderItem"][0]["state"] == "completed"


def test_a_late_remote_completion_is_compensated_on_the_home_bill(nodes):
    gd, bj = nodes["GD"].app, nodes["BJ"].app
    c = customer(gd)
    gd.clock = lambda: MONDAY  # accepted Monday: urgent, due five working days later (Mon 30 Nov)
    placed = order(gd, c["id"], ("PO-DC-2M", "BJ"))
    assert placed["dueDate"] == "2026-11-30"
    works = forwarded(bj, placed["id"])
    bj.clock = lambda: MONDAY + timedelta(days=14)  # BJ completes on Mon 7 Dec: five working days late
    work_through(bj, works)
    gd.clock = lambda: MONDAY + timedelta(days=15)
    done = order_state(gd, placed["id"], "completed")
    fee = placed["productOrderItem"][0]["itemPrice"][0]["price"]["taxIncludedAmount"]["value"]
    assert done["lateWorkingDays"] == 5 and done["completionDate"].startswith("2026-12-07")
    assert done["compensation"]["value"] == fee * 25 // 100  # 5% per late working day (urgent)
    charges = gd.billing.list_accounts(customer_id=c["id"]).items[0]["unbilledCharge"]
    assert [ch["amount"] for ch in charges if ch["kind"] == "oneTime"] == [fee - fee * 25 // 100]


def test_what_a_bill_shows_of_a_share_is_what_hqs_ledger_settles(nodes):
    gd, bj, hq = nodes["GD"].app, nodes["BJ"].app, nodes["HQ"].app
    hq.settlement.set_settlement_rule(
        "PO-DC-10M", RuleUpdate(oneTimePercent=80, monthlyPercent=50), BY
    )  # beside the default
    c = customer(gd)
    placed = order(gd, c["id"], ("PO-DC-10M", "BJ"), ("PO-DC-2M", "BJ"), ("PO-DC-2M", None))
    work_through(bj, forwarded(bj, placed["id"]))
    work_through(gd, gd.work_orders.list_work_orders(order_id=placed["id"]).items)
    order_state(gd, placed["id"], "completed")
    cycle = datetime.now(UTC).strftime("%Y-%m")
    account = gd.billing.list_accounts(customer_id=c["id"]).items[0]
    bill_id = gd.billing.bill_on_demand(
        BillOnDemandCreate.model_validate({"billingAccount": {"id": account["id"]}, "billingCycle": cycle}),
        BY,
    )["id"]
    assert gd.billing.get_bill(bill_id)["revenueShareStatus"] in (
        "awaitingHq",
        "apportioned",
    )  # never a share of its own
    bill = eventually(
        lambda: (b := gd.billing.get_bill(bill_id))["revenueShareStatus"] == "apportioned" and b
    )

    entries = {
        e["billLineId"]: e
        for e in hq.settlement.list_settlement_entries(month=cycle).items
        if e["customerBill"]["id"] == bill_id
    }
    assert {e["rule"]["id"] for e in entries.values()} == {"PO-DC-10M", "default"}
    shown = {line["id"]: line for share in bill["revenueShare"] for line in share["billLine"]}
    assert set(shown) == set(entries)  # BJ's four lines; GD's own are nobody's share
    for line_id, entry in entries.items():
        assert (
            shown[line_id]["shareAmount"] == entry["shareAmount"] and shown[line_id]["rule"] == entry["rule"]
        )
        assert shown[line_id]["sharePercent"] == entry["sharePercent"]
    assert {s["province"]: s["amount"]["value"] for s in bill["revenueShare"]} == {
        "BJ": sum(e["shareAmount"]["value"] for e in entries.values())
    }
    assert {(e["rule"]["id"], e["chargeKind"]): e["sharePercent"] for e in entries.values()} == {
        ("PO-DC-10M", "oneTime"): 80,
        ("PO-DC-10M", "monthly"): 50,
        ("default", "oneTime"): 100,
        ("default", "monthly"): 70,
    }

    hq.settlement.set_settlement_rule(
        "PO-DC-10M", RuleUpdate(oneTimePercent=10, monthlyPercent=10), BY
    )  # settled already
    assert gd.billing.get_bill(bill_id)["revenueShare"] == bill["revenueShare"]
    assert gd.billing.get_bill(bill_id, replay=True)["revenueShare"] == bill["revenueShare"]
    before = gd.queries.dump()
    gd.rebuild_read_models()
    assert gd.queries.dump() == before


def test_settlement_statements_of_a_month_sum_to_zero_across_provinces(nodes):
    gd, bj, sh, hq = (nodes[c].app for c in ("GD", "BJ", "SH", "HQ"))
    hq.settlement.set_settlement_rule("PO-DC-10M", RuleUpdate(oneTimePercent=80, monthlyPercent=50), BY)
    plan = [(gd, "BJ", "PO-DC-10M"), (bj, "SH", "PO-DC-2M"), (sh, "GD", "PO-DC-2M"), (gd, "SH", "PO-DC-2M")]
    placed = []
    for home, delivering, offering in plan:
        c = customer(home)
        placed.append((home, nodes[delivering].app, c, order(home, c["id"], (offering, delivering))))
    for home, delivering, _c, o in placed:
        work_through(delivering, forwarded(delivering, o["id"]))
        order_state(home, o["id"], "completed")
    cycle = datetime.now(UTC).strftime("%Y-%m")
    for app in (gd, bj, sh):
        app.billing.run_bill_cycle(cycle, BY)
    eventually(lambda: hq.settlement.list_settlement_entries(month=cycle).total == 2 * len(plan))
    rule_80 = [e for e in hq.settlement.list_settlement_entries(month=cycle, delivering="BJ").items]
    assert {e["sharePercent"] for e in rule_80} == {80, 50} and {e["rule"]["id"] for e in rule_80} == {
        "PO-DC-10M"
    }
    statements = hq.settlement.settlement_statements(cycle)
    assert {s["province"] for s in statements} == {"GD", "BJ", "SH"}
    assert sum(s["net"]["value"] for s in statements) == 0
    pairs = {(s["province"], c["province"]): c["net"]["value"] for s in statements for c in s["counterpart"]}
    assert all(pairs[(a, b)] == -pairs[(b, a)] for a, b in pairs)
    assert not any(s["issued"] for s in statements)
    hq.settlement.issue_statements(cycle, BY)
    assert all(s["issued"] for s in hq.settlement.settlement_statements(cycle))
    for code in ("GD", "BJ", "SH"):
        mine = next(s for s in statements if s["province"] == code)
        received = eventually(lambda: nodes[code].app.settlement.list_statements(cycle).items)
        assert received[0]["net"] == mine["net"] and received[0]["province"] == code
    for app in (gd, bj, sh, hq):  # every read model, HQ's ledger and desk included, rebuilds from the events
        before = app.queries.dump()
        app.rebuild_read_models()
        assert app.queries.dump() == before


def test_a_group_with_members_in_other_provinces_is_seen_there_with_only_their_members(nodes):
    gd, bj, sh, hq = (nodes[c].app for c in ("GD", "BJ", "SH", "HQ"))
    g = gd.customers.register_customer(
        CustomerCreate.model_validate(group(name="粤海集团", grade="2A", customerManager=MANAGER)), BY
    )
    members = {}
    for name, phone, province in (
        ("甲", "13800000001", "GD"),
        ("乙", "13800000002", "BJ"),
        ("丙", "13800000003", "SH"),
        ("丁", "13800000004", "SH"),
    ):
        members[name] = gd.customers.add_member(
            g["id"],
            MemberCreate.model_validate({"name": name, "phoneNumber": phone, "province": province}),
            BY,
        )
    seen_bj = eventually(lambda: bj.customers.list_customers(home_province="GD").items)
    assert [x["id"] for x in seen_bj] == [g["id"]] and seen_bj[0]["readOnly"] is True
    assert [m["name"] for m in bj.customers.get_customer(g["id"])["member"]] == ["乙"]
    eventually(
        lambda: (
            len(sh.customers.get_customer(g["id"])["member"]) == 2
            if sh.customers.list_customers(home_province="GD").total
            else False
        )
    )
    assert sorted(m["name"] for m in sh.customers.get_customer(g["id"])["member"]) == ["丁", "丙"]
    assert bj.customers.list_customers(phone_number="13800000002").items[0]["id"] == g["id"]
    assert (
        bj.customers.list_customers(phone_number="13800000003").total == 0
    )  # SH's member is not BJ's to see
    assert bj.customers.list_customers(certificate_number=g["certificate"]["number"]).total == 1
    assert gd.customers.list_customers(home_province="BJ").total == 0

    gd.customers.update_customer(g["id"], CustomerPatch.model_validate({"grade": "1A"}), BY)
    eventually(
        lambda: (
            bj.customers.get_customer(g["id"])["grade"] == "1A"
            and sh.customers.get_customer(g["id"])["grade"] == "1A"
        )
    )
    with pytest.raises(Exception) as refused:
        bj.customers.update_customer(g["id"], CustomerPatch.model_validate({"grade": "3A"}), BY)
    assert getattr(refused.value, "code", "") == "readOnly"
    gd.customers.remove_member(g["id"], members["丙"]["id"], BY)
    gd.customers.remove_member(g["id"], members["丁"]["id"], BY)
    eventually(lambda: sh.customers.list_customers(home_province="GD").total == 0)
    assert bj.customers.list_customers(home_province="GD").total == 1

    national = eventually(
        lambda: hq.registry.list_national_customers(certificate_number=g["certificate"]["number"]).items
    )
    assert national[0]["homeProvince"] == "GD" and national[0]["grade"] == "1A"
    assert hq.registry.list_national_customers(phone_number="13800000002").items[0]["id"] == national[0]["id"]
    assert (
        hq.registry.list_national_customers(name="粤海").total == 1
        and hq.registry.list_national_customers(name="%").total == 0
    )
    for app in (bj, sh, hq):
        before = app.queries.dump()
        app.rebuild_read_models()
        assert app.queries.dump() == before


def test_a_group_members_item_is_delivered_where_the_member_lives(nodes):
    gd, bj = nodes["GD"].app, nodes["BJ"].app
    g = gd.customers.register_customer(
        CustomerCreate.model_validate(group(grade="1A", customerManager=MANAGER)), BY
    )
    gd.customers.update_customer(g["id"], CustomerPatch.model_validate({"status": "active"}), BY)
    member = gd.customers.add_member(
        g["id"],
        MemberCreate.model_validate({"name": "乙", "phoneNumber": "13900000002", "province": "BJ"}),
        BY,
    )
    placed = gd.orders.place_order(
        OrderCreate.model_validate(
            {
                "relatedParty": [{"id": g["id"], "role": "customer"}],
                "productOrderItem": [
                    {"id": "1", "productOffering": {"id": "PO-MOB-99"}, "groupMember": {"id": member["id"]}}
                ],
            }
        ),
        BY,
    )
    assert placed["productOrderItem"][0]["deliveringProvince"] == "BJ"
    assert placed["productOrderItem"][0]["groupMember"]["phoneNumber"] == "13900000002"
    work = forwarded(bj, placed["id"])
    assert work[0]["productOrderItem"][0]["groupMember"]["id"] == member["id"]


def refused_field(place) -> str:
    """The field an order is refused for: by the request model (an unknown field) or by the command."""
    try:
        place()
    except InvalidValue as refused:
        return refused.field
    except ValidationError as refused:
        loc = refused.errors()[0]["loc"]
        return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if n else p) for n, p in enumerate(loc))
    raise AssertionError("the order was accepted")


def test_a_routing_hint_is_never_dropped(nodes):
    gd = nodes["GD"].app
    c = customer(gd)
    before = gd.head_position()
    for item, field in (
        ({"deliveringProvince": "XX"}, "productOrderItem[0].deliveringProvince"),
        ({"deliveringProvince": "GD"}, "productOrderItem[0].deliveringProvince"),
        ({"place": [{"role": "installationAddress", "name": "北京"}]}, "productOrderItem[0].place"),
        ({"groupMember": {"id": "nobody"}}, "productOrderItem[0].groupMember"),
    ):
        body = {
            "relatedParty": [{"id": c["id"], "role": "customer"}],
            "productOrderItem": [{"productOffering": {"id": "PO-DC-2M"}, **item}],
        }
        assert refused_field(lambda: gd.orders.place_order(OrderCreate.model_validate(body), BY)) == field, (
            item
        )
    for order_field in ("place", "deliveringProvinces"):  # a hint at order level is never dropped either
        body = {
            "relatedParty": [{"id": c["id"], "role": "customer"}],
            order_field: "BJ",
            "productOrderItem": [{"productOffering": {"id": "PO-DC-2M"}}],
        }
        assert (
            refused_field(lambda: gd.orders.place_order(OrderCreate.model_validate(body), BY)) == order_field
        )
    assert gd.head_position() == before


def test_a_group_owned_elsewhere_never_pays_for_a_local_customer(nodes):
    gd, bj = nodes["GD"].app, nodes["BJ"].app
    x = customer(bj)
    g = gd.customers.register_customer(CustomerCreate.model_validate(group(grade="1A")), BY)
    gd.customers.add_member(
        g["id"],
        MemberCreate.model_validate(
            {
                "name": "乙",
                "phoneNumber": "13900000009",
                "province": "BJ",
                "customerId": x["id"],
                "centrallyPaid": True,
            }
        ),
        BY,
    )
    eventually(lambda: bj.customers.list_customers(home_province="GD").total == 1)
    local = order(bj, x["id"], ("PO-DC-2M", None))
    work_through(bj, bj.work_orders.list_work_orders(order_id=local["id"]).items)
    assert bj.orders.get_order(local["id"])["state"] == "completed"
    charged = bj.billing.list_accounts(customer_id=x["id"]).items[0]["unbilledCharge"]
    assert charged and {ch["forCustomerId"] for ch in charged} == {x["id"]}


def test_an_item_for_a_province_no_node_serves_is_refused_at_once(nodes):
    gd = nodes["GD"].app
    c = customer(gd)
    g = gd.customers.register_customer(
        CustomerCreate.model_validate(group(grade="1A", customerManager=MANAGER)), BY
    )
    gd.customers.update_customer(g["id"], CustomerPatch.model_validate({"status": "active"}), BY)
    member = gd.customers.add_member(
        g["id"],
        MemberCreate.model_validate({"name": "乙", "phoneNumber": "13900000005", "province": "ZJ"}),
        BY,
    )  # recorded
    with TestClient(rest_api(gd), headers=STAFF) as client:
        before = gd.head_position()
        for body, field in (
            (
                order_body(c["id"], {"productOffering": {"id": "PO-DC-2M"}, "deliveringProvince": "ZJ"}),
                "productOrderItem[0].deliveringProvince",
            ),
            (
                {**order_body(c["id"], {"productOffering": {"id": "PO-DC-2M"}}), "deliveringProvince": "ZJ"},
                "deliveringProvince",
            ),
            (
                order_body(
                    g["id"], {"productOffering": {"id": "PO-MOB-99"}, "groupMember": {"id": member["id"]}}
                ),
                "productOrderItem[0].deliveringProvince",
            ),
        ):
            refused = client.post(ORDERS, json=body)
            assert refused.status_code == 400 and refused.json()["field"] == field, refused.text
            assert "no node serves ZJ: HQ routes only to BJ, GD, SH" in refused.json()["reason"]
        assert gd.head_position() == before
        served = client.post(
            ORDERS,
            json=order_body(c["id"], {"productOffering": {"id": "PO-DC-2M"}, "deliveringProvince": "BJ"}),
        )
        assert served.status_code == 201, served.text


def test_before_hqs_route_table_arrives_a_province_works_on_its_own_and_hq_refuses_back_home(
    nodes, store, tmp_path
):
    hq, gd = nodes["HQ"], nodes["GD"]
    with start_node(store, tmp_path, "HN") as hn:  # a new province, before HQ has answered it
        assert hn.app.routes.hq_routes() is None
        c = customer(hn.app)
        placed = order(hn.app, c["id"], ("PO-DC-2M", "XZ"))  # accepted; HQ decides
        racing = order(hn.app, c["id"], ("PO-DC-2M", "XZ"))
        asked = hn.app.orders.cancel_order(
            CancelOrderCreate.model_validate(
                {"productOrder": {"id": racing["id"]}, "cancellationReason": "changed mind"}
            ),
            BY,
        )
        assert asked["awaitingAnswerFrom"] == ["XZ"]  # cancelled before HQ's refusal arrives
        hq.runtime.add_upstream("HN", hn.target)
        hn.runtime.add_upstream("HQ", hq.target)
        failed = order_state(hn.app, placed["id"], "failed")
        assert "HQ has no route to province XZ" in failed["productOrderItem"][0]["stateReason"]
        done = order_state(hn.app, racing["id"], "cancelled")
        assert done["productOrderItem"][0]["state"] == "rejected"
        assert hn.app.orders.get_cancellation(asked["id"])["state"] == "done"

        wait_for_routes(hn, ("GD", "BJ", "SH", "HN"))  # HQ's route table has come, and now HN knows
        with pytest.raises(InvalidValue) as refused:
            order(hn.app, c["id"], ("PO-DC-2M", "XZ"))
        assert refused.value.field == "productOrderItem[0].deliveringProvince"
        wait_for_routes(gd, ("GD", "BJ", "SH", "HN"))  # HQ follows HN now: every province may order there
        to_hn = order(gd.app, customer(gd.app)["id"], ("PO-DC-2M", "HN"))
        assert [w["homeProvince"] for w in forwarded(hn.app, to_hn["id"])] == ["GD"] * 3


def test_each_province_receives_only_what_is_addressed_to_it_with_its_own_chain(nodes):
    gd, bj, sh, hq = (nodes[c] for c in ("GD", "BJ", "SH", "HQ"))
    c = customer(gd.app)
    to_bj = order(gd.app, c["id"], ("PO-DC-2M", "BJ"))
    to_sh = order(gd.app, c["id"], ("PO-DC-2M", "SH"))
    forwarded(bj.app, to_bj["id"])
    forwarded(sh.app, to_sh["id"])
    received = {}
    for code in ("BJ", "SH"):
        with channel_as(code, hq.target, "HQ") as channel:
            stub = pb_grpc.NotificationLogStub(channel)
            batches = stub.Subscribe(
                pb.SubscribeRequest(after_position=0, tail=False, follower=code), timeout=20
            )
            records = [
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
                for b in batches
                for n in b.notifications
            ]
            head = stub.Head(pb.HeadRequest(follower=code), timeout=5)
        last, broken = verify(GENESIS, records)
        assert broken is None and last == head.running_hash and records[-1].position == head.position
        received[code] = records
    for code, records in received.items():
        addressed = [r for r in records if HQ_PUBLIC[r.topic] is not ReplicationChannel.CATALOG]
        assert addressed and all(
            hq.app.decode(r).destination in (code, "*") for r in addressed
        )  # "*": everyone
    orders_seen = {
        code: {hq.app.decode(r).order_id for r in rs if "CrossProvinceOrder" in r.topic}
        for code, rs in received.items()
    }
    assert orders_seen == {"BJ": {to_bj["id"]}, "SH": {to_sh["id"]}}
    with channel_as(
        "BJ", hq.target, "HQ"
    ) as channel:  # BJ's certificate asking for SH's share: nothing at all
        with pytest.raises(grpc.RpcError) as denied:
            list(
                pb_grpc.NotificationLogStub(channel).Subscribe(pb.SubscribeRequest(follower="SH"), timeout=5)
            )
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_hq_started_without_its_upstreams_keeps_its_route_table_and_says_so_when_it_shrinks(
    store, tmp_path, caplog
):
    from shared.domain.route_table import ROUTE_TABLE_ID, RouteTable
    from tests.support.stores import node_settings

    with node_settings(store, tmp_path, "HQ", tier="hq") as settings:
        hq = open_hq(settings)
        try:
            hq.follow_upstreams(set())
            assert hq.find(RouteTable, ROUTE_TABLE_ID) is None  # no table naming nobody
            hq.follow_upstreams({"GD", "BJ"})
            hq.follow_upstreams(set())  # started again without its cluster file, say
            assert hq.find(RouteTable, ROUTE_TABLE_ID).provinces == ["BJ", "GD"]
            hq.follow_upstreams({"GD"})
            assert hq.find(RouteTable, ROUTE_TABLE_ID).provinces == ["GD"]
            assert any(
                "no longer follows BJ" in r.getMessage() for r in caplog.records if r.levelname == "WARNING"
            )
        finally:
            hq.close()
