"""The whole log sealed as written (issue 10, R-30): an event row changed, deleted or inserted with SQL behind
the node's back is found, and the first bad position named."""

from __future__ import annotations

import pytest

from tests.factories import individual

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def events_table(app) -> str:
    recorder = app.recorder
    if app.settings.store == "postgres":
        return f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
    return recorder.events_table_name


def position_column(app) -> str:
    return "notification_id" if app.settings.store == "postgres" else "rowid"


def tamper(app, sql: str, params=()) -> None:
    """Outside the system: an operator with database access."""
    with app.recorder.datastore.transaction(commit=True) as c:
        c.execute(app.recorder.dialect(sql), params)


@pytest.fixture
def written(client, province):
    for n in range(5):
        customer = client.post(CUSTOMERS, json=individual()).json()
        client.patch(customer["href"], json={"status": "active"})
    result = province.check_log()
    assert result["ok"] and result["checked"] == province.head_position() and result["firstBadPosition"] is None
    return province.head_position()


def test_a_changed_event_is_found_at_its_position(province, written):
    target = written - 3
    tamper(province, f"UPDATE {events_table(province)} SET topic = topic || 'x' WHERE {position_column(province)} = ?",
           [target])
    result = province.check_log()
    assert not result["ok"] and result["firstBadPosition"] == target and "changed" in result["reason"]


def test_a_deleted_event_is_found_at_its_position(province, written):
    target = written - 4
    tamper(province, f"DELETE FROM {events_table(province)} WHERE {position_column(province)} = ?", [target])
    result = province.check_log()
    assert not result["ok"] and result["firstBadPosition"] == target and "deleted" in result["reason"]


def test_an_inserted_event_is_found_at_its_position(province, written):
    table = events_table(province)
    tamper(province, f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                     f"SELECT originator_id, originator_version + 1000, topic, state FROM {table} "
                     f"WHERE {position_column(province)} = ?", [written])
    result = province.check_log()
    assert not result["ok"] and result["firstBadPosition"] == written + 1 and "inserted" in result["reason"]
    assert result["checked"] == written


def test_the_audit_surface_answers_the_check(client, province, written):
    from tests.auth import staff
    answer = client.get("/audit/integrity", headers=staff("auditor", "HQ", "zhao.audit"))
    assert answer.status_code == 200
    assert answer.json()["log"]["ok"] is True and answer.json()["log"]["headPosition"] == written
