"""Whole-node replay (issue 10) from the command line: `crm audit replay` shows its progress and exits zero on a healthy node."""

from __future__ import annotations

import subprocess
import sys

from tests.support.processes import REPO


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
