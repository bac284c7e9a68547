"""Signing in on nodes that are separate OS processes: HQ killed while a province signs its clerk in and works;
X-Forwarded-For believed only from configured proxies; `crm users add`, `crm users unlock` and `crm token issue` as
an operator runs them."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.support.auth import PASSWORD, bearer, staff
from tests.support.factories import individual
from tests.support.nodes import eventually, node_env
from tests.support.processes import REPO, process_cluster

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"

pytestmark = pytest.mark.multinode


def crm(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        cwd=REPO,
        env=node_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _sign_in(url: str, username: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{url}/auth/token", data={"username": username, "password": password}, headers=headers, timeout=10
    )


def _head(node) -> int:
    return node.get("/replication/status")["log"]["headPosition"]


def _caught_up(province, hq, beyond: int) -> bool:
    """HQ's log grew beyond a position and the province applied all of it (signing in to find out would count as
    failed sign-ins)."""
    head = _head(hq)
    upstreams = province.get("/replication/status")["upstreams"]
    return head > beyond and bool(upstreams) and upstreams[0]["position"] >= head


def test_with_hq_killed_a_province_signs_its_clerk_in_who_then_works(store, tmp_path):
    with process_cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        before = _head(hq)
        added = crm(
            hq.settings,
            "users",
            "add",
            "--user",
            "GD.Clerk",
            "--name",
            "广东柜员",
            "--role",
            "clerk",
            "--province",
            "GD",
            "--password",
            PASSWORD,
        )
        assert added.returncode == 0 and "enrolled gd.clerk" in added.stdout, added.stderr
        eventually(lambda: _caught_up(gd, hq, before), timeout=60)  # the verifier reached GD
        hq.kill()
        signed = _sign_in(gd.url, "Gd.Clerk")
        assert signed.status_code == 200, signed.text
        clerk = bearer(signed.json()["access_token"])
        created = httpx.post(f"{gd.url}{CUSTOMERS}", json=individual(), headers=clerk, timeout=10)
        assert created.status_code == 201, created.text
        refreshed = httpx.post(
            f"{gd.url}/auth/token",
            timeout=10,
            data={"grant_type": "refresh_token", "refresh_token": signed.json()["refresh_token"]},
        )
        assert refreshed.status_code == 200  # and GD refreshes its own tokens while HQ is away

        for attempt in range(5):  # a fresh X-Forwarded-For per attempt changes nothing: no proxy is trusted
            wrong = _sign_in(
                gd.url, "gd.clerk", "not the password", **{"X-Forwarded-For": f"10.0.0.{attempt}"}
            )
            assert wrong.status_code == 401
        waiting = _sign_in(gd.url, "gd.clerk", **{"X-Forwarded-For": "10.9.9.9"})
        assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) > 0
        gd.stop()
        lifted = crm(gd.settings, "users", "unlock", "--user", "GD.CLERK", "--code", "GD", "--by", "ops.wang")
        assert lifted.returncode == 0 and "gd.clerk may sign in at GD again" in lifted.stdout, lifted.stderr
        gd.start()
        assert _sign_in(gd.url, "gd.clerk").status_code == 200


def test_crm_token_issue_makes_machine_tokens_that_never_carry_a_members_name(store, tmp_path):
    with process_cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        before = _head(hq)
        assert (
            crm(
                hq.settings,
                "users",
                "add",
                "--user",
                "gd.clerk",
                "--role",
                "clerk",
                "--province",
                "GD",
                "--password",
                PASSWORD,
            ).returncode
            == 0
        )
        eventually(lambda: _caught_up(gd, hq, before), timeout=60)
        script = crm(
            hq.settings, "token", "issue", "--user", "nightly.batch", "--role", "clerk", "--province", "GD"
        )
        assert script.returncode == 0, script.stderr
        ok = httpx.get(f"{gd.url}{CUSTOMERS}", headers=bearer(script.stdout.strip()), timeout=10)
        assert ok.status_code == 200
        impostor = crm(
            hq.settings, "token", "issue", "--user", "GD.Clerk", "--role", "provinceAdmin", "--province", "GD"
        )
        assert impostor.returncode != 0 and "is a member of HQ's staff directory" in impostor.stderr
        assert "Traceback" not in impostor.stderr and not impostor.stdout
        minted_elsewhere = staff("provinceAdmin", "GD", "gd.clerk")  # with the key, away from HQ's store
        refused = httpx.get(f"{gd.url}{CUSTOMERS}", headers=minted_elsewhere, timeout=10)
        assert refused.status_code == 401 and "the member signs in" in refused.json()["reason"]
        too_long = crm(
            hq.settings,
            "token",
            "issue",
            "--user",
            "x.y",
            "--role",
            "clerk",
            "--province",
            "GD",
            "--ttl",
            str(10 * 365 * 86400),
        )
        assert too_long.returncode != 0 and "--ttl" in too_long.stderr and "Traceback" not in too_long.stderr
