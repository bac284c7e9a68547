"""Work orders (工单, TMF641 ServiceOrder) over REST: sequence, states, and how they drive the order."""

from __future__ import annotations

from datetime import timedelta

from shared.domain.errors import Conflict
from tests.api.test_order_api import MONDAY, WORK, place, work_orders
from tests.support.nodes import event_count
from tests.support.tmf import assert_tmf_valid


def test_work_orders_are_tmf641_service_orders_and_filterable(client, customer, province):
    order = place(client, customer["id"])
    place(client, customer["id"], sla="normal")
    works = work_orders(client, order)
    assert [w["category"] for w in works] == ["resourceConfirmation", "provisioning", "billingSetup"]
    assert [w["sequence"] for w in works] == [1, 2, 3]
    for w in works:
        assert_tmf_valid(w, "TMF641", "ServiceOrder")
        assert (
            w["productOrder"]["id"] == order["id"] and w["deliveringProvince"] == order["deliveringProvince"]
        )
        assert client.get(w["href"]).json() == w
    assert client.get(WORK).headers["X-Total-Count"] == "6"
    assert client.get(WORK, params={"category": "provisioning"}).headers["X-Total-Count"] == "2"
    client.patch(works[0]["href"], json={"state": "inProgress"})
    started = client.get(WORK, params={"state": "inProgress"}).json()
    assert [w["id"] for w in started] == [works[0]["id"]]
    assert client.get(WORK, params={"state": "sleeping"}).status_code == 400
    assert client.get(f"{WORK}/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.patch(f"{WORK}/nope", json={"state": "inProgress"}).status_code == 404


def test_work_orders_run_in_sequence_and_drive_the_order(client, customer, province):
    province.clock = lambda: MONDAY
    order = place(client, customer["id"])
    first, second, third = work_orders(client, order)
    before = event_count(province)
    refused = client.patch(second["href"], json={"state": "inProgress"})
    assert refused.status_code == 409 and refused.json()["currentState"] == "acknowledged"
    refused = client.patch(first["href"], json={"state": "completed"})
    assert refused.status_code == 409 and refused.json()["currentState"] == "acknowledged"
    assert event_count(province) == before
    client.patch(first["href"], json={"state": "inProgress"})
    assert client.get(order["href"]).json()["state"] == "inProgress"
    assert client.patch(second["href"], json={"state": "inProgress"}).json()["currentState"] == "acknowledged"
    client.patch(first["href"], json={"state": "completed"})
    for w in (second, third):
        assert client.patch(w["href"], json={"state": "inProgress"}).status_code == 200
        if w is second:
            assert client.get(order["href"]).json()["state"] == "inProgress"
        assert client.patch(w["href"], json={"state": "completed"}).status_code == 200
    done = client.get(order["href"]).json()
    assert done["state"] == "completed"
    assert done["lateWorkingDays"] == 0 and done["compensation"]["value"] == 0
    assert done["completionNotice"]["to"] == "m7"  # the manager as the staff directory names them
    assert done["completionNotice"]["at"] == MONDAY.isoformat()
    assert done["callbackDue"] == (MONDAY + timedelta(days=7)).isoformat()
    history = [h["state"] for h in done["stateHistory"]]
    assert history == ["acknowledged", "inProgress", "completed"]
    assert all(h["by"]["actor"] == "zhang.san" for h in done["stateHistory"])
    before = event_count(province)
    for w, target in ((third, "failed"), (third, "inProgress"), (first, "inProgress")):
        refused = client.patch(w["href"], json={"state": target})
        assert refused.status_code == 409 and refused.json()["currentState"] == "completed"
    assert event_count(province) == before


def test_completing_the_last_work_order_saves_order_and_charges_together(client, customer, province):
    order = place(client, customer["id"])
    first, second, third = work_orders(client, order)
    for w in (first, second):
        client.patch(w["href"], json={"state": "inProgress"})
        client.patch(w["href"], json={"state": "completed"})
    client.patch(third["href"], json={"state": "inProgress"})
    real_hook = province.billing.charges_for_completed_order

    def refusing(order, by):
        raise Conflict("billing refused the charge", field="state")

    province.billing.charges_for_completed_order = refusing
    before = event_count(province)
    assert client.patch(third["href"], json={"state": "completed"}).status_code == 409
    assert event_count(province) == before
    assert client.get(third["href"]).json()["state"] == "inProgress"
    assert client.get(order["href"]).json()["state"] == "inProgress"

    charged: list[int] = []

    def counting(order, by):
        aggregates = real_hook(order, by)
        charged.append(sum(len(a.pending_events) for a in aggregates))
        return aggregates

    province.billing.charges_for_completed_order = counting
    done = client.patch(third["href"], json={"state": "completed"})
    assert done.status_code == 200, done.text
    assert charged and charged[0] >= 1  # the order has fees, so billing posted something
    # the work order, the order's leg and its completion, the charges: one save
    assert event_count(province) == before + 1 + 2 + charged[0]
    assert client.get(order["href"]).json()["state"] == "completed"


def test_failed_work_order_fails_the_order_and_cancels_the_rest(client, customer, province):
    order = place(client, customer["id"])
    first = work_orders(client, order)[0]
    assert client.patch(first["href"], json={"state": "failed"}).json()["currentState"] == "acknowledged"
    client.patch(first["href"], json={"state": "inProgress"})
    failed = client.patch(first["href"], json={"state": "failed", "stateReason": "no free port"})
    assert failed.status_code == 200
    assert failed.json()["errorMessage"] == [{"message": "no free port"}]
    doc = client.get(order["href"]).json()
    assert doc["state"] == "failed"
    assert doc["stateHistory"][-1]["reason"] == "resourceConfirmation failed: no free port"
    assert [w["state"] for w in work_orders(client, order)] == ["failed", "cancelled", "cancelled"]


def test_work_waits_while_the_order_is_held(client, customer, province):
    order = place(client, customer["id"])
    first = work_orders(client, order)[0]
    client.patch(first["href"], json={"state": "inProgress"})
    client.patch(order["href"], json={"state": "held", "stateReason": "customer site not ready"})
    before = event_count(province)
    refused = client.patch(first["href"], json={"state": "completed"})
    assert refused.status_code == 409 and refused.json()["currentState"] == "held"
    assert event_count(province) == before
    client.patch(order["href"], json={"state": "inProgress", "stateReason": "site ready"})
    assert client.patch(first["href"], json={"state": "completed"}).status_code == 200


def test_bad_work_order_changes_are_refused_and_record_nothing(client, customer, province):
    order = place(client, customer["id"])
    first = work_orders(client, order)[0]
    before = event_count(province)
    cancelled = client.patch(first["href"], json={"state": "cancelled"})
    assert cancelled.status_code == 409 and cancelled.json()["currentState"] == "acknowledged"
    assert client.patch(first["href"], json={"state": "done"}).json()["field"] == "state"
    assert client.patch(first["href"], json={}).json()["field"] == "state"
    assert client.patch(first["href"], json={"state": "inProgress", "kind": "x"}).json()["field"] == "kind"
    too_long = client.patch(first["href"], json={"state": "inProgress", "stateReason": "x" * 2001})
    assert too_long.status_code == 400 and too_long.json()["field"] == "stateReason"
    assert client.patch(first["href"], json=["inProgress"]).status_code == 400
    assert event_count(province) == before
    assert client.get(first["href"]).json()["state"] == "acknowledged"


def test_a_later_work_order_waits_for_the_earlier_ones_whatever_it_is_moved_to(client, customer, province):
    order = place(client, customer["id"])
    _first, _second, third = work_orders(client, order)
    before = event_count(province)
    for target in ("inProgress", "held", "pending", "completed"):
        refused = client.patch(third["href"], json={"state": target})
        assert refused.status_code == 409, target
    assert (
        client.patch(third["href"], json={"state": "rejected"}).status_code == 409
    )  # only the first rejects
    assert event_count(province) == before


def test_a_rejection_says_why_and_a_reason_sent_later_is_refused_not_dropped(client, customer, province):
    order = place(client, customer["id"])
    first = work_orders(client, order)[0]
    client.patch(first["href"], json={"state": "inProgress"})
    before = event_count(province)
    for body in (
        {"state": "rejected"},
        {"state": "rejected", "stateReason": ""},
        {"state": "failed"},
        {"state": "failed", "stateReason": None},
    ):
        refused = client.patch(first["href"], json=body)
        assert refused.status_code == 400 and refused.json()["field"] == "stateReason", (body, refused.text)
    assert event_count(province) == before
    assert client.get(first["href"]).json()["state"] == "inProgress"
    rejected = client.patch(
        first["href"], json={"state": "rejected", "stateReason": "no coverage in Yanqing"}
    )
    assert rejected.status_code == 200 and rejected.json()["errorMessage"] == [
        {"message": "no coverage in Yanqing"}
    ]
    before = event_count(province)
    again = client.patch(first["href"], json={"state": "rejected", "stateReason": "no coverage in Yanqing"})
    assert again.status_code == 200  # the same move, asked again: nothing new to record
    changed = client.patch(first["href"], json={"state": "rejected", "stateReason": "no free port either"})
    assert changed.status_code == 409 and changed.json()["field"] == "stateReason"
    assert changed.json()["currentState"] == "rejected"
    assert event_count(province) == before
    assert client.get(first["href"]).json()["errorMessage"] == [{"message": "no coverage in Yanqing"}]
    started = work_orders(client, place(client, customer["id"]))[0]
    client.patch(started["href"], json={"state": "inProgress"})
    late = client.patch(started["href"], json={"state": "inProgress", "stateReason": "engineer on site"})
    assert late.status_code == 409 and late.json()["field"] == "stateReason"
