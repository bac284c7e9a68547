"""Demo orders in several states, with their work orders moved along."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from province.orders.schemas import CancelOrderCreate, OrderCreate, OrderPatch
from province.work_orders.schemas import WorkOrderPatch
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator

if TYPE_CHECKING:  # the node imports nothing of the demo; the demo only needs its type
    from province.application import ProvinceApplication
    from province.demo.context import DemoContext

PLAN = (  # (offering, SLA class, how far the order gets)
    ("PO-DC-2M", "urgent", "completed"),
    ("PO-DDN-64K", "expedited", "inProgress"),
    ("PO-FRATM-2M", "normal", "acknowledged"),
    ("PO-BB-300M", "normal", "completed"),
    ("PO-PKG-ENT", "expedited", "held"),
    ("PO-MOB-99", "normal", "cancelled"),
    ("PO-SVC-7X24", "urgent", "failed"),
    ("PO-DC-10M", "urgent", "completed"),
)


def _work(app: ProvinceApplication, order_id: str) -> list[dict[str, Any]]:
    return app.work_orders.list_work_orders(order_id=order_id).items


def _advance(app: ProvinceApplication, order: JSONObject, target: str, by: Operator) -> None:
    order_id = str(order["id"])
    works = _work(app, order_id)
    if target == "completed":
        for w in works:
            app.work_orders.change_work_order(
                w["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), by
            )
            app.work_orders.change_work_order(
                w["id"], WorkOrderPatch.model_validate({"state": "completed"}), by
            )
    elif target == "inProgress":
        app.work_orders.change_work_order(
            works[0]["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), by
        )
    elif target == "held":
        app.work_orders.change_work_order(
            works[0]["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), by
        )
        app.orders.change_order(
            order_id,
            OrderPatch.model_validate({"state": "held", "stateReason": "customer site not ready"}),
            by,
        )
    elif target == "cancelled":
        app.orders.cancel_order(
            CancelOrderCreate.model_validate(
                {"productOrder": {"id": order_id}, "cancellationReason": "customer withdrew"}
            ),
            by,
        )
    elif target == "failed":
        app.work_orders.change_work_order(
            works[0]["id"], WorkOrderPatch.model_validate({"state": "inProgress"}), by
        )
        app.work_orders.change_work_order(
            works[0]["id"],
            WorkOrderPatch.model_validate({"state": "failed", "stateReason": "no free port"}),
            by,
        )


def load(app: ProvinceApplication, context: DemoContext, by: Operator) -> dict[str, int]:
    active = [
        c
        for c in context["customers"] + context["groups"]
        if app.customers.get_customer(str(c["id"]))["status"] in {"active", "prospect"}
    ]
    orders = []
    for n, (offering, sla, target) in enumerate(PLAN):
        customer = active[n % len(active)]
        order = app.orders.place_order(
            OrderCreate.model_validate(
                {
                    "relatedParty": [{"id": customer["id"], "role": "customer"}],
                    "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": offering}}],
                    "slaClass": sla,
                    "acceptanceKind": "newInstall" if n % 3 else "changeWithLeaseChange",
                    "description": f"demo order {n + 1}",
                }
            ),
            by,
        )
        _advance(app, order, target, by)
        orders.append(order)
    context["orders"] = orders
    return {"orders": len(orders)}
