"""Backup and restore (issue 10, R-31): a copy taken while the node writes is one consistent state; a wiped node
brought back from it holds exactly that state, hashes included, and replication resumes — unless HQ had already
seen further, which HQ reports instead of accepting a rewritten history."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from crm.bootstrap import open_province, start_node
from crm.throwaway import register_many
from hq.mirror.repair import divergence, reseed
from hq.mirror.verification import verify_mirror
from shared.audit.replay import replay_and_compare
from shared.audit.trail import AuditTrail
from shared.domain.errors import InvalidValue
from shared.domain.operator import Operator
from shared.persistence.backup import back_up, restore
from shared.persistence.databases import drop_database
from tests.support.nodes import cluster, eventually
from tests.support.stores import node_settings

REPAIRER = Operator(actor="ops.wang", role="systemAdmin", channel="system")


@contextmanager
def restarted(settings):
    """The province again on its (restored) store, on the port HQ follows; following HQ as before."""
    node = start_node(settings)
    try:
        yield node
    finally:
        node.stop()


def log_of(app) -> list[tuple]:
    return [
        (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state))
        for n in app._all_notifications()
    ]


def links_of(app) -> dict[int, str]:
    return {
        int(r["position"]): r["hash"]
        for r in app.queries.rows(f"SELECT position, hash FROM {app.schema.prefix}_log_chain")
    }


def wipe(settings) -> None:
    if settings.store == "postgres":
        drop_database(settings)
    else:
        for path in settings.data_dir.glob(f"{settings.app_name}.sqlite3*"):
            path.unlink()


def test_backup_while_writing_then_wipe_and_restore_gives_the_same_state_and_hashes(store, tmp_path):
    with node_settings(store, tmp_path, "GD") as settings:
        app = open_province(settings)
        register_many(app, 50)
        stop = threading.Event()

        def keep_writing() -> None:
            n = 1000
            while not stop.is_set():
                register_many(app, 5, start=n)
                n += 5

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            back_up(settings, tmp_path / "gd.backup")
        finally:
            stop.set()
            writer.join()
        before_log, before_links = log_of(app), links_of(app)
        app.close()
        wipe(settings)
        restore(settings, tmp_path / "gd.backup")
        restored = open_province(settings)
        try:
            head = restored.head_position()
            assert 100 <= head <= len(before_log)  # at least what was there when the backup began
            assert log_of(restored) == before_log[:head]  # one consistent prefix: nothing torn, nothing extra
            links = links_of(restored)
            assert links == {p: h for p, h in before_links.items() if p <= head}
            assert restored.check_log()["ok"]
            scratch = open_province(settings)
            try:
                assert replay_and_compare(restored, scratch)["identical"]
            finally:
                scratch.close()
        finally:
            restored.close()


def test_a_restored_province_hq_saw_further_is_reported_then_reseeded_by_an_operator(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        settings = gd.app.settings  # its gRPC port too: HQ follows the same address
        register_many(gd.app, 3)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        back_up(settings, tmp_path / "gd.backup")
        register_many(gd.app, 3, start=100)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        gd.stop()
        restore(settings, tmp_path / "gd.backup")
        with restarted(settings) as again:
            status = eventually(
                lambda: hq.follower("GD").status.state == "stopped" and hq.follower("GD").status
            )
            assert "behind the recorded position" in status.last_error
            assert hq.follower("GD").status.position > again.app.head_position()  # HQ kept what it had seen
            register_many(again.app, 2, start=300)  # the restored province goes on with a different history

            seen = divergence(hq.app, "GD", again.target)
            assert not seen["ok"]
            mismatch = seen["mismatch"]
            assert mismatch["lastAgreeingPosition"] < mismatch["position"] and mismatch["mirrorHash"]
            with pytest.raises(InvalidValue):
                reseed(hq.app, "GD", mismatch["lastAgreeingPosition"], " ", REPAIRER)  # no reason, no repair
            done = reseed(hq.app, "GD", mismatch["lastAgreeingPosition"], "GD restored from backup", REPAIRER)
            assert done["droppedRecords"] >= 1
            hq.runtime.resume("GD")
            eventually(lambda: hq.follower("GD").status.position == again.runtime.service.chain.extend())
            assert divergence(hq.app, "GD", again.target)["ok"]
            assert verify_mirror(hq.app, "GD")["ok"]
            repairs = [e for e in AuditTrail(hq.app, ()).operations(aggregate_type="MirrorReseeded")]
            assert [(r["actor"], r["eventType"]) for r in repairs] == [
                ("ops.wang", "MirrorReseeded.Recorded")
            ]


def test_a_restored_province_that_hq_had_not_passed_resumes(tmp_path):
    with cluster("sqlite", tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        settings = gd.app.settings  # its gRPC port too: HQ follows the same address
        register_many(gd.app, 3)
        eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        back_up(settings, tmp_path / "gd.backup")
        gd.stop()
        restore(settings, tmp_path / "gd.backup")
        with restarted(settings) as again:
            register_many(again.app, 2, start=200)
            eventually(lambda: hq.follower("GD").status.position == again.runtime.service.chain.extend())
            assert hq.follower("GD").status.state == "streaming"
