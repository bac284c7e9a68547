"""TMF666 BillingAccount, TMF678 CustomerBill and CustomerBillOnDemand, TMF676 Payment, arrears reminders."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from shared.api.models import (
    CustomerSummary,
    Identified,
    Money,
    MoneyInput,
    Part,
    Reference,
    ReferenceInput,
    RelatedParty,
    RequestBody,
    Resource,
)
from shared.domain.billing import BillState


class BillOnDemandCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"billingAccount": {"id": "<account id>"}, "billingCycle": "2026-11"}]
        }
    )
    billingAccount: ReferenceInput | None = Field(None, description="Required: the account to bill.")
    billingCycle: str | None = Field(None, max_length=7, description="YYYY-MM; this month when left out.")


class BillPatch(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"state": "sent"}]})
    state: BillState = Field(description="Only sent can be set; the others follow from issue and payments.")


class PaymentCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "bill": {"id": "<bill id>"},
                    "totalAmount": {"unit": "fen", "value": 10000},
                    "paymentMethod": "wechatPay",
                }
            ]
        }
    )
    bill: ReferenceInput | None = Field(None, description="Required: the bill paid.")
    totalAmount: MoneyInput
    paymentMethod: Literal["cash", "bankTransfer", "card", "wechatPay", "alipay", "groupAccount"] | None = (
        None
    )


class Balance(Part):
    balanceType: str
    amount: Money
    validFor: dict[str, str] | None = None


class BillingAccount(Identified):
    name: str | None = None
    accountType: str | None = None
    state: str | None = None
    relatedParty: list[RelatedParty] | None = None
    accountBalance: list[Balance] | None = None
    unbilledCharge: list[dict[str, object]] | None = None
    subscription: list[dict[str, object]] | None = None
    billedCycle: list[str] | None = None
    province: str | None = None
    lastModified: str | None = None
    arrears: Money | None = Field(None, description="Owed on bills past their due date, today.")


class AppliedPayment(Part):
    appliedAmount: Money
    payment: Reference


class SharedLine(Part):
    """A bill line another province delivered, and the share of it HQ's ledger owes that province."""

    id: str
    chargeKind: str
    billedAmount: Money
    sharePercent: int
    shareAmount: Money
    rule: dict[str, object] = Field(description="The settlement rule HQ applied: its id and version.")


class RevenueShare(Part):
    """What HQ settles to one delivering province for this bill (R-21), exactly as its ledger records it."""

    province: str
    amount: Money
    billLine: list[SharedLine] | None = None


class CustomerBill(Identified):
    billNo: str | None = None
    billDate: str | None = None
    billingPeriod: dict[str, str] | None = None
    billingCycle: str | None = None
    category: str | None = None
    runType: str | None = None
    state: str | None = None
    paymentDueDate: str | None = None
    dueDate: str | None = None
    amountDue: Money | None = None
    remainingAmount: Money | None = None
    taxIncludedAmount: Money | None = None
    billingAccount: Reference | None = None
    relatedParty: list[RelatedParty] | None = None
    appliedPayment: list[AppliedPayment] | None = None
    billLine: list[dict[str, object]] | None = None
    billLineArchived: bool | None = Field(None, description="Lines are shown for three months (R-23).")
    revenueShare: list[RevenueShare] | None = Field(
        None,
        description="What HQ settled to the provinces that delivered lines of this bill; [] when every line "
        "was delivered here; absent until HQ's apportionment has arrived (revenueShareStatus awaitingHq).",
    )
    revenueShareStatus: Literal["notShared", "awaitingHq", "apportioned"] | None = None
    revenueShareDate: str | None = Field(None, description="When HQ apportioned the bill.")
    lastUpdate: str | None = None
    replayed: bool | None = Field(None, description="Rebuilt from the event store (replay=true).")


class CustomerBillOnDemand(Identified):
    name: str | None = None
    state: str | None = None
    billingAccount: Reference | None = None
    customerBill: Reference | None = None
    lastUpdate: str | None = None


class PaymentItem(Part):
    item: Reference
    amount: Money


class Payment(Identified):
    paymentDate: str | None = None
    status: str | None = None
    totalAmount: Money | None = None
    amount: Money | None = None
    paymentMethod: dict[str, str] | None = None
    account: Reference | None = None
    paymentItem: list[PaymentItem] | None = None
    channel: dict[str, str] | None = None


class ArrearsReminder(Resource):
    """催缴 (R-23): an overdue unpaid bill, how much and how long."""

    bill: Reference
    billingAccount: Reference | None = None
    customer: CustomerSummary | None = None
    billingCycle: str | None = None
    dueDate: str | None = None
    daysOverdue: int | None = None
    remainingAmount: Money | None = None
