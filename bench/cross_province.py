"""Round trip of a cross-province order (R-19) through HQ, beside one replication hop, on each store.

Three nodes (HQ, GD, BJ), each its own application, store and gRPC log service on loopback, following each other
as in production. For each of N orders:
- forward: GD accepts an order delivered in BJ → BJ holds its work orders (GD → HQ → BJ, two hops);
- back: BJ completes the last work order → GD's order is completed (BJ → HQ → GD, two hops).
Baseline, in the same run: one hop, a customer registered in GD → applied at HQ.
Times are taken when the command returns and when a 1 ms poll of the receiving node's store first sees the result.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench.nodes import BY, store_settings
from crm.bootstrap import Node, start_node
from crm.ports import free_port
from crm.throwaway import id_card
from hq.application import HqApplication
from province.application import ProvinceApplication
from province.customers.schemas import CustomerCreate, CustomerPatch
from province.orders.schemas import OrderCreate
from province.work_orders.schemas import WorkOrderPatch
from shared.domain.customer import CustomerStatus


def _until(predicate: Callable[[], object], timeout: float = 30.0) -> float:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("not replicated in time")
        time.sleep(0.001)
    return time.perf_counter()


def _cluster(
    stack: ExitStack, store: str, tmp: Path
) -> tuple[ProvinceApplication, ProvinceApplication, HqApplication]:
    """GD, BJ and HQ running, each following the other side."""
    nodes: dict[str, Node] = {}
    for code in ("GD", "BJ", "HQ"):
        settings = stack.enter_context(
            store_settings(store, tmp, code, grpc_port=free_port(), reconnect_initial_seconds=0.05)
        )
        node = start_node(settings)
        stack.callback(node.stop)
        nodes[code] = node
    hq = nodes["HQ"]
    for code in ("GD", "BJ"):
        hq.runtime.add_upstream(code, nodes[code].target)
        nodes[code].runtime.add_upstream("HQ", hq.target)
    gd, bj, hq_app = nodes["GD"].app, nodes["BJ"].app, nodes["HQ"].app
    assert isinstance(gd, ProvinceApplication) and isinstance(bj, ProvinceApplication)
    assert isinstance(hq_app, HqApplication)
    for app in (gd, bj):  # HQ's route table changed with each upstream: orders wait for the last one
        _until(
            lambda: (routes := app.routes.hq_routes()) is not None and set(routes.provinces) == {"GD", "BJ"}
        )
    return gd, bj, hq_app


def _customer(gd: ProvinceApplication, n: int) -> str:
    body = {
        "name": f"客户{n}",
        "customerKind": "individual",
        "grade": "1A",
        "certificate": {"type": "idCard", "number": id_card(n)},
    }
    customer = gd.customers.register_customer(CustomerCreate.model_validate(body), BY)
    customer_id = str(customer["id"])
    gd.customers.update_customer(customer_id, CustomerPatch(status=CustomerStatus.ACTIVE), BY)
    return customer_id


def one_hop(gd: ProvinceApplication, hq: HqApplication, count: int) -> list[float]:
    """Seconds from GD's commit to HQ having applied it."""
    latencies = []
    for n in range(count):
        customer = gd.customers.register_customer(
            CustomerCreate.model_validate(
                {
                    "name": f"单跳{n}",
                    "customerKind": "individual",
                    "grade": "1A",
                    "certificate": {"type": "idCard", "number": id_card(500_000 + n)},
                }
            ),
            BY,
        )
        committed = time.perf_counter()
        done = _until(
            lambda: hq.queries.rows(
                "SELECT 1 FROM {province_customer} WHERE customer_id = ?", [customer["id"]]
            )
        )
        latencies.append(done - committed)
    return latencies


def round_trips(
    gd: ProvinceApplication, bj: ProvinceApplication, count: int
) -> tuple[list[float], list[float]]:
    customer_id = _customer(gd, 1)
    forward, back = [], []
    for _ in range(count):
        order = gd.orders.place_order(
            OrderCreate.model_validate(
                {
                    "relatedParty": [{"id": customer_id, "role": "customer"}],
                    "productOrderItem": [{"productOffering": {"id": "PO-DC-2M"}, "deliveringProvince": "BJ"}],
                }
            ),
            BY,
        )
        accepted = time.perf_counter()
        order_id = str(order["id"])
        arrived = _until(lambda: bj.work_orders.list_work_orders(order_id=order_id).total == 3)
        forward.append(arrived - accepted)
        for w in bj.work_orders.list_work_orders(order_id=order_id).items:
            bj.work_orders.change_work_order(
                w["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), BY
            )
            bj.work_orders.change_work_order(
                w["id"], WorkOrderPatch.model_validate({"state": "completed"}), BY
            )
        finished = time.perf_counter()
        completed = _until(lambda: gd.orders.get_order(order_id)["state"] == "completed")
        back.append(completed - finished)
    return forward, back


def _ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return 1000 * statistics.median(ordered), 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args(argv)
    print(f"Cross-province round trip, {args.orders} orders GD → BJ (median / p99), against one hop GD → HQ")
    for store in args.stores.split(","):
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            gd, bj, hq = _cluster(stack, store, Path(tmp))
            hop = _ms(one_hop(gd, hq, args.orders))
            forward_s, back_s = round_trips(gd, bj, args.orders)
            forward, back = _ms(forward_s), _ms(back_s)
        print(
            f"  {store:9s} one hop {hop[0]:6.1f} / {hop[1]:6.1f} ms | accepted at GD → work orders at BJ "
            f"{forward[0]:6.1f} / {forward[1]:6.1f} ms = {forward[0] / hop[0]:4.1f}x hop | BJ's last completion "
            f"→ GD completed {back[0]:6.1f} / {back[1]:6.1f} ms = {back[0] / hop[0]:4.1f}x hop",
            flush=True,
        )


if __name__ == "__main__":
    main()
