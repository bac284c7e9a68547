"""Product orders and their work orders (订单/工单, R-13..R-18): commands and read models."""

from __future__ import annotations

from datetime import timezone
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.application import IdempotencyKey, Outcome
from shared.domain.calendar import business_date
from shared.domain.customer import Customer, CustomerStatus
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.order import FINAL_STATES, OrderState, ProductOrder
from shared.domain.values import only_fields, text
from shared.domain.work_order import WorkOrder, WorkState, parse_work_state
from shared.persistence.queries import Filter, Page, equal
from shared.persistence.readmodel import Operation, Table, Upsert

ORDER_BASE = "/tmf-api/productOrderingManagement/v4/productOrder"
CANCEL_BASE = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
WORK_BASE = "/tmf-api/serviceOrdering/v4/serviceOrder"
CUSTOMER_BASE = "/tmf-api/customerManagement/v4/customer"
OFFERING_BASE = "/tmf-api/productCatalogManagement/v4/productOffering"
MAX_ITEMS = 50
MAX_QUANTITY = 1000
ITEM_ACTIONS = ("add", "modify", "delete", "noChange")

TABLES = (
    Table(
        "product_order",
        (
            ("state", "TEXT"),
            ("customer_id", "TEXT"),
            ("sla_class", "TEXT"),
            ("due_date", "TEXT"),
            ("is_final", "BIGINT"),
            ("completed_at", "TEXT"),
            ("callback_due", "TEXT"),
            ("callback_at", "TEXT"),
            ("created_at", "TEXT"),
        ),
        indexes=("state", "customer_id", "due_date", "callback_due"),
    ),
    Table("cancel_product_order", (("order_id", "TEXT"), ("created_at", "TEXT")), indexes=("order_id",)),
    Table(
        "work_order",
        (("state", "TEXT"), ("order_id", "TEXT"), ("kind", "TEXT"), ("sequence", "BIGINT")),
        indexes=("order_id", "state"),
    ),
)


def money(value: int) -> dict[str, Any]:
    return {"unit": "fen", "value": value}


def _utc(moment: Any) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def cancellation_id(order: ProductOrder) -> str:
    return str(uuid5(NAMESPACE_URL, f"crm:cancel-product-order:{order.id}"))


def order_document(o: ProductOrder) -> dict[str, Any]:
    """TMF622 ProductOrder with our extensions (slaClass, dueDate, acceptanceKind, compensation, …)."""
    items = [
        {
            "id": i["id"],
            "action": i.get("action", "add"),
            "quantity": i["quantity"],
            "productOffering": {"id": i["offeringId"], "name": i["offeringName"], "href": f"{OFFERING_BASE}/{i['offeringId']}"},
            "itemPrice": [
                {"name": "one-time fee", "priceType": "oneTime", "price": {"taxIncludedAmount": money(i["surchargedOneTimeFee"])}},
                {"name": "monthly fee", "priceType": "recurring", "recurringChargePeriod": "month",
                 "price": {"taxIncludedAmount": money(i["monthlyFee"])}},
            ],
            "circuitType": i["circuitType"],
            "listOneTimeFee": money(i["oneTimeFee"]),
        }
        for i in o.items
    ]
    doc: dict[str, Any] = {
        "id": str(o.id),
        "href": f"{ORDER_BASE}/{o.id}",
        "@type": "ProductOrder",
        "state": o.state,
        "orderDate": _utc(o.accepted_at),
        "description": o.description or None,
        "relatedParty": [
            {"id": o.customer_id, "name": o.customer_name, "role": "customer",
             "href": f"{CUSTOMER_BASE}/{o.customer_id}", "@referredType": "Customer"}
        ],
        "productOrderItem": items,
        "orderTotalPrice": [
            {"name": "one-time total", "priceType": "oneTime", "price": {"taxIncludedAmount": money(o.one_time_fee)}},
            {"name": "monthly total", "priceType": "recurring", "recurringChargePeriod": "month",
             "price": {"taxIncludedAmount": money(o.monthly_fee)}},
        ],
        "acceptanceKind": o.acceptance_kind,
        "slaClass": o.sla_class,
        "dueDate": o.due_date.isoformat(),
        "deliveringProvince": o.province,
        "acceptedThrough": o.channel,
        "stateHistory": o.history,
        "version": o.version,
    }
    if o.completion:
        doc["completionDate"] = o.completion["at"]
        doc["lateWorkingDays"] = o.completion["lateWorkingDays"]
        doc["compensation"] = money(o.completion["compensation"])
        doc["completionNotice"] = o.completion["notice"]
        doc["callbackDue"] = o.completion["callbackDue"]
    if o.callback:
        doc["callback"] = o.callback
    if o.cancellation:
        doc["cancellationDate"] = o.cancellation["at"]
        doc["cancellationReason"] = o.cancellation["reason"] or None
    return {k: v for k, v in doc.items() if v is not None}


def cancellation_document(o: ProductOrder) -> dict[str, Any]:
    cid = cancellation_id(o)
    assert o.cancellation is not None
    return {
        "id": cid,
        "href": f"{CANCEL_BASE}/{cid}",
        "@type": "CancelProductOrder",
        "state": "done",
        "cancellationReason": o.cancellation["reason"],
        "effectiveCancellationDate": o.cancellation["at"],
        "productOrder": {"id": str(o.id), "href": f"{ORDER_BASE}/{o.id}", "@referredType": "ProductOrder"},
    }


def work_order_document(w: WorkOrder) -> dict[str, Any]:
    """TMF641 ServiceOrder: one item naming the unit's task."""
    doc = {
        "id": str(w.id),
        "href": f"{WORK_BASE}/{w.id}",
        "@type": "ServiceOrder",
        "state": w.state,
        "category": w.kind,
        "description": f"{w.kind} for product order {w.order_id}",
        "orderDate": _utc(w.created_on),
        "externalReference": [{"name": str(w.order_id), "externalReferenceType": "productOrder"}],
        "serviceOrderItem": [
            {"id": "1", "action": "add", "state": w.state, "service": {"name": w.kind, "serviceType": w.kind}}
        ],
        "productOrder": {"id": str(w.order_id), "href": f"{ORDER_BASE}/{w.order_id}"},
        "workKind": w.kind,
        "sequence": w.sequence,
        "deliveringProvince": w.province,
        "errorMessage": [{"message": w.error_message}] if w.error_message else None,
        "stateHistory": w.history,
        "version": w.version,
    }
    return {k: v for k, v in doc.items() if v is not None}


def project_order(o: ProductOrder) -> list[Operation]:
    operations: list[Operation] = [
        Upsert(
            "product_order",
            {
                "id": str(o.id),
                "state": o.state,
                "customer_id": o.customer_id,
                "sla_class": o.sla_class,
                "due_date": o.due_date.isoformat(),
                "is_final": 1 if OrderState(o.state) in FINAL_STATES else 0,
                "completed_at": o.completion["at"] if o.completion else None,
                "callback_due": o.completion["callbackDue"] if o.completion else None,
                "callback_at": o.callback["at"] if o.callback else None,
                "created_at": _utc(o.accepted_at),
                "doc": order_document(o),
            },
        )
    ]
    if o.cancellation:
        operations.append(
            Upsert(
                "cancel_product_order",
                {"id": cancellation_id(o), "order_id": str(o.id), "created_at": o.cancellation["at"],
                 "doc": cancellation_document(o)},
            )
        )
    return operations


def project_work_order(w: WorkOrder) -> list[Operation]:
    return [
        Upsert(
            "work_order",
            {"id": str(w.id), "state": w.state, "order_id": str(w.order_id), "kind": w.kind,
             "sequence": w.sequence, "doc": work_order_document(w)},
        )
    ]


PROJECTORS = {ProductOrder: project_order, WorkOrder: project_work_order}


def _customer_reference(data: dict[str, Any]) -> tuple[str, str]:
    parties = data.get("relatedParty")
    if not isinstance(parties, list):
        raise InvalidValue("is required: a list naming the customer (role customer)", field="relatedParty")
    for n, party in enumerate(parties):
        if isinstance(party, dict) and (party.get("role") == "customer" or party.get("@referredType") == "Customer"):
            return text(party.get("id"), f"relatedParty[{n}].id", max_length=64), f"relatedParty[{n}].id"
    raise InvalidValue("no entry with role customer", field="relatedParty")


class OrderCommands:
    """Mixed into the province application."""

    # --- orders ------------------------------------------------------------------------------

    def place_order(
        self, data: dict[str, Any], by: dict[str, str], idempotency: IdempotencyKey | None = None
    ) -> dict[str, Any]:
        customer = self._ordering_customer(data)
        offerings = self._order_items(data.get("productOrderItem"))
        order = ProductOrder.accept(
            customer_id=str(customer.id),
            customer_name=customer.name,
            province=self.settings.node_code,
            offerings=offerings,
            acceptance_kind=data.get("acceptanceKind"),
            sla_class=data.get("slaClass"),
            description=data.get("description"),
            channel=by["channel"],
            accepted_at=self.clock(),
            calendar=self.calendar,
            by=by,
        )
        work_orders = WorkOrder.split(order.id, self.settings.node_code, by)
        document = order_document(order)
        self.record(order, *work_orders, idempotency=idempotency, outcome=Outcome(201, document))
        return document

    def _ordering_customer(self, data: dict[str, Any]) -> Customer:
        customer_id, field = _customer_reference(data)
        customer: Customer = self.load_referenced(Customer, customer_id, field)
        if customer.status in (CustomerStatus.CLOSED.value, CustomerStatus.SUSPENDED.value):
            raise IllegalTransition(
                f"a {customer.status} customer cannot place orders", field=field, current_state=customer.status
            )
        return customer

    def _order_items(self, raw: object) -> list[tuple[str, Any, int]]:
        if not isinstance(raw, list) or not raw:
            raise InvalidValue("is required: a non-empty list of order items", field="productOrderItem")
        if len(raw) > MAX_ITEMS:
            raise InvalidValue(f"at most {MAX_ITEMS} items", field="productOrderItem")
        items, seen = [], set()
        for n, item in enumerate(raw):
            where = f"productOrderItem[{n}]"
            if not isinstance(item, dict):
                raise InvalidValue("must be an object", field=where)
            raw_id = item.get("id", str(n + 1))
            if isinstance(raw_id, int) and not isinstance(raw_id, bool):
                raw_id = str(raw_id)
            item_id = text(raw_id, f"{where}.id", max_length=64)
            if item_id in seen:
                raise InvalidValue("item ids must be unique within the order", field=f"{where}.id")
            seen.add(item_id)
            if item.get("action", "add") not in ITEM_ACTIONS:
                raise InvalidValue(f"one of {', '.join(ITEM_ACTIONS)}", field=f"{where}.action")
            quantity = item.get("quantity", 1)
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
                raise InvalidValue(f"an integer from 1 to {MAX_QUANTITY}", field=f"{where}.quantity")
            offering = item.get("productOffering")
            offering_id = offering.get("id") if isinstance(offering, dict) else None
            terms = self.orderable_offering(offering_id, f"{where}.productOffering.id")
            items.append((item_id, terms, quantity))
        return items

    def change_order(self, order_id: str, patch: dict[str, Any], by: dict[str, str]) -> dict[str, Any]:
        only_fields(patch, {"state", "stateReason"})
        if "state" not in patch:
            raise InvalidValue("is required", field="state")
        order: ProductOrder = self.load(ProductOrder, order_id)
        if patch["state"] == OrderState.CANCELLED.value:
            raise IllegalTransition(
                "cancel an order with POST cancelProductOrder", field="state", current_state=order.state
            )
        now = self.clock()
        order.move_to(patch["state"], patch.get("stateReason"), now, by)
        changed = []
        if order.is_final:
            changed = self._close_open_work(order, WorkState.CANCELLED, order.state, now, by)
        self.record(order, *changed)
        return order_document(order)

    def cancel_order(
        self, data: dict[str, Any], by: dict[str, str], idempotency: IdempotencyKey | None = None
    ) -> dict[str, Any]:
        reference = data.get("productOrder")
        if not isinstance(reference, dict) or not reference.get("id"):
            raise InvalidValue("is required: the order to cancel", field="productOrder.id")
        order: ProductOrder = self.load_referenced(ProductOrder, reference["id"], "productOrder.id")
        now = self.clock()
        order.cancel(data.get("cancellationReason"), now, by)
        work = self._close_open_work(order, WorkState.CANCELLED, "order cancelled", now, by)
        document = cancellation_document(order)
        self.record(order, *work, idempotency=idempotency, outcome=Outcome(201, document))
        return document

    def record_order_callback(self, order_id: str, data: dict[str, Any], by: dict[str, str]) -> dict[str, Any]:
        order: ProductOrder = self.load(ProductOrder, order_id)
        order.record_callback(data.get("result"), data.get("satisfied"), self.clock(), by)
        self.record(order)
        return order_document(order)

    def list_orders(
        self,
        *,
        state: str | None = None,
        customer_id: str | None = None,
        sla_class: str | None = None,
        sla_overdue: bool | None = None,
        callback_overdue: bool | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(("state", state), ("customer_id", customer_id), ("sla_class", sla_class))
        today = business_date(self.clock()).isoformat()
        if sla_overdue is not None:
            overdue = "(due_date < ? AND is_final = 0)"
            filters.append(Filter(overdue if sla_overdue else f"NOT {overdue}", (today,)))
        if callback_overdue is not None:
            overdue = "(callback_due IS NOT NULL AND callback_due < ? AND callback_at IS NULL)"
            filters.append(Filter(overdue if callback_overdue else f"NOT {overdue}", (_utc(self.clock()),)))
        return self.queries.page("product_order", filters, offset=offset, limit=limit, order_by="created_at, id")

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self.document("product_order", order_id, "product order")

    def list_cancellations(self, offset: int = 0, limit: int = 100) -> Page:
        return self.queries.page("cancel_product_order", offset=offset, limit=limit, order_by="created_at, id")

    def get_cancellation(self, cancellation: str) -> dict[str, Any]:
        return self.document("cancel_product_order", cancellation, "cancelProductOrder")

    # --- work orders ---------------------------------------------------------------------------

    def change_work_order(self, work_id: str, patch: dict[str, Any], by: dict[str, str]) -> dict[str, Any]:
        only_fields(patch, {"state", "stateReason"})
        target = parse_work_state(patch.get("state"))
        work: WorkOrder = self.load(WorkOrder, work_id)
        order: ProductOrder = self.load(ProductOrder, work.order_id)
        siblings = self._work_orders_of(order.id)
        now = self.clock()
        reason = patch.get("stateReason")
        if target is WorkState.CANCELLED:
            raise IllegalTransition(
                "work orders are cancelled with their order", field="state", current_state=work.state
            )
        if target is WorkState(work.state):
            return work_order_document(work)
        changed: list[Any] = [work]
        if target is WorkState.IN_PROGRESS:
            self._ensure_order_accepts_work(order, work)
            self._ensure_predecessors_done(work, siblings)
            work.move_to(target, reason, now, by)
            order.start(now, by)
            changed.append(order)
        elif target is WorkState.COMPLETED:
            self._ensure_order_accepts_work(order, work)
            work.move_to(target, reason, now, by)
            if all(s.state == WorkState.COMPLETED.value for s in siblings if s.id != work.id):
                order.complete(now, self.calendar, self._manager_of(order), by)
                changed.append(order)
                changed.extend(self.charges_for_completed_order(order, by))
        else:  # failed
            self._ensure_order_accepts_work(order, work)
            work.move_to(target, reason, now, by)
            order.fail(f"{work.kind} failed: {text(reason, 'stateReason', max_length=2000, required=False)}", now, by)
            changed.append(order)
            changed.extend(
                self._close_open_work(order, WorkState.CANCELLED, "order failed", now, by, siblings, skip=work.id)
            )
        self.record(*changed)
        return work_order_document(work)

    def _ensure_order_accepts_work(self, order: ProductOrder, work: WorkOrder) -> None:
        if order.state not in (OrderState.ACKNOWLEDGED.value, OrderState.IN_PROGRESS.value):
            raise IllegalTransition(
                f"the order is {order.state}; its work cannot move on", field="state", current_state=order.state
            )

    def _ensure_predecessors_done(self, work: WorkOrder, siblings: list[WorkOrder]) -> None:
        for earlier in siblings:
            if earlier.sequence < work.sequence and earlier.state != WorkState.COMPLETED.value:
                raise IllegalTransition(
                    f"{earlier.kind} must complete before {work.kind} starts",
                    field="state",
                    current_state=work.state,
                )

    def _work_orders_of(self, order_id: UUID) -> list[WorkOrder]:
        rows = self.queries.rows("SELECT id FROM {work_order} WHERE order_id = ? ORDER BY sequence", [str(order_id)])
        return [self.load(WorkOrder, row["id"]) for row in rows]

    def _close_open_work(
        self, order: ProductOrder, target: WorkState, reason: str, now: Any, by: dict[str, str],
        siblings: list[WorkOrder] | None = None, skip: UUID | None = None,
    ) -> list[WorkOrder]:
        closed = []
        for work in siblings if siblings is not None else self._work_orders_of(order.id):
            if work.id != skip and work.is_open:
                work.move_to(target, reason, now, by)
                closed.append(work)
        return closed

    def _manager_of(self, order: ProductOrder) -> dict[str, Any] | None:
        customer: Customer = self.load(Customer, order.customer_id)
        return customer.current_manager

    def list_work_orders(
        self, *, state: str | None = None, order_id: str | None = None, kind: str | None = None,
        offset: int = 0, limit: int = 100,
    ) -> Page:
        filters = equal(("state", state), ("order_id", order_id), ("kind", kind))
        return self.queries.page("work_order", filters, offset=offset, limit=limit, order_by="order_id, sequence")

    def get_work_order(self, work_id: str) -> dict[str, Any]:
        return self.document("work_order", work_id, "service order")
