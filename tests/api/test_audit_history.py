"""Auditors' history and time travel (issue 10, R-28/R-30): every event of an aggregate decoded with who, how
and what changed; any past state equal to a replay from the first event; the operation log from the events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from crm.bootstrap import rest_api
from province.customers.schemas import CustomerCreate, CustomerPatch
from shared.audit.trail import AuditTrail, document_of
from shared.domain.operator import Operator
from tests.support.auth import staff
from tests.support.factories import individual
from tests.support.nodes import event_count

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
AUDIT = "/audit/customer"


def test_history_shows_operator_channel_and_field_changes(client, province):
    customer = client.post(CUSTOMERS, json=individual(name="张三")).json()
    client.patch(customer["href"], json={"status": "active"}, headers={"X-Channel": "callCentre"})
    client.patch(customer["href"], json={"grade": "2A"})
    before = event_count(province)
    response = client.get(f"{AUDIT}/{customer['id']}/history")
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "3"
    created, activated, regraded = response.json()
    assert [e["version"] for e in (created, activated, regraded)] == [1, 2, 3]
    assert created["actor"] == "zhang.san" and created["role"] == "provinceAdmin"
    assert activated["channel"] == "callCentre" and created["channel"] == "businessHall"
    assert {"field": "status", "before": "prospect", "after": "active"} in activated["changes"]
    assert {"field": "grade", "before": "3A", "after": "2A"} in regraded["changes"]
    assert {"field": "name", "before": None, "after": "张三"} in created["changes"]
    assert created["position"] < activated["position"] < regraded["position"]
    numbers = [c["after"] for c in created["changes"] if c["field"].endswith("phoneNumber")]
    assert numbers and all("****" in n for n in numbers)  # personal data masked here as everywhere
    assert event_count(province) == before  # reading history records nothing
    assert client.get(f"{AUDIT}/{customer['id']}/history", params={"offset": 1, "limit": 1}).json() == [
        activated
    ]
    assert client.get(f"{AUDIT}/{uuid4()}/history").status_code == 404
    assert client.get(f"/audit/productOrder/{customer['id']}/history").status_code == 404  # not an order


def test_past_states_by_version_and_time_and_refusals(client, province):
    customer = client.post(CUSTOMERS, json=individual()).json()
    client.patch(customer["href"], json={"status": "active"})
    first = client.get(f"{AUDIT}/{customer['id']}", params={"version": 1}).json()
    assert first["version"] == 1 and first["document"]["status"] == "prospect"
    history = client.get(f"{AUDIT}/{customer['id']}/history").json()
    created_at = datetime.fromisoformat(history[0]["time"])
    at_creation = client.get(f"{AUDIT}/{customer['id']}", params={"asOf": created_at.isoformat()}).json()
    assert at_creation["version"] == 1
    now = client.get(f"{AUDIT}/{customer['id']}", params={"asOf": datetime.now(UTC).isoformat()}).json()
    assert now["document"]["status"] == "active" and now["version"] == 2
    too_early = client.get(
        f"{AUDIT}/{customer['id']}", params={"asOf": (created_at - timedelta(seconds=1)).isoformat()}
    )
    assert too_early.status_code == 400 and too_early.json()["field"] == "asOf"
    assert client.get(f"{AUDIT}/{customer['id']}", params={"version": 3}).json()["field"] == "version"
    assert client.get(f"{AUDIT}/{customer['id']}", params={"asOf": "2026-11-25T08:00:00"}).status_code == 400


def test_time_travel_equals_a_full_replay_along_a_long_snapshotted_history(province):
    customer = province.customers.register_customer(CustomerCreate.model_validate(individual()), staff_by())
    grades = ("1A", "2A", "3A", "4A", "5A")
    for n in range(1, 2000):
        province.customers.update_customer(
            customer["id"], CustomerPatch.model_validate({"grade": grades[n % 5]}), staff_by()
        )
    assert province.snapshots is not None and list(province.snapshots.get(_uuid(customer["id"])))
    trail = AuditTrail(province, province.audited_resources)
    resource = trail.resources["customer"]
    events = list(province.events.get(_uuid(customer["id"])))
    replayed, aggregate = {}, None
    for event in events:  # one replay from the first event, no snapshots
        aggregate = event.mutate(aggregate)
        if event.originator_version % 173 == 1 or event.originator_version in (50, 51, 2000):
            replayed[event.originator_version] = document_of(province, aggregate)
    for version, document in replayed.items():
        assert trail.state(resource, customer["id"], version=version)["document"] == document, version
        at = events[version - 1].timestamp
        assert trail.state(resource, customer["id"], as_of=at)["document"] == document, version


def test_operation_log_filters_by_actor_role_channel_type_and_time(client, province):
    customer = client.post(CUSTOMERS, json=individual()).json()
    client.patch(customer["href"], json={"status": "active"}, headers={"X-Channel": "web"})
    auditor = staff("auditor", "HQ", "zhao.audit")
    log = client.get(
        "/audit/operations", params={"actor": "zhang.san", "aggregateType": "Customer"}, headers=auditor
    )
    assert log.status_code == 200
    entries = log.json()
    assert [e["eventType"] for e in entries if e["aggregateId"] == customer["id"]] == [
        "Customer.Registered",
        "Customer.StatusChanged",
    ]
    assert all(e["actor"] == "zhang.san" and e["aggregateType"] == "Customer" for e in entries)
    web = client.get("/audit/operations", params={"channel": "web"}, headers=auditor).json()
    assert [e["aggregateId"] for e in web] == [customer["id"]]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/audit/operations", params={"since": future}, headers=auditor).json() == []
    clerk = staff("clerk", "GD", "li.clerk")
    assert client.get("/audit/operations", headers=clerk).status_code == 403  # the whole log is the auditors'
    assert (
        client.get(f"{AUDIT}/{customer['id']}/history", headers=clerk).status_code == 200
    )  # a readable resource
    unmasked = client.get(f"{CUSTOMERS}/{customer['id']}", params={"unmask": True}, headers=auditor)
    assert unmasked.status_code == 200
    reads = client.get(
        "/audit/operations", params={"aggregateType": "PersonalDataRead"}, headers=auditor
    ).json()
    assert reads[-1]["actor"] == "zhao.audit" and reads[-1]["subjects"] == [customer["id"]]


def staff_by() -> Operator:
    return Operator(
        actor="zhang.san", name="张三", role="provinceAdmin", province="GD", channel="businessHall"
    )


def _uuid(value: str):
    from uuid import UUID

    return UUID(value)


def test_hq_shows_each_provinces_mirrored_events_of_an_aggregate(tmp_path):
    from fastapi.testclient import TestClient

    from tests.support.factories import BY, group
    from tests.support.nodes import cluster, eventually

    with cluster("sqlite", tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"].app, nodes["HQ"].app
        customer = gd.customers.register_customer(CustomerCreate.model_validate(group()), BY)
        gd.customers.update_customer(
            customer["id"],
            CustomerPatch.model_validate({"status": "active"}),
            replace(BY, channel="callCentre"),
        )
        api = rest_api(hq, nodes["HQ"].runtime)
        with TestClient(api, headers=staff("auditor", "HQ", "zhao.audit")) as client:
            path = f"/replication/mirror/GD/history/{customer['id']}"
            events = eventually(lambda: len(client.get(path).json()) == 2 and client.get(path))
            assert events.headers["X-Total-Count"] == "2"
            registered, activated = events.json()
            assert registered["eventType"] == "Customer.Registered" and registered["actor"] == "test"
            assert activated["channel"] == "callCentre"
            assert {"field": "status", "before": "prospect", "after": "active"} in activated["changes"]
            numbers = [c["after"] for c in registered["changes"] if c["field"] == "certificateNumber"]
            assert numbers and "*" in numbers[0]  # masked here too
            assert client.get(f"/replication/mirror/GD/history/{uuid4()}").status_code == 404
            assert client.get(f"/replication/mirror/XX/history/{customer['id']}").status_code == 404
