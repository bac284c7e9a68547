"""Every `crm` failure a user can cause ends with one line on stderr naming the problem and the fix, and a non-zero
exit; never a traceback. Real processes, as an operator runs them."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.cli import PER_NODE_VARIABLES
from crm.ports import free_port
from shared.auth.tokens import create_signing_key
from tests.support.auth import keys_dir
from tests.support.processes import REPO

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3  # what lets root write where the mode says no


def _as_a_user_bound_by_file_modes() -> None:
    """In the child: a root test run gives up what passes every permission check, as an operator has nothing of."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def crm(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if k not in PER_NODE_VARIABLES and not k.startswith("CRM_")
    }
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        cwd=REPO,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_as_a_user_bound_by_file_modes,
    )


def one_line_failure(done: subprocess.CompletedProcess, *says: str) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for words in says:
        assert words in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def keyed(tmp_path: Path) -> dict[str, str]:
    """Settings of a node whose keys and certificates exist (the test run's)."""
    return {"CRM_DATA_DIR": str(tmp_path), "CRM_KEYS_DIR": str(keys_dir())}


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", free_port()))
        listening.listen()
        yield listening.getsockname()[1]


def test_a_node_started_without_its_keys_names_the_missing_key_and_the_command_that_makes_it(tmp_path):
    done = crm(
        "province",
        "serve",
        "--code",
        "GD",
        "--data-dir",
        str(tmp_path),
        "--port",
        str(free_port()),
        "--grpc-port",
        str(free_port()),
    )
    one_line_failure(
        done, f"no cipher key for GD at {tmp_path}/keys/gd.cipher.key", "crm keys init --code GD"
    )
    assert not (tmp_path / "gd.sqlite3").exists()


@pytest.fixture
def own_keys(tmp_path: Path) -> Path:
    """A copy of the run's keys (GD's signing key among them) in the data directory's keys/, for a test to damage."""
    keys = tmp_path / "keys"
    shutil.copytree(keys_dir(), keys)
    create_signing_key(keys / "gd.signing.pem")
    return keys


def serve(tier: str, data_dir: Path) -> subprocess.CompletedProcess:
    code = ("--code", "GD") if tier == "province" else ()
    return crm(
        tier,
        "serve",
        *code,
        "--data-dir",
        str(data_dir),
        "--port",
        str(free_port()),
        "--grpc-port",
        str(free_port()),
    )


@pytest.mark.parametrize("content", [b"", b"not a key\n"], ids=["empty", "garbage"])
def test_a_node_whose_signing_key_is_empty_or_damaged_names_it_and_the_way_out(tmp_path, own_keys, content):
    (own_keys / "gd.signing.pem").write_bytes(content)
    one_line_failure(
        serve("province", tmp_path),
        f"{own_keys / 'gd.signing.pem'} holds no usable Ed25519 signing key",
        "crm keys init --code GD",
    )
    (own_keys / "issuer.pem").write_bytes(content)
    one_line_failure(
        serve("hq", tmp_path), f"{own_keys / 'issuer.pem'} holds no usable", "crm keys init --code HQ"
    )
    one_line_failure(
        crm(
            "token",
            "issue",
            "--user",
            "nightly.report",
            "--role",
            "clerk",
            "--province",
            "GD",
            "--data-dir",
            str(tmp_path),
        ),
        f"{own_keys / 'issuer.pem'} holds no usable",
        "crm keys init --code HQ",
    )


@pytest.mark.parametrize(
    "content",
    ["{not json", "[]", '{"keys": []}', '{"keys": [{"kty": "OKP"}]}', "\udcff"],
    ids=["not-json", "a-list", "no-keys", "no-usable-key", "not-utf8"],
)
def test_a_node_whose_public_keys_are_damaged_names_the_file_and_the_way_out(tmp_path, own_keys, content):
    (own_keys / "jwks.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    for tier in ("province", "hq"):
        one_line_failure(
            serve(tier, tmp_path),
            f"{own_keys / 'jwks.json'} is not a key set of usable public keys",
            "crm keys init --code HQ",
        )


def test_keys_init_writes_a_removed_key_set_again_from_hqs_key(tmp_path, own_keys):
    """The way out the lines above name: the public keys come back as they were, the signing key is kept."""
    published = json.loads((own_keys / "jwks.json").read_text())
    signing_key = (own_keys / "issuer.pem").read_bytes()
    (own_keys / "jwks.json").unlink()
    assert crm("keys", "init", "--code", "HQ", "--data-dir", str(tmp_path)).returncode == 0
    assert json.loads((own_keys / "jwks.json").read_text()) == published
    assert (own_keys / "issuer.pem").read_bytes() == signing_key


def test_check_export_of_a_missing_or_unreadable_file(tmp_path):
    missing = tmp_path / "audit.jsonl"
    one_line_failure(
        crm("audit", "check-export", str(missing)), str(missing), "no such file", "check the path"
    )
    one_line_failure(crm("audit", "check-export", str(tmp_path)), str(tmp_path), "is a directory")
    missing.write_bytes(b"\xff\xfe\x00 not text")
    one_line_failure(crm("audit", "check-export", str(missing)), "not an export", "crm audit export")


def test_a_node_on_a_read_only_data_directory(tmp_path):
    fresh, used = tmp_path / "fresh", tmp_path / "used"
    fresh.mkdir()
    for command in (("keys", "init"), ("demo-data",), ("projections", "rebuild")):  # a store, its lock file
        assert crm(*command, "--code", "GD", "--data-dir", str(used)).returncode == 0
    for data in (fresh, used):
        data.chmod(0o555)
    try:
        serve = (
            "province",
            "serve",
            "--code",
            "GD",
            "--port",
            str(free_port()),
            "--grpc-port",
            str(free_port()),
        )
        done = crm(*serve, "--data-dir", str(fresh), CRM_KEYS_DIR=str(keys_dir()))
        one_line_failure(done, f"{fresh}/gd.lock: permission denied", "--data-dir")
        done = crm(*serve, "--data-dir", str(used))
        one_line_failure(
            done, f"cannot open its store {used}/gd.sqlite3", "writable by this user", "--data-dir"
        )
    finally:
        for data in (fresh, used):
            data.chmod(0o755)


def test_a_node_whose_rest_or_grpc_port_is_taken(keyed, taken_port):
    done = crm(
        "province",
        "serve",
        "--code",
        "GD",
        "--port",
        str(taken_port),
        "--grpc-port",
        str(free_port()),
        **keyed,
    )
    one_line_failure(
        done, f"cannot listen for REST on 127.0.0.1:{taken_port}", "address already in use", "--port"
    )
    done = crm(
        "province",
        "serve",
        "--code",
        "GD",
        "--port",
        str(free_port()),
        "--grpc-port",
        str(taken_port),
        **keyed,
    )
    one_line_failure(done, f"cannot listen for gRPC on 127.0.0.1:{taken_port}", "--grpc-port")


def test_a_node_whose_postgresql_is_unreachable(keyed):
    done = crm(
        "province",
        "serve",
        "--code",
        "GD",
        "--store",
        "postgres",
        "--port",
        str(free_port()),
        "--grpc-port",
        str(free_port()),
        CRM_PG_PORT=str(free_port()),
        **keyed,
    )
    one_line_failure(done, "cannot reach PostgreSQL on 127.0.0.1:", "database 'crm_gd'")


@pytest.mark.parametrize(
    "args, env, says",
    [
        (("audit", "verify", "--code", "XX"), {}, ("'XX' is not a node's code", "--code HQ")),
        (("keys", "init", "--code", "GD,ZZ"), {}, ("'ZZ' is not a node's code",)),
        (("demo-data", "--code", "HQ"), {}, ("demo data is a province's", "--code GD")),
        (("province", "serve", "--code", "HQ"), {}, ("crm hq serve",)),
        (("province", "serve", "--code", "GD", "--upstreams", "HQ"), {}, ("--upstreams", "CODE=host:port")),
        (("province", "serve", "--code", "GD", "--port", "70000"), {}, ("--port", "not a port (1-65535)")),
        (
            ("audit", "verify", "--code", "GD"),
            {"CRM_HTTP_PORT": "eighty"},
            ("CRM_HTTP_PORT='eighty'", "integer"),
        ),
        (("audit", "verify", "--code", "GD"), {}, ("no store at", "--code and --data-dir")),
        (
            ("users", "add", "--user", "li.si", "--role", "clerk", "--province", "GD", "--password", "short"),
            {},
            ("password", "at least 10 characters"),
        ),
        (("cluster", "up", "--provinces", "GD,XX", "--base-port", "8100"), {}, ("XX: not a province code",)),
        (("restore", "--code", "GD", "--from", "no-such.backup"), {}, ("no backup file",)),
    ],
)
def test_wrong_codes_settings_and_inputs_are_named(keyed, args, env, says):
    one_line_failure(crm(*args, **{**keyed, **env}), *says)


def test_a_cluster_file_that_is_not_one_is_named_with_the_way_out(tmp_path, keyed):
    (tmp_path / "cluster.json").write_text('{"nodes": [{"code": 7}]}')
    done = crm("hq", "serve", "--data-dir", str(tmp_path), **keyed)
    one_line_failure(done, f"{tmp_path / 'cluster.json'} is not a cluster file", "crm cluster up")


def test_commands_on_a_store_name_what_they_cannot_write_or_what_is_missing(keyed):
    assert crm("demo-data", "--code", "GD", **keyed).returncode == 0
    one_line_failure(
        crm("backup", "--code", "GD", "--to", "/proc/gd.backup", **keyed),
        "cannot write the backup /proc/gd.backup",
        "--to",
    )
    one_line_failure(
        crm("audit", "export", "--code", "GD", "--resource", "customer", **keyed),
        "--resource and --id go together",
    )
    one_line_failure(
        crm("audit", "history", "tariff", "T-1", "--code", "GD", **keyed), "no resource 'tariff'"
    )
    one_line_failure(
        crm("audit", "mirror", "--upstream", "GD", "--upstreams", f"GD=127.0.0.1:{free_port()}", **keyed),
        "no store at",
    )
