"""History of every audited resource (issue 10): on a demo province, each resource type's history shows who (actor,
role), how (channel) and what changed; at HQ the same for its own resources."""

from __future__ import annotations

from fastapi.testclient import TestClient

from crm.bootstrap import rest_api
from province import demo
from tests.support.auth import staff
from tests.support.nodes import cluster, eventually

AUDITOR = staff("auditor", "HQ", "zhao.audit")


def first_ids(province) -> dict[str, str]:
    pick = {
        "customer": province.customers.list_customers(limit=1),
        "productOrder": province.orders.list_orders(limit=1),
        "serviceOrder": province.work_orders.list_work_orders(limit=1),
        "billingAccount": province.billing.list_accounts(limit=1),
        "customerBill": province.billing.list_bills(limit=1),
        "payment": province.billing.list_payments(limit=1),
        "troubleTicket": province.tickets.list_tickets(limit=1),
        "productOffering": province.catalog.list_offerings(limit=1),
    }
    return {name: page.items[0]["id"] for name, page in pick.items()}


def assert_told(entries: list[dict], resource: str) -> None:
    assert entries, resource
    for entry in entries:
        assert entry["actor"] and entry["role"] and entry["channel"], (resource, entry)
        assert entry["eventType"].count(".") == 1 and entry["version"] >= 1, (resource, entry)
    assert entries[0]["changes"], (resource, entries[0])  # the first event makes the document


def test_every_province_resource_has_a_told_history(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        province = nodes["GD"].app
        demo.load(province)
        with TestClient(rest_api(province), headers=AUDITOR) as client:
            for resource, resource_id in first_ids(province).items():
                answer = client.get(f"/audit/{resource}/{resource_id}/history", params={"limit": 1000})
                assert answer.status_code == 200, (resource, answer.text)
                assert_told(answer.json(), resource)
                versions = [e["version"] for e in answer.json()]
                last = client.get(f"/audit/{resource}/{resource_id}", params={"version": versions[-1]})
                assert last.json()["document"]["id"] == resource_id, resource
        hq = nodes["HQ"]
        eventually(lambda: hq.app.registry.list_national_customers(limit=1).total > 0)
        api = rest_api(hq.app, hq.runtime)
        with TestClient(api, headers=AUDITOR) as client:
            offering = client.get("/tmf-api/productCatalogManagement/v4/productOffering").json()[0]["id"]
            rule = client.get("/crm/v1/settlementRule").json()[0]["id"]
            for resource, resource_id in (("productOffering", offering), ("settlementRule", rule)):
                answer = client.get(f"/audit/{resource}/{resource_id}/history")
                assert answer.status_code == 200, (resource, answer.text)
                assert_told(answer.json(), resource)
