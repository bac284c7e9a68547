"""The API contract is the code: every answer of a run through both nodes matches the node's own OpenAPI, the
OpenAPI documents what the nodes send, and input the contract does not name is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from crm.bootstrap import api_alone, open_hq, rest_api
from tests.support.auth import enrol, signed_in, staff
from tests.support.factories import group, individual
from tests.support.nodes import cluster, event_count, eventually, hq_alone
from tests.support.openapi_check import RecordingClient, violations
from tests.support.tmf import assert_tmf_valid

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
OFFERINGS = "/tmf-api/productCatalogManagement/v4/productOffering"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
CANCELS = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
WORK = "/tmf-api/serviceOrdering/v4/serviceOrder"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
BILLS = "/tmf-api/customerBillManagement/v4"
PAYMENTS = "/tmf-api/paymentManagement/v4/payment"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
MANAGER = {"id": "GD-M1", "name": "陈经理"}


def merge_patch(client: RecordingClient, url: str, body: dict[str, Any], **kwargs: Any) -> Any:
    return client.patch(
        url, content=json.dumps(body), headers={**MERGE_PATCH, **kwargs.pop("headers", {})}, **kwargs
    )


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def work_through(gd: RecordingClient, order_id: str) -> None:
    for work in ok(gd.get(WORK, params={"productOrder.id": order_id})):
        ok(merge_patch(gd, work["href"], {"state": "inProgress"}))
        ok(merge_patch(gd, work["href"], {"state": "completed"}))


def province_run(gd: RecordingClient) -> dict[str, Any]:
    """Every province resource: created, listed, read, changed, shrunk by `fields`; and the usual refusals."""
    offerings = ok(gd.get(OFFERINGS))
    ok(gd.get(f"{OFFERINGS}/{offerings[0]['id']}", params={"fields": "name"}))
    assert gd.post(OFFERINGS, json={}).status_code == 405
    person = created(gd.post(CUSTOMERS, json=individual(grade="1A", customerManager=MANAGER)))
    assert_tmf_valid(person, "TMF629", "Customer")
    firm = created(
        gd.post(CUSTOMERS, json=group(customerManager=MANAGER), headers={"Idempotency-Key": "g-1"})
    )
    for customer in (person, firm):
        ok(merge_patch(gd, customer["href"], {"status": "active", "industry": None}))
    ok(gd.get(CUSTOMERS, params={"fields": "name,grade", "grade": "1A"}))
    ok(gd.get(person["href"], params={"unmask": "true"}))
    member = created(
        gd.post(
            f"{firm['href']}/member",
            json={"name": "王五", "phoneNumber": "13900139000", "province": "GD", "centrallyPaid": True},
        )
    )
    ok(gd.get(f"{firm['href']}/member"))
    ok(gd.get(member["href"], params={"fields": "phoneNumber"}))
    spare = created(
        gd.post(
            f"{firm['href']}/member", json={"name": "赵六", "phoneNumber": "13900139001", "province": "BJ"}
        )
    )
    assert gd.delete(spare["href"]).status_code == 204

    item = {"productOffering": {"id": "PO-DC-2M"}}
    local = created(
        gd.post(
            ORDERS,
            json={
                "relatedParty": [{"id": person["id"], "role": "customer"}],
                "productOrderItem": [item],
                "slaClass": "urgent",
            },
        )
    )
    assert_tmf_valid(local, "TMF622", "ProductOrder")
    remote = created(
        gd.post(
            ORDERS,
            json={
                "relatedParty": [{"id": person["id"], "role": "customer"}],
                "productOrderItem": [{**item, "deliveringProvince": "BJ"}],
            },
        )
    )
    doomed = created(
        gd.post(
            ORDERS,
            json={
                "relatedParty": [{"id": firm["id"], "role": "customer"}],
                "productOrderItem": [{**item, "quantity": 2}],
            },
        )
    )
    ok(merge_patch(gd, doomed["href"], {"state": "held", "stateReason": "site not ready"}))
    assert merge_patch(gd, local["href"], {"state": "completed"}).status_code == 409
    cancellation = created(
        gd.post(CANCELS, json={"productOrder": {"id": doomed["id"]}, "cancellationReason": "withdrawn"})
    )
    ok(gd.get(CANCELS)), ok(gd.get(cancellation["href"], params={"fields": "state"}))
    work_through(gd, local["id"])
    ok(gd.get(WORK, params={"fields": "state,workKind"}))
    ok(gd.get(f"{WORK}/{ok(gd.get(WORK))[0]['id']}"))
    ok(gd.post(f"{local['href']}/callback", json={"result": "fine", "satisfied": True}))
    ok(gd.get(ORDERS, params={"crossProvince": "false", "fields": "state"})), ok(gd.get(local["href"]))

    account = ok(gd.get(ACCOUNTS, params={"relatedParty.id": person["id"]}))[0]
    ok(gd.get(account["href"], params={"fields": "arrears"}))
    cycle = datetime.now(UTC).strftime("%Y-%m")
    run = created(
        gd.post(
            f"{BILLS}/customerBillOnDemand",
            json={"billingAccount": {"id": account["id"]}, "billingCycle": cycle},
        )
    )
    bill = ok(gd.get(run["customerBill"]["href"]))
    assert_tmf_valid(bill, "TMF678", "CustomerBill")
    ok(merge_patch(gd, bill["href"], {"state": "sent"}))
    ok(gd.get(bill["href"], params={"replay": "true"})), ok(gd.get(f"{BILLS}/customerBill"))
    payment = created(
        gd.post(
            PAYMENTS,
            json={
                "bill": {"id": bill["id"]},
                "paymentMethod": "wechatPay",
                "totalAmount": {"unit": "fen", "value": 100},
            },
        )
    )
    ok(gd.get(PAYMENTS)), ok(gd.get(payment["href"])), ok(gd.get(f"{BILLS}/arrearsReminder"))

    ticket = created(
        gd.post(
            TICKETS,
            json={
                "ticketType": "fault",
                "description": "专线中断",
                "severity": "major",
                "relatedParty": [{"id": person["id"], "role": "customer"}],
            },
        )
    )
    assert_tmf_valid(ticket, "TMF621", "TroubleTicket")
    ok(merge_patch(gd, ticket["href"], {"status": "inProgress"}))
    ok(merge_patch(gd, ticket["href"], {"status": "resolved", "resolution": "line card replaced"}))
    ok(gd.post(f"{ticket['href']}/callback", json={"result": "cleared", "satisfied": True}))
    ok(gd.get(TICKETS, params={"fields": "status"})), ok(gd.get(ticket["href"]))
    ok(gd.get("/crm/v1/overdueCallback"))
    created(gd.post("/crm/v1/statisticsReport", json={"month": cycle}))
    ok(gd.get(f"/crm/v1/statisticsReport/{cycle}"))
    ok(gd.get("/crm/v1/settlementStatement")), ok(gd.get("/replication/status"))

    # refusals, each documented with the error form
    assert gd.get(f"{CUSTOMERS}/no-such").status_code == 404
    assert gd.get(CUSTOMERS, headers={"Authorization": ""}).status_code == 401
    assert gd.post(CUSTOMERS, json=individual(), headers=staff("billingClerk")).status_code == 403
    assert gd.post(CUSTOMERS, json={**individual(), "nmae": "x"}).status_code == 400
    assert gd.get(ORDERS, params={"sate": "held"}).status_code == 400
    assert gd.post(TICKETS, content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
    assert gd.put(person["href"], json={}).status_code == 405
    return {"person": person, "firm": firm, "remote": remote, "cycle": cycle}


def hq_run(hq: RecordingClient, seen: dict[str, Any]) -> None:
    catalog, analyst = staff("catalogAdmin", "HQ", "wang.catalog"), staff("hqAnalyst", "HQ", "li.analyst")
    settlement, admin = staff("settlementClerk", "HQ", "qian.ledger"), signed_in(hq, "sun.ops")
    auditor = staff("auditor", "HQ", "zhou.audit")
    offering = created(
        hq.post(
            OFFERINGS,
            headers=catalog,
            json={"id": "PO-IPTV", "name": "IPTV", "kind": "service", "oneTimeFee": 0, "monthlyFee": 2000},
        )
    )
    assert_tmf_valid(offering, "TMF620", "ProductOffering")
    ok(merge_patch(hq, offering["href"], {"lifecycleStatus": "inDevelopment"}, headers=catalog))
    ok(hq.get(OFFERINGS, headers=catalog, params={"fields": "lifecycleStatus"}))
    ok(hq.get(offering["href"], headers=catalog))

    national = eventually(lambda: ok(hq.get(CUSTOMERS, headers=analyst)))
    ok(hq.get(national[0]["href"], headers=analyst, params={"fields": "provinces"}))
    ok(hq.get(national[0]["href"], headers=auditor, params={"unmask": "true"}))
    desk = eventually(lambda: ok(hq.get(ORDERS, headers=analyst)))
    ok(hq.get(desk[0]["href"], headers=analyst))
    ok(hq.get("/crm/v1/statistics", headers=analyst, params={"month": seen["cycle"]}))

    ok(hq.put("/crm/v1/settlementRule/default", headers=settlement, json={"monthlyPercent": 60}))
    (
        ok(hq.get("/crm/v1/settlementRule", headers=settlement)),
        ok(hq.get("/crm/v1/settlementRule/default", headers=settlement)),
    )
    ok(hq.get("/crm/v1/settlementEntry", headers=settlement))
    ok(hq.get("/crm/v1/settlementStatement", headers=settlement, params={"month": seen["cycle"]}))
    created(hq.post("/crm/v1/settlementStatement", headers=settlement, json={"month": seen["cycle"]}))

    created(
        hq.post(
            "/crm/v1/staff",
            headers=admin,
            json={
                "username": "zhang.clerk",
                "role": "clerk",
                "province": "GD",
                "password": "a long passphrase",
            },
        )
    )
    (
        ok(hq.get("/crm/v1/staff", headers=admin)),
        ok(merge_patch(hq, "/crm/v1/staff/zhang.clerk", {"enabled": True}, headers=admin)),
    )
    ok(hq.post("/auth/token", data={"username": "zhang.clerk", "password": "a long passphrase"}))
    assert (
        hq.post("/auth/token", data={"username": "zhang.clerk", "password": "wrong one!"}).status_code == 401
    )
    ok(hq.post("/crm/v1/staff/zhang.clerk/unlock", headers=admin))
    ok(hq.get("/.well-known/jwks.json"))
    ok(hq.get("/replication/status", headers=admin))
    ok(hq.post("/replication/audit/GD", headers=admin))
    ok(hq.get("/replication/mirror/GD", headers=auditor, params={"limit": 5}))
    ok(hq.get("/replication/mirror/GD/verify", headers=auditor))

    assert (
        merge_patch(hq, offering["href"], {"lifecycleStatus": "released"}, headers=catalog).status_code == 409
    )
    assert (
        hq.post(
            OFFERINGS,
            headers=catalog,
            json={"id": "PO-X", "name": "x", "kind": "service", "oneTimeFee": 0, "monthlyFee": 0, "price": 1},
        ).status_code
        == 400
    )
    assert hq.get(f"{OFFERINGS}/PO-NONE", headers=catalog).status_code == 404
    assert hq.get(OFFERINGS, headers=analyst, params={"lifecycle": "released"}).status_code == 400
    assert hq.post(OFFERINGS, headers=analyst, json={}).status_code == 403


def test_every_answer_of_a_run_through_both_nodes_matches_its_openapi(store, tmp_path):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        gd_api = rest_api(nodes["GD"].app, nodes["GD"].runtime)
        hq_api = rest_api(nodes["HQ"].app, nodes["HQ"].runtime)
        enrol(
            nodes["HQ"].app, "sun.ops", "systemAdmin"
        )  # the directory's first administrator, as `crm users add`
        with RecordingClient(gd_api, headers=staff()) as gd, RecordingClient(hq_api) as hq:
            seen = province_run(gd)
            hq_run(hq, seen)
            assert len(gd.exchanges) > 60 and len(hq.exchanges) > 25
            assert violations(gd_api.openapi(), gd.exchanges) == []
            assert violations(hq_api.openapi(), hq.exchanges) == []


# --- strict input --------------------------------------------------------------------------------------


def test_an_unknown_body_field_is_a_400_naming_it_and_records_nothing(client, province):
    before = event_count(province)
    typo = client.post(CUSTOMERS, json={**individual(), "nmae": "张三"})
    assert typo.status_code == 400 and typo.json()["field"] == "nmae" and "nmae" in typo.json()["reason"]
    nested = client.post(
        CUSTOMERS, json=individual(certificate={"type": "idCard", "number": "x", "kind": "y"})
    )
    assert nested.status_code == 400 and nested.json()["field"] == "certificate.kind"
    customer = created(client.post(CUSTOMERS, json=individual()))
    patch = merge_patch(client, customer["href"], {"stauts": "active"})
    assert patch.status_code == 400 and patch.json()["field"] == "stauts"
    assert event_count(province) == before + 2  # the customer and its billing account only


def test_an_unknown_query_parameter_is_a_400_naming_it(client):
    created(client.post(CUSTOMERS, json=individual(grade="2A")))
    mistyped = client.get(CUSTOMERS, params={"grdae": "1A"})
    assert mistyped.status_code == 400 and mistyped.json()["field"] == "grdae"
    assert "grdae" in mistyped.json()["reason"] and "grade" in mistyped.json()["reason"]
    assert client.get(f"{CUSTOMERS}/x", params={"offset": "0"}).json()["field"] == "offset"  # not a list
    assert client.get(CUSTOMERS, params={"grade": "1A"}).json() == []


def test_a_body_in_another_media_type_is_a_415_and_merge_patch_is_taken(client, province):
    before = event_count(province)
    body = json.dumps(individual()).encode()
    for media_type in ("text/plain", "application/x-www-form-urlencoded", "application/merge-patch+json"):
        refused = client.post(CUSTOMERS, content=body, headers={"Content-Type": media_type})
        assert refused.status_code == 415, media_type
        assert refused.json()["code"] == "unsupportedMediaType" and refused.json()["field"] == "Content-Type"
    assert event_count(province) == before
    customer = created(client.post(CUSTOMERS, content=body, headers={"Content-Type": "application/json"}))
    assert ok(merge_patch(client, customer["href"], {"status": "active"}))["status"] == "active"
    assert ok(client.patch(customer["href"], json={"grade": "2A"}))["grade"] == "2A"
    xml = client.patch(
        customer["href"], content=b"<grade>1A</grade>", headers={"Content-Type": "application/xml"}
    )
    assert xml.status_code == 415


def test_fields_selects_top_level_attributes_and_refuses_unknown_ones(client):
    customer = created(client.post(CUSTOMERS, json=individual()))
    one = ok(client.get(customer["href"], params={"fields": "name,grade"}))
    assert one == {
        "id": customer["id"],
        "href": customer["href"],
        "@type": "Customer",
        "name": "张三",
        "grade": "3A",
    }
    listed = ok(client.get(CUSTOMERS, params={"fields": "status"}))
    assert listed == [
        {"id": customer["id"], "href": customer["href"], "@type": "Customer", "status": "prospect"}
    ]
    unknown = client.get(CUSTOMERS, params={"fields": "name,shoeSize"})
    assert (
        unknown.status_code == 400
        and unknown.json()["field"] == "fields"
        and "shoeSize" in unknown.json()["reason"]
    )
    offering = ok(client.get(OFFERINGS, params={"fields": "monthlyFee", "limit": 1}))[0]
    assert set(offering) == {"id", "href", "@type", "monthlyFee"}


def test_a_fields_selection_still_fits_the_published_schema_and_an_empty_one_is_refused(
    province, store, tmp_path
):
    """Resources whose schema requires more than an id (a report's month, a status's node) keep it in any
    selection; `fields=` selects nothing, which no schema describes."""
    cycle = datetime.now(UTC).strftime("%Y-%m")
    gd_api = api_alone(province)
    with RecordingClient(gd_api, headers=staff()) as gd:
        gd.post(CUSTOMERS, json=individual())
        reads = {
            f"/crm/v1/statisticsReport/{cycle}": "figures",
            f"{BILLS}/arrearsReminder": "remainingAmount",
            "/replication/status": "log",
            CUSTOMERS: "name",
        }
        for path, attribute in reads.items():
            assert gd.get(path, params={"fields": attribute}).status_code == 200, path
            empty = gd.get(path, params={"fields": ""})
            assert empty.status_code == 400 and empty.json()["field"] == "fields", (path, empty.text)
        assert set(ok(gd.get(f"/crm/v1/statisticsReport/{cycle}", params={"fields": "figures"}))) == {
            "province",
            "month",
            "figures",
        }
        assert violations(gd_api.openapi(), gd.exchanges) == []
    with hq_alone(store, tmp_path) as (_, at_hq):
        for path, role, attribute in (
            ("/crm/v1/statistics", "hqAnalyst", "revenueBilled"),
            ("/crm/v1/staff", "systemAdmin", "role"),
        ):
            who = staff(role, "HQ", "someone")
            assert at_hq.get(path, params={"fields": attribute}, headers=who).status_code == 200, path
            empty = at_hq.get(path, params={"fields": ","}, headers=who)
            assert empty.status_code == 400 and empty.json()["field"] == "fields", path
            assert (
                violations(
                    at_hq.app.openapi(), [empty, at_hq.get(path, params={"fields": attribute}, headers=who)]
                )
                == []
            )


def test_a_405_allows_every_method_of_the_path(client):
    customer = created(client.post(CUSTOMERS, json=individual()))
    refused = client.put(customer["href"], json={})
    assert refused.status_code == 405 and refused.json()["code"] == "methodNotAllowed"
    assert refused.headers["Allow"] == "GET, PATCH"
    assert client.delete(CUSTOMERS).headers["Allow"] == "GET, POST"
    read_only = client.delete(
        OFFERINGS
    )  # the catalog's copy: the refusing operations are not allowed methods
    assert read_only.status_code == 405 and read_only.headers["Allow"] == "GET"


# --- the OpenAPI itself ----------------------------------------------------------------------------------


@pytest.fixture
def specs(province, tmp_path):
    from tests.support.stores import node_settings

    with node_settings("sqlite", tmp_path / "hq", "HQ", tier="hq") as settings:
        hq = open_hq(settings)
        try:
            yield {"province": rest_api(province).openapi(), "hq": rest_api(hq).openapi()}
        finally:
            hq.close()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def test_the_openapi_documents_errors_in_the_error_form_and_no_422(specs):
    for spec in specs.values():
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        assert {"code", "reason", "field"} <= set(spec["components"]["schemas"]["Error"]["properties"])
        for path, method, op in operations(spec):
            responses = op["responses"]
            assert "422" not in responses, (path, method)
            expected = (
                {"400"}
                | ({"401", "403"} if op.get("security") else set())
                | ({"404"} if "{" in path else set())
                | ({"409"} if method != "get" else set())
            )
            assert expected <= set(responses), (path, method, sorted(responses))
            for code in responses:
                if code.startswith("4"):
                    schema = responses[code]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, code)


def test_every_body_and_2xx_answer_has_a_real_schema(specs):
    for spec in specs.values():
        for path, method, op in operations(spec):
            for code, response in op["responses"].items():
                if code.startswith("2") and code != "204":
                    content = response["content"]
                    schema = (content.get("application/json") or next(iter(content.values())))["schema"]
                    assert schema not in ({}, {"type": "object"}), (path, method, code)
            if "requestBody" in op:
                content = op["requestBody"]["content"]
                assert all(media.get("schema") for media in content.values()), (path, method)
                if method == "patch":
                    assert {"application/merge-patch+json", "application/json"} <= set(content), path
                if method in ("post", "put", "patch") and "application/json" in content:
                    assert op["requestBody"]["required"] is True, (path, method)
            elif method in ("put", "patch") and "405" not in op["responses"]:  # a refusal takes no body
                raise AssertionError(f"{method} {path} documents no body")


def test_list_and_read_operations_document_fields_selection(specs):
    for spec in specs.values():
        for path, method, op in operations(spec):
            answers_json = "application/json" in op["responses"].get("200", {}).get("content", {})
            if (
                method == "get" and not path.startswith("/health") and answers_json
            ):  # probes are not resources  # not a JSON Lines/CSV stream
                names = {p["name"] for p in op.get("parameters", [])}
                assert "fields" in names, path


def test_the_docs_pages_and_every_asset_they_name_are_served_by_the_node_itself(client, store, tmp_path):
    """/docs and /redoc loaded their scripts from a public CDN: a blank page on an intranet."""
    import re

    with hq_alone(store, tmp_path) as (_, at_hq):
        for node in (client, at_hq):
            for page in ("/docs", "/redoc"):
                html = node.get(page, headers={"Authorization": ""})
                assert html.status_code == 200 and html.headers["content-type"].startswith("text/html"), page
                assert not re.search(r"(https?:)?//[A-Za-z0-9]", html.text), f"{page} names another host"
                named = re.findall(r'(?:src|href|spec-url)="([^"]+)"|url: \'([^\']+)\'', html.text)
                assets = {a or b for a, b in named}
                assert {"/openapi.json"} < assets and any(a.endswith(".js") for a in assets), (page, assets)
                for asset in assets:
                    served = node.get(asset, headers={"Authorization": ""})
                    assert served.status_code == 200 and len(served.content) > 1000, (page, asset)
