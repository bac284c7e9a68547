"""HQ's mirrors sealed as received (issue 10, R-30): a tampered mirror row is named at its position, and a mirror rewritten with a consistent chain fails on the heads the province signed."""

from __future__ import annotations

from crm.bootstrap import rest_api
from tests.support.stores import tamper


def test_hq_proves_each_mirror_and_names_the_position_of_a_tampered_row(store, tmp_path):
    from fastapi.testclient import TestClient

    from crm.throwaway import register_many
    from tests.support.auth import staff
    from tests.support.nodes import cluster, eventually

    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        register_many(nodes["GD"].app, 5)
        register_many(nodes["BJ"].app, 3, start=500)
        hq = nodes["HQ"]
        for code in ("GD", "BJ"):
            eventually(
                lambda: hq.follower(code).status.position == nodes[code].runtime.service.chain.extend()
            )
        api = rest_api(hq.app, hq.runtime)
        with TestClient(api, headers=staff("auditor", "HQ", "zhao.audit")) as client:
            healthy = client.get("/audit/integrity").json()
            assert healthy["log"]["ok"] and [(m["upstream"], m["ok"]) for m in healthy["mirrors"]] == [
                ("BJ", True),
                ("GD", True),
            ]
            target = hq.app.mirror.page("GD", 0, 100)[3]["position"]
            tamper(
                hq.app,
                f"UPDATE {hq.app.mirror.table} SET topic = topic || 'x' WHERE upstream = 'GD' "
                "AND position = ?",
                [target],
            )
            tampered = {m["upstream"]: m for m in client.get("/audit/integrity").json()["mirrors"]}
            assert tampered["BJ"]["ok"] and not tampered["GD"]["ok"]
            assert tampered["GD"]["mismatch"]["position"] == int(target)


def test_a_mirror_rewritten_with_a_consistent_chain_fails_on_the_provinces_signature(store, tmp_path):
    """Someone with HQ's database changes a mirrored record and recomputes every running hash after it: the chain
    follows again, but the heads GD signed do not."""
    import base64

    from crm.throwaway import register_many
    from hq.mirror.verification import verify_mirror
    from shared.persistence.integrity import link
    from tests.support.nodes import cluster, eventually

    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        for start in (0, 100, 200):  # three batches, three signed heads
            register_many(gd.app, 2, start=start)
            eventually(lambda: hq.follower("GD").status.position == gd.runtime.service.chain.extend())
        healthy = verify_mirror(hq.app, "GD")
        assert healthy["ok"] and healthy["signedHeads"] >= 2
        rows = hq.app.mirror.page("GD", 0, 1000)
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
                f"UPDATE {hq.app.mirror.table} SET topic = ?, running_hash = ? WHERE upstream = 'GD' "
                "AND position = ?",
                [topic, previous.hex(), int(row["position"])],
            )
        tamper(
            hq.app,
            f"UPDATE {hq.app.upstream_table} SET running_hash = ? WHERE upstream = 'GD'",
            [previous.hex()],
        )
        forged = verify_mirror(hq.app, "GD")
        first_signed = min(
            p for p in hq.app.mirror.signed_heads("GD", 10**9) if p >= int(rows[1]["position"])
        )
        assert not forged["ok"] and forged["mismatch"]["position"] == first_signed
        assert "not what GD signed" in forged["mismatch"]["reason"]
