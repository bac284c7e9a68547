"""The operator travels as an `Operator` and is written as the record it always was (`by` in each event's state):
the record read back key for key."""

from __future__ import annotations

import pytest

from shared.domain.operator import SYSTEM, Operator

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
