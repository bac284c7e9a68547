"""Cross-province orders between nodes that are separate OS processes, over REST and real gRPC: nodes killed
(SIGKILL) while orders travel, and 200 orders accepted at once across three provinces."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.domain.work_order import leg_state
from tests.support.auth import token
from tests.support.factories import individual
from tests.support.nodes import eventually
from tests.support.processes import NodeProcess, process_cluster

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
CANCEL = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
WORK = "/tmf-api/serviceOrdering/v4/serviceOrder"
FINAL = {"completed", "partial", "failed", "cancelled", "rejected"}

pytestmark = pytest.mark.multinode


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(request, tmp_path_factory):
    with process_cluster(request.param, tmp_path_factory.mktemp(request.param), ("GD", "BJ", "SH")) as nodes:
        yield nodes


def active_customer(node: NodeProcess) -> dict:
    c = node.send("POST", CUSTOMERS, individual(grade="2A"), expect=201)
    node.send("PATCH", c["href"], {"status": "active"})
    return c


def place(node: NodeProcess, customer_id: str, delivering: str, local_item: bool = False) -> dict:
    items = [{"id": "r", "productOffering": {"id": "PO-DC-2M"}, "deliveringProvince": delivering}]
    if local_item:
        items.append({"id": "l", "productOffering": {"id": "PO-BB-300M"}})
    return node.send(
        "POST",
        ORDERS,
        {
            "relatedParty": [{"id": customer_id, "role": "customer"}],
            "productOrderItem": items,
            "slaClass": "urgent",
        },
        expect=201,
    )


def work_of(node: NodeProcess, order_id: str) -> list[dict]:
    return node.get(WORK, **{"productOrder.id": order_id})


def complete(node: NodeProcess, works: list[dict]) -> None:
    for w in works:
        node.send("PATCH", w["href"], {"state": "inProgress"})
        node.send("PATCH", w["href"], {"state": "completed"})


def test_hq_down_while_home_accepts_and_while_delivery_completes_then_every_state_arrives_once(live):
    hq, gd, bj = live["HQ"], live["GD"], live["BJ"]
    c = active_customer(gd)
    hq.kill()
    order = place(gd, c["id"], "BJ")  # HQ is away: the home province accepts all the same
    assert order["state"] == "acknowledged"
    hq.start()
    works = eventually(lambda: work_of(bj, order["id"]), timeout=60)
    hq.kill()
    complete(bj, works)  # HQ is away again while BJ works it all
    assert gd.get(f"{ORDERS}/{order['id']}")["state"] == "acknowledged"
    hq.start()
    done = eventually(
        lambda: (d := gd.get(f"{ORDERS}/{order['id']}"))["state"] == "completed" and d, timeout=60
    )
    moves = [(w["workKind"], w["state"]) for w in done["legs"][0]["workHistory"]]
    assert moves == [
        (k, s)
        for k in ("resourceConfirmation", "provisioning", "billingSetup")
        for s in ("inProgress", "completed")
    ]  # each of BJ's changes once, in order
    desk = eventually(
        lambda: (d := hq.get(f"{ORDERS}/{order['id']}"))["state"] == "completed" and d, timeout=30
    )
    assert len(desk["legs"][0]["workHistory"]) == 6


def test_delivering_province_down_while_hq_forwards_receives_the_work_once(live):
    hq, gd, bj = live["HQ"], live["GD"], live["BJ"]
    c = active_customer(gd)
    bj.kill()
    order = place(gd, c["id"], "BJ")
    eventually(lambda: hq.http.get(f"{ORDERS}/{order['id']}").status_code == 200, timeout=30)
    assert hq.get(f"{ORDERS}/{order['id']}")["legs"][0]["forwarded"] is True
    gd.kill()  # and the home province goes too, for good measure
    bj.start()
    works = eventually(lambda: work_of(bj, order["id"]), timeout=60)
    assert len(works) == 3
    complete(bj, works)
    gd.start()
    eventually(lambda: gd.get(f"{ORDERS}/{order['id']}")["state"] == "completed", timeout=60)
    assert len(work_of(bj, order["id"])) == 3


def test_200_orders_accepted_at_once_across_three_provinces_end_the_same_everywhere(live):
    provinces = ("GD", "BJ", "SH")
    customers = {code: active_customer(live[code]) for code in provinces}
    plan = [(provinces[n % 3], provinces[(n + 1) % 3], n) for n in range(200)]

    def accept(step):
        home, delivering, n = step
        return (
            n,
            home,
            delivering,
            place(live[home], customers[home]["id"], delivering, local_item=n % 4 == 0),
        )

    with ThreadPoolExecutor(12) as pool:
        placed = list(pool.map(accept, plan))
    assert len({o["id"] for *_, o in placed}) == 200

    def act(entry):
        n, home, delivering, order = entry
        if n % 10 == 0:  # cancelled at home before anyone worked on it
            live[home].send("POST", CANCEL, {"productOrder": {"id": order["id"]}}, expect=201)
            return
        works = eventually(lambda: work_of(live[delivering], order["id"]), timeout=120)
        if n % 10 == 1:
            live[delivering].send(
                "PATCH", works[0]["href"], {"state": "rejected", "stateReason": "no coverage"}
            )
        else:
            complete(live[delivering], works)
        if n % 4 == 0:
            complete(live[home], work_of(live[home], order["id"]))

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(act, placed))

    def settled(entry):
        _n, home, _delivering, order = entry
        return eventually(
            lambda: (d := live[home].get(f"{ORDERS}/{order['id']}"))["state"] in FINAL and d, timeout=180
        )

    for entry, final in zip(placed, map(settled, placed)):
        n, _home, delivering, order = entry
        expected = (
            "cancelled"
            if n % 10 == 0
            else ("partial" if n % 4 == 0 else "failed")
            if n % 10 == 1
            else "completed"
        )
        assert final["state"] == expected, (n, final["state"])
        remote = next(i for i in final["productOrderItem"] if i["id"] == "r")
        works = work_of(live[delivering], order["id"])
        assert len(works) == 3, (n, len(works))  # forwarded exactly once
        assert remote["state"] == leg_state(w["state"] for w in works).value, n
        desk = eventually(
            lambda: (d := live["HQ"].get(f"{ORDERS}/{order['id']}"))["state"] == final["state"] and d,
            timeout=60,
        )
        assert (
            next(leg for leg in desk["legs"] if leg["deliveringProvince"] == delivering)["state"]
            == remote["state"]
        ), n
    desk_total = live["HQ"].http.get(ORDERS, params={"limit": 1}).headers["X-Total-Count"]
    homes = sum(
        int(live[p].http.get(ORDERS, params={"crossProvince": "true", "limit": 1}).headers["X-Total-Count"])
        for p in provinces
    )
    assert homes == int(desk_total) >= 200
    forwarded_work = sum(
        int(live[p].http.get(WORK, params={"homeProvince": h, "limit": 1}).headers["X-Total-Count"])
        for p in provinces
        for h in provinces
        if h != p
    )
    assert forwarded_work == 3 * int(desk_total)


def test_the_cluster_demo_leaves_orders_in_several_states_and_issues_statements(live):
    from crm import cluster_demo

    nodes = {}
    for code, node in live.items():
        user, role, province = cluster_demo.staff_of(code)
        nodes[code] = cluster_demo.Node(node.url, token(role, province, user))
    created = cluster_demo.populate(nodes)
    assert created["crossProvinceOrders"] == len(cluster_demo.plan(["GD", "BJ", "SH"]))
    assert created["settlementStatements"] >= 2
    desk = live["HQ"].get(ORDERS, limit=1000)
    assert {"completed", "inProgress", "failed", "cancelled", "acknowledged"} <= {o["state"] for o in desk}
    month = desk[-1]["orderDate"][:7]
    assert all(s["issued"] for s in live["HQ"].get("/crm/v1/settlementStatement", month=month))
