"""The operator travels as an `Operator`; the store keeps the record it always kept (`by` in each event's state)."""

from __future__ import annotations

import json
from dataclasses import replace
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot

from province.customers.schemas import CustomerCreate, CustomerPatch
from shared.domain.customer import Customer
from shared.domain.operator import SYSTEM, Operator
from shared.domain.settlement import BillApportionment
from shared.persistence.destinations import destination_table
from tests.conftest import hq_alone
from tests.factories import individual

SIGNED_IN = Operator.signed_in(
    actor="zhang.san", name="张三", role="provinceAdmin", province="GD", channel="businessHall"
)
MACHINE = Operator.signed_in(
    actor="batch.ghost", name="batch.ghost", role="clerk", province="GD", channel="web", machine=True
)

# Every shape of record the product writes: the command line's and the demo's, a person's, a machine's, HQ's.
RECORDS = [
    {"actor": "crm.cli", "role": "systemAdmin", "channel": "system"},
    {"actor": "system", "role": "system", "channel": "system"},
    {
        "actor": "zhang.san",
        "role": "provinceAdmin",
        "channel": "businessHall",
        "name": "张三",
        "province": "GD",
    },
    {
        "actor": "li.si",
        "role": "clerk",
        "channel": "callCentre",
        "name": "李四",
        "province": "GD",
        "kind": "machine",
    },
    {"actor": "batch.ghost", "role": "clerk", "channel": "web", "province": "GD", "kind": "machine"},
    {"actor": "wang.wu", "role": "productManager", "channel": "web", "name": "王五"},
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: "+".join(r))
def test_a_record_read_back_is_the_same_record_key_for_key_in_order(record):
    operator = Operator.from_record(record)
    assert operator.as_dict() == record
    assert list(operator.as_dict()) == list(record)  # the same JSON bytes when it is written again


@pytest.mark.parametrize("operator", [SIGNED_IN, MACHINE, SYSTEM, Operator("t", "staff", "web")], ids=repr)
def test_an_operator_written_and_read_back_names_the_same_person(operator):
    again = Operator.from_record(operator.as_dict())
    assert again.as_dict() == operator.as_dict()
    assert (again.actor, again.role, again.channel, again.province, again.machine) == (
        operator.actor,
        operator.role,
        operator.channel,
        operator.province,
        operator.machine,
    )


def test_a_name_equal_to_the_actor_is_not_recorded_and_a_person_is_no_machine():
    assert "name" not in MACHINE.as_dict() and MACHINE.as_dict()["kind"] == "machine"
    assert "kind" not in SIGNED_IN.as_dict() and Operator.from_record(SIGNED_IN.as_dict()).machine is False


@pytest.mark.parametrize("by", [SIGNED_IN, MACHINE], ids=["person", "machine"])
def test_a_stored_event_holds_the_old_record_and_reads_back_as_an_operator(province, by):
    customer_id = UUID(
        province.customers.register_customer(CustomerCreate.model_validate(individual()), by)["id"]
    )
    province.customers.update_customer(str(customer_id), CustomerPatch.model_validate({"grade": "4A"}), by)

    events = list(province.events.get(customer_id))
    assert [type(e).__qualname__ for e in events][:2] == ["Customer.Registered", "Customer.GradeChanged"]
    assert all(isinstance(e.by, Operator) for e in events)
    assert all(e.by.as_dict() == by.as_dict() for e in events)

    for stored in province.recorder.select_events(customer_id):
        plain = province.plain(stored.state)
        state = json.loads(plain)
        assert state["by"] == by.as_dict() and list(state["by"]) == list(by.as_dict())
        # decoded and encoded again (as a record travels between nodes): byte for byte what was stored
        assert province.wire.to_stored_event(
            province.wire.to_domain_event(replace(stored, state=plain))
        ).state == (plain)

    customer = province.repository.get(customer_id)
    assert customer.registered_by == by.as_dict()  # state keeps the record: snapshots stay encodable
    snapshot = province.mapper.to_stored_event(Snapshot.take(customer))
    assert json.loads(province.plain(snapshot.state))["state"]["registered_by"] == by.as_dict()
    assert isinstance(province.mapper.to_domain_event(snapshot).mutate(None), Customer)


def test_hq_keeps_both_the_operator_record_and_the_destination_beside_the_event(store, tmp_path):
    with hq_alone(store, tmp_path) as (hq, _):
        apportionment = BillApportionment(
            destination="GD", bill_id="b-1", month="2026-11", lines=[], by=SIGNED_IN
        )
        hq.record(apportionment)

        events = list(hq.events.get(apportionment.id))
        assert isinstance(events[0].by, Operator) and events[0].by.as_dict() == SIGNED_IN.as_dict()
        (stored,) = hq.recorder.select_events(apportionment.id)
        assert json.loads(hq.plain(stored.state))["by"] == SIGNED_IN.as_dict()
        table = destination_table(hq.schema.prefix)
        rows = hq.queries.rows(f"SELECT destination FROM {table} WHERE position = ?", [hq.head_position()])
        assert [r["destination"] for r in rows] == ["GD"]
