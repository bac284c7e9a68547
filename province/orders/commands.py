"""Product orders (订单, R-13..R-19): accepting, desk moves, cancelling, callbacks; what crosses to HQ.

An order's items are delivered here or, named by `deliveringProvince` (or by a group member living elsewhere),
in another province (一点受理, R-19). Local items get this node's work orders; the others travel to HQ as a
`CrossProvinceRequest`, and the order follows what their provinces report back.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate

from province.billing import BillingCommands
from province.catalog import CatalogCommands
from province.customers import CustomerCommands
from province.customers.commands import ensure_manages
from province.orders.documents import ORDER_BASE, cancellation_document, order_document, utc
from province.orders.route_copies import RouteCopies
from province.orders.schemas import CancelOrderCreate, OrderCreate, OrderItemInput, OrderPatch
from province.work_orders.read_model import work_orders_of
from shared.api.models import Callback, ReferenceInput
from shared.application import CrmApplication, IdempotencyKey, Outcome, retried
from shared.domain.calendar import WorkingCalendar, business_date
from shared.domain.cross_province import CrossProvinceRequest, request_id
from shared.domain.customer import Customer, CustomerStatus
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.order import CANCELLATION_STATES, OrderLine, OrderState, ProductOrder
from shared.domain.values import province_code, text
from shared.domain.work_order import WorkOrder, close_open
from shared.persistence.queries import Filter, Page, equal


def _customer_reference(data: OrderCreate) -> tuple[str, str]:
    for n, party in enumerate(data.relatedParty):
        if party.role == "customer" or party.referred_type == "Customer":
            field = f"relatedParty[{n}].id"
            return text(party.id, field), field  # the schema bounds the id; text() refuses a blank one
    raise InvalidValue("no entry with role customer", field="relatedParty")


def customer_reference(customer: Customer) -> JSONObject:
    """What a delivering province learns of the ordering customer: who, not their personal data."""
    return {
        "id": str(customer.id),
        "name": customer.name,
        "grade": customer.grade,
        "customerKind": customer.kind,
        "homeProvince": customer.province,
    }


class OrderCommands:
    """Orders accepted in this province; each follows its legs, here or (through HQ) in other provinces."""

    def __init__(
        self,
        store: CrmApplication,
        calendar: WorkingCalendar,
        *,
        customers: CustomerCommands,
        catalog: CatalogCommands,
        billing: BillingCommands,
        routes: RouteCopies,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.customers = customers
        self.catalog = catalog
        self.billing = billing
        self.routes = routes

    # --- accepting ---------------------------------------------------------------------------

    def place_order(
        self, data: OrderCreate, by: Operator, idempotency: IdempotencyKey | None = None
    ) -> JSONObject:
        customer = self._ordering_customer(data, by)
        lines = self._order_lines(data.productOrderItem, customer, data.deliveringProvince)
        home = self.store.settings.node_code
        order = ProductOrder.accept(
            customer_id=str(customer.id),
            customer_name=customer.name,
            province=home,
            offerings=lines,
            acceptance_kind=None if data.acceptanceKind is None else data.acceptanceKind.value,
            sla_class=None if data.slaClass is None else data.slaClass.value,
            description=data.description,
            channel=by.channel,
            accepted_at=self.store.clock(),
            calendar=self.calendar,
            by=by,
        )
        aggregates: list[Aggregate] = [order]
        if home in order.legs:
            aggregates += WorkOrder.split(order.id, home, by)
        if order.is_cross_province:
            aggregates.append(
                CrossProvinceRequest(
                    order_id=str(order.id),
                    home=home,
                    customer=customer_reference(customer),
                    sla_class=order.sla_class,
                    acceptance_kind=order.acceptance_kind,
                    due_date=order.due_date,
                    accepted_at=order.accepted_at,
                    legs={p: order.items_of(p) for p in order.legs},
                    by=by,
                )
            )
        document = order_document(order)
        self.store.record(*aggregates, idempotency=idempotency, outcome=Outcome(201, document))
        return document

    def _ordering_customer(self, data: OrderCreate, by: Operator) -> Customer:
        customer_id, field = _customer_reference(data)
        customer = self.customers.load_customer(customer_id, field, referenced=True)
        ensure_manages(customer, by)
        if customer.status in (CustomerStatus.CLOSED.value, CustomerStatus.SUSPENDED.value):
            raise IllegalTransition(
                f"a {customer.status} customer cannot place orders",
                field=field,
                current_state=customer.status,
            )
        return customer

    def _order_lines(
        self, items: list[OrderItemInput], customer: Customer, default_province: str | None
    ) -> list[OrderLine]:
        """The schema bounds the items (1 to 50), their action (add only) and quantity (1 to 1000)."""
        default = self._delivering(default_province, "deliveringProvince")
        lines, seen = [], set()
        for n, item in enumerate(items):
            where = f"productOrderItem[{n}]"
            item_id = self._item_id(item.id if "id" in item.model_fields_set else str(n + 1), where)
            if item_id in seen:
                raise InvalidValue("item ids must be unique within the order", field=f"{where}.id")
            seen.add(item_id)
            offering_id = None if item.productOffering is None else item.productOffering.id
            terms = self.catalog.orderable_offering(offering_id, f"{where}.productOffering.id")
            member = self._group_member(customer, item.groupMember, f"{where}.groupMember")
            field = f"{where}.deliveringProvince"
            delivering = self._delivering(item.deliveringProvince, field)
            if delivering is None and default is not None:
                delivering, field = default, "deliveringProvince"
            lives_there = None
            if delivering is None and member and member["province"] != self.store.settings.node_code:
                delivering, lives_there = (
                    member["province"],
                    member,
                )  # delivered where the member lives
            if delivering is not None:
                self.routes.ensure_routed(delivering, field, lives_there)
            lines.append(OrderLine(item_id, terms, item.quantity, delivering, member))
        return lines

    @staticmethod
    def _item_id(raw_id: str | int | None, where: str) -> str:
        return text(str(raw_id) if isinstance(raw_id, int) else raw_id, f"{where}.id", max_length=64)

    def _delivering(self, value: str | None, field: str) -> str | None:
        """A province named to deliver an item (R-19): a known code other than this node's own."""
        if value is None:
            return None
        code = province_code(value, field)
        if code == self.store.settings.node_code:
            raise InvalidValue(
                f"{code} is this node's own province: leave deliveringProvince out to deliver here",
                field=field,
            )
        return code

    @staticmethod
    def _group_member(customer: Customer, value: ReferenceInput | None, field: str) -> dict[str, str] | None:
        if value is None:
            return None
        if not customer.is_group:
            raise InvalidValue("only a group customer orders for its members", field=field)
        member = customer.members.get(value.id)
        if member is None:
            raise InvalidValue(f"no member '{value.id}' in this group", field=f"{field}.id")
        return {k: member[k] for k in ("id", "name", "phoneNumber", "province")}

    # --- desk moves, cancellation, callback ------------------------------------------------------

    @retried
    def change_order(self, order_id: str, patch: OrderPatch, by: Operator) -> JSONObject:
        with self.store.batch() as batch:
            order: ProductOrder = self.store.load(ProductOrder, order_id)
            ensure_manages(self.store.load(Customer, order.customer_id), by)
            if patch.state == OrderState.CANCELLED.value:
                raise IllegalTransition(
                    "cancel an order with POST cancelProductOrder", field="state", current_state=order.state
                )
            now = self.store.clock()
            order.move_to(patch.state, patch.stateReason, now, by)
            if order.is_final:
                self.close_local_work(order, order.state, now, by)
            self.store.record(*batch.changed())
        return order_document(order)

    @retried
    def cancel_order(
        self, data: CancelOrderCreate, by: Operator, idempotency: IdempotencyKey | None = None
    ) -> JSONObject:
        # optional in the schema so that a missing order is the 400 naming productOrder.id
        if data.productOrder is None or not data.productOrder.id:
            raise InvalidValue("is required: the order to cancel", field="productOrder.id")
        with self.store.batch() as batch:
            order = self.store.load_referenced(ProductOrder, data.productOrder.id, "productOrder.id")
            ensure_manages(self.store.load(Customer, order.customer_id), by)
            now = self.store.clock()
            asked = order.cancel(data.cancellationReason, now, by)
            if asked:
                request: CrossProvinceRequest = self.store.load(
                    CrossProvinceRequest, request_id(str(order.id))
                )
                assert order.cancellation is not None  # asked: the cancellation was just recorded
                request.request_cancellation(asked, order.cancellation["reason"], now, by)
            else:
                self.close_local_work(order, "order cancelled", now, by)
            self.report_home_state(order, now, by)
            document = cancellation_document(order)
            self.store.record(*batch.changed(), idempotency=idempotency, outcome=Outcome(201, document))
        return document

    @retried
    def record_order_callback(self, order_id: str, data: Callback, by: Operator) -> JSONObject:
        order = self.store.load(ProductOrder, order_id)
        order.record_callback(data.result, data.satisfied, self.store.clock(), by)
        self.store.record(order)
        return order_document(order)

    # --- how an order follows its legs ---------------------------------------------------------

    def leg_moved(
        self,
        order: ProductOrder,
        *,
        province: str,
        work_kind: str,
        work_state: str,
        leg_state: str,
        reason: str,
        at: datetime,
        by: Operator,
    ) -> None:
        """A leg's work moved (here, or relayed from its delivering province): the order follows; when it
        finishes, its delivered items are charged to the customer's account here (one-point billing, R-21).
        Runs in a unit of work (`batch`): what it changes is saved by the caller."""
        was_finished = order.completion is not None
        order.progress_leg(
            province=province,
            work_kind=work_kind,
            work_state=work_state,
            leg_state=leg_state,
            reason=reason,
            at=at,
            calendar=self.calendar,
            manager=self.manager_of(order),
            by=by,
        )
        if order.completion is not None and not was_finished:
            self.billing.charges_for_completed_order(order, by)
        if order.is_final:
            self.close_local_work(order, f"order {order.state}", at, by)
        self.report_home_state(order, at, by)

    def report_home_state(self, order: ProductOrder, at: datetime, by: Operator) -> None:
        """A cross-province order's state goes up too, so HQ's desk shows what this province shows."""
        if order.is_cross_province:
            request: CrossProvinceRequest = self.store.load(CrossProvinceRequest, request_id(str(order.id)))
            home = order.legs.get(order.province)
            request.report_state(order.state, home["state"] if home else None, at, by)

    def close_local_work(self, order: ProductOrder, reason: str, at: datetime, by: Operator) -> None:
        home = self.store.settings.node_code
        if home in order.legs:
            close_open(work_orders_of(self.store, order.id, home), reason, at, by)

    def manager_of(self, order: ProductOrder) -> JSONObject | None:
        customer = self.store.find(Customer, order.customer_id)
        return customer.current_manager if customer is not None else None

    def ensure_order_accepts_work(self, order: ProductOrder) -> None:
        """Work moves while the order is open, unless the desk put it on hold (held/pending with no leg waiting)."""
        state = OrderState(order.state)
        desk_hold = state in (OrderState.HELD, OrderState.PENDING) and all(
            leg["state"] != state.value for leg in order.legs.values()
        )
        if order.is_final or state in CANCELLATION_STATES or desk_hold:
            raise IllegalTransition(
                f"the order is {order.state}; its work cannot move on",
                field="state",
                current_state=order.state,
            )

    def still_open(self, customer: Customer) -> dict[str, list[JSONObject]]:
        """Orders still in flight keep a customer from being closed."""
        rows = self.store.queries.rows(
            "SELECT id, state FROM {product_order} WHERE customer_id = ? AND is_final = 0 "
            "ORDER BY created_at, id",
            [str(customer.id)],
        )
        return {
            "openOrders": [
                {"id": r["id"], "href": f"{ORDER_BASE}/{r['id']}", "state": r["state"]} for r in rows
            ]
        }

    # --- queries -------------------------------------------------------------------------------

    def list_orders(
        self,
        *,
        state: str | None = None,
        customer_id: str | None = None,
        sla_class: str | None = None,
        sla_overdue: bool | None = None,
        callback_overdue: bool | None = None,
        cross_province: bool | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(("state", state), ("customer_id", customer_id), ("sla_class", sla_class))
        today = business_date(self.store.clock()).isoformat()
        if sla_overdue is not None:
            overdue = "(due_date < ? AND is_final = 0)"
            filters.append(Filter(overdue if sla_overdue else f"NOT {overdue}", (today,)))
        if callback_overdue is not None:
            overdue = "(callback_due IS NOT NULL AND callback_due < ? AND callback_at IS NULL)"
            filters.append(
                Filter(overdue if callback_overdue else f"NOT {overdue}", (utc(self.store.clock()),))
            )
        if cross_province is not None:
            filters.append(Filter("cross_province = ?", (1 if cross_province else 0,)))
        return self.store.queries.page(
            "product_order", filters, offset=offset, limit=limit, order_by="created_at, id"
        )

    def get_order(self, order_id: str) -> JSONObject:
        return self.store.document("product_order", order_id, "product order")

    def list_cancellations(self, offset: int = 0, limit: int = 100) -> Page:
        return self.store.queries.page(
            "cancel_product_order", offset=offset, limit=limit, order_by="created_at, id"
        )

    def get_cancellation(self, cancellation: str) -> JSONObject:
        return self.store.document("cancel_product_order", cancellation, "cancelProductOrder")
