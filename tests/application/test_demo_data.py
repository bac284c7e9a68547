"""Demo data covers every kind of thing a desk sees; read models of an older shape are rebuilt from the events."""

from __future__ import annotations

from crm.bootstrap import open_province
from province import demo


def test_demo_data_has_every_kind_grade_and_state(province):
    created = demo.load(province)
    assert created["customers"] == 15 and created["orders"] >= 5 and created["reports"] == 1
    customers = province.customers.list_customers(limit=100).items
    assert {c["grade"] for c in customers} == {"1A", "2A", "3A", "4A", "5A"}
    assert {c["customerKind"] for c in customers} == {"individual", "group"}
    assert {"prospect", "active", "suspended", "closed"} <= {c["status"] for c in customers}
    states = {o["state"] for o in province.orders.list_orders(limit=100).items}
    assert {"acknowledged", "inProgress", "completed", "held", "cancelled", "failed"} <= states
    assert {"sent", "partiallyPaid", "settled"} <= {
        b["state"] for b in province.billing.list_bills(limit=100).items
    }
    assert province.billing.arrears_reminders().total >= 1
    assert {"acknowledged", "inProgress", "resolved", "closed"} <= {
        t["status"] for t in province.tickets.list_tickets(limit=100).items
    }
    assert demo.load(province) == {}  # a second load does nothing


def test_read_models_whose_tables_changed_shape_are_rebuilt_from_the_events(settings):
    """A store opened by an older version (other columns) gets its read models dropped and rebuilt at start."""
    app = open_province(settings)
    try:
        demo.load(app)
        before = app.queries.dump()
        with app.queries.cursor(commit=True) as cursor:
            app.queries.execute(cursor, f"UPDATE {app.schema.prefix}_rm_schema SET fingerprint = 'older'")
            app.queries.execute(cursor, f"DROP TABLE {app.schema.physical('customer')}")
            app.queries.execute(
                cursor,
                f"CREATE TABLE {app.schema.physical('customer')} (id TEXT PRIMARY KEY, "
                "certificate TEXT, doc TEXT)",
            )
    finally:
        app.close()
    reopened = open_province(settings)
    try:
        assert reopened.queries.dump() == before
    finally:
        reopened.close()
