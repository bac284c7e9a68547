"""The HQ node's REST API: catalog master, national customers, statistics, replication status."""

from __future__ import annotations

from fastapi.testclient import TestClient

from crm.bootstrap import rest_api
from province.customers.schemas import CustomerCreate
from tests.support.auth import staff
from tests.support.factories import BY, group
from tests.support.nodes import cluster, event_count, eventually, hq_alone
from tests.support.tmf import assert_tmf_valid

OFFERINGS = "/tmf-api/productCatalogManagement/v4/productOffering"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
DESK = "/tmf-api/productOrderingManagement/v4/productOrder"
MONTH_EXPECTED = "expected YYYY-MM, e.g. 2026-12"


def test_catalog_master_lifecycle_and_refusals(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq = nodes["HQ"]
        api = rest_api(hq.app, hq.runtime)
        with TestClient(api, headers=staff("catalogAdmin", "HQ", "wang.catalog")) as client:
            assert (
                int(client.get(OFFERINGS).headers["X-Total-Count"]) >= 10
            )  # the shipped catalog, as HQ's own
            created = client.post(
                OFFERINGS,
                json={
                    "id": "PO-IPTV",
                    "name": "IPTV",
                    "kind": "service",
                    "oneTimeFee": 0,
                    "monthlyFee": 2000,
                    "lifecycleStatus": "released",
                },
            )
            assert created.status_code == 201 and created.json()["lifecycleStatus"] == "inDesign"
            assert_tmf_valid(created.json(), "TMF620", "ProductOffering")
            href = f"{OFFERINGS}/PO-IPTV"
            before = event_count(hq.app)
            skipped = client.patch(href, json={"lifecycleStatus": "released"})
            assert skipped.status_code == 409 and skipped.json()["currentState"] == "inDesign"
            assert (
                client.patch(href, json={"lifecycleStatus": "obsolete"}).json()["field"] == "lifecycleStatus"
            )
            assert client.patch(href, json={"monthlyFee": -1}).json()["field"] == "monthlyFee"
            assert (
                client.post(
                    OFFERINGS,
                    json={"id": "PO-IPTV", "name": "x", "kind": "service", "oneTimeFee": 0, "monthlyFee": 0},
                ).status_code
                == 409
            )
            assert (
                client.post(
                    OFFERINGS,
                    json={"id": "PO-X", "name": "x", "kind": "gadget", "oneTimeFee": 0, "monthlyFee": 0},
                ).json()["field"]
                == "kind"
            )
            assert event_count(hq.app) == before
            assert client.patch(href, json={"monthlyFee": 1800}).json()["monthlyFee"]["value"] == 1800
            for status in ("inDevelopment", "tariffApproval", "released"):
                assert (
                    client.patch(href, json={"lifecycleStatus": status}).json()["lifecycleStatus"] == status
                )
            frozen = client.patch(href, json={"monthlyFee": 1})
            assert frozen.status_code == 409 and frozen.json()["currentState"] == "released"
            eventually(lambda: nodes["GD"].app.catalog.get_offering("PO-IPTV")["monthlyFee"]["value"] == 1800)


def test_national_customers_statistics_and_status_over_rest(store, tmp_path):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        hq = nodes["HQ"]
        body = group(name="跨省集团")
        for code in ("GD", "BJ"):
            nodes[code].app.customers.register_customer(CustomerCreate.model_validate(body), BY)
        api = rest_api(hq.app, hq.runtime)
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
            assert all(
                {"position", "headPosition", "lagEvents", "lagSeconds", "state", "lastError"} <= set(u)
                for u in status["upstreams"]
            )
            assert client.get("/crm/v1/statistics", params={"month": "2026-13-01"}).status_code == 400
            assert client.post("/replication/audit/GD").status_code == 403  # an auditor changes nothing
            operator = staff("systemAdmin", "HQ", "ops")
            assert client.post("/replication/audit/GD", headers=operator).json()["ok"] is True
            assert client.get("/replication/mirror/GD", params={"limit": 5}).json()[0]["upstream"] == "GD"
            assert client.get("/replication/mirror/GD/verify").json()["ok"] is True


def test_every_parameter_naming_a_province_or_a_month_refuses_what_names_none(store, tmp_path):
    """`province=XX` was 200 `[]`; a bad month's reason was a regular expression."""
    analyst, admin = staff("hqAnalyst", "HQ", "li.analyst"), staff("systemAdmin", "HQ", "sun.ops")
    ledger = staff("settlementClerk", "HQ", "qian.ledger")
    provinces = [
        (CUSTOMERS, "province", analyst),
        ("/crm/v1/statistics", "province", analyst),
        (DESK, "homeProvince", analyst),
        (DESK, "deliveringProvince", analyst),
        ("/crm/v1/settlementEntry", "homeProvince", ledger),
        ("/crm/v1/settlementEntry", "deliveringProvince", ledger),
        ("/crm/v1/staff", "province", admin),
    ]
    months = [
        ("/crm/v1/statistics", analyst),
        ("/crm/v1/settlementEntry", ledger),
        ("/crm/v1/settlementStatement", ledger),
    ]
    with hq_alone(store, tmp_path) as (hq, client):
        before = event_count(hq)
        for path, name, who in provinces:
            for bad in ("XX", "G", "GDX", "1", "测试"):
                refused = client.get(path, params={name: bad}, headers=who)
                assert refused.status_code == 400, (path, name, bad, refused.text)
                assert refused.json()["field"] == name and "unknown province code" in refused.json()["reason"]
                assert "GD" in refused.json()["reason"]  # it says which codes are
            assert client.get(path, params={name: "gd"}, headers=who).status_code == 200, (path, name)
        assert client.get("/crm/v1/staff", params={"province": "HQ"}, headers=admin).status_code == 200
        for path, who in months:
            for bad in ("2026-13", "2026-1", "26-12", "2026-12-01", "0000-01", "２０２６-１２"):
                refused = client.get(path, params={"month": bad}, headers=who)
                assert refused.status_code == 400, (path, bad, refused.text)
                assert refused.json() == {"code": "invalidValue", "reason": MONTH_EXPECTED, "field": "month"}
            assert client.get(path, params={"month": "2026-11"}, headers=who).status_code == 200, path
        run = client.post("/crm/v1/settlementStatement", json={"month": "2026-13"}, headers=ledger)
        assert run.status_code == 400 and run.json()["reason"] == MONTH_EXPECTED
        assert event_count(hq) == before


def test_an_offering_id_that_is_no_code_is_refused_before_anything_is_recorded(store, tmp_path):
    """`PO-RS-测试` was recorded and replicated, then its Location header failed to encode: a 500 after the write."""
    catalog = staff("catalogAdmin", "HQ", "wang.catalog")

    def offering(offering_id: str) -> dict:
        return {"id": offering_id, "name": "测试", "kind": "service", "oneTimeFee": 0, "monthlyFee": 100}

    with hq_alone(store, tmp_path) as (hq, client):
        before = event_count(hq)
        for n, bad in enumerate(("PO-RS-测试", "\uf384", "PO/1", "PO 1", "PO?x", "-PO", "PO%41")):
            refused = client.post(
                OFFERINGS, json=offering(bad), headers={**catalog, "Idempotency-Key": f"k{n}"}
            )
            assert refused.status_code == 400, (bad, refused.text)
            assert refused.json()["field"] == "id" and "code" in refused.json()["reason"], refused.text
        assert event_count(hq) == before
        created = client.post(OFFERINGS, json=offering("PO-RS.1_a~b"), headers=catalog)
        assert created.status_code == 201, created.text
        assert client.get(created.headers["Location"], headers=catalog).json()["id"] == "PO-RS.1_a~b"
    from urllib.parse import unquote

    from shared.api.common import location

    recorded_before = f"{OFFERINGS}/PO-RS-测试"  # an id from before ids were codes still gets a header
    header = location(recorded_before)["Location"]
    assert header.isascii() and unquote(header) == recorded_before
