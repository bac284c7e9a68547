"""The whole log sealed as written (issue 10, R-30), from the command line: `crm audit verify` on a stopped node exits non-zero naming the first bad position; looking at a store that is not there creates nothing."""

from __future__ import annotations


def test_crm_audit_verify_on_a_stopped_node_exits_non_zero_naming_the_position(tmp_path):
    import sqlite3
    import subprocess
    import sys

    from shared.settings import Settings
    from tests.support.processes import REPO

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
