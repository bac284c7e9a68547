"""HQ's catalog master over REST (R-11, R-12): HQ starts from the shipped catalog; products created and moved, illegal moves refused."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hq.application import HqApplication
from hq.catalog import routes as catalog_routes
from shared.api.errors import install_error_handlers
from shared.auth.trust import validator_for
from tests.support.auth import staff
from tests.support.factories import FORWARD, iptv
from tests.support.nodes import event_count
from tests.support.tmf import assert_tmf_valid

BASE = "/tmf-api/productCatalogManagement/v4/productOffering"


@pytest.fixture
def hq_client(hq: HqApplication) -> Iterator[TestClient]:
    api = FastAPI()
    api.state.crm = hq
    install_error_handlers(api)
    api.state.tokens = validator_for(hq.settings, hq.staff_access.keyring)
    api.include_router(catalog_routes.router)
    with TestClient(api, headers=staff("catalogAdmin", "HQ", "wang.catalog")) as client:
        yield client


def test_hq_starts_from_the_shipped_catalog_as_its_own_products(hq, hq_client):
    shipped = json.loads(hq.settings.catalog_file.read_text(encoding="utf-8"))["offerings"]
    listed = hq_client.get(BASE, params={"limit": 1000})
    assert int(listed.headers["X-Total-Count"]) == len(shipped)
    by_id = {o["id"]: o for o in listed.json()}
    assert {o["id"]: o["lifecycleStatus"] for o in shipped} == {
        i: o["lifecycleStatus"] for i, o in by_id.items()
    }
    assert all(o["catalogSource"] == "HQ" for o in by_id.values())
    for doc in by_id.values():
        assert_tmf_valid(doc, "TMF620", "ProductOffering")
    assert hq_client.get(BASE, params={"category.id": "package"}).json()[0]["isBundle"] is True


def test_hq_rest_creates_and_moves_a_product_and_refuses_illegal_moves(hq, hq_client):
    created = hq_client.post(BASE, json=iptv(), headers={"Idempotency-Key": "k1"})
    assert created.status_code == 201 and created.headers["Location"] == f"{BASE}/PO-IPTV"
    assert created.json()["productOfferingPrice"][1]["price"]["taxIncludedAmount"] == {
        "unit": "fen",
        "value": 2000,
    }
    assert hq_client.post(BASE, json=iptv(), headers={"Idempotency-Key": "k1"}).json() == created.json()
    before = event_count(hq)
    refused = [
        hq_client.post(BASE, json=iptv()),  # same id
        hq_client.patch(f"{BASE}/PO-IPTV", json={"lifecycleStatus": "released"}),  # skips two steps
        hq_client.patch(f"{BASE}/PO-IPTV", json={"name": "renamed"}),  # not patchable
        hq_client.patch(f"{BASE}/PO-NOPE", json={"lifecycleStatus": "inDevelopment"}),
        hq_client.patch(f"{BASE}/PO-IPTV", json={"monthlyFee": None}),  # a merge patch's null: never dropped
    ]
    assert [r.status_code for r in refused] == [409, 409, 400, 404, 400]
    assert refused[1].json()["currentState"] == "inDesign"
    assert refused[2].json()["field"] == "name" and refused[4].json()["field"] == "monthlyFee"
    assert event_count(hq) == before
    for status in FORWARD:
        assert (
            hq_client.patch(f"{BASE}/PO-IPTV", json={"lifecycleStatus": status}).json()["lifecycleStatus"]
            == status
        )
    assert hq_client.patch(f"{BASE}/PO-IPTV", json={"oneTimeFee": 1}).json()["currentState"] == "released"
    assert hq_client.get(f"{BASE}/PO-IPTV").json()["isSellable"] is True
