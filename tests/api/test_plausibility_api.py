"""Plausible input only (issue 9): ID numbers from real regions and lifetimes, months that exist and have begun,
only new products ordered, and every Location the API hands out answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from crm.bootstrap import rest_api
from shared.domain.errors import InvalidValue
from shared.domain.operator import Operator
from tests.support.auth import staff
from tests.support.factories import credit_code_of, group, id_card_of, individual
from tests.support.nodes import cluster, event_count

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
ON_DEMAND = "/tmf-api/customerBillManagement/v4/customerBillOnDemand"
BILLS = "/tmf-api/customerBillManagement/v4/customerBill"
NOV = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_implausible_certificates_and_non_add_items_are_400_over_rest_and_record_nothing(client, province):
    before = event_count(province)
    for body in (
        individual(certificate={"type": "idCard", "number": id_card_of("000000", "19800101")}),
        individual(certificate={"type": "idCard", "number": id_card_of("440106", "20990101")}),
        group(certificate={"type": "unifiedSocialCreditCode", "number": credit_code_of("000000")}),
    ):
        refused = client.post(CUSTOMERS, json=body)
        assert refused.status_code == 400 and refused.json()["field"] == "certificate.number", refused.text
    assert event_count(province) == before


def test_bill_runs_for_months_not_yet_begun_are_refused_and_on_demand_locations_answer(client, province):
    province.clock = lambda: NOV
    customer = client.post(CUSTOMERS, json=individual()).json()
    client.patch(customer["href"], json={"status": "active"})
    province.record(
        *province.billing.charge_customer(
            customer["id"],
            [{"kind": "oneTime", "amount": 20000, "description": "installation", "reference": "o-1"}],
            Operator(actor="t", role="staff", channel="web"),
        )
    )
    account = client.get(ACCOUNTS, params={"relatedParty.id": customer["id"]}).json()[0]
    before = event_count(province)
    for cycle in ("2030-01", "2026-12", "2026-13"):
        refused = client.post(
            ON_DEMAND, json={"billingAccount": {"id": account["id"]}, "billingCycle": cycle}
        )
        assert refused.status_code == 400 and refused.json()["field"] == "billingCycle", (cycle, refused.text)
    with pytest.raises(InvalidValue):
        province.billing.run_bill_cycle("2027-01", Operator(actor="t", role="staff", channel="batch"))
    assert event_count(province) == before
    assert client.get(BILLS, params={"billingCycle": "2026-13"}).status_code == 400
    done = client.post(ON_DEMAND, json={"billingAccount": {"id": account["id"]}, "billingCycle": "2026-11"})
    assert done.status_code == 201
    located = client.get(done.headers["Location"])
    assert located.status_code == 200 and located.json() == done.json()
    assert client.get(done.json()["customerBill"]["href"]).json()["billingCycle"] == "2026-11"


def test_member_hrefs_answer(client):
    body = group()
    owner = client.post(CUSTOMERS, json=body).json()
    added = client.post(
        f"{owner['href']}/member", json={"name": "王五", "phoneNumber": "13900139000", "province": "GD"}
    )
    assert added.status_code == 201
    assert client.get(added.headers["Location"]).json()["name"] == "王五"
    listed = client.get(f"{owner['href']}/member").json()
    assert all(client.get(m["href"]).status_code == 200 for m in listed)


def test_hq_months_must_exist(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        api = rest_api(nodes["HQ"].app, nodes["HQ"].runtime)
        with TestClient(api, headers=staff("auditor", "HQ", "zhao.audit")) as client:
            for path in ("/crm/v1/statistics", "/crm/v1/settlementEntry"):
                refused = client.get(path, params={"month": "2026-13"})
                assert refused.status_code == 400 and refused.json()["field"] == "month", (path, refused.text)
            assert client.get("/crm/v1/statistics", params={"month": "2026-11"}).status_code == 200
