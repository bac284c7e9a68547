"""Cross-province demo data for a running cluster (`make run`): orders one province accepts for another to deliver,
left in several states, billed at home, apportioned at HQ, with a month's settlement statements issued.

It needs every node up (the work travels through HQ), so the cluster supervisor runs it over REST once they
answer, between whichever provinces the cluster has (two at least). It does nothing when HQ's order desk already
holds orders.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
CANCEL = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
WORK = "/tmf-api/serviceOrdering/v4/serviceOrder"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
BILL_RUN = "/tmf-api/customerBillManagement/v4/customerBillOnDemand"
DEMO_STAFF = {"HQ": ("demo.settlement", "settlementClerk")}  # provinces: their province administrator

OUTCOMES = (  # (offering, where the order is left, with a local item too), one per cross-province order
    ("PO-DC-2M", "completed", True),
    ("PO-DC-10M", "inProgress", False),
    ("PO-DDN-64K", "rejected", False),
    ("PO-DC-2M", "cancelled", False),
    ("PO-BB-300M", "completed", False),
    ("PO-DC-2M", "acknowledged", False),
)
Step = tuple[
    str, str, str, str, bool
]  # (home, delivering, offering, where it is left, with a local item too)


def plan(provinces: list[str]) -> list[Step]:
    """Cross-province orders between the given provinces (two at least): every outcome once, and every province
    home to one order at least. Pairs go each province to the next first, then to the one after, so that a few
    orders already reach across many provinces."""
    pairs = [
        (home, provinces[(i + step) % len(provinces)])
        for step in range(1, len(provinces))
        for i, home in enumerate(provinces)
    ]
    if not pairs:
        return []
    count = max(len(OUTCOMES), len(provinces))
    return [(*pairs[n % len(pairs)], *OUTCOMES[n % len(OUTCOMES)]) for n in range(count)]


T = TypeVar("T")


class Node:
    """A node's REST API, as the demo loader calls it with a staff token of that node."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def call(
        self, method: str, path: str, body: object = None, **query: object
    ) -> Any:  # Any: the answer's JSON, indexed by the demo
        target = self.url + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            target,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "X-Channel": "system",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")


def _wait(what: Callable[[], T], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError("the cluster did not get there in time")


def staff_of(code: str) -> tuple[str, str, str]:
    """(user, role, province) the demo acts as on a node."""
    user, role = DEMO_STAFF.get(code, (f"demo.{code.lower()}", "provinceAdmin"))
    return user, role, code if code != "HQ" else "HQ"


def load(nodes: dict[str, Node]) -> dict[str, int]:
    """Run the plan against the nodes (code → its REST API: HQ and the provinces); returns what it created."""
    if nodes["HQ"].call("GET", ORDERS, limit=1):
        return {}
    return populate(nodes)


def populate(nodes: dict[str, Node]) -> dict[str, int]:
    hq = nodes["HQ"]
    steps = plan([code for code in nodes if code != "HQ"])
    customers = {
        code: nodes[code].call("GET", CUSTOMERS, status="active", customerKind="individual", limit=1)[0]
        for code in {home for home, *_ in steps}
    }
    placed = [(step, _place(nodes[step[0]], customers[step[0]]["id"], step)) for step in steps]
    for (home, delivering, _, target, local), order in placed:
        _advance(nodes[home], nodes[delivering], order, target, local)
    for (home, _, _, target, _), order in placed:
        _wait(lambda: nodes[home].call("GET", f"{ORDERS}/{order['id']}")["state"] in _settled(target))
    month = datetime.now(UTC).strftime("%Y-%m")
    billed = sum(_bill(nodes[code], customers[code]["id"], month) for code in customers)
    _wait(lambda: _hq_has_all_of(hq, {code: nodes[code] for code in customers}))
    statements = hq.call("POST", "/crm/v1/settlementStatement", {"month": month})
    return {"crossProvinceOrders": len(placed), "bills": billed, "settlementStatements": len(statements)}


def _hq_has_all_of(hq: Node, provinces: dict[str, Node]) -> bool:
    """HQ has applied everything these provinces recorded so far (their bills included)."""
    at_hq = {u["upstream"]: u["position"] for u in hq.call("GET", "/replication/status")["upstreams"]}
    return all(
        at_hq.get(code, -1) >= node.call("GET", "/replication/status")["log"]["headPosition"]
        for code, node in provinces.items()
    )


def _place(home: Node, customer_id: str, step: Step) -> dict[str, Any]:
    _, delivering, offering, _, local = step
    items = [{"id": "1", "productOffering": {"id": offering}, "deliveringProvince": delivering}]
    if local:
        items.append({"id": "2", "productOffering": {"id": "PO-BB-300M"}})
    return home.call(
        "POST",
        ORDERS,
        {
            "relatedParty": [{"id": customer_id, "role": "customer"}],
            "productOrderItem": items,
            "slaClass": "expedited",
            "description": f"cross-province demo: delivered in {delivering}",
        },
    )


def _advance(home: Node, delivering: Node, order: dict[str, Any], target: str, local: bool) -> None:
    if target == "cancelled":
        home.call(
            "POST", CANCEL, {"productOrder": {"id": order["id"]}, "cancellationReason": "customer withdrew"}
        )
        return
    works = _wait(lambda: delivering.call("GET", WORK, **{"productOrder.id": order["id"]}))
    if target == "rejected":
        delivering.call(
            "PATCH", f"{WORK}/{works[0]['id']}", {"state": "rejected", "stateReason": "no free port"}
        )
    elif target == "inProgress":
        delivering.call("PATCH", f"{WORK}/{works[0]['id']}", {"state": "inProgress"})
    elif target == "completed":
        _complete(delivering, works)
        if local:
            _complete(home, home.call("GET", WORK, **{"productOrder.id": order["id"]}))


def _complete(node: Node, works: list[dict[str, Any]]) -> None:
    for w in works:
        node.call("PATCH", f"{WORK}/{w['id']}", {"state": "inProgress"})
        node.call("PATCH", f"{WORK}/{w['id']}", {"state": "completed"})


def _settled(target: str) -> set[str]:
    return {"rejected": {"failed"}, "cancelled": {"cancelled"}}.get(target, {target})


def _bill(home: Node, customer_id: str, month: str) -> int:
    account = home.call("GET", ACCOUNTS, **{"relatedParty.id": customer_id})[0]
    try:
        home.call("POST", BILL_RUN, {"billingAccount": {"id": account["id"]}, "billingCycle": month})
        return 1
    except urllib.error.HTTPError:  # nothing to bill, or this month already billed
        return 0
