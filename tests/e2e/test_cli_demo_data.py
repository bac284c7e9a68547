"""The CLI loads demo data and rebuilds read models exactly (`crm demo-data`, `crm projections rebuild`)."""

from __future__ import annotations

import subprocess
import sys

from crm.bootstrap import open_province
from shared.settings import Settings
from tests.support.processes import REPO


def test_cli_demo_data_then_projections_rebuild(tmp_path):
    def crm(*args):
        return subprocess.run(
            [sys.executable, "-m", "crm.cli", *args, "--data-dir", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    assert "data key of BJ" in crm("keys", "init", "--code", "BJ")
    assert "customers" in crm("demo-data", "--code", "BJ")
    app = open_province(Settings(node_code="BJ", data_dir=tmp_path))
    try:
        before = app.queries.dump()
    finally:
        app.close()
    assert "rebuilt" in crm("projections", "rebuild", "--code", "BJ")
    app = open_province(Settings(node_code="BJ", data_dir=tmp_path))
    try:
        assert app.queries.dump() == before
        assert app.customers.list_customers().total == 15
    finally:
        app.close()
