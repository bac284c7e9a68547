"""Customers over REST (R-5..R-8, R-10), on both stores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from crm.bootstrap import open_province
from province.customers.schemas import CustomerCreate
from shared.domain.operator import Operator
from tests.support.auth import STAFF, staff
from tests.support.factories import group, id_card, individual
from tests.support.nodes import event_count

BASE = "/tmf-api/customerManagement/v4/customer"


def create(client, body=None):
    response = client.post(BASE, json=body or individual())
    assert response.status_code == 201, response.text
    return response.json()


def test_register_then_read_back_and_list(client):
    customer = create(client, individual(name="李四", grade="2A"))
    assert customer["status"] == "prospect"
    assert customer["href"] == f"{BASE}/{customer['id']}"
    assert client.get(customer["href"]).json() == customer
    listed = client.get(BASE, params={"grade": "2A"})
    assert listed.headers["X-Total-Count"] == "1"
    assert [c["id"] for c in listed.json()] == [customer["id"]]


def test_every_event_records_actor_role_province_and_channel_from_the_token(client, province):
    customer = create(client)
    client.patch(
        f"{BASE}/{customer['id']}",
        json={"status": "active"},
        headers=staff("clerk", "GD", "li.si", "李四", channel="callCentre"),
    )
    from uuid import UUID

    events = list(province.events.get(UUID(customer["id"])))
    assert events[0].by.as_dict() == {
        "actor": "zhang.san",
        "name": "张三",
        "role": "provinceAdmin",
        "province": "GD",
        "channel": "businessHall",
        "kind": "machine",
    }  # a script's token, not a person's
    assert events[-1].by.as_dict() == {
        "actor": "li.si",
        "name": "李四",
        "role": "clerk",
        "province": "GD",
        "channel": "callCentre",
        "kind": "machine",
    }  # a Chinese name travels in the token


def test_no_token_is_401_an_unknown_channel_is_400_and_neither_records_anything(client, province):
    before = event_count(province)
    response = client.post(BASE, json=individual(), headers={"Authorization": ""})
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.post(BASE, json=individual(), headers={"X-Channel": "carrierPigeon"})
    assert response.status_code == 400 and response.json()["field"] == "X-Channel"
    assert event_count(province) == before


@pytest.mark.parametrize(
    "body, field",
    [
        (individual(certificate={"type": "idCard", "number": "440106199001020018"}), "certificate.number"),
        (individual(certificate={"type": "idCard", "number": "44010619900230001X"}), "certificate.number"),
        (
            group(certificate={"type": "unifiedSocialCreditCode", "number": "91440100000000002B"}),
            "certificate.number",
        ),
        (individual(certificate={"type": "passport", "number": "E1234567"}), "certificate.type"),
        (individual(grade="6A"), "grade"),
        (individual(name="x" * 129), "name"),
        (individual(name=""), "name"),
        (individual(customerKind="robot"), "customerKind"),
        (
            individual(contactMedium=[{"mediumType": "pigeon", "characteristic": {}}]),
            "contactMedium[0].mediumType",
        ),
        (
            individual(contactMedium=[{"mediumType": "phone", "characteristic": {"phoneNumber": "abc"}}]),
            "contactMedium[0].characteristic.phoneNumber",
        ),
        (group(certificate={"type": "idCard", "number": id_card()}), "certificate.type"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_records_nothing(client, province, body, field):
    before = event_count(province)
    response = client.post(BASE, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert response.json()["reason"]
    assert event_count(province) == before
    assert client.get(BASE).headers["X-Total-Count"] == "0"


def test_malformed_json_is_400(client, province):
    before = event_count(province)
    response = client.post(BASE, content=b'{"name": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "malformedJson"
    assert event_count(province) == before


def test_same_certificate_twice_is_409_naming_the_existing_customer(client, province):
    body = individual()
    first = create(client, body)
    before = event_count(province)
    again = client.post(BASE, json=individual(certificate=body["certificate"], name="冒名"))
    assert again.status_code == 409
    assert again.json()["existingId"] == first["id"]
    recorded = [
        type(e).__qualname__
        for n in province.recorder.select_notifications(start=before + 1, limit=10)
        for e in [province.mapper.to_domain_event(n)]
    ]
    assert recorded == ["PersonalDataRead.Recorded"]  # no customer: only who learnt that the number is taken


def test_status_lifecycle_and_every_illegal_transition(client, province):
    c = create(client)
    href = f"{BASE}/{c['id']}"
    assert client.patch(href, json={"status": "suspended"}).status_code == 409  # prospect → suspended
    assert client.patch(href, json={"status": "active"}).json()["status"] == "active"
    assert client.patch(href, json={"status": "prospect"}).status_code == 409
    assert (
        client.patch(href, json={"status": "suspended", "statusReason": "arrears"}).json()["status"]
        == "suspended"
    )
    assert client.patch(href, json={"status": "active"}).json()["status"] == "active"
    assert client.patch(href, json={"status": "closed"}).json()["status"] == "closed"
    before = event_count(province)
    for target in ("prospect", "active", "suspended"):
        refused = client.patch(href, json={"status": target})
        assert refused.status_code == 409
        assert refused.json()["currentState"] == "closed"
    assert client.patch(href, json={"grade": "1A"}).status_code == 409
    assert event_count(province) == before


def test_unknown_status_and_unpatchable_field(client):
    href = create(client)["href"]
    assert client.patch(href, json={"status": "dormant"}).json()["field"] == "status"
    assert client.patch(href, json={"certificate": {}}).json()["field"] == "certificate"


def test_grade_and_manager_history(client):
    c = create(client, individual(customerManager={"id": "M1", "name": "王经理"}))
    href = c["href"]
    client.patch(href, json={"grade": "1A", "customerManager": {"id": "M2", "name": "赵经理"}})
    doc = client.get(href).json()
    assert doc["grade"] == "1A" and doc["starLevel"] == 5
    assert [m["id"] for m in doc["customerManagerHistory"]] == ["m1", "m2"]
    assert doc["customerManagerHistory"][0]["until"] is not None
    assert doc["customerManager"]["id"] == "m2"  # as the staff directory holds the user name
    assert client.get(BASE, params={"customerManager.id": "M2"}).headers["X-Total-Count"] == "1"
    assert client.get(BASE, params={"customerManager.id": "M1"}).headers["X-Total-Count"] == "0"
    assert client.get(BASE, params={"grade": "7A"}).status_code == 400


def test_group_members_across_provinces(client, province):
    g = create(client, group())
    members = f"{g['href']}/member"
    for name, number, prov in (
        ("甲", "13800000001", "GD"),
        ("乙", "13800000002", "BJ"),
        ("丙", "13800000003", "SH"),
    ):
        r = client.post(
            members, json={"name": name, "phoneNumber": number, "province": prov, "centrallyPaid": True}
        )
        assert r.status_code == 201, r.text
    assert client.get(members).headers["X-Total-Count"] == "3"
    assert sorted(m["province"] for m in client.get(g["href"]).json()["member"]) == ["BJ", "GD", "SH"]
    before = event_count(province)
    assert (
        client.post(members, json={"name": "丁", "phoneNumber": "13800000001", "province": "GD"}).status_code
        == 400
    )
    assert (
        client.post(members, json={"name": "丁", "phoneNumber": "13800000009", "province": "XX"}).json()[
            "field"
        ]
        == "province"
    )
    individual_customer = create(client)
    assert (
        client.post(
            f"{individual_customer['href']}/member",
            json={"name": "x", "phoneNumber": "13800000005", "province": "GD"},
        ).status_code
        == 409
    )
    assert event_count(province) == before + 2  # only the individual's registration (customer + account)
    first = client.get(members).json()[0]
    assert client.delete(f"{members}/{first['id']}").status_code == 204
    assert client.get(members).headers["X-Total-Count"] == "2"


def test_paging_and_filters(client):
    for i in range(5):
        create(client, individual(grade="4A" if i % 2 else "5A"))
    create(client, group())
    page = client.get(BASE, params={"offset": 1, "limit": 2})
    assert page.headers["X-Total-Count"] == "6" and len(page.json()) == 2
    assert client.get(BASE, params={"customerKind": "group"}).headers["X-Total-Count"] == "1"
    assert client.get(BASE, params={"grade": "4A"}).headers["X-Total-Count"] == "2"
    assert client.get(BASE, params={"status": "prospect"}).headers["X-Total-Count"] == "6"
    assert client.get(BASE, params={"limit": 0}).status_code == 400


def test_unknown_customer_is_404(client):
    assert client.get(f"{BASE}/nope").status_code == 404
    r = client.patch(f"{BASE}/00000000-0000-0000-0000-000000000000", json={"grade": "1A"})
    assert r.status_code == 404 and r.json()["code"] == "notFound"


def test_idempotency_key_replays_and_conflicts(client, province):
    body = individual()
    first = client.post(BASE, json=body, headers={"Idempotency-Key": "k-1"})
    before = event_count(province)
    again = client.post(BASE, json=body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json() == first.json()
    assert event_count(province) == before
    other = client.post(BASE, json=individual(), headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and other.json()["field"] == "Idempotency-Key"
    assert event_count(province) == before


def test_concurrent_changes_one_wins_the_other_409(client, province):
    c = create(client)
    href = c["href"]
    codes: list[int] = []

    def change(i):
        return client.patch(href, json={"name": f"客户{i}"}, headers=STAFF).status_code

    for burst in range(10):  # real concurrent requests until two of them have collided
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes += list(pool.map(change, range(burst * 16, burst * 16 + 16)))
        if 409 in codes:
            break
    assert set(codes) <= {200, 409}  # never a 500
    assert 409 in codes and 200 in codes
    doc = client.get(href).json()
    assert doc["version"] == 1 + codes.count(200)  # every 200 recorded exactly one change, every 409 none


def test_restart_keeps_everything_and_rebuild_reproduces_read_models(settings, province, client):

    g = create(client, group())
    client.post(f"{g['href']}/member", json={"name": "甲", "phoneNumber": "13800000001", "province": "BJ"})
    c = create(client)
    client.patch(c["href"], json={"status": "active", "grade": "1A"})
    before = province.queries.dump()
    province.close()
    restarted = open_province(settings)
    try:
        assert restarted.customers.get_customer(c["id"])["grade"] == "1A"
        assert restarted.queries.dump() == before
        restarted.rebuild_read_models()
        assert restarted.queries.dump() == before
    finally:
        restarted.close()


def test_customer_and_group_are_valid_tmf629_customers(client):
    from tests.support.tmf import assert_tmf_valid

    c = create(client, individual(customerManager={"id": "M1", "name": "王经理"}))
    g = create(client, group())
    client.post(f"{g['href']}/member", json={"name": "甲", "phoneNumber": "13800000001", "province": "BJ"})
    for doc in (client.get(c["href"]).json(), client.get(g["href"]).json(), *client.get(BASE).json()):
        assert_tmf_valid(doc, "TMF629", "Customer")


def test_two_stale_copies_saved_one_after_the_other_the_second_is_refused(province):
    from uuid import UUID

    from shared.application import ConcurrentChange
    from shared.domain.customer import Customer

    doc = province.customers.register_customer(
        CustomerCreate.model_validate(individual()), Operator(actor="a", role="r", channel="web")
    )
    first = province.load(Customer, doc["id"])
    second = province.load(Customer, doc["id"])
    first.regrade("1A", Operator(actor="a", role="r", channel="web"))
    second.regrade("5A", Operator(actor="b", role="r", channel="web"))
    province.record(first)
    with pytest.raises(ConcurrentChange):
        province.record(second)
    assert province.customers.get_customer(doc["id"])["grade"] == "1A"
    assert province.repository.get(UUID(doc["id"])).version == 2


IMPOSSIBLE_PHONES = (
    "12345",
    "12800138000",
    "1380013800",
    "138001380001",
    "010-1234567",
    "0755-0345678",
    "00000000000",
    "+1 415 555 0100",
)
POSSIBLE_PHONES = (
    "13800138000",
    "+86 139 1234 5678",
    "010-65529988",
    "(0755) 8345 6789",
    "0571-8765432",
    "+86 10 6552 9988",
)


def test_phone_numbers_follow_the_chinese_numbering_plan_wherever_one_is_taken(client, province):
    g = create(client, group())
    members = f"{g['href']}/member"
    c = create(client)
    before = event_count(province)
    for number in IMPOSSIBLE_PHONES:
        member = client.post(members, json={"name": "甲", "phoneNumber": number, "province": "GD"})
        assert member.status_code == 400 and member.json()["field"] == "phoneNumber", (number, member.text)
        assert "Chinese phone number" in member.json()["reason"]
        contact = [{"mediumType": "phone", "characteristic": {"phoneNumber": number}}]
        registered = client.post(BASE, json=individual(contactMedium=contact))
        changed = client.patch(c["href"], json={"contactMedium": contact})
        for refused in (registered, changed):
            assert refused.status_code == 400, (number, refused.text)
            assert refused.json()["field"] == "contactMedium[0].characteristic.phoneNumber"
    assert event_count(province) == before
    for number in POSSIBLE_PHONES:
        contact = [{"mediumType": "phone", "characteristic": {"phoneNumber": number}}]
        assert client.patch(c["href"], json={"contactMedium": contact}).status_code == 200, number
    assert (
        client.post(
            members, json={"name": "甲", "phoneNumber": "+86 138-0013-8000", "province": "GD"}
        ).status_code
        == 201
    )
    again = client.post(members, json={"name": "乙", "phoneNumber": "13800138000", "province": "BJ"})
    assert (
        again.status_code == 400 and again.json()["field"] == "phoneNumber"
    )  # the same number, written otherwise
    found = client.get(BASE, params={"phoneNumber": "13800138000"}).json()
    assert g["id"] in {x["id"] for x in found}


def test_a_status_reason_is_never_dropped(client, province):
    c = create(client)
    before = event_count(province)
    alone = client.patch(c["href"], json={"statusReason": "moved to Shenzhen"})
    assert alone.status_code == 400 and alone.json()["field"] == "statusReason"
    client.patch(c["href"], json={"status": "active"})
    suspended = client.patch(c["href"], json={"status": "suspended", "statusReason": "arrears"})
    assert suspended.status_code == 200 and suspended.json()["statusReason"] == "arrears"
    before = event_count(province)
    assert client.patch(c["href"], json={"status": "suspended"}).status_code == 200
    assert client.patch(c["href"], json={"status": "suspended", "statusReason": "arrears"}).status_code == 200
    other = client.patch(c["href"], json={"status": "suspended", "statusReason": "fraud check"})
    assert other.status_code == 409 and other.json()["field"] == "statusReason"
    assert other.json()["currentState"] == "suspended"
    assert event_count(province) == before
    assert client.get(c["href"]).json()["statusReason"] == "arrears"
