"""Accounts, bills, payments and arrears (R-22, R-23), on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.factories import BY, group, individual
from tests.support.nodes import event_count
from tests.support.tmf import assert_tmf_valid

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
BILLS = "/tmf-api/customerBillManagement/v4/customerBill"
ON_DEMAND = "/tmf-api/customerBillManagement/v4/customerBillOnDemand"
ARREARS = "/tmf-api/customerBillManagement/v4/arrearsReminder"
PAYMENTS = "/tmf-api/paymentManagement/v4/payment"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
WORK = "/tmf-api/serviceOrdering/v4/serviceOrder"
NOV = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def register(client, body=None):
    c = client.post(CUSTOMERS, json=body or individual()).json()
    client.patch(c["href"], json={"status": "active"})
    return c


def account_of(client, customer):
    return client.get(ACCOUNTS, params={"relatedParty.id": customer["id"]}).json()[0]


def bill(client, account, cycle="2026-11"):
    response = client.post(ON_DEMAND, json={"billingAccount": {"id": account["id"]}, "billingCycle": cycle})
    assert response.status_code == 201, response.text
    return client.get(response.json()["customerBill"]["href"]).json()


@pytest.fixture
def charged(client, province):
    province.clock = lambda: NOV
    customer = register(client)
    province.record(
        *province.billing.charge_customer(
            customer["id"],
            [
                {"kind": "oneTime", "amount": 20000, "description": "installation", "reference": "o-1"},
                {"kind": "monthly", "amount": 9900, "description": "broadband", "reference": "o-1"},
            ],
            BY,
        )
    )
    return customer


def pay(client, bill_doc, value, **headers):
    return client.post(
        PAYMENTS,
        json={
            "bill": {"id": bill_doc["id"]},
            "totalAmount": {"unit": "fen", "value": value},
            "paymentMethod": "wechatPay",
        },
        headers=headers,
    )


def test_every_customer_gets_a_billing_account(client):
    customer = register(client)
    account = account_of(client, customer)
    assert account["relatedParty"][0]["id"] == customer["id"]
    assert_tmf_valid(account, "TMF666", "BillingAccount")
    assert_tmf_valid(client.get(account["href"]).json(), "TMF666", "BillingAccount")


def test_completed_order_charges_the_account(client, province):
    customer = register(client)
    order = client.post(
        ORDERS,
        json={
            "relatedParty": [{"id": customer["id"], "role": "customer"}],
            "slaClass": "normal",
            "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "PO-BB-300M"}}],
        },
    ).json()
    for w in client.get(WORK, params={"productOrder.id": order["id"]}).json():
        client.patch(w["href"], json={"state": "inProgress"})
        client.patch(w["href"], json={"state": "completed"})
    account = client.get(account_of(client, customer)["href"]).json()
    assert [c["amount"] for c in account["unbilledCharge"]] == [10000]
    assert [c["amount"] for c in account["subscription"]] == [9900]


def test_group_pays_centrally_for_linked_members(client, province):
    g = register(client, group())
    member = register(client)
    paid_alone = register(client)
    client.post(
        f"{g['href']}/member",
        json={
            "name": "甲",
            "phoneNumber": "13800000001",
            "province": "GD",
            "customerId": member["id"],
            "centrallyPaid": True,
        },
    )
    client.post(
        f"{g['href']}/member",
        json={
            "name": "乙",
            "phoneNumber": "13800000002",
            "province": "GD",
            "customerId": paid_alone["id"],
            "centrallyPaid": False,
        },
    )
    for c in (member, paid_alone):
        province.record(
            *province.billing.charge_customer(
                c["id"], [{"kind": "oneTime", "amount": 500, "reference": "x"}], BY
            )
        )
    group_account = client.get(account_of(client, g)["href"]).json()
    assert [c["forCustomerId"] for c in group_account["unbilledCharge"]] == [member["id"]]
    assert client.get(account_of(client, member)["href"]).json()["unbilledCharge"] == []
    assert len(client.get(account_of(client, paid_alone)["href"]).json()["unbilledCharge"]) == 1


def test_bill_cycle_send_pay_settle(client, province, charged):
    account = account_of(client, charged)
    doc = bill(client, account)
    assert doc["state"] == "new" and doc["amountDue"] == {"unit": "fen", "value": 29900}
    assert doc["revenueShare"] == [] and doc["revenueShareStatus"] == "notShared"  # all delivered here
    assert doc["dueDate"] == "2026-12-21"  # the 20th is a Sunday: next working day
    assert_tmf_valid(doc, "TMF678", "CustomerBill")
    before = event_count(province)
    early = pay(client, doc, 100)
    assert early.status_code == 409 and early.json()["currentState"] == "new"
    for state in ("partiallyPaid", "settled"):
        assert client.patch(doc["href"], json={"state": state}).status_code == 409
    assert client.patch(doc["href"], json={"state": "paid"}).status_code == 400
    assert event_count(province) == before
    assert client.patch(doc["href"], json={"state": "sent"}).json()["state"] == "sent"
    assert client.patch(doc["href"], json={"state": "sent"}).json()["currentState"] == "sent"
    first = pay(client, doc, 10000)
    assert first.status_code == 201, first.text
    assert client.get(doc["href"]).json()["state"] == "partiallyPaid"
    before = event_count(province)
    over = pay(client, doc, 19901)
    assert over.status_code == 400 and over.json()["field"] == "totalAmount.value"
    for bad in (0, -5, 10.5, "100"):
        assert pay(client, doc, bad).status_code == 400
    assert event_count(province) == before
    assert pay(client, doc, 19900).status_code == 201
    settled = client.get(doc["href"]).json()
    assert settled["state"] == "settled" and settled["remainingAmount"]["value"] == 0
    late = pay(client, doc, 1)
    assert late.status_code == 409 and late.json()["currentState"] == "settled"
    assert client.get(PAYMENTS, params={"bill.id": doc["id"]}).headers["X-Total-Count"] == "2"
    assert client.get(account["href"]).json()["accountBalance"][0]["amount"]["value"] == 0


def test_second_bill_for_the_same_cycle_is_refused(client, province, charged):
    account = account_of(client, charged)
    first = bill(client, account)
    before = event_count(province)
    again = client.post(ON_DEMAND, json={"billingAccount": {"id": account["id"]}, "billingCycle": "2026-11"})
    assert again.status_code == 409 and again.json()["existingId"] == first["id"]
    assert (
        client.post(
            ON_DEMAND, json={"billingAccount": {"id": account["id"]}, "billingCycle": "2026-13"}
        ).status_code
        == 400
    )
    assert client.post(ON_DEMAND, json={"billingAccount": {"id": "nope"}}).status_code == 400
    assert event_count(province) == before
    province.clock = lambda: datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # December has begun
    december = bill(client, account, "2026-12")
    assert december["amountDue"]["value"] == 9900  # only the monthly fee: the one-time charge was billed


def test_arrears_reminders_and_overdue_filters(client, province, charged):
    account = account_of(client, charged)
    doc = bill(client, account)
    client.patch(doc["href"], json={"state": "sent"})
    pay(client, doc, 9900)
    assert client.get(ARREARS).headers["X-Total-Count"] == "0"
    province.clock = lambda: datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
    reminders = client.get(ARREARS).json()
    assert [(r["bill"]["id"], r["remainingAmount"]["value"]) for r in reminders] == [(doc["id"], 20000)]
    assert reminders[0]["daysOverdue"] == 15
    assert client.get(BILLS, params={"overdue": "true"}).headers["X-Total-Count"] == "1"
    assert client.get(ACCOUNTS, params={"hasArrears": "true"}).json()[0]["id"] == account["id"]
    assert client.get(account["href"]).json()["arrears"]["value"] == 20000


def test_payment_idempotency(client, province, charged):
    doc = bill(client, account_of(client, charged))
    client.patch(doc["href"], json={"state": "sent"})
    first = pay(client, doc, 5000, **{"Idempotency-Key": "p-1"})
    before = event_count(province)
    again = pay(client, doc, 5000, **{"Idempotency-Key": "p-1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert event_count(province) == before
    assert client.get(doc["href"]).json()["remainingAmount"]["value"] == 24900
    assert pay(client, doc, 6000, **{"Idempotency-Key": "p-1"}).status_code == 409


def test_bill_run_for_all_accounts_and_rebuild(client, province, charged):
    other = register(client)
    province.record(
        *province.billing.charge_customer(
            other["id"], [{"kind": "monthly", "amount": 100, "reference": "r"}], BY
        )
    )
    assert province.billing.run_bill_cycle("2026-11", BY) == 2
    assert province.billing.run_bill_cycle("2026-11", BY) == 0
    assert client.get(BILLS, params={"billingCycle": "2026-11"}).headers["X-Total-Count"] == "2"
    before = province.queries.dump()
    province.rebuild_read_models()
    assert province.queries.dump() == before


def test_long_lived_account_is_snapshotted_and_reads_back_the_same(client, province, charged):
    from shared.domain.billing import BillingAccount, account_id_for

    for n in range(60):
        province.record(
            *province.billing.charge_customer(
                charged["id"], [{"kind": "oneTime", "amount": 100 + n, "reference": f"r{n}"}], BY
            )
        )
    account_id = account_id_for(charged["id"])
    assert province.snapshots is not None and list(province.snapshots.get(account_id))  # taken at version 50
    account = province.repository.get(account_id)
    assert (
        isinstance(account, BillingAccount) and account.version == 1 + 2 + 60
    )  # opened, fixture charges, ours
    assert account.unbilled_amount == 20000 + sum(100 + n for n in range(60))


def test_every_refused_bill_change_names_the_current_state(client, province, charged):
    doc = bill(client, account_of(client, charged))
    before = event_count(province)
    assert client.patch(doc["href"], json={"state": "sent", "amountDue": 1}).json()["field"] == "amountDue"
    assert (
        client.patch(f"{BILLS}/00000000-0000-0000-0000-000000000000", json={"state": "sent"}).status_code
        == 404
    )
    assert (
        client.post(
            PAYMENTS, json={"bill": {"id": doc["id"]}, "totalAmount": {"unit": "yuan", "value": 1}}
        ).json()["field"]
        == "totalAmount"
    )
    assert (
        client.post(
            PAYMENTS, json={"bill": {"id": "missing"}, "totalAmount": {"unit": "fen", "value": 1}}
        ).json()["field"]
        == "bill.id"
    )
    assert event_count(province) == before
    client.patch(doc["href"], json={"state": "sent"})
    pay(client, doc, 100)
    for state in ("sent", "new", "settled"):
        refused = client.patch(doc["href"], json={"state": state})
        assert refused.status_code == 409 and refused.json()["currentState"] == "partiallyPaid"
    pay(client, doc, 29800)
    for state in ("sent", "partiallyPaid"):
        refused = client.patch(doc["href"], json={"state": state})
        assert refused.status_code == 409 and refused.json()["currentState"] == "settled"
    assert client.get(f"{PAYMENTS}/nope").status_code == 404


def test_lists_are_tmf_documents_with_arrears(client, province, charged):
    doc = bill(client, account_of(client, charged))
    client.patch(doc["href"], json={"state": "sent"})
    payment = pay(client, doc, 900).json()
    assert client.get(payment["href"]).json() == payment
    for item in client.get(BILLS, params={"state": "partiallyPaid"}).json():
        assert_tmf_valid(item, "TMF678", "CustomerBill")
    province.clock = lambda: datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
    accounts = client.get(ACCOUNTS, params={"relatedParty.id": charged["id"]}).json()
    assert accounts[0]["arrears"] == {"unit": "fen", "value": 29000}
    assert_tmf_valid(accounts[0], "TMF666", "BillingAccount")
    assert client.get(ACCOUNTS, params={"relatedParty.id": charged["id"], "hasArrears": "false"}).json() == []


def test_charges_are_validated_and_an_order_without_charges_posts_none(province, charged):
    from shared.domain.errors import InvalidValue

    for charges, field in (
        ([{"kind": "yearly", "amount": 1}], "kind"),
        ([{"kind": "oneTime", "amount": 1.5}], "amount"),
        ("100", "charges"),
    ):
        with pytest.raises(InvalidValue) as refused:
            province.billing.charge_customer(charged["id"], charges, BY)
        assert refused.value.field == field
    assert province.billing.charge_customer(charged["id"], [], BY) == []
    assert province.billing.charges_for_completed_order(object(), BY) == []


def test_old_bills_go_offline_but_replay_from_the_event_store(client, province, charged):
    """R-23: summaries online six months (unpaid ones until paid), lines three months; replay=true for any age."""
    paid = bill(client, account_of(client, charged))
    client.patch(paid["href"], json={"state": "sent"})
    pay(client, paid, 29900)
    debtor = register(client)
    province.record(
        *province.billing.charge_customer(
            debtor["id"], [{"kind": "oneTime", "amount": 700, "reference": "r"}], BY
        )
    )
    unpaid = bill(client, account_of(client, debtor))
    province.clock = lambda: datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
    summary = client.get(paid["href"]).json()
    assert summary["billLine"] == [] and summary["billLineArchived"] is True
    assert summary["amountDue"]["value"] == 29900
    assert_tmf_valid(summary, "TMF678", "CustomerBill")
    province.clock = lambda: datetime(2027, 6, 1, 2, 0, tzinfo=UTC)
    assert [b["id"] for b in client.get(BILLS).json()] == [unpaid["id"]]
    gone = client.get(paid["href"])
    assert gone.status_code == 404 and gone.json()["archived"] is True
    replayed = client.get(paid["href"], params={"replay": "true"}).json()
    assert replayed["state"] == "settled" and len(replayed["billLine"]) == 2 and replayed["replayed"] is True
    assert [r["bill"]["id"] for r in client.get(ARREARS).json()] == [unpaid["id"]]


def test_the_arrears_list_and_the_bill_name_the_customer_as_the_customer_list_does(client, province):
    province.clock = lambda: NOV
    body = individual(
        name="王小明",
        customerManager={"id": "GD-M3", "name": "陈经理"},
        contactMedium=[
            {"mediumType": "email", "characteristic": {"emailAddress": "wxm@example.cn"}},
            {"mediumType": "phone", "characteristic": {"phoneNumber": "13912345678"}},
        ],
    )
    customer = register(client, body)
    province.record(
        *province.billing.charge_customer(
            customer["id"],
            [{"kind": "oneTime", "amount": 20000, "description": "installation", "reference": "o-1"}],
            BY,
        )
    )
    doc = bill(client, account_of(client, customer))
    listed = client.get(CUSTOMERS, params={"name": "王小明"}).json()[0]
    assert doc["relatedParty"][0]["id"] == customer["id"] and doc["relatedParty"][0]["name"] == listed["name"]
    assert {"id": "gd-m3", "name": "陈经理", "role": "customerManager", "@referredType": "Individual"} in doc[
        "relatedParty"
    ]
    assert_tmf_valid(doc, "TMF678", "CustomerBill")
    client.patch(doc["href"], json={"state": "sent"})
    province.clock = lambda: datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
    reminder = client.get(ARREARS).json()[0]
    assert reminder["customer"]["id"] == customer["id"]
    assert reminder["customer"]["name"] == "王小明"
    assert (
        reminder["customer"]["phoneNumber"]
        == listed["contactMedium"][1]["characteristic"]["phoneNumber"]
        == "139****5678"
    )
    assert reminder["customer"]["customerManager"] == {"id": "gd-m3", "name": "陈经理"}
    client.patch(customer["href"], json={"name": "王晓明"})  # the list names the customer as it is now
    assert client.get(ARREARS).json()[0]["customer"]["name"] == "王晓明"
    assert client.get(doc["href"]).json()["relatedParty"][0]["name"] == "王晓明"


def test_a_customer_is_closed_only_when_nothing_of_theirs_is_open(client, province):
    customer = register(client)
    order = client.post(
        ORDERS,
        json={
            "relatedParty": [{"id": customer["id"], "role": "customer"}],
            "slaClass": "normal",
            "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "PO-BB-300M"}}],
        },
    ).json()
    before = event_count(province)
    refused = client.patch(customer["href"], json={"status": "closed", "statusReason": "moved away"})
    assert refused.status_code == 409 and refused.json()["field"] == "status", refused.text
    assert refused.json()["currentState"] == "active" and "1 open order" in refused.json()["reason"]
    assert [o["id"] for o in refused.json()["stillOpen"]["openOrders"]] == [order["id"]]
    assert event_count(province) == before and client.get(customer["href"]).json()["status"] == "active"

    for w in client.get(WORK, params={"productOrder.id": order["id"]}).json():  # delivered: now it is charged
        client.patch(w["href"], json={"state": "inProgress"})
        client.patch(w["href"], json={"state": "completed"})
    before = event_count(province)
    refused = client.patch(customer["href"], json={"status": "closed"})
    assert refused.status_code == 409
    still = refused.json()["stillOpen"]
    assert set(still) == {"activeProducts", "unbilledCharges"}
    assert [p["productOffering"]["id"] for p in still["activeProducts"]] == ["PO-BB-300M"]
    assert [p["monthlyFee"]["value"] for p in still["activeProducts"]] == [9900]
    assert [c["amount"]["value"] for c in still["unbilledCharges"]] == [10000]
    doc = bill(client, account_of(client, customer), datetime.now(UTC).strftime("%Y-%m"))
    before = event_count(province)
    refused = client.patch(customer["href"], json={"status": "closed"})
    assert set(refused.json()["stillOpen"]) == {"activeProducts", "unpaidBills"}
    assert refused.json()["stillOpen"]["unpaidBills"] == [
        {"id": doc["id"], "href": doc["href"], "remainingAmount": {"unit": "fen", "value": 19900}}
    ]
    assert event_count(province) == before

    g = register(client, group())  # a member the group pays for: its product is on the group's account
    member = register(client)
    client.post(
        f"{g['href']}/member",
        json={
            "name": "甲",
            "phoneNumber": "13800000001",
            "province": "GD",
            "customerId": member["id"],
            "centrallyPaid": True,
        },
    )
    province.record(
        *province.billing.charge_customer(
            member["id"],
            [{"kind": "monthly", "amount": 5000, "description": "mobile plan", "reference": "o-9"}],
            BY,
        )
    )
    for who in (member, g):
        refused = client.patch(who["href"], json={"status": "closed"})
        assert refused.status_code == 409 and [
            p["monthlyFee"]["value"] for p in refused.json()["stillOpen"]["activeProducts"]
        ] == [5000], who
    nothing = register(client)
    assert client.patch(nothing["href"], json={"status": "closed"}).json()["status"] == "closed"
