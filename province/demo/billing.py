"""Demo bills: last month's cycle billed, some paid, some partly, some left in arrears."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from province.billing.schemas import BillPatch, PaymentCreate
from shared.domain.calendar import business_date
from shared.domain.operator import Operator

if TYPE_CHECKING:  # the node imports nothing of the demo; the demo only needs its type
    from province.application import ProvinceApplication
    from province.demo.context import DemoContext


def load(app: ProvinceApplication, context: DemoContext, by: Operator) -> dict[str, int]:
    today = business_date(app.clock())
    # Two months back, so that the bills left unpaid are already past due: arrears to remind.
    last_month = ((today.replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)).strftime(
        "%Y-%m"
    )
    for n, customer in enumerate(context["customers"][:6]):
        app.record(
            *app.billing.charge_customer(
                str(customer["id"]),
                [
                    {
                        "kind": "monthly",
                        "amount": 9900 + 1000 * n,
                        "description": "mobile plan",
                        "reference": "demo",
                    },
                ],
                by,
            )
        )
    app.billing.run_bill_cycle(last_month, by)
    bills = app.billing.list_bills(cycle=last_month).items
    payments = 0
    for n, bill in enumerate(bills):
        app.billing.change_bill(bill["id"], BillPatch.model_validate({"state": "sent"}), by)
        due = bill["amountDue"]["value"]
        amount = {0: due, 1: due // 2, 2: due}.get(n % 4)
        if amount:
            app.billing.pay(
                PaymentCreate.model_validate(
                    {
                        "bill": {"id": bill["id"]},
                        "totalAmount": {"unit": "fen", "value": amount},
                        "paymentMethod": "wechatPay",
                    }
                ),
                by,
            )
            payments += 1
    return {"bills": len(bills), "payments": payments}
