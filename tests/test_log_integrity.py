"""The whole log sealed as written (issue 10, R-30): an event row changed, deleted or inserted with SQL behind
the node's back is found, and the first bad position named."""

from __future__ import annotations

import pytest

from province.customers.schemas import CustomerCreate
from shared.domain.operator import Operator
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
    from tests.auth import staff

    answer = client.get("/audit/integrity", headers=staff("auditor", "HQ", "zhao.audit"))
    assert answer.status_code == 200
    assert answer.json()["log"]["ok"] is True and answer.json()["log"]["headPosition"] == written


def test_crm_audit_verify_on_a_stopped_node_exits_non_zero_naming_the_position(tmp_path):
    import sqlite3
    import subprocess
    import sys

    from shared.settings import Settings
    from tests.test_demo_and_cli import REPO

    def crm(*args, check=True):
        return subprocess.run(
            [sys.executable, "-m", "crm.cli", *args, "--data-dir", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    crm("keys", "init", "--code", "BJ")
    crm("demo-data", "--code", "BJ")
    intact = crm("audit", "verify", "--code", "BJ")
    assert '"ok": true' in intact.stdout
    path = Settings(node_code="BJ", data_dir=tmp_path).sqlite_path()
    with sqlite3.connect(path) as db:
        (table,) = db.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE '%events' AND type='table'"
        ).fetchone()
        db.execute(f"UPDATE {table} SET state = substr(state, 1, length(state) - 1) WHERE rowid = 7")
    broken = crm("audit", "verify", "--code", "BJ", check=False)
    assert broken.returncode == 1 and '"firstBadPosition": 7' in broken.stdout, broken.stdout + broken.stderr
    nowhere = tmp_path / "nowhere"
    missing = subprocess.run(
        [sys.executable, "-m", "crm.cli", "audit", "verify", "--code", "HQ", "--data-dir", str(nowhere)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        missing.returncode != 0 and "no store" in missing.stderr and not nowhere.exists()
    )  # looking creates nothing


def test_hq_proves_each_mirror_and_names_the_position_of_a_tampered_row(store, tmp_path):
    from fastapi.testclient import TestClient

    from hq.api.app import create_app
    from tests.auth import staff
    from tests.cluster import cluster, eventually, register_many

    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        register_many(nodes["GD"].app, 5)
        register_many(nodes["BJ"].app, 3, start=500)
        hq = nodes["HQ"]
        for code in ("GD", "BJ"):
            eventually(
                lambda: hq.follower(code).status.position == nodes[code].runtime.service.chain.extend()
            )
        api = create_app(hq.app)
        api.state.runtime = hq.runtime
        with TestClient(api, headers=staff("auditor", "HQ", "zhao.audit")) as client:
            healthy = client.get("/audit/integrity").json()
            assert healthy["log"]["ok"] and [(m["upstream"], m["ok"]) for m in healthy["mirrors"]] == [
                ("BJ", True),
                ("GD", True),
            ]
            target = hq.app.mirror_page("GD", 0, 100)[3]["position"]
            tamper(
                hq.app,
                f"UPDATE {hq.app.mirror_table} SET topic = topic || 'x' WHERE upstream = 'GD' "
                "AND position = ?",
                [target],
            )
            tampered = {m["upstream"]: m for m in client.get("/audit/integrity").json()["mirrors"]}
            assert tampered["BJ"]["ok"] and not tampered["GD"]["ok"]
            assert tampered["GD"]["mismatch"]["position"] == int(target)


def test_a_check_while_the_node_writes_raises_no_false_alarm(client, province, written):
    import threading

    from tests.cluster import register_many

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
    from province.application import ProvinceApplication
    from shared.persistence.integrity import LogTampered
    from tests.stores import node_settings

    by = Operator(actor="t", role="clerk", channel="web")
    with node_settings("sqlite", tmp_path) as settings:
        province = ProvinceApplication(settings)
        try:
            province.customers.register_customer(CustomerCreate.model_validate(individual()), by)
            newest = province.head_position()
            tamper(province, f"DELETE FROM {events_table(province)} WHERE rowid = ?", [newest])
            with pytest.raises(LogTampered):
                province.customers.register_customer(CustomerCreate.model_validate(individual()), by)
        finally:
            province.close()


def test_a_mirror_rewritten_with_a_consistent_chain_fails_on_the_provinces_signature(store, tmp_path):
    """Someone with HQ's database changes a mirrored record and recomputes every running hash after it: the chain
    follows again, but the heads GD signed do not."""
    import base64

    from hq.mirror.verification import verify_mirror
    from shared.persistence.integrity import link
    from tests.cluster import cluster, eventually, register_many

    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        for start in (0, 100, 200):  # three batches, three signed heads
            register_many(gd.app, 2, start=start)
            eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        healthy = verify_mirror(hq.app, "GD")
        assert healthy["ok"] and healthy["signedHeads"] >= 2
        rows = hq.app.mirror_page("GD", 0, 1000)
        previous = bytes(32)
        for n, row in enumerate(rows):
            topic = row["topic"] + ("x" if n == 1 else "")
            previous = link(
                previous,
                int(row["position"]),
                topic,
                row["originator_id"],
                int(row["originator_version"]),
                base64.b64decode(row["state"]),
            )
            tamper(
                hq.app,
                f"UPDATE {hq.app.mirror_table} SET topic = ?, running_hash = ? WHERE upstream = 'GD' "
                "AND position = ?",
                [topic, previous.hex(), int(row["position"])],
            )
        tamper(
            hq.app,
            f"UPDATE {hq.app.upstream_table} SET running_hash = ? WHERE upstream = 'GD'",
            [previous.hex()],
        )
        forged = verify_mirror(hq.app, "GD")
        first_signed = min(p for p in hq.app.signed_heads("GD", 10**9) if p >= int(rows[1]["position"]))
        assert not forged["ok"] and forged["mismatch"]["position"] == first_signed
        assert "not what GD signed" in forged["mismatch"]["reason"]


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
