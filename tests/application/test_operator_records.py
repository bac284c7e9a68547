"""The operator in the store: an event keeps the record it always kept (`by` in its state), reads back as an
`Operator`, and travels between nodes byte for byte; HQ keeps it beside the event's destination."""

from __future__ import annotations

import json
from dataclasses import replace
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot

from province.customers.schemas import CustomerCreate, CustomerPatch
from shared.domain.customer import Customer
from shared.domain.operator import Operator
from shared.domain.settlement import BillApportionment
from shared.persistence.destinations import destination_table
from tests.support.factories import individual

SIGNED_IN = Operator.signed_in(
    actor="zhang.san", name="张三", role="provinceAdmin", province="GD", channel="businessHall"
)
MACHINE = Operator.signed_in(
    actor="batch.ghost", name="batch.ghost", role="clerk", province="GD", channel="web", machine=True
)


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


def test_hq_keeps_both_the_operator_record_and_the_destination_beside_the_event(hq):
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
