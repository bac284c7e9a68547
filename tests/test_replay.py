"""Whole-node replay (issue 10): read models rebuilt from the events into scratch tables equal the live ones on
a healthy node; a corrupted live row is named by table, key and column."""

from __future__ import annotations

import subprocess
import sys

from province import demo
from province.application import ProvinceApplication
from province.customers.schemas import CustomerCreate
from shared.audit.replay import replay_and_compare
from tests.test_demo_and_cli import REPO


def test_replay_of_a_healthy_node_is_identical_and_a_corrupted_row_is_named(province):
    demo.load(province)
    scratch = ProvinceApplication(province.settings)
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
        scratch = ProvinceApplication(province.settings)
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


def test_crm_audit_replay_shows_progress_and_exits_zero_on_a_healthy_node(tmp_path):
    def crm(*args):
        return subprocess.run(
            [sys.executable, "-m", "crm.cli", *args, "--data-dir", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
        )

    crm("keys", "init", "--code", "BJ")
    crm("demo-data", "--code", "BJ")
    replayed = crm("audit", "replay", "--code", "BJ")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "replaying [" in replayed.stderr and '"identical": true' in replayed.stdout


def test_replay_at_hq_covers_what_it_derives_from_the_mirrors(tmp_path):
    from hq.application import HqApplication
    from tests.cluster import BY, cluster, eventually
    from tests.factories import group

    with cluster("sqlite", tmp_path, ("GD",)) as nodes:
        nodes["GD"].app.customers.register_customer(CustomerCreate.model_validate(group()), BY)
        hq = nodes["HQ"].app
        eventually(lambda: hq.registry.list_national_customers(limit=1).total == 1)
        scratch = HqApplication(hq.settings)
        try:
            result = replay_and_compare(hq, scratch)
        finally:
            scratch.close()
        assert result["identical"], result["differences"][:3]
