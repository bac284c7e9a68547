"""The billing read model: accounts, bills and payments."""

from __future__ import annotations

from datetime import UTC

from province.billing.documents import account_document, bill_document, payment_document
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.billing import (
    BillingAccount,
    CustomerBill,
    Payment,
)
from shared.persistence.readmodel import Operation, Table, Upsert

TABLES = (
    Table(
        "billing_account",
        (("customer_id", "TEXT"), ("outstanding", "BIGINT"), ("unbilled", "BIGINT"), ("name", "TEXT")),
        indexes=("customer_id",),
    ),
    Table(
        "customer_bill",
        (
            ("account_id", "TEXT"),
            ("customer_id", "TEXT"),
            ("cycle", "TEXT"),
            ("state", "TEXT"),
            ("due_date", "TEXT"),
            ("amount_due", "BIGINT"),
            ("remaining", "BIGINT"),
        ),
        indexes=("account_id", "state", "due_date"),
    ),
    Table(
        "payment",
        (("account_id", "TEXT"), ("bill_id", "TEXT"), ("amount", "BIGINT"), ("paid_at", "TEXT")),
        indexes=("account_id", "bill_id"),
    ),
)


def project_account(a: BillingAccount) -> list[Operation]:
    return [
        Upsert(
            "billing_account",
            {
                "id": str(a.id),
                "customer_id": a.customer_id,
                "outstanding": a.outstanding,
                "unbilled": a.unbilled_amount,
                "name": a.name,
                "doc": account_document(a),
            },
        )
    ]


def project_bill(b: CustomerBill) -> list[Operation]:
    return [
        Upsert(
            "customer_bill",
            {
                "id": str(b.id),
                "account_id": str(b.account_id),
                "customer_id": b.customer_id,
                "cycle": b.cycle,
                "state": b.state,
                "due_date": b.due_date.isoformat(),
                "amount_due": b.amount_due,
                "remaining": b.remaining,
                "doc": bill_document(b),
            },
        )
    ]


def project_payment(p: Payment) -> list[Operation]:
    return [
        Upsert(
            "payment",
            {
                "id": str(p.id),
                "account_id": str(p.account_id),
                "bill_id": str(p.bill_id),
                "amount": p.amount,
                "paid_at": p.paid_at.astimezone(UTC).isoformat(),
                "doc": payment_document(p),
            },
        )
    ]


PROJECTORS = {BillingAccount: project_account, CustomerBill: project_bill, Payment: project_payment}

AUDITED = (
    AuditedResource("billingAccount", (BillingAccount,), P.READ_BILLING),
    AuditedResource("customerBill", (CustomerBill,), P.READ_BILLING),
    AuditedResource("payment", (Payment,), P.READ_BILLING),
)
