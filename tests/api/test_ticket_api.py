"""Trouble tickets and callbacks (R-7, R-17, R-24), on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.factories import individual
from tests.support.nodes import event_count
from tests.support.tmf import assert_tmf_valid

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
WORK = "/tmf-api/serviceOrdering/v4/serviceOrder"
OVERDUE = "/crm/v1/overdueCallback"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def register(client, grade="3A"):
    return client.post(
        CUSTOMERS, json=individual(grade=grade, customerManager={"id": "M1", "name": "王经理"})
    ).json()


def open_ticket(client, customer, kind="fault", **extra):
    body = {
        "ticketType": kind,
        "description": "专线中断",
        "relatedParty": [{"id": customer["id"], "role": "customer"}],
    }
    body.update(extra)
    response = client.post(TICKETS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    "grade, priority", [("1A", "critical"), ("2A", "high"), ("3A", "medium"), ("5A", "low")]
)
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
    assert [c["status"] for c in closed["statusChange"]] == [
        "acknowledged",
        "inProgress",
        "resolved",
        "closed",
    ]


def test_reopen_clears_the_callback(client):
    ticket = open_ticket(client, register(client))
    href = ticket["href"]
    client.patch(href, json={"status": "inProgress"})
    client.patch(href, json={"status": "resolved", "resolution": "reset"})
    client.post(f"{href}/callback", json={"result": "still broken", "satisfied": False})
    reopened = client.patch(
        href, json={"status": "inProgress", "statusChangeReason": "fault came back"}
    ).json()
    assert "callback" not in reopened and "callbackDue" not in reopened
    assert client.post(f"{href}/callback", json={"result": "x", "satisfied": True}).status_code == 409


def test_overdue_callbacks_across_tickets_and_orders(client, province):
    province.clock = lambda: T0
    customer = register(client)
    client.patch(customer["href"], json={"status": "active"})
    ticket = open_ticket(client, customer)
    client.patch(ticket["href"], json={"status": "inProgress"})
    client.patch(ticket["href"], json={"status": "resolved", "resolution": "fixed"})
    order = client.post(
        ORDERS,
        json={
            "relatedParty": [{"id": customer["id"], "role": "customer"}],
            "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "PO-BB-300M"}}],
        },
    ).json()
    for w in client.get(WORK, params={"productOrder.id": order["id"]}).json():
        client.patch(w["href"], json={"state": "inProgress"})
        client.patch(w["href"], json={"state": "completed"})
    province.clock = lambda: T0 + timedelta(days=4)
    assert [i["id"] for i in client.get(OVERDUE).json()] == [ticket["id"]]
    assert client.get(TICKETS, params={"callbackOverdue": "true"}).headers["X-Total-Count"] == "1"
    province.clock = lambda: T0 + timedelta(days=8)
    overdue = client.get(OVERDUE).json()
    assert [(i["@referredType"], i["id"]) for i in overdue] == [
        ("troubleTicket", ticket["id"]),
        ("productOrder", order["id"]),
    ]
    listed = client.get(customer["href"]).json()  # each names the customer as the customer list does
    for item in overdue:
        assert item["customer"] == {
            "id": customer["id"],
            "href": customer["href"],
            "name": listed["name"],
            "phoneNumber": "138****8000",
            "customerManager": {"id": "m1", "name": "王经理"},
        }
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
        ({"relatedParty": [{"id": "not-a-uuid"}]}, "relatedParty[0].id"),
        ({"severity": "catastrophic"}, "severity"),
        ({"ticketType": None}, "ticketType"),
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
    refused = client.post(
        TICKETS, json={"ticketType": "fault", "description": "x", "relatedParty": [{"id": customer["id"]}]}
    )
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


def _ticket_in(client, customer, state):
    """A ticket driven through the API to `state`; "calledBack" is resolved with its callback recorded."""
    href = open_ticket(client, customer)["href"]
    steps = {
        "acknowledged": [],
        "rejected": ["rejected"],
        "inProgress": ["inProgress"],
        "resolved": ["inProgress", "resolved"],
        "calledBack": ["inProgress", "resolved", "callback"],
        "closed": ["inProgress", "resolved", "callback", "closed"],
    }[state]
    for step in steps:
        if step == "callback":
            response = client.post(f"{href}/callback", json={"result": "ok", "satisfied": True})
        else:
            response = client.patch(
                href, json={"status": step, **({"resolution": "fixed"} if step == "resolved" else {})}
            )
        assert response.status_code == 200, response.text
    return href


REFUSED = {  # state: the targets it must refuse (409 naming the state)
    "acknowledged": ["resolved", "closed"],
    "inProgress": ["acknowledged", "closed", "rejected"],
    "resolved": ["acknowledged", "closed", "rejected"],  # closed: not before the callback
    "calledBack": ["acknowledged", "rejected"],
    "closed": ["acknowledged", "inProgress", "resolved", "rejected"],
    "rejected": ["acknowledged", "inProgress", "resolved", "closed"],
}


def test_every_illegal_transition_is_409_and_records_nothing(client, province):
    customer = register(client)
    for state, targets in REFUSED.items():
        href = _ticket_in(client, customer, state)
        current = "resolved" if state == "calledBack" else state
        before = event_count(province)
        for target in targets:
            refused = client.patch(
                href, json={"status": target, "statusChangeReason": "try", "resolution": "r"}
            )
            assert refused.status_code == 409, (state, target, refused.text)
            assert refused.json()["currentState"] == current and refused.json()["field"] == "status"
        if state not in ("resolved", "calledBack"):
            refused = client.post(f"{href}/callback", json={"result": "ok", "satisfied": True})
            assert refused.status_code == 409 and refused.json()["currentState"] == current
        if state == "calledBack":
            assert (
                client.post(f"{href}/callback", json={"result": "again", "satisfied": True}).status_code
                == 409
            )
        same = client.patch(href, json={"status": current})
        assert same.status_code == 200 and same.json()["status"] == current  # asking again is a no-op
        assert event_count(province) == before, state
        assert client.get(href).json()["status"] == current


def test_rejected_and_reopened_tickets_keep_who_when_and_why(client, province):
    province.clock = lambda: T0
    customer = register(client, "1A")
    href = open_ticket(client, customer, "complaint", severity="minor", name="营业厅排队")["href"]
    rejected = client.patch(
        href, json={"status": "rejected", "statusChangeReason": "not a service issue"}
    ).json()
    assert (rejected["status"], rejected["statusChangeReason"]) == ("rejected", "not a service issue")
    assert rejected["statusChangeDate"] == T0.isoformat()
    assert (rejected["severity"], rejected["priority"], rejected["channel"]["id"]) == (
        "minor",
        "critical",
        "businessHall",
    )
    assert_tmf_valid(rejected, "TMF621", "TroubleTicket")
    ticket = open_ticket(client, customer, severity="critical")
    assert ticket["expectedResolutionDate"] == (T0 + timedelta(hours=4)).isoformat()
    assert ticket["relatedParty"][0]["id"] == customer["id"]


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({}, 400, "status"),
        ({"status": "done"}, 400, "status"),
        ({"status": "inProgress", "priority": "critical"}, 400, "priority"),
        ({"status": "inProgress", "statusChangeReason": "x" * 2001}, 400, "statusChangeReason"),
    ],
)
def test_bad_patches_are_400_and_record_nothing(client, province, body, status, field):
    href = open_ticket(client, register(client))["href"]
    before = event_count(province)
    response = client.patch(href, json=body)
    assert response.status_code == status and response.json()["field"] == field
    assert event_count(province) == before


def test_bad_callbacks_and_unknown_tickets(client, province):
    customer = register(client)
    href = _ticket_in(client, customer, "resolved")
    before = event_count(province)
    for body, field in [
        ({"result": "ok"}, "satisfied"),
        ({"result": "ok", "satisfied": "yes"}, "satisfied"),
        ({"satisfied": True}, "result"),
        ({"result": "r" * 2001, "satisfied": True}, "result"),
    ]:
        response = client.post(f"{href}/callback", json=body)
        assert response.status_code == 400 and response.json()["field"] == field, body
    assert (
        client.post(
            f"{href}/callback", content=b"{", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    missing = f"{TICKETS}/00000000-0000-0000-0000-000000000000"
    assert client.get(missing).status_code == 404
    assert client.get(f"{TICKETS}/nonsense").status_code == 404
    assert client.patch(missing, json={"status": "inProgress"}).status_code == 404
    assert client.post(f"{missing}/callback", json={"result": "ok", "satisfied": True}).status_code == 404
    assert (
        client.patch(customer["href"].replace(CUSTOMERS, TICKETS), json={"status": "inProgress"}).status_code
        == 404
    )
    assert event_count(province) == before


def test_list_filters_and_paging(client, province):
    province.clock = lambda: T0
    gold, plain = register(client, "1A"), register(client, "4A")
    open_ticket(client, gold, "complaint")
    _ticket_in(client, gold, "resolved")
    for _ in range(3):
        open_ticket(client, plain)

    def total(**params):
        response = client.get(TICKETS, params=params)
        assert response.status_code == 200, response.text
        return int(response.headers["X-Total-Count"])

    assert total() == 5
    assert total(ticketType="complaint") == 1 and total(ticketType="fault") == 4
    assert total(status="resolved") == 1 and total(status="acknowledged") == 4
    assert total(priority="critical") == 2 and total(priority="low") == 3
    assert (
        total(**{"relatedParty.id": gold["id"]}) == 2
        and total(**{"relatedParty.id": gold["id"], "status": "resolved"}) == 1
    )
    assert total(callbackOverdue="true") == 0 and total(callbackOverdue="false") == 5
    page = client.get(TICKETS, params={"offset": 1, "limit": 2})
    assert (
        len(page.json()) == 2
        and page.headers["X-Result-Count"] == "2"
        and page.headers["X-Total-Count"] == "5"
    )
    for doc in page.json():
        assert_tmf_valid(doc, "TMF621", "TroubleTicket")
    for bad in (
        {"priority": "urgent"},
        {"status": "open"},
        {"ticketType": "praise"},
        {"limit": 0},
        {"callbackOverdue": "maybe"},
    ):
        assert client.get(TICKETS, params=bad).status_code == 400, bad


def test_callback_due_boundary_and_overdue_paging(client, province):
    province.clock = lambda: T0
    customer = register(client)
    hrefs = [_ticket_in(client, customer, "resolved") for _ in range(3)]
    due = (T0 + timedelta(days=3)).isoformat()
    assert all(client.get(h).json()["callbackDue"] == due for h in hrefs)
    province.clock = lambda: T0 + timedelta(days=3)
    assert client.get(OVERDUE).headers["X-Total-Count"] == "0"  # due now is not yet overdue
    province.clock = lambda: T0 + timedelta(days=3, seconds=1)
    page = client.get(OVERDUE, params={"offset": 1, "limit": 1})
    assert page.headers["X-Total-Count"] == "3" and len(page.json()) == 1
    assert page.json()[0]["callbackDue"] == due and page.json()[0]["@referredType"] == "troubleTicket"
    client.post(f"{hrefs[0]}/callback", json={"result": "late but done", "satisfied": True})
    assert client.get(OVERDUE).headers["X-Total-Count"] == "2"
    assert client.get(TICKETS, params={"callbackOverdue": "true"}).headers["X-Total-Count"] == "2"
    client.patch(hrefs[1], json={"status": "inProgress", "statusChangeReason": "fault came back"})
    assert (
        client.get(OVERDUE).headers["X-Total-Count"] == "1"
    )  # reopened: no callback owed until resolved again


def test_reused_idempotency_key_with_another_body_is_409(client, province):
    customer = register(client)
    body = {"ticketType": "fault", "description": "断网", "relatedParty": [{"id": customer["id"]}]}
    assert client.post(TICKETS, json=body, headers={"Idempotency-Key": "t-2"}).status_code == 201
    before = event_count(province)
    other = client.post(TICKETS, json={**body, "description": "又断网"}, headers={"Idempotency-Key": "t-2"})
    assert other.status_code == 409 and other.json()["field"] == "Idempotency-Key"
    assert event_count(province) == before


def test_demo_tickets_cover_every_state_and_overdue_callbacks(province):
    from province import demo

    created = demo.load(province)
    assert created["tickets"] >= 5 and created["overdueTicketCallbacks"] == 2
    docs = province.tickets.list_tickets(limit=100).items
    assert {t["status"] for t in docs} == {"acknowledged", "inProgress", "resolved", "closed", "rejected"}
    assert len({t["priority"] for t in docs}) >= 2
    kinds = [i["@referredType"] for i in province.tickets.overdue_callbacks().items]
    assert kinds.count("troubleTicket") == 2
    for doc in docs:
        assert_tmf_valid(doc, "TMF621", "TroubleTicket")


def test_a_resolution_or_reason_that_cannot_be_applied_is_refused_not_dropped(client, province):
    href = open_ticket(client, register(client))["href"]
    before = event_count(province)
    early = client.patch(href, json={"status": "inProgress", "resolution": "replaced the line card"})
    assert early.status_code == 400 and early.json()["field"] == "resolution"
    again = client.patch(href, json={"status": "acknowledged", "statusChangeReason": "customer called again"})
    assert again.status_code == 409 and again.json()["field"] == "statusChangeReason"
    assert event_count(province) == before
    client.patch(href, json={"status": "inProgress"})
    client.patch(href, json={"status": "resolved", "resolution": "replaced the line card"})
    before = event_count(province)
    assert (
        client.patch(href, json={"status": "resolved", "resolution": "replaced the line card"}).status_code
        == 200
    )
    other = client.patch(href, json={"status": "resolved", "resolution": "reset the port"})
    assert other.status_code == 409 and other.json()["field"] == "resolution"
    assert other.json()["currentState"] == "resolved"
    assert event_count(province) == before
    assert client.get(href).json()["resolution"] == "replaced the line card"
