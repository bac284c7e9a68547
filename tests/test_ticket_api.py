"""Trouble tickets and callbacks (R-7, R-17, R-24), on both stores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import event_count
from tests.factories import individual
from tests.tmf import assert_tmf_valid

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
WORK = "/tmf-api/serviceOrdering/v4/serviceOrder"
OVERDUE = "/crm/v1/overdueCallback"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def register(client, grade="3A"):
    return client.post(CUSTOMERS, json=individual(grade=grade)).json()


def open_ticket(client, customer, kind="fault", **extra):
    body = {"ticketType": kind, "description": "专线中断", "relatedParty": [{"id": customer["id"], "role": "customer"}]}
    body.update(extra)
    response = client.post(TICKETS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("grade, priority", [("1A", "critical"), ("2A", "high"), ("3A", "medium"), ("5A", "low")])
def test_priority_follows_the_customer_grade(client, grade, priority):
    ticket = open_ticket(client, register(client, grade))
    assert ticket["priority"] == priority
    assert client.get(TICKETS, params={"priority": priority}).headers["X-Total-Count"] == "1"


def test_lifecycle_with_callback_before_close(client, province):
    province.clock = lambda: T0
    ticket = open_ticket(client, register(client))
    href = ticket["href"]
    assert_tmf_valid(ticket, "TMF621", "TroubleTicket")
    before = event_count(province)
    for target in ("resolved", "closed"):
        refused = client.patch(href, json={"status": target})
        assert refused.status_code == 409 and refused.json()["currentState"] == "acknowledged"
    assert event_count(province) == before
    assert client.patch(href, json={"status": "inProgress"}).json()["status"] == "inProgress"
    assert client.patch(href, json={"status": "resolved"}).json()["field"] == "resolution"
    resolved = client.patch(href, json={"status": "resolved", "resolution": "换了板卡"}).json()
    assert resolved["callbackDue"] == (T0 + timedelta(days=3)).isoformat()
    before = event_count(province)
    early_close = client.patch(href, json={"status": "closed"})
    assert early_close.status_code == 409 and early_close.json()["currentState"] == "resolved"
    assert event_count(province) == before
    done = client.post(f"{href}/callback", json={"result": "已恢复", "satisfied": True})
    assert done.status_code == 200
    closed = client.patch(href, json={"status": "closed"}).json()
    assert closed["status"] == "closed"
    assert_tmf_valid(closed, "TMF621", "TroubleTicket")
    for target in ("acknowledged", "inProgress", "resolved"):
        assert client.patch(href, json={"status": target}).json()["currentState"] == "closed"
    assert [c["status"] for c in closed["statusChange"]] == ["acknowledged", "inProgress", "resolved", "closed"]


def test_reopen_clears_the_callback(client):
    ticket = open_ticket(client, register(client))
    href = ticket["href"]
    client.patch(href, json={"status": "inProgress"})
    client.patch(href, json={"status": "resolved", "resolution": "reset"})
    client.post(f"{href}/callback", json={"result": "still broken", "satisfied": False})
    reopened = client.patch(href, json={"status": "inProgress", "statusChangeReason": "fault came back"}).json()
    assert "callback" not in reopened and "callbackDue" not in reopened
    assert client.post(f"{href}/callback", json={"result": "x", "satisfied": True}).status_code == 409


def test_overdue_callbacks_across_tickets_and_orders(client, province):
    province.clock = lambda: T0
    customer = register(client)
    client.patch(customer["href"], json={"status": "active"})
    ticket = open_ticket(client, customer)
    client.patch(ticket["href"], json={"status": "inProgress"})
    client.patch(ticket["href"], json={"status": "resolved", "resolution": "fixed"})
    order = client.post(ORDERS, json={"relatedParty": [{"id": customer["id"], "role": "customer"}],
                                      "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "PO-BB-300M"}}]}).json()
    for w in client.get(WORK, params={"productOrder.id": order["id"]}).json():
        client.patch(w["href"], json={"state": "inProgress"})
        client.patch(w["href"], json={"state": "completed"})
    province.clock = lambda: T0 + timedelta(days=4)
    assert [i["id"] for i in client.get(OVERDUE).json()] == [ticket["id"]]
    assert client.get(TICKETS, params={"callbackOverdue": "true"}).headers["X-Total-Count"] == "1"
    province.clock = lambda: T0 + timedelta(days=8)
    overdue = client.get(OVERDUE).json()
    assert [(i["@referredType"], i["id"]) for i in overdue] == [("troubleTicket", ticket["id"]), ("productOrder", order["id"])]
    client.post(f"{ticket['href']}/callback", json={"result": "ok", "satisfied": True})
    assert [i["id"] for i in client.get(OVERDUE).json()] == [order["id"]]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ticketType": "praise"}, "ticketType"),
        ({"description": "x" * 2001}, "description"),
        ({"description": ""}, "description"),
        ({"relatedParty": [{"id": "00000000-0000-0000-0000-000000000000"}]}, "relatedParty[0].id"),
        ({"relatedParty": []}, "relatedParty"),
    ],
)
def test_bad_tickets_are_400_and_record_nothing(client, province, change, field):
    customer = register(client)
    before = event_count(province)
    body = {"ticketType": "complaint", "description": "态度差", "relatedParty": [{"id": customer["id"]}]}
    body.update(change)
    response = client.post(TICKETS, json=body)
    assert response.status_code == 400 and response.json()["field"] == field
    assert event_count(province) == before


def test_closed_customer_cannot_open_tickets_and_malformed_json(client, province):
    customer = register(client)
    client.patch(customer["href"], json={"status": "closed"})
    before = event_count(province)
    refused = client.post(TICKETS, json={"ticketType": "fault", "description": "x", "relatedParty": [{"id": customer["id"]}]})
    assert refused.status_code == 409 and refused.json()["currentState"] == "closed"
    bad = client.post(TICKETS, content=b"{", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["code"] == "malformedJson"
    assert event_count(province) == before


def test_ticket_idempotency_and_rebuild(client, province):
    customer = register(client)
    body = {"ticketType": "fault", "description": "断网", "relatedParty": [{"id": customer["id"]}]}
    first = client.post(TICKETS, json=body, headers={"Idempotency-Key": "t-1"})
    before = event_count(province)
    assert client.post(TICKETS, json=body, headers={"Idempotency-Key": "t-1"}).json() == first.json()
    assert event_count(province) == before
    snapshot = province.queries.dump()
    province.rebuild_read_models()
    assert province.queries.dump() == snapshot
