"""Personal data (PIPL, R-29): no certificate or phone number in clear in any file of a node's data directory or
any database row, at a province and at HQ; masked answers; a full read only for roles that may, and recorded."""

from __future__ import annotations

from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from fastapi.testclient import TestClient

from crm.bootstrap import open_province, rest_api
from shared.domain.access import PersonalDataRead
from tests.support.auth import staff
from tests.support.factories import group, id_card, individual
from tests.support.nodes import cluster, event_count, eventually, hq_alone, personal_reads
from tests.support.stores import node_settings

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"


def _clear_anywhere(app, needles: list[str]) -> list[str]:
    """Where any of the numbers stands in clear: files of the node's data directory, or rows of its database."""
    found = []
    if app.settings.store == "sqlite":
        for path in Path(app.settings.data_dir).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [f"{path.name}: {n}" for n in needles if n.encode() in data]
        return found
    s = app.settings
    with psycopg.connect(
        host=s.pg_host, port=s.pg_port, user=s.pg_user, password=s.pg_password, dbname=s.database_name
    ) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
        ]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                text = " ".join(
                    bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview)) else str(v) for v in row
                )
                found += [f"{table}: {n}" for n in needles if n in text]
    return found


def test_no_certificate_or_phone_number_in_clear_at_rest_and_answers_are_masked(store, tmp_path):
    certificate, phone, member_phone = id_card(770001), "13912345678", "13787654321"
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        with TestClient(rest_api(gd.app), headers=staff()) as client:
            body = individual(
                grade="1A",
                certificate={"type": "idCard", "number": certificate},
                contactMedium=[{"mediumType": "phone", "characteristic": {"phoneNumber": phone}}],
            )
            created = client.post(CUSTOMERS, json=body, headers={"Idempotency-Key": "pii-1"})
            assert created.status_code == 201
            assert created.json()["certificate"]["number"] == certificate[:6] + "********" + certificate[-4:]
            assert created.json()["contactMedium"][0]["characteristic"]["phoneNumber"] == "139****5678"
            groups = client.post(CUSTOMERS, json=group(grade="2A")).json()
            member = client.post(
                f"{groups['href']}/member",
                json={"name": "成员", "phoneNumber": member_phone, "province": "GD"},
            )
            assert member.status_code == 201 and member.json()["phoneNumber"] == "137****4321"
            client.patch(groups["href"], json={"status": "active"})
            ordered = client.post(
                ORDERS,
                json={
                    "relatedParty": [{"id": groups["id"], "role": "customer"}],
                    "productOrderItem": [
                        {"productOffering": {"id": "PO-MOB-99"}, "groupMember": {"id": member.json()["id"]}}
                    ],
                },
            )
            assert ordered.status_code == 201, ordered.text
            assert (
                client.get(CUSTOMERS, params={"phoneNumber": phone}).json()[0]["id"] == created.json()["id"]
            )
            assert (
                client.get(CUSTOMERS, params={"certificateNumber": certificate}).headers["X-Total-Count"]
                == "1"
            )

            clerk = staff("clerk", "GD", "clerk.wang")
            refused = client.get(created.json()["href"], params={"unmask": "true"}, headers=clerk)
            assert refused.status_code == 403 and refused.json()["field"] == "unmask"
            before = gd.app.head_position()
            shown = client.get(created.json()["href"], params={"unmask": "true"})
            assert shown.json()["certificate"]["number"] == certificate
            assert shown.headers["Cache-Control"] == "no-store"
            reads = [
                n
                for n in gd.app.recorder.select_notifications(start=before + 1, limit=10)
                if n.topic.endswith("PersonalDataRead.Recorded")
            ]
            assert len(reads) == 1
            read = gd.app.repository.get(UUID(str(reads[0].originator_id)))
            assert isinstance(read, PersonalDataRead) and read.subjects == [created.json()["id"]]

        eventually(lambda: hq.app.registry.list_national_customers(certificate_number=certificate).total == 1)
        with TestClient(rest_api(hq.app), headers=staff("auditor", "HQ", "zhao.audit")) as at_hq:
            national = at_hq.get(CUSTOMERS, params={"certificateNumber": certificate}).json()[0]
            assert certificate not in str(national) and phone not in str(national)
            assert national["id"] != str(uuid5(NAMESPACE_URL, f"crm:national-customer:idCard:{certificate}"))
            full = at_hq.get(national["href"], params={"unmask": "true"}).json()
            assert full["certificate"]["number"] == certificate
            before = hq.app.head_position()
            assert (
                at_hq.get("/replication/mirror/GD").status_code == 200
            )  # records in full: the read is recorded
            read = [
                n
                for n in hq.app.recorder.select_notifications(start=before + 1, limit=10)
                if n.topic.endswith("PersonalDataRead.Recorded")
            ]
            assert len(read) == 1
        for app in (gd.app, hq.app):
            assert _clear_anywhere(app, [certificate, phone, member_phone]) == [], app.settings.node_code


def test_security_headers_on_every_answer(client):
    for response in (client.get("/health"), client.get(CUSTOMERS), client.get(f"{CUSTOMERS}/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert "server" not in response.headers


def test_idempotency_receipts_expire(client, province):
    from datetime import timedelta

    body = individual()
    first = client.post(CUSTOMERS, json=body, headers={"Idempotency-Key": "old-key"})
    assert client.post(CUSTOMERS, json=body, headers={"Idempotency-Key": "old-key"}).json() == first.json()
    clock = province.clock
    province.clock = lambda: clock() + timedelta(hours=province.settings.idempotency_hours, minutes=1)
    again = client.post(CUSTOMERS, json=body, headers={"Idempotency-Key": "old-key"})
    assert again.status_code == 409 and again.json()["field"] == "certificate.number"  # a new request now
    assert province.queries.idempotency("old-key") is None


def test_a_nodes_files_are_its_operators_only(tmp_path):
    import stat
    import subprocess
    import sys

    from tests.support.processes import REPO

    def crm(*args):
        subprocess.run(
            [sys.executable, "-m", "crm.cli", *args, "--data-dir", str(tmp_path)],
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=120,
        )

    crm("keys", "init", "--code", "BJ")
    crm("demo-data", "--code", "BJ")
    for path in tmp_path.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_a_lookup_by_certificate_or_phone_number_is_a_personal_data_read_limited_recorded_and_throttled(
    store, tmp_path
):
    """The masked form leaves a few thousand candidates and the exact filters confirmed a guess: a billing clerk
    recovered an ID number in 1,669 requests, unthrottled and unrecorded."""

    certificate, phone = id_card(770002), "13912340000"
    with node_settings(store, tmp_path, personal_lookups_per_hour=3) as settings:
        app = open_province(settings)
        try:
            with TestClient(rest_api(app), headers=staff()) as client:
                customer = client.post(
                    CUSTOMERS,
                    json=individual(
                        certificate={"type": "idCard", "number": certificate},
                        contactMedium=[{"mediumType": "phone", "characteristic": {"phoneNumber": phone}}],
                    ),
                ).json()
                before = event_count(app)
                for role in ("clerk", "billingClerk"):
                    for name, value in (("certificateNumber", certificate), ("phoneNumber", phone)):
                        refused = client.get(
                            CUSTOMERS, params={name: value}, headers=staff(role, "GD", "guesser")
                        )
                        assert refused.status_code == 403 and refused.json()["field"] == name, (role, name)
                assert client.get(CUSTOMERS, params={"name": "张"}, headers=staff("clerk")).status_code == 200
                assert event_count(app) == before  # refusals record nothing

                admin = staff("provinceAdmin", "GD", "li.admin")
                hit = client.get(CUSTOMERS, params={"certificateNumber": certificate}, headers=admin)
                miss = client.get(CUSTOMERS, params={"phoneNumber": "13900000000"}, headers=admin)
                both = client.get(
                    CUSTOMERS, params={"certificateNumber": certificate, "phoneNumber": phone}, headers=admin
                )
                assert [r.headers["X-Total-Count"] for r in (hit, miss, both)] == ["1", "0", "1"]
                assert personal_reads(app, before) == [
                    ("customer?certificateNumber", [customer["id"]], "li.admin"),
                    ("customer?phoneNumber", [], "li.admin"),  # a miss tells something too
                    ("customer?certificateNumber,phoneNumber", [customer["id"]], "li.admin"),
                ]

                recorded = event_count(app)
                throttled = client.get(CUSTOMERS, params={"phoneNumber": phone}, headers=admin)
                assert throttled.status_code == 429 and throttled.json()["field"] == "phoneNumber"
                assert (
                    int(throttled.headers["Retry-After"]) >= 1
                    and throttled.json()["code"] == "tooManyAttempts"
                )
                assert event_count(app) == recorded
                assert (
                    client.get(CUSTOMERS, params={"name": "张"}, headers=admin).status_code == 200
                )  # only lookups
                other = client.get(
                    CUSTOMERS,
                    params={"phoneNumber": phone},
                    headers=staff("provinceAdmin", "GD", "zhou.admin"),
                )
                assert other.status_code == 200  # per person
        finally:
            app.close()


def test_at_hq_an_exact_lookup_is_for_roles_that_may_see_personal_data_recorded_and_throttled(
    store, tmp_path
):
    with hq_alone(store, tmp_path, personal_lookups_per_hour=2) as (hq, client):
        before = event_count(hq)
        for role in ("hqAnalyst", "settlementClerk"):
            for name in ("certificateNumber", "phoneNumber"):
                refused = client.get(CUSTOMERS, params={name: "13912340000"}, headers=staff(role, "HQ", "x"))
                assert refused.status_code == 403 and refused.json()["field"] == name, (role, name)
        assert (
            client.get(CUSTOMERS, headers=staff("hqAnalyst", "HQ", "x")).status_code == 200
        )  # the list stays
        assert event_count(hq) == before
        auditor = staff("auditor", "HQ", "zhao.audit")
        for _ in range(2):
            assert (
                client.get(CUSTOMERS, params={"phoneNumber": "13912340000"}, headers=auditor).status_code
                == 200
            )
        assert personal_reads(hq, before) == [("nationalCustomer?phoneNumber", [], "zhao.audit")] * 2
        throttled = client.get(CUSTOMERS, params={"certificateNumber": id_card(1)}, headers=auditor)
        assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1


def test_a_registration_refused_as_a_duplicate_is_a_lookup_and_a_manager_looks_up_only_their_own(
    store, tmp_path
):
    """A 409 for a known certificate confirms a guessed number as a lookup does; a customer manager's lookups find
    only the customers they manage."""
    from tests.support.auth import seat_test_managers, signed_in

    with node_settings(store, tmp_path, personal_lookups_per_hour=2) as settings:
        app = open_province(settings)
        seat_test_managers(app)
        try:
            with TestClient(rest_api(app), headers=staff()) as client:
                taken = id_card(770003)
                mine = client.post(CUSTOMERS, json=individual(customerManager={"id": "li.jingli"})).json()
                theirs = client.post(
                    CUSTOMERS,
                    json=individual(
                        certificate={"type": "idCard", "number": taken}, customerManager={"id": "wang.jingli"}
                    ),
                ).json()
                guesser = staff("clerk", "GD", "guesser")
                before = event_count(app)
                for _ in range(2):
                    duplicate = client.post(
                        CUSTOMERS,
                        headers=guesser,
                        json=individual(certificate={"type": "idCard", "number": taken}),
                    )
                    assert duplicate.status_code == 409 and duplicate.json()["field"] == "certificate.number"
                assert (
                    personal_reads(app, before)
                    == [("customer?certificateNumber", [theirs["id"]], "guesser")] * 2
                )
                stopped = client.post(
                    CUSTOMERS,
                    headers=guesser,
                    json=individual(certificate={"type": "idCard", "number": id_card(770004)}),
                )
                assert stopped.status_code == 429  # its allowance spent: no answer tells existing from new

                manager = signed_in(client, "li.jingli", channel="customerManager")
                own_number = mine["certificate"]["number"]
                full = client.get(mine["href"], params={"unmask": "true"}, headers=manager).json()
                found = client.get(
                    CUSTOMERS, params={"certificateNumber": full["certificate"]["number"]}, headers=manager
                )
                assert [c["id"] for c in found.json()] == [mine["id"]] and "*" in own_number
                hidden = client.get(CUSTOMERS, params={"certificateNumber": taken}, headers=manager)
                assert hidden.status_code == 200 and hidden.json() == []  # another manager's customer
        finally:
            app.close()
