"""Replication survives crashes and outages: exactly-once effect, resume, catch-up, tamper detection."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import urllib.request

from crm.bootstrap import open_hq, open_province, run_node
from crm.ports import free_port
from crm.throwaway import register_many
from province.customers.schemas import CustomerCreate
from replication.chain import GENESIS
from shared.classification import PROVINCE_PUBLIC
from tests.support.auth import staff
from tests.support.factories import BY, individual
from tests.support.nodes import cluster, eventually, node_env, start_node
from tests.support.processes import REPO
from tests.support.stores import node_settings


def public_count(app) -> int:
    return sum(
        1 for n in app.recorder.select_notifications(start=1, limit=10**7) if n.topic in PROVINCE_PUBLIC
    )


def hq_status(port: int) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/replication/status", headers=staff("systemAdmin", "HQ", "ops")
    )
    with urllib.request.urlopen(request, timeout=2) as response:
        return json.loads(response.read())


def start_hq_process(settings, http_port: int, gd_target: str) -> subprocess.Popen:
    env = node_env(
        settings,
        http_port=http_port,
        grpc_port=free_port(),
        upstreams=f"GD={gd_target}",
        replication_batch=100,
        reconnect_initial_seconds=0.05,
        reconnect_cap_seconds=0.5,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "crm.cli", "hq", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def follower_position(port: int) -> int:
    try:
        upstreams = hq_status(port)["upstreams"]
    except OSError:
        return -1
    return upstreams[0]["position"] if upstreams else -1


def test_hq_killed_mid_stream_resumes_with_exactly_the_public_events(store, tmp_path):
    with (
        start_node(store, tmp_path, "GD") as gd,
        node_settings(store, tmp_path, "HQ", tier="hq") as hq_settings,
    ):
        register_many(gd.app, 2600)  # 5,200 public events waiting
        port = free_port()
        hq = start_hq_process(hq_settings, port, gd.target)
        writer = threading.Thread(
            target=register_many, args=(gd.app, 300), kwargs={"chunk": 10, "start": 5000}
        )
        writer.start()  # the province keeps recording while HQ streams
        try:
            eventually(
                lambda: 0 < follower_position(port) < gd.runtime.service.chain.extend(),
                timeout=60,
                interval=0.005,
            )
        finally:
            hq.send_signal(signal.SIGKILL)
            hq.wait()
        killed_at = eventually(lambda: _tracked(hq_settings))
        writer.join()
        hq = start_hq_process(hq_settings, port, gd.target)
        try:
            final = gd.runtime.service.chain.extend()
            eventually(lambda: follower_position(port) == final, timeout=120, interval=0.2)
        finally:
            hq.send_signal(signal.SIGTERM)
            hq.wait(timeout=30)
        expected = public_count(gd.app)
        app = open_hq(hq_settings)
        try:
            assert 0 < killed_at < final
            assert app.mirror.count("GD") == expected == 2 * 2900 + 1  # and the province's signing key
            position, running_hash, _ = app.replication_position("GD")
            assert position == final
            assert running_hash == gd.runtime.service.chain.head_hash != GENESIS
            rows = app.queries.rows(
                "SELECT COUNT(*) AS n, COUNT(DISTINCT customer_id) AS d FROM {province_customer}"
            )
            assert rows[0]["n"] == rows[0]["d"] == 2900
            assert app.registry.list_national_customers().total == 3 * 2900 // 5 + (1 if 2900 % 5 > 2 else 0)
        finally:
            app.close()


def _tracked(settings) -> int:
    app = open_hq(settings)
    try:
        return app.replication_position("GD")[0]
    finally:
        app.close()


def test_province_down_then_back_is_caught_up(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        settings, grpc_port = gd.app.settings, gd.runtime.grpc_port
        gd.runtime.stop()
        gd.app.close()
        eventually(
            lambda: (
                hq.follower("GD").status.state in ("disconnected", "connecting")
                and hq.follower("GD").status.last_error
            )
        )
        assert hq.app.registry.list_national_customers().total == 1  # HQ keeps serving
        recorded = hq.follower("GD").status.position
        hq.follower("GD").stop()
        hq.follower("GD").join(timeout=5)
        hq.runtime.start_follower("GD")  # a follower started while its upstream is down shows where it stands
        eventually(lambda: hq.follower("GD").status.reconnects > 0)
        assert hq.follower("GD").status.position == recorded > 0
        back = open_province(settings.model_copy(update={"grpc_port": grpc_port}))
        runtime = run_node(back, follow=False).runtime
        try:
            back.customers.register_customer(CustomerCreate.model_validate(individual(grade="2A")), BY)
            eventually(lambda: hq.app.registry.list_national_customers().total == 2, timeout=30)
            assert hq.follower("GD").status.state == "streaming"
        finally:
            runtime.stop()
            back.close()
        gd.runtime.stop = lambda: None  # already stopped above
        gd.app.close = lambda: None


def test_hq_down_while_provinces_work_then_back_catches_up(store, tmp_path):
    with (
        start_node(store, tmp_path, "GD") as gd,
        node_settings(
            store,
            tmp_path,
            "HQ",
            tier="hq",
            grpc_port=free_port(),
            reconnect_initial_seconds=0.05,
            reconnect_cap_seconds=0.5,
        ) as hq_settings,
    ):

        def start_hq():
            app = open_hq(hq_settings)
            runtime = run_node(app, follow=False).runtime
            runtime.add_upstream("GD", gd.target)
            return app, runtime

        hq, runtime = start_hq()
        gd.runtime.add_upstream("HQ", f"127.0.0.1:{hq_settings.grpc_port}")
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        eventually(lambda: hq.registry.list_national_customers().total == 1)
        runtime.stop()
        hq.close()
        for grade in ("1A", "2A", "3A"):  # HQ is down: the province keeps accepting work
            gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade=grade)), BY)
        eventually(
            lambda: gd.follower("HQ").status.state != "streaming" and gd.follower("HQ").status.last_error
        )
        hq, runtime = start_hq()
        try:
            eventually(lambda: hq.registry.list_national_customers().total == 4, timeout=30)
            eventually(lambda: gd.follower("HQ").status.state == "streaming", timeout=30)
            assert hq.mirror.count("GD") == public_count(gd.app)
        finally:
            runtime.stop()
            hq.close()


def test_tampered_upstream_is_detected_and_reported(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        for grade in ("1A", "2A"):
            gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade=grade)), BY)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        assert hq.runtime.audit("GD")["ok"] is True
        first = next(
            n
            for n in gd.app.recorder.select_notifications(start=1, limit=1000)
            if n.topic == "shared.domain.customer:Customer.Registered"
        )
        forged = gd.app.sealed(gd.app.plain(first.state).replace(b'"grade":"1A"', b'"grade":"5A"'))
        assert gd.app.plain(forged) != gd.app.plain(first.state)
        table = "stored_events" if store == "sqlite" else "gd_events"
        with gd.app.queries.cursor(commit=True) as cursor:
            key = "rowid" if store == "sqlite" else "notification_id"
            gd.app.queries.execute(
                cursor, f"UPDATE {table} SET state = ? WHERE {key} = ?", [forged, first.id]
            )
        result = hq.runtime.audit("GD")
        assert result["ok"] is False and result["mismatch"]["position"] == first.id
        status = hq.runtime.status()["upstreams"][0]
        assert status["state"] == "stopped" and "audit" in status["lastError"]


def test_upstream_whose_history_changed_stops_its_follower_loudly(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        recorded = hq.follower("GD").status.position
        port = gd.runtime.grpc_port
        gd.runtime.stop()
        # Another store answers on GD's address: a log whose history differs from what HQ recorded.
        with start_node(store, tmp_path / "impostor", "GD", grpc_port=port) as impostor:
            for grade in ("1A", "2A", "3A"):
                impostor.app.customers.register_customer(
                    CustomerCreate.model_validate(individual(grade=grade)), BY
                )
            status = eventually(
                lambda: hq.follower("GD").status.state == "stopped" and hq.follower("GD").status
            )
            assert "history changed" in status.last_error
            assert hq.follower("GD").status.position == recorded
            assert (
                hq.app.registry.list_national_customers().total == 1
            )  # nothing of the other history was applied
            assert not hq.follower("GD").is_alive()
            view = hq.runtime.status()["upstreams"][0]
            assert view["state"] == "stopped" and "history changed" in view["lastError"]
        gd.runtime.stop = lambda: None


def test_hq_audits_on_its_own_and_reports_a_changed_upstream_history(store, tmp_path):
    with (
        start_node(store, tmp_path, "GD") as gd,
        start_node(store, tmp_path, "HQ", audit_interval_seconds=0.2) as hq,
    ):
        hq.runtime.add_upstream("GD", gd.target)
        hq.runtime.start_auditor()
        gd.app.customers.register_customer(CustomerCreate.model_validate(individual(grade="1A")), BY)
        eventually(lambda: (hq.runtime.status()["upstreams"][0]["lastAudit"] or {}).get("checked"))
        assert hq.runtime.status()["upstreams"][0]["lastAudit"]["ok"] is True
        first = next(
            n
            for n in gd.app.recorder.select_notifications(start=1, limit=1000)
            if n.topic == "shared.domain.customer:Customer.Registered"
        )
        table, key = ("stored_events", "rowid") if store == "sqlite" else ("gd_events", "notification_id")
        with gd.app.queries.cursor(commit=True) as cursor:
            gd.app.queries.execute(
                cursor,
                f"UPDATE {table} SET state = ? WHERE {key} = ?",
                [
                    gd.app.sealed(gd.app.plain(first.state).replace(b'"grade":"1A"', b'"grade":"5A"')),
                    first.id,
                ],
            )
        view = eventually(
            lambda: (
                hq.runtime.status()["upstreams"][0]["state"] == "stopped"
                and hq.runtime.status()["upstreams"][0]
            )
        )
        assert view["lastAudit"]["ok"] is False and view["lastAudit"]["mismatch"]["position"] == first.id
        assert "audit" in view["lastError"]
