"""The province's read-only catalog copy (R-11, R-12)."""

from __future__ import annotations

from crm.bootstrap import open_province
from tests.support.nodes import event_count
from tests.support.tmf import assert_tmf_valid

BASE = "/tmf-api/productCatalogManagement/v4/productOffering"


def test_default_catalog_is_loaded_and_listed(client):
    listed = client.get(BASE)
    assert int(listed.headers["X-Total-Count"]) >= 10
    released = client.get(BASE, params={"lifecycleStatus": "released"}).json()
    assert all(o["isSellable"] for o in released)
    dc = client.get(f"{BASE}/PO-DC-2M").json()
    assert dc["circuitType"] == "digitalCircuit"
    assert dc["oneTimeFee"] == {"unit": "fen", "value": 200000}
    assert client.get(BASE, params={"category.id": "package"}).json()[0]["isBundle"] is True
    for doc in listed.json():
        assert_tmf_valid(doc, "TMF620", "ProductOffering")


def test_province_cannot_change_the_catalog(client, province):
    before = event_count(province)
    for response in (
        client.post(BASE, json={"name": "mine"}),
        client.patch(f"{BASE}/PO-DC-2M", json={"lifecycleStatus": "retired"}),
        client.delete(f"{BASE}/PO-DC-2M"),
    ):
        assert response.status_code == 405
        assert response.json()["code"] == "catalogReadOnly"
    assert event_count(province) == before
    assert client.get(f"{BASE}/PO-DC-2M").json()["lifecycleStatus"] == "released"


def test_only_released_offerings_are_orderable(province):
    import pytest

    from shared.domain.errors import InvalidValue

    assert province.catalog.orderable_offering("PO-DC-2M", "x").one_time_fee == 200000
    for offering_id in ("PO-SDWAN", "PO-5G-SLICE", "PO-ISDN", "PO-NOPE"):
        with pytest.raises(InvalidValue) as refused:
            province.catalog.orderable_offering(offering_id, "productOrderItem[0].productOffering.id")
        assert refused.value.field == "productOrderItem[0].productOffering.id"


def test_unknown_offering_is_404_and_restart_does_not_reload(settings, province, client):
    assert client.get(f"{BASE}/PO-NOPE").status_code == 404
    before = event_count(province)
    province.close()

    again = open_province(settings)
    try:
        assert event_count(again) == before
    finally:
        again.close()


def test_list_filters_and_pages(client):
    named = client.get(BASE, params={"name": "数字电路"})
    assert sorted(o["id"] for o in named.json()) == ["PO-DC-10M", "PO-DC-2M"]
    total = int(client.get(BASE).headers["X-Total-Count"])
    page = client.get(BASE, params={"offset": 2, "limit": 3})
    assert page.headers["X-Total-Count"] == str(total) and len(page.json()) == 3
    assert client.get(BASE, params={"lifecycleStatus": "obsolete"}).json()["field"] == "lifecycleStatus"
    assert [o["id"] for o in client.get(BASE, params={"lifecycleStatus": "inDesign"}).json()] == ["PO-SDWAN"]
    one = client.get(f"{BASE}/PO-PKG-ENT").json()
    assert [b["id"] for b in one["bundledProductOffering"]] == ["PO-DC-10M", "PO-SVC-7X24", "PO-MOB-99"]
    assert {p["priceType"] for p in one["productOfferingPrice"]} == {"oneTime", "recurring"}
    assert_tmf_valid(one, "TMF620", "ProductOffering")


def test_refusal_names_the_lifecycle_status(province):
    import pytest

    from shared.domain.errors import InvalidValue

    with pytest.raises(InvalidValue, match="tariffApproval") as refused:
        province.catalog.orderable_offering("PO-5G-SLICE", "x")
    assert refused.value.details["lifecycle_status"] == "tariffApproval"
