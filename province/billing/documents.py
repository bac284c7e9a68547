"""Billing accounts, bills and payments as TMF666/678/676 documents (pure)."""

from __future__ import annotations

from datetime import UTC

from shared.api.documents import money
from shared.domain.billing import (
    BillingAccount,
    CustomerBill,
    Payment,
)
from shared.domain.json_types import JSON, JSONObject

ACCOUNT_BASE = "/tmf-api/accountManagement/v4/billingAccount"
BILL_BASE = "/tmf-api/customerBillManagement/v4/customerBill"
ON_DEMAND_BASE = "/tmf-api/customerBillManagement/v4/customerBillOnDemand"
PAYMENT_BASE = "/tmf-api/paymentManagement/v4/payment"
CUSTOMER_BASE = "/tmf-api/customerManagement/v4/customer"


def account_document(a: BillingAccount) -> JSONObject:
    """TMF666 BillingAccount; balances in fen."""
    stamp = a.modified_on.isoformat()
    return {
        "id": str(a.id),
        "href": f"{ACCOUNT_BASE}/{a.id}",
        "@type": "BillingAccount",
        "name": a.name,
        "accountType": "billing",
        "state": "active",
        "relatedParty": [
            {
                "id": a.customer_id,
                "name": a.name,
                "role": "owner",
                "href": f"{CUSTOMER_BASE}/{a.customer_id}",
                "@referredType": "Customer",
            }
        ],
        "accountBalance": [
            {
                "balanceType": "outstanding",
                "amount": money(a.outstanding),
                "validFor": {"startDateTime": stamp},
            },
            {
                "balanceType": "unbilled",
                "amount": money(a.unbilled_amount),
                "validFor": {"startDateTime": stamp},
            },
        ],
        "unbilledCharge": list(a.unbilled),
        "subscription": list(a.subscriptions),
        "billedCycle": list[JSON](sorted(a.billed_cycles)),
        "province": a.province,
        "lastModified": stamp,
    }


def on_demand_document(bill_id: str, account_id: str, cycle: str, billed_at: str) -> JSONObject:
    """TMF678 CustomerBillOnDemand: the request carries its bill's id, as the bill is cut at once."""
    return {
        "id": bill_id,
        "href": f"{ON_DEMAND_BASE}/{bill_id}",
        "@type": "CustomerBillOnDemand",
        "name": f"bill {cycle}",
        "state": "done",
        "billingAccount": {"id": account_id, "href": f"{ACCOUNT_BASE}/{account_id}"},
        "customerBill": {"id": bill_id, "href": f"{BILL_BASE}/{bill_id}"},
        "lastUpdate": billed_at,
    }


def bill_document(b: CustomerBill) -> JSONObject:
    """TMF678 CustomerBill."""
    year, month = b.cycle.split("-")
    return {
        "id": str(b.id),
        "href": f"{BILL_BASE}/{b.id}",
        "@type": "CustomerBill",
        "billNo": f"{b.cycle}-{str(b.id)[:8]}",
        "billDate": b.issued_at.astimezone(UTC).isoformat(),
        "billingPeriod": {"startDateTime": f"{year}-{month}-01T00:00:00+08:00"},
        "billingCycle": b.cycle,
        "category": "normal",
        "runType": "onCycle",
        "state": b.state,
        "paymentDueDate": f"{b.due_date.isoformat()}T23:59:59+08:00",
        "dueDate": b.due_date.isoformat(),
        "amountDue": money(b.amount_due),
        "remainingAmount": money(b.remaining),
        "taxIncludedAmount": money(b.amount_due),
        "billingAccount": {
            "id": str(b.account_id),
            "href": f"{ACCOUNT_BASE}/{b.account_id}",
            "@referredType": "BillingAccount",
        },
        "relatedParty": [
            {
                "id": b.customer_id,
                "href": f"{CUSTOMER_BASE}/{b.customer_id}",
                "role": "customer",
                "@referredType": "Customer",
            }
        ],  # named when read: see `_named`
        "appliedPayment": [
            {
                "appliedAmount": money(p["amount"]),
                "payment": {"id": p["paymentId"], "href": f"{PAYMENT_BASE}/{p['paymentId']}"},
            }
            for p in b.payments
        ],
        "billLine": list(b.lines),
        "lastUpdate": b.modified_on.isoformat(),
    }


def payment_document(p: Payment) -> JSONObject:
    """TMF676 Payment (the v4 definition is not among our references; its field names are used)."""
    return {
        "id": str(p.id),
        "href": f"{PAYMENT_BASE}/{p.id}",
        "@type": "Payment",
        "paymentDate": p.paid_at.astimezone(UTC).isoformat(),
        "status": "done",
        "totalAmount": money(p.amount),
        "amount": money(p.amount),
        "paymentMethod": {"@type": p.method, "name": p.method},
        "account": {
            "id": str(p.account_id),
            "href": f"{ACCOUNT_BASE}/{p.account_id}",
            "@referredType": "BillingAccount",
        },
        "paymentItem": [
            {
                "item": {
                    "id": str(p.bill_id),
                    "href": f"{BILL_BASE}/{p.bill_id}",
                    "@referredType": "CustomerBill",
                },
                "amount": money(p.amount),
            }
        ],
        "channel": {"name": p.channel},
    }
