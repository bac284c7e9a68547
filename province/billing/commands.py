"""Billing commands and queries of a province (R-22, R-23): accounts, charges, bills, payments, arrears."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Protocol, runtime_checkable
from uuid import uuid4

from province.billing.documents import BILL_BASE, bill_document, on_demand_document, payment_document
from province.billing.schemas import BillOnDemandCreate, BillPatch, PaymentCreate
from province.customers import CustomerCommands
from province.customers.documents import manager_party
from province.settlement import SettlementCommands
from shared.api.documents import money
from shared.application import CrmApplication, IdempotencyKey, Outcome, retried
from shared.domain.billing import (
    DETAIL_MONTHS,
    SUMMARY_MONTHS,
    BillingAccount,
    BillState,
    CustomerBill,
    Payment,
    account_id_for,
    billable_cycle,
    cycle_of,
    parse_cycle,
    parse_method,
)
from shared.domain.calendar import WorkingCalendar, business_date
from shared.domain.customer import Customer
from shared.domain.errors import IllegalTransition, InvalidValue, NotFound
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.persistence.queries import Filter, Page, equal

OVERDUE = "(due_date < ? AND remaining > 0)"
ONLINE = "(cycle >= ? OR remaining > 0)"  # summaries online six months, unpaid bills until paid


@runtime_checkable
class Chargeable(Protocol):
    """What billing charges when it completes: an order (`ProductOrder`)."""

    customer_id: str

    def charges(self) -> list[JSONObject]: ...


class BillingCommands:
    """The billing of this province's customers; one-point billing of cross-province orders (R-21)."""

    def __init__(
        self,
        store: CrmApplication,
        calendar: WorkingCalendar,
        *,
        customers: CustomerCommands,
        settlement: SettlementCommands,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.customers = customers
        self.settlement = settlement

    @staticmethod
    def open_account(registered: Customer.Registered) -> BillingAccount:
        """Every customer gets its billing account, in the registration's transaction (the node's policy)."""
        return BillingAccount(
            str(registered.originator_id),
            name=registered.name,
            province=registered.province,
            by=registered.by,
        )

    def still_open(self, customer: Customer) -> dict[str, list[JSONObject]]:
        """Products still billed monthly, charges not billed yet and bills not paid keep a customer from being
        closed: on its own account (whoever they were for: it pays them), and its own on the account that pays
        for it (its group's)."""
        customer_id = str(customer.id)
        own = self.store.load(BillingAccount, account_id_for(customer_id))
        payer, _ = self.payer_account(customer_id)
        accounts: list[tuple[BillingAccount, Callable[[Mapping[str, object]], bool]]] = [
            (own, lambda line: True)
        ]
        if payer.id != own.id:
            accounts.append((payer, lambda line: line["forCustomerId"] == customer_id))
        products = [
            {
                "productOffering": {"id": line["offeringId"]},
                "description": line["description"],
                "monthlyFee": money(line["amount"]),
                "productOrder": {"id": line["reference"]},
            }
            for account, mine in accounts
            for line in account.subscriptions
            if mine(line)
        ]
        charges = [
            {"id": line["id"], "description": line["description"], "amount": money(line["amount"])}
            for account, mine in accounts
            for line in account.unbilled
            if mine(line)
        ]
        rows = self.store.queries.rows(
            "SELECT id, remaining FROM {customer_bill} WHERE account_id = ? AND remaining > 0 "
            "ORDER BY cycle, id",
            [str(own.id)],
        )
        bills = [
            {"id": r["id"], "href": f"{BILL_BASE}/{r['id']}", "remainingAmount": money(int(r["remaining"]))}
            for r in rows
        ]
        return {
            "activeProducts": products,
            "unbilledCharges": charges,
            "unpaidBills": bills,
        }

    def payer_account(self, customer_id: str) -> tuple[BillingAccount, str]:
        """The account that pays for a customer: its group's, when the group pays centrally (集团统一付费)."""
        rows = self.store.queries.rows(
            "SELECT customer_id FROM {customer_member} WHERE member_customer_id = ? AND centrally_paid = 1",
            [customer_id],
        )
        payer = rows[0]["customer_id"] if rows else customer_id
        return self.store.load(BillingAccount, account_id_for(payer), field="customerId"), payer

    def charge_customer(
        self, customer_id: str, charges: list[JSONObject], by: Operator
    ) -> list[BillingAccount]:
        """Post charges to the payer's account; returns the changed account for the caller to save."""
        if not isinstance(charges, list):
            raise InvalidValue("a list of charges", field="charges")
        if not charges:
            return []
        account, _ = self.payer_account(customer_id)
        for charge in charges:
            account.post_charge(charge, customer_id, self.store.clock(), by)
        return [account]

    def charges_for_completed_order(self, order: object, by: Operator) -> list[BillingAccount]:
        """Aggregates changed by charging a completed order's fees; saved with the order (one transaction).
        Anything else (no customer or no `charges()`) charges nothing."""
        if not isinstance(order, Chargeable):
            return []
        return self.charge_customer(order.customer_id, order.charges(), by)

    @retried
    def bill_on_demand(
        self, data: BillOnDemandCreate, by: Operator, idempotency: IdempotencyKey | None = None
    ) -> JSONObject:
        """TMF678 CustomerBillOnDemand: bill one account for one cycle now."""
        # optional in the schema so that a missing account is the 400 naming billingAccount.id
        if data.billingAccount is None or not data.billingAccount.id:
            raise InvalidValue("is required: the account to bill", field="billingAccount.id")
        account = self.store.load_referenced(BillingAccount, data.billingAccount.id, "billingAccount.id")
        today = business_date(self.store.clock())
        asked = data.billingCycle if "billingCycle" in data.model_fields_set else cycle_of(today)
        cycle = billable_cycle(asked, today, "billingCycle")
        bill = account.bill(cycle, self.calendar, self.store.clock(), by)
        if bill is None:
            raise IllegalTransition(
                "the account has nothing to bill", field="billingAccount.id", current_state="noCharges"
            )
        document = on_demand_document(
            str(bill.id), str(account.id), cycle, str(bill_document(bill)["billDate"])
        )
        self.store.record(account, bill, idempotency=idempotency, outcome=Outcome(201, document))
        return document

    def run_bill_cycle(self, cycle: str, by: Operator) -> int:
        """Bill every account that has charges and has not been billed for the cycle yet."""
        cycle = billable_cycle(cycle, business_date(self.store.clock()))
        billed = 0
        for row in self.store.queries.rows("SELECT id FROM {billing_account} ORDER BY id"):
            account: BillingAccount = self.store.load(BillingAccount, row["id"])
            if cycle in account.billed_cycles:
                continue
            bill = account.bill(cycle, self.calendar, self.store.clock(), by)
            if bill is not None:
                self.store.record(account, bill)
                billed += 1
        return billed

    def change_bill(self, bill_id: str, patch: BillPatch, by: Operator) -> JSONObject:
        bill = self.store.load(CustomerBill, bill_id)
        target = patch.state.value
        if patch.state is not BillState.SENT:
            raise IllegalTransition(
                f"only 'sent' can be set; a bill becomes {target} by its issue or payments",
                field="state",
                current_state=bill.state,
            )
        bill.send(self.store.clock(), by)
        self.store.record(bill)
        return bill_document(bill)

    @retried
    def pay(self, data: PaymentCreate, by: Operator, idempotency: IdempotencyKey | None = None) -> JSONObject:
        # optional in the schema so that a missing bill is the 400 naming bill.id
        if data.bill is None or not data.bill.id:
            raise InvalidValue("is required: the bill paid", field="bill.id")
        bill = self.store.load_referenced(CustomerBill, data.bill.id, "bill.id")
        total = data.totalAmount
        if total.unit != "fen":  # money is integer fen (R-money); the schema takes any short unit
            raise InvalidValue("is required: {unit: fen, value: integer amount}", field="totalAmount")
        method = parse_method(data.paymentMethod)
        account: BillingAccount = self.store.load(BillingAccount, bill.account_id)
        now = self.store.clock()
        payment_id = uuid4()
        amount = bill.apply_payment(payment_id, total.value, now, by)
        payment = Payment(
            id=payment_id,
            bill_id=bill.id,
            account_id=account.id,
            amount=amount,
            method=method,
            paid_at=now,
            by=by,
        )
        account.receive(amount, bill.id, by)
        document = payment_document(payment)
        self.store.record(payment, bill, account, idempotency=idempotency, outcome=Outcome(201, document))
        return document

    # --- queries -------------------------------------------------------------------------------

    def _today(self) -> str:
        return business_date(self.store.clock()).isoformat()

    def _online(self, doc: dict[str, Any]) -> JSONObject:
        """R-23: bill lines are shown for three months; older bills keep their summary only."""
        if doc["billingCycle"] < cycle_of(business_date(self.store.clock()), DETAIL_MONTHS):
            doc["billLine"] = []
            doc["billLineArchived"] = True
        return doc

    def _answered(self, docs: list[dict[str, Any]], replayed: bool = False) -> list[dict[str, Any]]:
        """Bills as answered: with what HQ settled of them (while their lines are at hand), their lines only while
        online unless replayed, and named."""
        shared = self.settlement.with_revenue_shares(docs)
        return self._named(shared if replayed else [self._online(doc) for doc in shared])

    def _named(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Bills name their customer as it is now (name, and its manager beside it), not as an id."""
        customers = self.customers.customer_summaries(d["relatedParty"][0]["id"] for d in docs)
        for doc in docs:
            customer = customers.get(doc["relatedParty"][0]["id"])
            if customer is None:
                continue
            manager = customer.get("customerManager")
            doc["relatedParty"] = [
                {
                    "id": customer["id"],
                    "href": customer["href"],
                    "name": customer["name"],
                    "role": "customer",
                    "@referredType": "Customer",
                },
                *manager_party(manager if isinstance(manager, dict) else None),
            ]
        return docs

    def list_accounts(
        self,
        *,
        customer_id: str | None = None,
        has_arrears: bool | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = [Filter("customer_id = ?", (customer_id,))] if customer_id else []
        if has_arrears is not None:
            bills = self.store.schema.physical("customer_bill")
            exists = f"EXISTS (SELECT 1 FROM {bills} b WHERE b.account_id = {self.store.schema.physical('billing_account')}.id AND b.due_date < ? AND b.remaining > 0)"
            filters.append(Filter(exists if has_arrears else f"NOT {exists}", (self._today(),)))
        page = self.store.queries.page("billing_account", filters, offset=offset, limit=limit)
        return Page(total=page.total, items=self._with_arrears(page.items))

    def get_account(self, account_id: str) -> JSONObject:
        doc = self.store.queries.get("billing_account", account_id)
        if doc is None:
            raise NotFound(f"no billing account with id '{account_id}'", field="id")
        return self._with_arrears([doc])[0]

    def _with_arrears(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Arrears (欠费) are computed when asked: what is still owed on bills past their due date today."""
        if not docs:
            return docs
        marks = ", ".join("?" for _ in docs)
        rows = self.store.queries.rows(
            "SELECT account_id, SUM(remaining) AS n FROM {customer_bill} "
            f"WHERE account_id IN ({marks}) AND due_date < ? AND remaining > 0 GROUP BY account_id",
            [*(d["id"] for d in docs), self._today()],
        )
        owed = {r["account_id"]: int(r["n"]) for r in rows}
        for doc in docs:
            doc["arrears"] = money(owed.get(doc["id"], 0))
        return docs

    def list_bills(
        self,
        *,
        state: str | None = None,
        account_id: str | None = None,
        cycle: str | None = None,
        overdue: bool | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        cycle = parse_cycle(cycle, "billingCycle") if cycle else None
        filters = equal(("state", state), ("account_id", account_id), ("cycle", cycle))
        filters.append(Filter(ONLINE, (cycle_of(business_date(self.store.clock()), SUMMARY_MONTHS),)))
        if overdue is not None:
            filters.append(Filter(OVERDUE if overdue else f"NOT {OVERDUE}", (self._today(),)))
        page = self.store.queries.page(
            "customer_bill", filters, offset=offset, limit=limit, order_by="cycle, id"
        )
        return Page(total=page.total, items=self._answered(page.items))

    def get_bill_on_demand(self, request_id: str) -> JSONObject:
        """A bill-on-demand request answers at its `Location`: it ran at once, so it is its bill."""
        bill = self.store.document("customer_bill", request_id, "customer bill on demand")
        return on_demand_document(
            bill["id"], bill["billingAccount"]["id"], bill["billingCycle"], bill["billDate"]
        )

    def get_bill(self, bill_id: str, replay: bool = False) -> JSONObject:
        """The online bill; `replay` rebuilds it, lines and all, from the event store whatever its age."""
        if replay:
            return self._answered(
                [{**bill_document(self.store.load(CustomerBill, bill_id)), "replayed": True}], replayed=True
            )[0]
        doc = self.store.document("customer_bill", bill_id, "customer bill")
        horizon = cycle_of(business_date(self.store.clock()), SUMMARY_MONTHS)
        if doc["billingCycle"] < horizon and doc["remainingAmount"]["value"] == 0:
            raise NotFound(
                f"bill '{bill_id}' is settled and older than {SUMMARY_MONTHS} months: ask with replay=true",
                field="id",
                archived=True,
            )
        return self._answered([doc])[0]

    def arrears_reminders(self, offset: int = 0, limit: int = 100) -> Page:
        """催缴 (R-23): every overdue unpaid bill, oldest first, with how much and how long."""
        today = self._today()
        page = self.store.queries.page(
            "customer_bill", [Filter(OVERDUE, (today,))], offset=offset, limit=limit, order_by="due_date, id"
        )
        customers = self.customers.customer_summaries(b["relatedParty"][0]["id"] for b in page.items)
        items = [
            {
                "bill": {"id": b["id"], "href": b["href"]},
                "billingAccount": b["billingAccount"],
                "customer": {**b["relatedParty"][0], **customers.get(b["relatedParty"][0]["id"], {})},
                "billingCycle": b["billingCycle"],
                "dueDate": b["dueDate"],
                "daysOverdue": (business_date(self.store.clock()) - date.fromisoformat(b["dueDate"])).days,
                "remainingAmount": b["remainingAmount"],
            }
            for b in page.items
        ]
        return Page(total=page.total, items=items)

    def list_payments(
        self, *, account_id: str | None = None, bill_id: str | None = None, offset: int = 0, limit: int = 100
    ) -> Page:
        filters = equal(("account_id", account_id), ("bill_id", bill_id))
        return self.store.queries.page("payment", filters, offset=offset, limit=limit, order_by="paid_at, id")

    def get_payment(self, payment_id: str) -> JSONObject:
        return self.store.document("payment", payment_id, "payment")
