"""The HQ node's REST API: catalog master, national customers, statistics, replication status."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hq.api.app import create_app
from tests.cluster import BY, cluster, eventually
from tests.auth import staff
from tests.conftest import event_count
from tests.factories import group
from tests.tmf import assert_tmf_valid

OFFERINGS = "/tmf-api/productCatalogManagement/v4/productOffering"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def test_catalog_master_lifecycle_and_refusals(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq = nodes["HQ"]
        api = create_app(hq.app)
        api.state.runtime = hq.runtime
        with TestClient(api, headers=staff("catalogAdmin", "HQ", "wang.catalog")) as client:
            assert int(client.get(OFFERINGS).headers["X-Total-Count"]) >= 10  # the shipped catalog, as HQ's own
            created = client.post(OFFERINGS, json={"id": "PO-IPTV", "name": "IPTV", "kind": "service",
                                                   "oneTimeFee": 0, "monthlyFee": 2000, "lifecycleStatus": "released"})
            assert created.status_code == 201 and created.json()["lifecycleStatus"] == "inDesign"
            assert_tmf_valid(created.json(), "TMF620", "ProductOffering")
            href = f"{OFFERINGS}/PO-IPTV"
            before = event_count(hq.app)
            skipped = client.patch(href, json={"lifecycleStatus": "released"})
            assert skipped.status_code == 409 and skipped.json()["currentState"] == "inDesign"
            assert client.patch(href, json={"lifecycleStatus": "obsolete"}).json()["field"] == "lifecycleStatus"
            assert client.patch(href, json={"monthlyFee": -1}).json()["field"] == "monthlyFee"
            assert client.post(OFFERINGS, json={"id": "PO-IPTV", "name": "x", "kind": "service",
                                                "oneTimeFee": 0, "monthlyFee": 0}).status_code == 409
            assert client.post(OFFERINGS, json={"id": "PO-X", "name": "x", "kind": "gadget",
                                                "oneTimeFee": 0, "monthlyFee": 0}).json()["field"] == "kind"
            assert event_count(hq.app) == before
            assert client.patch(href, json={"monthlyFee": 1800}).json()["monthlyFee"]["value"] == 1800
            for status in ("inDevelopment", "tariffApproval", "released"):
                assert client.patch(href, json={"lifecycleStatus": status}).json()["lifecycleStatus"] == status
            frozen = client.patch(href, json={"monthlyFee": 1})
            assert frozen.status_code == 409 and frozen.json()["currentState"] == "released"
            eventually(lambda: nodes["GD"].app.get_offering("PO-IPTV")["monthlyFee"]["value"] == 1800)


def test_national_customers_statistics_and_status_over_rest(store, tmp_path):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        hq = nodes["HQ"]
        body = group(name="跨省集团")
        for code in ("GD", "BJ"):
            nodes[code].app.register_customer(body, BY)
        api = create_app(hq.app)
        api.state.runtime = hq.runtime
        with TestClient(api, headers=staff("auditor", "HQ", "zhao.audit")) as client:
            # one national customer as soon as GD's part arrives; BJ's part joins it
            eventually(lambda: [c["provinces"] for c in client.get(CUSTOMERS).json()] == [["BJ", "GD"]])
            assert client.get(CUSTOMERS).headers["X-Total-Count"] == "1"
            one = client.get(CUSTOMERS).json()[0]
            assert_tmf_valid(one, "TMF629", "Customer")
            assert client.get(one["href"]).json()["id"] == one["id"]
            assert client.get(f"{CUSTOMERS}/nope").status_code == 404
            assert client.get(CUSTOMERS, params={"grade": "9A"}).status_code == 400
            status = client.get("/replication/status").json()
            assert {u["upstream"] for u in status["upstreams"]} == {"GD", "BJ"}
            assert all({"position", "headPosition", "lagEvents", "lagSeconds", "state", "lastError"} <= set(u)
                       for u in status["upstreams"])
            assert client.get("/crm/v1/statistics", params={"month": "2026-13-01"}).status_code == 400
            assert client.post("/replication/audit/GD").status_code == 403  # an auditor changes nothing
            operator = staff("systemAdmin", "HQ", "ops")
            assert client.post("/replication/audit/GD", headers=operator).json()["ok"] is True
            assert client.get("/replication/mirror/GD", params={"limit": 5}).json()[0]["upstream"] == "GD"
            assert client.get("/replication/mirror/GD/verify").json()["ok"] is True
