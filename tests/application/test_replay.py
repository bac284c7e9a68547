"""Whole-node replay (issue 10): read models rebuilt from the events into scratch tables equal the live ones on
a healthy node; a corrupted live row is named by table, key and column."""

from __future__ import annotations

from crm.bootstrap import open_province
from province import demo
from shared.audit.replay import replay_and_compare


def test_replay_of_a_healthy_node_is_identical_and_a_corrupted_row_is_named(province):
    demo.load(province)
    scratch = open_province(province.settings)
    try:
        healthy = replay_and_compare(province, scratch)
        assert healthy["identical"] and healthy["aggregates"] > 50, healthy["differences"][:3]
        customer = province.customers.list_customers(limit=1).items[0]
        with province.queries.cursor(commit=True) as c:
            province.queries.execute(
                c,
                f"UPDATE {province.schema.physical('customer')} SET grade = ? WHERE id = ?",
                ["9A", customer["id"]],
            )
        scratch.close()
        scratch = open_province(province.settings)
        corrupted = replay_and_compare(province, scratch)
    finally:
        scratch.close()
    assert not corrupted["identical"]
    assert {
        "table": "customer",
        "key": customer["id"],
        "column": "grade",
        "problem": "differs",
        "live": "9A",
        "replayed": customer["grade"],
    } in corrupted["differences"]
    tables = province.queries.rows("SELECT COUNT(*) AS n FROM {customer}")
    assert tables[0]["n"] >= 15  # the live tables untouched by the replay
