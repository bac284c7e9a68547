"""Orders and work orders over REST (R-13..R-18), on both stores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import event_count
from tests.factories import individual
from tests.tmf import assert_tmf_valid

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
CANCEL = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
WORK = "/tmf-api/serviceOrdering/v4/serviceOrder"
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def customer(client):
    body = individual(customerManager={"id": "M7", "name": "陈经理"})
    c = client.post(CUSTOMERS, json=body).json()
    client.patch(c["href"], json={"status": "active"})
    return c


def order_body(customer_id, offering="PO-DC-2M", sla="urgent", **extra):
    body = {
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": offering}}],
        "slaClass": sla,
        "acceptanceKind": "newInstall",
    }
    body.update(extra)
    return body


def place(client, customer_id, **kw):
    response = client.post(ORDERS, json=order_body(customer_id, **kw))
    assert response.status_code == 201, response.text
    return response.json()


def work_orders(client, order):
    return client.get(WORK, params={"productOrder.id": order["id"]}).json()


def finish_all(client, order):
    for w in work_orders(client, order):
        assert client.patch(w["href"], json={"state": "inProgress"}).status_code == 200
        assert client.patch(w["href"], json={"state": "completed"}).status_code == 200


def test_accepting_an_order_splits_it_into_three_work_orders(client, customer, province):
    province.clock = lambda: MONDAY
    order = place(client, customer["id"])
    assert order["state"] == "acknowledged"
    assert order["dueDate"] == "2026-11-30"
    assert order["orderTotalPrice"][0]["price"]["taxIncludedAmount"] == {"unit": "fen", "value": 300000}
    works = work_orders(client, order)
    assert [w["category"] for w in works] == ["resourceConfirmation", "provisioning", "billingSetup"]
    assert_tmf_valid(client.get(order["href"]).json(), "TMF622", "ProductOrder")
    for w in works:
        assert_tmf_valid(w, "TMF641", "ServiceOrder")
    assert client.get(ORDERS, params={"relatedParty.id": customer["id"]}).headers["X-Total-Count"] == "1"


def test_work_orders_run_in_sequence_and_drive_the_order(client, customer, province):
    province.clock = lambda: MONDAY
    order = place(client, customer["id"])
    first, second, third = work_orders(client, order)
    before = event_count(province)
    refused = client.patch(second["href"], json={"state": "inProgress"})
    assert refused.status_code == 409 and refused.json()["currentState"] == "acknowledged"
    assert client.patch(first["href"], json={"state": "completed"}).json()["currentState"] == "acknowledged"
    assert event_count(province) == before
    client.patch(first["href"], json={"state": "inProgress"})
    assert client.get(order["href"]).json()["state"] == "inProgress"
    client.patch(first["href"], json={"state": "completed"})
    for w in (second, third):
        client.patch(w["href"], json={"state": "inProgress"})
        client.patch(w["href"], json={"state": "completed"})
    done = client.get(order["href"]).json()
    assert done["state"] == "completed"
    assert done["lateWorkingDays"] == 0 and done["compensation"]["value"] == 0
    assert done["completionNotice"]["to"] == "M7"
    assert done["callbackDue"] == (MONDAY + timedelta(days=7)).isoformat()
    assert client.patch(third["href"], json={"state": "failed"}).status_code == 409


def test_late_completion_is_compensated_and_capped(client, customer, province):
    province.clock = lambda: MONDAY
    order = place(client, customer["id"])  # urgent, due 2026-11-30, one-time 300000
    province.clock = lambda: datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)  # 2 working days late
    finish_all(client, order)
    done = client.get(order["href"]).json()
    assert done["lateWorkingDays"] == 2
    assert done["compensation"] == {"unit": "fen", "value": 30000}
    province.clock = lambda: MONDAY
    second = place(client, customer["id"])
    province.clock = lambda: datetime(2027, 3, 1, 2, 0, tzinfo=timezone.utc)
    finish_all(client, second)
    assert client.get(second["href"]).json()["compensation"]["value"] == 300000
    assert client.get(ORDERS, params={"slaOverdue": "true"}).headers["X-Total-Count"] == "0"


def test_sla_overdue_list(client, customer, province):
    province.clock = lambda: MONDAY
    order = place(client, customer["id"])
    assert client.get(ORDERS, params={"slaOverdue": "true"}).headers["X-Total-Count"] == "0"
    province.clock = lambda: datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    overdue = client.get(ORDERS, params={"slaOverdue": "true"}).json()
    assert [o["id"] for o in overdue] == [order["id"]]


def test_callback_after_completion_and_overdue_callback_list(client, customer, province):
    province.clock = lambda: MONDAY
    order = place(client, customer["id"])
    callback = f"{order['href']}/callback"
    before = event_count(province)
    early = client.post(callback, json={"result": "ok", "satisfied": True})
    assert early.status_code == 409 and early.json()["currentState"] == "acknowledged"
    assert event_count(province) == before
    finish_all(client, order)
    province.clock = lambda: MONDAY + timedelta(days=8)
    assert [o["id"] for o in client.get(ORDERS, params={"callbackOverdue": "true"}).json()] == [order["id"]]
    assert client.post(callback, json={"result": "ok", "satisfied": "yes"}).json()["field"] == "satisfied"
    done = client.post(callback, json={"result": "很满意", "satisfied": True})
    assert done.status_code == 200 and done.json()["callback"]["satisfied"] is True
    assert client.post(callback, json={"result": "again", "satisfied": True}).status_code == 409
    assert client.get(ORDERS, params={"callbackOverdue": "true"}).headers["X-Total-Count"] == "0"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "PO-NOPE"}}]},
         "productOrderItem[0].productOffering.id"),
        ({"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "PO-SDWAN"}}]},
         "productOrderItem[0].productOffering.id"),
        ({"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "PO-ISDN"}}]},
         "productOrderItem[0].productOffering.id"),
        ({"productOrderItem": []}, "productOrderItem"),
        ({"productOrderItem": [{"id": "1", "action": "add", "quantity": 0, "productOffering": {"id": "PO-DC-2M"}}]},
         "productOrderItem[0].quantity"),
        ({"slaClass": "superfast"}, "slaClass"),
        ({"acceptanceKind": "teleport"}, "acceptanceKind"),
        ({"description": "x" * 2001}, "description"),
        ({"relatedParty": [{"id": "00000000-0000-0000-0000-000000000000", "role": "customer"}]}, "relatedParty[0].id"),
        ({"relatedParty": []}, "relatedParty"),
    ],
)
def test_bad_orders_are_400_and_record_nothing(client, customer, province, change, field):
    before = event_count(province)
    body = order_body(customer["id"])
    body.update(change)
    response = client.post(ORDERS, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert event_count(province) == before
    assert client.get(ORDERS).headers["X-Total-Count"] == "0"


def test_closed_customer_cannot_order(client, customer, province):
    client.patch(customer["href"], json={"status": "closed"})
    before = event_count(province)
    refused = client.post(ORDERS, json=order_body(customer["id"]))
    assert refused.status_code == 409 and refused.json()["currentState"] == "closed"
    assert event_count(province) == before


def test_desk_transitions_and_each_refusal_names_the_state(client, customer, province):
    order = place(client, customer["id"])
    href = order["href"]
    assert client.patch(href, json={"state": "completed"}).json()["currentState"] == "acknowledged"
    assert client.patch(href, json={"state": "held", "stateReason": "site not ready"}).json()["state"] == "held"
    assert client.patch(href, json={"state": "partial"}).json()["currentState"] == "held"
    assert client.patch(href, json={"state": "inProgress"}).json()["state"] == "inProgress"
    assert client.patch(href, json={"state": "rejected"}).json()["currentState"] == "inProgress"
    assert client.patch(href, json={"state": "failed", "stateReason": "no resources"}).json()["state"] == "failed"
    assert {w["state"] for w in work_orders(client, order)} == {"cancelled"}
    before = event_count(province)
    for target in ("inProgress", "held", "pending", "completed", "acknowledged", "partial"):
        refused = client.patch(href, json={"state": target})
        assert refused.status_code == 409 and refused.json()["currentState"] == "failed"
    assert client.patch(href, json={"state": "bogus"}).status_code == 400
    assert client.patch(href, json={"customer": "x"}).json()["field"] == "customer"
    assert event_count(province) == before
    history = [h["state"] for h in client.get(href).json()["stateHistory"]]
    assert history == ["acknowledged", "held", "inProgress", "failed"]


def test_cancel_product_order(client, customer, province):
    order = place(client, customer["id"])
    cancel = client.post(CANCEL, json={"productOrder": {"id": order["id"]}, "cancellationReason": "withdrawn"})
    assert cancel.status_code == 201, cancel.text
    assert_tmf_valid(cancel.json(), "TMF622", "CancelProductOrder")
    doc = client.get(order["href"]).json()
    assert doc["state"] == "cancelled" and doc["cancellationReason"] == "withdrawn"
    assert {w["state"] for w in work_orders(client, order)} == {"cancelled"}
    assert client.get(CANCEL).headers["X-Total-Count"] == "1"
    before = event_count(province)
    again = client.post(CANCEL, json={"productOrder": {"id": order["id"]}})
    assert again.status_code == 409 and again.json()["currentState"] == "cancelled"
    assert client.post(CANCEL, json={"productOrder": {"id": "nope"}}).status_code == 400
    assert event_count(province) == before


def test_failed_work_order_fails_the_order(client, customer):
    order = place(client, customer["id"])
    first = work_orders(client, order)[0]
    client.patch(first["href"], json={"state": "inProgress"})
    failed = client.patch(first["href"], json={"state": "failed", "stateReason": "no free port"})
    assert failed.status_code == 200
    assert client.get(order["href"]).json()["state"] == "failed"
    assert [w["state"] for w in work_orders(client, order)] == ["failed", "cancelled", "cancelled"]


def test_order_idempotency_key(client, customer, province):
    body = order_body(customer["id"])
    first = client.post(ORDERS, json=body, headers={"Idempotency-Key": "o-1"})
    before = event_count(province)
    again = client.post(ORDERS, json=body, headers={"Idempotency-Key": "o-1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert event_count(province) == before
    assert client.post(ORDERS, json=order_body(customer["id"], sla="normal"), headers={"Idempotency-Key": "o-1"}).status_code == 409


def test_rebuild_reproduces_order_read_models(client, customer, province):
    order = place(client, customer["id"])
    finish_all(client, order)
    place(client, customer["id"], sla="normal")
    before = province.queries.dump()
    province.rebuild_read_models()
    assert province.queries.dump() == before
