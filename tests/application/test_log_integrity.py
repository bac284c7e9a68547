"""The whole log sealed as written (issue 10, R-30): an event row changed, deleted or inserted with SQL behind
the node's back is found, and the first bad position named."""

from __future__ import annotations

import pytest

from crm.bootstrap import open_province
from province.customers.schemas import CustomerCreate
from shared.domain.operator import Operator
from tests.support.factories import individual
from tests.support.stores import events_table, position_column, tamper

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


@pytest.fixture
def written(client, province):
    for _n in range(5):
        customer = client.post(CUSTOMERS, json=individual()).json()
        client.patch(customer["href"], json={"status": "active"})
    result = province.check_log()
    assert (
        result["ok"] and result["checked"] == province.head_position() and result["firstBadPosition"] is None
    )
    return province.head_position()


def test_a_changed_event_is_found_at_its_position(province, written):
    target = written - 3
    tamper(
        province,
        f"UPDATE {events_table(province)} SET topic = topic || 'x' WHERE {position_column(province)} = ?",
        [target],
    )
    result = province.check_log()
    assert not result["ok"] and result["firstBadPosition"] == target and "changed" in result["reason"]


def test_a_deleted_event_is_found_at_its_position(province, written):
    target = written - 4
    tamper(province, f"DELETE FROM {events_table(province)} WHERE {position_column(province)} = ?", [target])
    result = province.check_log()
    assert not result["ok"] and result["firstBadPosition"] == target and "deleted" in result["reason"]


def test_an_inserted_event_is_found_at_its_position(province, written):
    table = events_table(province)
    tamper(
        province,
        f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
        f"SELECT originator_id, originator_version + 1000, topic, state FROM {table} "
        f"WHERE {position_column(province)} = ?",
        [written],
    )
    result = province.check_log()
    assert not result["ok"] and result["firstBadPosition"] == written + 1 and "inserted" in result["reason"]
    assert result["checked"] == written


def test_the_audit_surface_answers_the_check(client, province, written):
    from tests.support.auth import staff

    answer = client.get("/audit/integrity", headers=staff("auditor", "HQ", "zhao.audit"))
    assert answer.status_code == 200
    assert answer.json()["log"]["ok"] is True and answer.json()["log"]["headPosition"] == written


def test_a_check_while_the_node_writes_raises_no_false_alarm(client, province, written):
    import threading

    from crm.throwaway import register_many

    stop = threading.Event()

    def keep_writing() -> None:
        n = 3000
        while not stop.is_set():
            register_many(province, 2, start=n)
            n += 2

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        results = [province.check_log() for _ in range(15)]
    finally:
        stop.set()
        writer.join()
    assert all(r["ok"] for r in results), [r for r in results if not r["ok"]][:1]
    assert province.head_position() > written


def test_an_emptied_chain_is_reported_not_sealed_again(province, written):
    tamper(province, f"DELETE FROM {province.schema.prefix}_log_chain")
    reopened = type(province)(province.settings)
    try:
        result = reopened.check_log()
    finally:
        reopened.close()
    assert not result["ok"] and result["firstBadPosition"] == 1


def test_a_deleted_newest_event_stops_later_writes_loudly(tmp_path):
    """SQLite numbers a new event after the highest one left (PostgreSQL never reuses one: its check reports)."""
    from shared.persistence.integrity import LogTampered
    from tests.support.stores import node_settings

    by = Operator(actor="t", role="clerk", channel="web")
    with node_settings("sqlite", tmp_path) as settings:
        province = open_province(settings)
        try:
            province.customers.register_customer(CustomerCreate.model_validate(individual()), by)
            newest = province.head_position()
            tamper(province, f"DELETE FROM {events_table(province)} WHERE rowid = ?", [newest])
            with pytest.raises(LogTampered):
                province.customers.register_customer(CustomerCreate.model_validate(individual()), by)
        finally:
            province.close()


def test_a_change_with_a_recomputed_plain_chain_is_still_found(province, written):
    """Whoever writes SQL without the node's keys cannot make a changed log follow its chain again."""
    from shared.persistence.integrity import GENESIS, link

    table = events_table(province)
    tamper(
        province,
        f"UPDATE {table} SET topic = topic || 'x' WHERE {position_column(province)} = ?",
        [written - 2],
    )
    previous = GENESIS
    for (
        n
    ) in province._all_notifications():  # the forger's best effort: plain SHA-256 links over the changed log
        previous = link(previous, n.id, n.topic, str(n.originator_id), n.originator_version, bytes(n.state))
        tamper(
            province,
            f"UPDATE {province.schema.prefix}_log_chain SET hash = ? WHERE position = ?",
            [previous.hex(), n.id],
        )
    result = province.check_log()
    assert not result["ok"] and result["firstBadPosition"] == 1  # no link follows without the key
