"""Export for auditors (issue 10): JSON Lines and CSV, streamed, with a running hash a recipient can check."""

from __future__ import annotations

import csv
import io
import json

from crm.bootstrap import open_hq
from shared.audit.export import check_export
from shared.domain.operator import Operator
from tests.support.auth import staff
from tests.support.factories import individual

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
AUDITOR = staff("auditor", "HQ", "zhao.audit")


def test_json_lines_and_csv_exports_check_and_a_changed_line_does_not(client, province):
    ids = []
    for _ in range(3):
        customer = client.post(CUSTOMERS, json=individual()).json()
        client.patch(customer["href"], json={"status": "active"}, headers={"X-Channel": "web"})
        ids.append(customer["id"])
    jsonl = client.get("/audit/export", params={"aggregateType": "Customer"}, headers=AUDITOR)
    assert jsonl.status_code == 200 and jsonl.headers["content-type"].startswith("application/x-ndjson")
    lines = jsonl.text.splitlines()
    records, trailer = [json.loads(line) for line in lines[:-1]], json.loads(lines[-1])
    assert trailer["count"] == len(records) == 6 and {r["aggregateId"] for r in records} == set(ids)
    assert {r["eventType"] for r in records} == {"Customer.Registered", "Customer.StatusChanged"}
    registered = records[0]
    assert registered["actor"] == "zhang.san"
    certificates = [
        c["certificate"]["number"] for c in province.customers.list_customers(limit=100, unmask=True).items
    ]
    for text in (jsonl.text, client.get("/audit/export", params={"format": "csv"}, headers=AUDITOR).text):
        assert not any(number in text for number in certificates)  # masked, every one
        assert "13800138000" not in text and "138****8000" in text
    assert check_export(lines)["ok"]
    forged = [lines[0].replace("zhang.san", "li.si"), *lines[1:]]
    assert not check_export(forged)["ok"]
    assert not check_export(lines[1:])["ok"]  # a dropped line
    assert not check_export([*lines, lines[0]])["ok"]  # a line added after the trailer

    one = client.get(
        "/audit/export", params={"resource": "customer", "id": ids[1], "format": "csv"}, headers=AUDITOR
    )
    assert one.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(one.text)))
    assert rows[0][:3] == ["position", "time", "aggregateType"] and [r[3] for r in rows[1:-1]] == [ids[1]] * 2
    assert check_export(one.text.splitlines(keepends=True))["ok"]
    assert client.get("/audit/export", params={"resource": "customer"}, headers=AUDITOR).status_code == 400
    assert (
        client.get(
            "/audit/export",
            params={"resource": "customer", "id": ids[1], "aggregateType": "Customer"},
            headers=AUDITOR,
        ).status_code
        == 400
    )
    assert client.get("/audit/export", headers=staff("clerk", "GD", "li.clerk")).status_code == 403


def test_exports_of_hq_never_carry_password_hashes(tmp_path):
    from hq.staff.schemas import StaffCreate
    from shared.audit.export import exported
    from tests.support.stores import node_settings

    with node_settings("sqlite", tmp_path, "HQ", tier="hq") as settings:
        hq = open_hq(settings)
        try:
            hq.staff.enrol_staff(
                StaffCreate(username="li.si", name="李四", role="auditor", password="a long passphrase"),
                Operator(actor="admin", role="systemAdmin", channel="system"),
            )
            text = "".join(exported(hq))
        finally:
            hq.close()
    assert "PasswordSet" in text and "argon2" not in text and "passwordHash" not in text
