"""Hostile input gets a 4xx in the error form and records nothing; a failure inside is a JSON 500 with a request id."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from crm.bootstrap import open_province, rest_api
from tests.support.auth import STAFF
from tests.support.factories import individual
from tests.support.nodes import event_count
from tests.support.serving import raw_exchange, serving
from tests.support.stores import node_settings

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def test_out_of_range_offsets_nul_and_lone_surrogates_are_400_and_record_nothing(client, province):
    before = event_count(province)
    for params in (
        {"offset": "9223372036854775808"},
        {"offset": "-1"},
        {"limit": "100000"},
        {"name": "a\x00b"},
    ):
        response = client.get(CUSTOMERS, params=params)
        assert response.status_code == 400, (params, response.text)
        assert set(response.json()) >= {"code", "reason", "field"}
    for name in ("张\x00三", "\ud800", "tab\x07bell"):
        raw = json.dumps(individual(name=name))  # \\ud800 travels as JSON escapes, as a fuzzer sends it
        response = client.post(CUSTOMERS, content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and response.json()["field"] == "name", name
    assert (
        client.get(CUSTOMERS, params={"name": "%"}).headers["X-Total-Count"] == "0"
    )  # wildcards are literal
    assert event_count(province) == before


def test_money_has_an_upper_bound(client, province):
    customer = client.post(CUSTOMERS, json=individual()).json()
    account = client.get(
        "/tmf-api/accountManagement/v4/billingAccount", params={"relatedParty.id": customer["id"]}
    ).json()[0]
    before = event_count(province)
    from shared.domain.errors import InvalidValue

    try:
        province.billing.charge_customer(customer["id"], [{"kind": "oneTime", "amount": 2**70}], STAFF)
    except InvalidValue as refused:
        assert refused.field == "amount"
    else:
        raise AssertionError("2**70 fen was accepted")
    assert event_count(province) == before and account["id"]


def test_a_failure_inside_is_a_json_500_with_a_request_id(province, monkeypatch):
    monkeypatch.setattr(
        province.customers, "list_customers", lambda **_: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    with TestClient(rest_api(province), headers=STAFF, raise_server_exceptions=False) as client:
        response = client.get(CUSTOMERS)
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == "internalError" and len(body["requestId"]) == 16 and "boom" not in response.text


def test_concurrent_creates_with_one_idempotency_key_all_get_the_first_answer(client, province):
    from concurrent.futures import ThreadPoolExecutor

    body = individual()
    before = event_count(province)

    def create(_):
        response = client.post(CUSTOMERS, json=body, headers={"Idempotency-Key": "race-1"})
        return response.status_code, response.json()

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(create, range(20)))
    assert {status for status, _ in answers} == {201}, [a for a in answers if a[0] != 201][:2]
    assert len({doc["id"] for _, doc in answers}) == 1
    assert client.get(CUSTOMERS).headers["X-Total-Count"] == "1"
    assert event_count(province) > before


def test_a_nul_or_control_character_in_a_filter_or_an_id_is_400_naming_the_parameter(client, province):
    """Found by schemathesis: on PostgreSQL any exact-match filter or id holding NUL was a 500."""
    customer = client.post(CUSTOMERS, json=individual()).json()
    before = event_count(province)
    for path, params, field in (
        (CUSTOMERS, {"industry": "a\x00b"}, "industry"),
        (CUSTOMERS, {"customerManager.id": "\x00"}, "customerManager.id"),
        ("/tmf-api/customerBillManagement/v4/customerBill", {"billingCycle": "2026\x0701"}, "billingCycle"),
        (f"{CUSTOMERS}/a%00b", {}, "customer_id"),
        (f"{CUSTOMERS}/{customer['id']}/member/%00", {}, "member_id"),
        ("/tmf-api/troubleTicket/v4/troubleTicket/x%1Fy", {}, "ticket_id"),
    ):
        response = client.get(path, params=params)
        assert response.status_code == 400, (path, params, response.text)
        assert response.json()["field"] == field and "U+00" in response.json()["reason"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.patch(f"{CUSTOMERS}/%00", json={"name": "x"}).status_code == 400
    assert client.get(CUSTOMERS, params={"industry": "制造\t业"}).status_code == 200  # tabs are text
    assert event_count(province) == before


def test_a_body_that_is_not_even_text_is_400_naming_the_body(client, province):
    """Found by schemathesis: bytes that are no UTF-8 gave FastAPI's bare 400 with no field."""
    before = event_count(province)
    for path in (CUSTOMERS, "/tmf-api/troubleTicket/v4/troubleTicket"):
        response = client.post(path, content=b"\xbf\x14I\xb1`", headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "body" and response.json()["code"] == "malformedBody"
    assert event_count(province) == before


def test_a_lone_surrogate_quoted_back_in_a_refusal_is_400_not_a_failure_to_render(client, province):
    """Found by mutating valid bodies: an unknown enum value or id holding "\\ud800" is quoted in the reason, and
    rendering that reason as UTF-8 was a 500 (customerKind, grade, ticketType, state, bill.id, …)."""
    customer = client.post(CUSTOMERS, json=individual()).json()
    before = event_count(province)
    for method, path, body, field in (
        ("POST", CUSTOMERS, individual(customerKind="\ud800"), "customerKind"),
        ("PATCH", customer["href"], {"grade": "\ud800"}, "grade"),
        (
            "POST",
            "/tmf-api/troubleTicket/v4/troubleTicket",
            {"ticketType": "\ud800", "description": "x", "relatedParty": [{"id": customer["id"]}]},
            "ticketType",
        ),
        (
            "POST",
            "/tmf-api/paymentManagement/v4/payment",
            {
                "bill": {"id": "\ud800"},
                "totalAmount": {"unit": "fen", "value": 1},
                "paymentMethod": "wechatPay",
            },
            None,
        ),
    ):
        response = client.request(
            method, path, content=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (path, response.text)
        assert response.json()["reason"] and (field is None or response.json()["field"] == field)
    quoted = client.patch(
        customer["href"],
        content=json.dumps({"grade": "\ud800"}),
        headers={"Content-Type": "application/json"},
    )
    assert quoted.status_code == 400 and quoted.json()["field"] == "grade"  # refused where the models read it
    assert event_count(province) == before


def test_an_object_where_a_word_belongs_is_400_naming_the_field(client, province):
    """Found by mutating valid bodies: a membership test on an unhashable value raised TypeError (500)."""
    customer = client.post(CUSTOMERS, json=individual()).json()
    before = event_count(province)
    response = client.patch(
        customer["href"], json={"contactMedium": [{"mediumType": {"a": 1}, "characteristic": {}}]}
    )
    assert response.status_code == 400 and response.json()["field"] == "contactMedium[0].mediumType"
    assert event_count(province) == before


def test_an_order_for_an_offering_id_holding_a_lone_surrogate_is_400(client, province):
    """Found by mutating valid bodies: the offering id went into a name-based UUID before any check (500)."""
    customer = client.post(CUSTOMERS, json=individual()).json()
    client.patch(customer["href"], json={"status": "active"})
    before = event_count(province)
    order = {
        "relatedParty": [{"id": customer["id"], "role": "customer"}],
        "slaClass": "urgent",
        "acceptanceKind": "newInstall",
        "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "\ud800"}}],
    }
    response = client.post(
        "/tmf-api/productOrderingManagement/v4/productOrder",
        content=json.dumps(order),
        headers={"Content-Type": "application/json"},
    )
    assert (
        response.status_code == 400 and response.json()["field"] == "productOrderItem[0].productOffering.id"
    )
    assert event_count(province) == before


def test_every_parameter_naming_a_province_or_a_month_refuses_what_names_none(client, province):
    """`homeProvince=XX` was 200 `[]`; a bad month's reason was a regular expression."""
    before = event_count(province)
    for path in (CUSTOMERS, "/tmf-api/serviceOrdering/v4/serviceOrder"):
        for bad in ("XX", "G", "GDX", "测试"):
            refused = client.get(path, params={"homeProvince": bad})
            assert refused.status_code == 400, (path, bad, refused.text)
            assert (
                refused.json()["field"] == "homeProvince"
                and "unknown province code" in refused.json()["reason"]
            )
        assert client.get(path, params={"homeProvince": "bj"}).status_code == 200
    expected = "expected YYYY-MM, e.g. 2026-12"
    for path, name in (
        ("/crm/v1/settlementStatement", "month"),
        ("/tmf-api/customerBillManagement/v4/customerBill", "billingCycle"),
    ):
        for bad in ("2026-13", "2026-1", "26-12", "0000-01"):
            refused = client.get(path, params={name: bad})
            assert refused.json() == {"code": "invalidValue", "reason": expected, "field": name}, (path, bad)
        assert client.get(path, params={name: "2026-11"}).status_code == 200
    for bad in ("2026-13", "2026-1", "x"):
        assert client.get(f"/crm/v1/statisticsReport/{bad}").json() == {
            "code": "invalidValue",
            "reason": expected,
            "field": "month",
        }
        assert client.post("/crm/v1/statisticsReport", json={"month": bad}).json()["reason"] == expected
    assert event_count(province) == before


def test_a_request_line_the_server_cannot_parse_is_answered_in_the_error_form(province):
    """Unencoded Chinese in the query was uvicorn's plain-text `Invalid HTTP request received.`"""
    with serving(rest_api(province)) as port:
        answer = raw_exchange(
            port,
            "GET /tmf-api/customerManagement/v4/customer?name=张三 HTTP/1.1\r\nHost: gd\r\n\r\n".encode(),
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), answer[:200]
        assert (
            b"content-type: application/json" in head.lower()
            and b"x-content-type-options: nosniff" in head.lower()
        )
        refusal = json.loads(body)
        assert refusal["code"] == "malformedRequest" and "percent-encoded" in refusal["reason"]
        assert set(refusal) == {"code", "reason", "field"}
        encoded = raw_exchange(
            port, b"GET /health/live?x=%E5%BC%A0 HTTP/1.1\r\nHost: gd\r\nConnection: close\r\n\r\n"
        )
        assert (
            encoded.startswith(b"HTTP/1.1 400 ") and b"unknownParameter" in encoded
        )  # parsed, then the app's


def _refusal(answer: bytes) -> tuple[bytes, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], json.loads(body)


def test_a_body_beyond_the_limit_is_a_413_before_it_is_read_or_anyone_is_asked_for_a_token(store, tmp_path):
    """A 31 MB body was parsed (memory stayed 210 MB higher); without a token a 30 MB body was read before the
    401; a 12 MB object of a million keys stalled the node for 8 s."""
    with node_settings(store, tmp_path, http_max_body_bytes=4096) as settings:
        app = open_province(settings)
        try:
            with serving(rest_api(app)) as port:
                before = event_count(app)
                declared = raw_exchange(
                    port,
                    b"POST /tmf-api/customerManagement/v4/customer HTTP/1.1\r\n"
                    b"Host: gd\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 31000000\r\n\r\n",
                )  # and not one byte of it sent
                status, body = _refusal(declared)
                assert status.startswith(b"HTTP/1.1 413 "), declared[:300]
                assert body == {
                    "code": "bodyTooLarge",
                    "field": "body",
                    "reason": "the body is larger than this node takes (4096 bytes)",
                }
                chunk = b"[" + b"1," * 1500 + b"1]"  # about 3 KB each: the second one passes the limit
                chunked = raw_exchange(
                    port,
                    b"POST /tmf-api/customerManagement/v4/customer HTTP/1.1\r\n"
                    b"Host: gd\r\nContent-Type: application/json\r\n"
                    b"Authorization: Bearer " + STAFF["Authorization"][7:].encode() + b"\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                    + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(2))
                    + b"0\r\n\r\n",
                )
                status, body = _refusal(chunked)
                assert status.startswith(b"HTTP/1.1 413 ") and body["code"] == "bodyTooLarge", chunked[:300]
                small = raw_exchange(
                    port,
                    b"POST /tmf-api/customerManagement/v4/customer HTTP/1.1\r\n"
                    b"Host: gd\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                    b"Connection: close\r\n\r\n{}",
                )
                assert _refusal(small)[0].startswith(b"HTTP/1.1 401 ")  # within the limit: the token is asked
                assert event_count(app) == before
        finally:
            app.close()


def test_a_body_of_more_members_or_deeper_nesting_than_any_request_is_400_before_it_is_validated(
    client, province
):
    before = event_count(province)
    many = {f"k{n}": n for n in range(20_000)}
    deep: dict = {}
    for _ in range(40):
        deep = {"a": deep}
    nested: list = []
    for _ in range(40):
        nested = [nested]
    for body in (many, {**individual(), "contactMedium": [{"mediumType": "phone"}] * 20_000}, deep, nested):
        refused = client.post(CUSTOMERS, json=body)
        assert refused.status_code == 400, refused.text[:300]
        assert refused.json()["code"] == "bodyTooComplex" and refused.json()["field"] == "body"
    streamed = client.post(
        CUSTOMERS,
        content=iter([json.dumps(individual()).encode(), b" " * 2_000_000]),
        headers={"Content-Type": "application/json"},
    )  # no Content-Length: counted as it comes
    assert streamed.status_code == 413 and streamed.json()["code"] == "bodyTooLarge"
    assert event_count(province) == before
    assert client.post(CUSTOMERS, json=individual()).status_code == 201
