"""Operating a cluster as its operator would: `crm cluster up` restarts a node killed outright while the others
keep serving and leaves no process behind on SIGTERM; one node restarted alone by the README's command (upstreams
from the cluster's file or from --upstreams) replicates; /metrics and JSON logs with request ids tell what
happens. Real processes, real gRPC, SQLite (what `crm cluster up` runs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from crm.bootstrap import open_province, rest_api
from crm.cli import PER_NODE_VARIABLES
from crm.ports import free_port, port_run
from crm.supervisor import RestartPolicy
from tests.support.auth import keys_dir, staff
from tests.support.factories import individual
from tests.support.nodes import eventually
from tests.support.processes import REPO
from tests.support.stores import node_settings

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"

pytestmark = pytest.mark.multinode


def _environment(**extra: str) -> dict[str, str]:
    """The operator's environment: the test run's keys, nothing that decides a node's place in the cluster."""
    env = {k: v for k, v in os.environ.items() if k not in PER_NODE_VARIABLES}
    env.update(
        {
            "CRM_KEYS_DIR": str(keys_dir()),
            "CRM_LOG_FORMAT": "json",
            "CRM_RECONNECT_INITIAL_SECONDS": "0.05",
            "CRM_RECONNECT_CAP_SECONDS": "0.5",
            "CRM_AUDIT_INTERVAL_SECONDS": "0",
            "CRM_PERSONAL_LOOKUPS_PER_HOUR": "100000",
            **extra,
        }
    )  # `knows` polls HQ by certificate number
    return env


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid → (parent pid, state, command line) of every live process (no psutil: /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        found[int(entry.name)] = (int(parent), state, command)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = _processes().get(pid, (0, "X", ""))[1]
    return state not in ("Z", "X")  # a zombie is dead, only not yet reaped


def _children(parent: int) -> dict[str, int]:
    """Node code → pid of the node processes a supervisor started."""
    nodes = {}
    for pid, (ppid, state, command) in _processes().items():
        if ppid == parent and state != "Z" and "serve" in command:
            nodes["HQ" if " hq serve" in command else command.split("--code ")[1].split()[0]] = pid
    return nodes


class Client:
    def __init__(self, url: str, code: str) -> None:
        role = "auditor" if code == "HQ" else "provinceAdmin"
        self.url = url
        self.http = httpx.Client(base_url=url, headers=staff(role, code, "ops.desk"), timeout=30)

    def healthy(self) -> bool:
        try:
            return self.http.get("/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics: (name, sorted labels) → value."""
        response = self.http.get("/metrics", headers={"Authorization": ""})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples
        }

    def register(self) -> str:
        """A 2A customer (national, so HQ keeps it); its certificate number."""
        body = individual(grade="2A")
        assert self.http.post(CUSTOMERS, json=body).status_code == 201
        return body["certificate"]["number"]

    def knows(self, certificate: str) -> bool:
        response = self.http.get(CUSTOMERS, params={"certificateNumber": certificate})
        return response.status_code == 200 and len(response.json()) == 1


def _serve(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "crm.cli", *command],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Cluster:
    supervisor: subprocess.Popen
    data: Path
    log: Path
    nodes: dict[str, Client]

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


@contextmanager
def _cluster_up(data: Path, provinces: tuple[str, ...], *options: str, **env: str) -> Iterator[Cluster]:
    """`crm cluster up` as its own process, once it printed "Cluster up"; every node stopped afterwards."""
    base, grpc_base = port_run(1 + len(provinces)), port_run(1 + len(provinces))
    log = data / "cluster.log"
    supervisor = _serve(
        [
            "cluster",
            "up",
            "--provinces",
            ",".join(provinces),
            "--base-port",
            str(base),
            "--grpc-base-port",
            str(grpc_base),
            "--data-dir",
            str(data),
            *options,
        ],
        log,
        _environment(**{"CRM_RESTART_INITIAL_SECONDS": "0.5", **env}),
    )
    nodes = {code: Client(f"http://127.0.0.1:{base + i}", code) for i, code in enumerate(("HQ", *provinces))}
    started = Cluster(supervisor, data, log, nodes)
    try:
        eventually(
            lambda: supervisor.poll() is not None or any("Cluster up" in line for line in started.lines()),
            timeout=240,
            interval=0.2,
        )
        assert supervisor.poll() is None, log.read_text()
        yield started
    finally:
        leftovers = _children(supervisor.pid)
        _stop(supervisor)
        for pid in leftovers.values():  # only if the supervisor failed at its job
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
        for client in nodes.values():
            client.http.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """What `make run` starts, with two provinces: demo data, the cross-province demo between them."""
    with _cluster_up(tmp_path_factory.mktemp("cluster"), ("GD", "BJ")) as started:
        yield started


def _sample(metrics: dict, name: str, **labels: str) -> float | None:
    return metrics.get((name, tuple(sorted(labels.items()))))


ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"


def test_cluster_up_with_one_province_starts_with_its_demo_data_and_no_cross_province_orders(tmp_path):
    with _cluster_up(tmp_path, ("SC",)) as one:
        hq, sc = one.nodes["HQ"], one.nodes["SC"]
        assert hq.healthy() and sc.healthy()
        assert int(sc.http.get(CUSTOMERS, params={"limit": 1}).headers["X-Total-Count"]) >= 15
        assert hq.http.get(ORDERS).json() == []
        assert any(line.startswith("cross-province demo data: none") for line in one.lines())
        assert not any("Traceback" in line for line in one.lines())
        certificate = sc.register()
        eventually(lambda: hq.knows(certificate), timeout=60)


def test_cluster_up_names_a_code_that_is_not_a_province(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm.cli",
            "cluster",
            "up",
            "--provinces",
            "GD,XX",
            "--base-port",
            str(free_port()),
            "--data-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and "XX: not a province code" in done.stderr, (
        done.stderr
    )
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing written


def test_cluster_up_with_two_provinces_loads_the_cross_province_demo_between_them(cluster):
    assert any(
        line.startswith("cross-province demo data: {'crossProvinceOrders': 6") for line in cluster.lines()
    )
    desk = cluster.nodes["HQ"].http.get(ORDERS, params={"limit": 100}).json()
    assert {"completed", "inProgress", "failed", "cancelled", "acknowledged"} <= {o["state"] for o in desk}
    routes = {
        (o["homeProvince"], p) for o in desk for p in o["deliveringProvinces"] if p != o["homeProvince"]
    }
    assert routes == {("GD", "BJ"), ("BJ", "GD")}
    for code in ("GD", "BJ"):  # and each province its own demo desk
        assert cluster.nodes[code].http.get(CUSTOMERS, params={"limit": 1}).headers["X-Total-Count"] != "0"
    log = (
        cluster.nodes["HQ"].http.get("/replication/status").json()["log"]
    )  # the provinces there are, no others
    assert {d["destination"]: (d["expected"], d["connection"]) for d in log["destinations"]} == {
        "GD": (True, "connected"),
        "BJ": (True, "connected"),
    }


def _demo_password(user: str) -> str:
    listing = (keys_dir() / "demo-staff.txt").read_text().splitlines()
    return next(line.split("\t")[3] for line in listing if line.split("\t")[0] == user)


def test_demo_key_customers_are_managed_by_the_demo_customer_manager_who_signs_in_at_home(cluster):
    gd = cluster.nodes["GD"]
    listed = [
        line.split()[0] for line in cluster.lines() if line.startswith("  gd.")
    ]  # the demo staff printed
    assert "gd.customermanager" in listed and listed == [user.lower() for user in listed]  # as they sign in
    assert not any("not assigned" in line for line in cluster.lines())
    for code in (
        "GD",
        "BJ",
    ):  # each province's key customers, its own groups included (others' are read-only)
        own = cluster.nodes[code].http.get(CUSTOMERS, params={"homeProvince": code, "limit": 100}).json()
        key = [
            c
            for c in own
            if c["status"] != "closed" and (c["grade"] in ("1A", "2A", "3A") or c["customerKind"] == "group")
        ]
        assert key and all(c["customerManager"]["id"] == f"{code.lower()}.customermanager" for c in key), code
    managed = gd.http.get(CUSTOMERS, params={"customerManager.id": "GD.CustomerManager", "limit": 100}).json()
    assert managed and all(
        c["customerManager"] | {"since": None}
        == {"id": "gd.customermanager", "name": "GD 客户经理", "since": None, "until": None}
        for c in managed
    )
    signed = httpx.post(
        f"{gd.url}/auth/token",
        data={"username": "gd.customerManager", "password": _demo_password("gd.customermanager")},
    )
    assert signed.status_code == 200, signed.text  # at GD itself, as printed
    manager = {"Authorization": f"Bearer {signed.json()['access_token']}", "X-Channel": "customerManager"}
    own = httpx.get(f"{gd.url}{managed[0]['href']}", params={"unmask": "true"}, headers=manager)
    assert (
        own.status_code == 200 and "*" not in own.json()["certificate"]["number"]
    )  # their own customer in full


def test_metrics_count_requests_by_route_and_show_replication(cluster):
    hq, gd = cluster.nodes["HQ"], cluster.nodes["GD"]
    before = gd.metrics()
    certificate = gd.register()
    for _ in range(3):
        assert gd.http.get(CUSTOMERS).status_code == 200
    assert gd.http.get(f"{CUSTOMERS}/no-such-customer").status_code == 404
    assert gd.http.get("/no/such/path/4711").status_code == 404
    after = gd.metrics()

    def grew(name: str, **labels: str) -> float:
        return (_sample(after, name, **labels) or 0) - (_sample(before, name, **labels) or 0)

    assert grew("crm_http_requests_total", method="GET", route=CUSTOMERS, status="200") == 3
    assert grew("crm_http_requests_total", method="POST", route=CUSTOMERS, status="201") == 1
    assert (
        grew("crm_http_requests_total", method="GET", route=f"{CUSTOMERS}/{{customer_id}}", status="404") == 1
    )
    assert grew("crm_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert not any("4711" in str(labels) for _, labels in after)  # raw paths never become labels
    assert grew("crm_http_request_duration_seconds_count", method="GET", route=CUSTOMERS) == 3
    assert grew("crm_http_request_duration_seconds_bucket", method="GET", route=CUSTOMERS, le="+Inf") == 3
    assert grew("crm_http_request_duration_seconds_sum", method="GET", route=CUSTOMERS) > 0
    assert _sample(after, "crm_node_info", node="GD", tier="province", store="sqlite") == 1
    assert (
        _sample(after, "crm_events_head_position") == gd.http.get("/health").json()["lastEventPosition"] > 0
    )
    assert _sample(after, "crm_replication_follower_state", upstream="HQ", state="streaming") == 1
    assert _sample(after, "crm_replication_follower_state", upstream="HQ", state="stopped") == 0
    assert _sample(after, "crm_store_errors_total") == 0

    eventually(lambda: hq.knows(certificate))
    status = {u["upstream"]: u for u in hq.http.get("/replication/status").json()["upstreams"]}
    at_hq = hq.metrics()
    assert set(status) == {"GD", "BJ"}
    for code in ("GD", "BJ"):
        assert _sample(at_hq, "crm_replication_follower_state", upstream=code, state="streaming") == 1
    gd_position = _sample(at_hq, "crm_replication_position", upstream="GD")
    assert (
        gd_position > 0 and gd_position >= status["GD"]["position"]
    )  # read live, so never behind the status
    assert _sample(at_hq, "crm_replication_lag_events", upstream="GD") >= 0
    assert _sample(at_hq, "crm_replication_lag_seconds", upstream="GD") >= 0
    assert _sample(at_hq, "crm_replication_applied_events_total", upstream="GD") > 0  # the customer, at least
    assert _sample(at_hq, "crm_node_info", node="HQ", tier="hq", store="sqlite") == 1


def test_json_log_lines_carry_the_request_id_answered_in_x_request_id(cluster):
    gd = cluster.nodes["GD"]
    kept = gd.http.get(CUSTOMERS, headers={"X-Request-ID": "ops-test-7f3a"})
    made = gd.http.get(CUSTOMERS)
    refused = gd.http.get(CUSTOMERS, headers={"X-Request-ID": "two words\tand a tab"})
    assert kept.headers["X-Request-ID"] == "ops-test-7f3a"
    assert len(made.headers["X-Request-ID"]) == 16
    assert refused.headers["X-Request-ID"] not in ("two words\tand a tab", made.headers["X-Request-ID"])

    def logged(request_id: str) -> list[dict]:
        lines = [json.loads(line) for line in cluster.lines() if line.startswith("{")]
        return [line for line in lines if line["requestId"] == request_id]

    for response in (kept, made, refused):
        lines = eventually(lambda: logged(response.headers["X-Request-ID"]), timeout=10)
        line = lines[0]
        assert line["node"] == "GD" and line["level"] == "INFO" and line["logger"] == "crm.access"
        assert line["message"].startswith(f"GET {CUSTOMERS} 200")
        assert datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0
    supervisor_lines = [json.loads(line) for line in cluster.lines() if '"crm.supervisor"' in line]
    assert {line["node"] for line in supervisor_lines} == {"cluster"}


def test_a_province_killed_under_cluster_up_is_restarted_and_catches_up_while_the_others_serve(cluster):
    hq, gd, bj = cluster.nodes["HQ"], cluster.nodes["GD"], cluster.nodes["BJ"]
    killed = _children(cluster.supervisor.pid)["GD"]
    os.kill(killed, signal.SIGKILL)
    eventually(lambda: not gd.healthy(), timeout=5)
    # during GD's outage HQ and BJ answer, and BJ's work still reaches HQ
    assert hq.http.get("/health").status_code == 200
    assert hq.http.get(CUSTOMERS).status_code == 200
    from_bj = bj.register()
    eventually(lambda: hq.knows(from_bj))

    restarted = eventually(
        lambda: (pid := _children(cluster.supervisor.pid).get("GD")) != killed and pid, timeout=30
    )
    eventually(gd.healthy, timeout=60)
    assert any(
        "GD" in line and f"pid {killed}" in line and "SIGKILL" in line and "restarting" in line
        for line in cluster.lines()
    )
    from_gd = gd.register()  # written at GD after its restart: GD's log serves HQ again
    eventually(lambda: hq.knows(from_gd), timeout=30)
    assert _children(cluster.supervisor.pid)["GD"] == restarted and cluster.supervisor.poll() is None


def _crm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        cwd=REPO,
        env=env or _environment(),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_one_node_is_stopped_started_and_restarted_through_the_running_supervisor(cluster):
    """The README's restart procedure under `make run`: `crm cluster stop|start|restart GD`."""
    data, gd, hq = str(cluster.data), cluster.nodes["GD"], cluster.nodes["HQ"]
    before = _children(cluster.supervisor.pid)

    stopped = _crm("cluster", "stop", "GD", "--data-dir", data)
    assert stopped.returncode == 0 and "GD stopped" in stopped.stdout, stopped.stderr
    assert not gd.healthy() and not _alive(before["GD"])
    time.sleep(3)  # six times the restart wait of this cluster: a crashed node would be back by now
    assert "GD" not in _children(cluster.supervisor.pid) and not gd.healthy()
    status = json.loads(_crm("cluster", "status", "--data-dir", data).stdout)
    assert {n["node"]: n["state"] for n in status["nodes"]} == {
        "HQ": "running",
        "GD": "stopped",
        "BJ": "running",
    }
    assert status["supervisor"] == cluster.supervisor.pid
    by_hand = _crm("province", "serve", "--code", "GD", "--data-dir", data)  # would race the supervisor
    assert by_hand.returncode == 1 and "use `crm cluster start GD`" in by_hand.stderr, by_hand.stderr
    assert hq.healthy() and cluster.nodes["BJ"].healthy()

    started = _crm("cluster", "start", "GD", "--data-dir", data)
    assert started.returncode == 0 and "GD is running" in started.stdout, started.stderr
    assert gd.healthy()
    first = _children(cluster.supervisor.pid)["GD"]
    assert first != before["GD"] and f"pid {first}" in started.stdout
    by_hand = _crm("hq", "serve", "--data-dir", data)
    assert by_hand.returncode == 1 and "use `crm cluster restart HQ`" in by_hand.stderr, by_hand.stderr

    restarted = _crm("cluster", "restart", "GD", "--data-dir", data)
    assert restarted.returncode == 0, restarted.stderr
    second = _children(cluster.supervisor.pid)["GD"]
    assert second != first and not _alive(first) and f"pid {second}" in restarted.stdout
    assert gd.healthy()
    certificate = gd.register()  # the restarted node serves and replicates
    eventually(lambda: hq.knows(certificate), timeout=30)
    assert _children(cluster.supervisor.pid)["HQ"] == before["HQ"]  # the others were left alone

    unknown = _crm("cluster", "restart", "XX", "--data-dir", data)
    assert unknown.returncode == 1 and "no node 'XX' in this cluster (one of HQ, GD, BJ)" in unknown.stderr


NS_LAST_PID = Path(
    "/proc/sys/kernel/ns_last_pid"
)  # the pid the kernel gave last: the next fork gets the one after


def _process_with_pid(pid: int) -> subprocess.Popen | None:
    """An unrelated process leading its own process group under `pid`, as one started later may get a freed pid."""
    for _ in range(50):  # other processes may fork in between
        NS_LAST_PID.write_text(str(pid - 1))
        process = subprocess.Popen(["sleep", "600"], process_group=0)
        if process.pid == pid:
            return process
        process.kill()
        process.wait()
    return None


@pytest.mark.skipif(not os.access(NS_LAST_PID, os.W_OK), reason="a freed pid can be given again only by root")
def test_stopping_a_node_that_crashed_and_was_reaped_signals_no_process_group_that_took_its_pid(tmp_path):
    with _cluster_up(tmp_path, ("GD",), "--no-demo-data", CRM_RESTART_INITIAL_SECONDS="600") as up:
        crashed = _children(up.supervisor.pid)["GD"]
        os.kill(crashed, signal.SIGKILL)
        eventually(lambda: not Path(f"/proc/{crashed}").exists(), timeout=30)  # the supervisor reaped it
        assert any(f"GD (pid {crashed}) exited with signal SIGKILL" in line for line in up.lines())
        bystander = _process_with_pid(crashed)
        assert bystander is not None, f"pid {crashed} was not given again"
        try:
            stopped = _crm("cluster", "stop", "GD", "--data-dir", str(tmp_path))
            assert stopped.returncode == 0 and "GD stopped" in stopped.stdout, stopped.stderr
            restarted = _crm(
                "cluster", "restart", "GD", "--data-dir", str(tmp_path)
            )  # it starts from stopped
            assert restarted.returncode == 0 and "GD is running" in restarted.stdout, restarted.stderr
            assert bystander.poll() is None  # neither order reached the process group now under that id
        finally:
            bystander.kill()
            bystander.wait()


def test_the_readmes_restore_procedure_under_the_supervisor_stops_and_starts_nodes_through_it(tmp_path):
    """Restoring a province under `crm cluster up`, as the README's steps say: each stop and start is a `crm
    cluster` order, and the procedure ends with both followers streaming."""
    with _cluster_up(tmp_path, ("GD",), "--no-demo-data") as up:
        hq, gd, data = up.nodes["HQ"], up.nodes["GD"], str(tmp_path)

        def followers(node: Client) -> dict[str, str]:
            return {
                u["upstream"]: u["state"] for u in node.http.get("/replication/status").json()["upstreams"]
            }

        kept = gd.register()
        backup = tmp_path / "gd.backup"
        assert _crm("backup", "--code", "GD", "--data-dir", data, "--to", str(backup)).returncode == 0
        lost = gd.register()  # after the backup: the restore loses it, HQ has it already
        eventually(lambda: hq.knows(lost), timeout=60)

        for step in (
            ("cluster", "stop", "GD"),
            ("restore", "--code", "GD", "--from", str(backup)),
            ("cluster", "start", "GD"),
        ):  # step 1
            done = _crm(*step, "--data-dir", data)
            assert done.returncode == 0, (step, done.stderr)
        assert gd.knows(kept) and not gd.knows(lost)
        eventually(lambda: followers(hq) == {"GD": "stopped"}, timeout=60)  # step 2: HQ had mirrored beyond
        seen = _crm("replication", "divergence", "--upstream", "GD", "--data-dir", data)
        assert seen.returncode == 1, seen.stderr
        keep = json.loads(seen.stdout)["mismatch"]["lastAgreeingPosition"]
        for step in (
            ("cluster", "stop", "HQ"),
            (
                "replication",
                "reseed",
                "--upstream",
                "GD",
                "--keep-upto",
                str(keep),
                "--reason",
                "GD restored",
                "--by",
                "ops.wang",
            ),
            ("cluster", "start", "HQ"),
        ):
            done = _crm(*step, "--data-dir", data)
            assert done.returncode == 0, (step, done.stderr)
        eventually(
            lambda: followers(hq) == {"GD": "streaming"} and followers(gd) == {"HQ": "streaming"}, timeout=60
        )  # step 4
        again = gd.register()
        eventually(lambda: hq.knows(again), timeout=60)


def test_cluster_commands_without_a_supervisor_say_so_in_one_line(tmp_path):
    for action in (("stop", "GD"), ("start", "GD"), ("restart", "GD"), ("status",)):
        done = _crm("cluster", *action, "--data-dir", str(tmp_path))
        assert done.returncode == 1 and done.stdout == ""
        assert (
            done.stderr.strip() == f"no cluster supervisor runs in {tmp_path}: start the cluster with "
            "`crm cluster up` (or `make run`), or give the --data-dir it runs in"
        )


def test_sigterm_to_cluster_up_stops_every_node_and_leaves_no_orphan(cluster):
    nodes = _children(cluster.supervisor.pid)
    assert set(nodes) == {"HQ", "GD", "BJ"}
    cluster.supervisor.send_signal(signal.SIGTERM)
    assert cluster.supervisor.wait(timeout=30) == 0
    assert [code for code, pid in nodes.items() if _alive(pid)] == []
    strays = [
        pid
        for pid, (_, state, command) in _processes().items()
        if str(cluster.data) in command and state != "Z" and pid != cluster.supervisor.pid
    ]
    assert strays == []
    assert not any(client.healthy() for client in cluster.nodes.values())


def test_a_node_restarted_alone_finds_its_upstreams_in_the_clusters_file(cluster):
    """The README's restart procedure: `crm hq serve --data-dir D`, `crm province serve --code GD --data-dir D`."""
    if cluster.supervisor.poll() is None:  # this test runs after the cluster stopped
        _stop(cluster.supervisor)
    env = _environment()
    hq_process = _serve(["hq", "serve", "--data-dir", str(cluster.data)], cluster.log, env)
    gd_process = _serve(
        ["province", "serve", "--code", "GD", "--data-dir", str(cluster.data)], cluster.log, env
    )
    hq, gd = cluster.nodes["HQ"], cluster.nodes["GD"]
    try:
        eventually(hq.healthy, timeout=60)
        eventually(gd.healthy, timeout=60)
        certificate = gd.register()
        eventually(lambda: hq.knows(certificate), timeout=30)
        upstreams = {
            u["upstream"]: u["target"] for u in hq.http.get("/replication/status").json()["upstreams"]
        }
        plan = json.loads((cluster.data / "cluster.json").read_text())["nodes"]
        assert upstreams == next(node["upstreams"] for node in plan if node["code"] == "HQ")
    finally:
        _stop(gd_process)
        _stop(hq_process)


def test_a_node_started_alone_with_the_upstreams_flag_replicates(tmp_path):
    """No cluster file: HQ given `--upstreams GD=…`, GD given `--upstreams HQ=…`."""
    http, grpc = {"HQ": free_port(), "GD": free_port()}, {"HQ": free_port(), "GD": free_port()}
    env = _environment()
    log = tmp_path / "nodes.log"
    hq_process = _serve(
        [
            "hq",
            "serve",
            "--data-dir",
            str(tmp_path),
            "--port",
            str(http["HQ"]),
            "--grpc-port",
            str(grpc["HQ"]),
            "--upstreams",
            f"GD=127.0.0.1:{grpc['GD']}",
        ],
        log,
        env,
    )
    gd_process = _serve(
        [
            "province",
            "serve",
            "--code",
            "GD",
            "--data-dir",
            str(tmp_path),
            "--port",
            str(http["GD"]),
            "--grpc-port",
            str(grpc["GD"]),
            "--upstreams",
            f"HQ=127.0.0.1:{grpc['HQ']}",
        ],
        log,
        env,
    )
    hq, gd = Client(f"http://127.0.0.1:{http['HQ']}", "HQ"), Client(f"http://127.0.0.1:{http['GD']}", "GD")
    try:
        eventually(hq.healthy, timeout=60)
        eventually(gd.healthy, timeout=60)
        certificate = gd.register()
        eventually(lambda: hq.knows(certificate), timeout=30)
        follows = gd.http.get("/replication/status").json()["upstreams"]
        assert [(u["upstream"], u["target"]) for u in follows] == [("HQ", f"127.0.0.1:{grpc['HQ']}")]
    finally:
        _stop(gd_process)
        _stop(hq_process)
        hq.http.close()
        gd.http.close()


def test_no_second_process_starts_restores_rebuilds_or_reseeds_a_node_that_runs(tmp_path):
    """The kernel lock a serving node holds: each command that would rewrite its store exits naming the node's pid,
    the node serves on with what it had; once it stops, the same restore goes through, and a repair that cannot
    reach the stopped province says so in one line."""
    env = _environment()
    log = tmp_path / "nodes.log"
    ports = {code: (free_port(), free_port()) for code in ("HQ", "GD")}
    running = {
        code: _serve(
            [
                *(["hq"] if code == "HQ" else ["province"]),
                "serve",
                "--code",
                code,
                "--data-dir",
                str(tmp_path),
                "--port",
                str(http),
                "--grpc-port",
                str(grpc),
            ],
            log,
            env,
        )
        for code, (http, grpc) in ports.items()
    }
    gd, hq = (Client(f"http://127.0.0.1:{ports[code][0]}", code) for code in ("GD", "HQ"))

    def crm(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "crm.cli", *args, "--data-dir", str(tmp_path)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    try:
        eventually(gd.healthy, timeout=60)
        eventually(hq.healthy, timeout=60)
        certificate = gd.register()
        assert crm("backup", "--code", "GD", "--to", str(tmp_path / "gd.backup")).returncode == 0
        refused = {
            "restore": crm("restore", "--code", "GD", "--from", str(tmp_path / "gd.backup")),
            "serve": crm(
                "province",
                "serve",
                "--code",
                "GD",
                "--port",
                str(free_port()),
                "--grpc-port",
                str(free_port()),
            ),
            "rebuild": crm("projections", "rebuild", "--code", "GD"),
            "reseed": crm(
                "replication",
                "reseed",
                "--upstream",
                "GD",
                "--keep-upto",
                "0",
                "--reason",
                "test",
                "--by",
                "ops.desk",
            ),
        }
        for command, done in refused.items():
            holder = running["HQ" if command == "reseed" else "GD"].pid
            assert done.returncode == 1, (command, done.stdout, done.stderr)
            assert f"is running (pid {holder}" in done.stderr and "stop it before" in done.stderr, command
        assert gd.healthy() and gd.knows(certificate)
    finally:
        for process in running.values():
            _stop(process)
        gd.http.close()
        hq.http.close()
    restored = crm("restore", "--code", "GD", "--from", str(tmp_path / "gd.backup"))
    assert restored.returncode == 0 and json.loads(restored.stdout)["log"]["ok"], restored.stderr
    unanswered = crm(
        "replication", "divergence", "--upstream", "GD", "--upstreams", f"GD=127.0.0.1:{ports['GD'][1]}"
    )
    assert unanswered.returncode == 1 and "log service failed: UNAVAILABLE" in unanswered.stderr, (
        unanswered.stderr
    )
    assert "Traceback" not in unanswered.stderr


def test_metrics_token_when_set_is_required(tmp_path):
    with node_settings("sqlite", tmp_path, metrics_token="scrape-secret-1") as settings:
        app = open_province(settings)
        try:
            with TestClient(rest_api(app)) as client:
                refused = client.get("/metrics")
                wrong = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-2"})
                scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"})
        finally:
            app.close()
    assert refused.status_code == wrong.status_code == 401
    assert refused.json()["code"] == "unauthenticated" and refused.json()["field"] == "Authorization"
    assert (
        scraped.status_code == 200
        and 'crm_node_info{node="GD",store="sqlite",tier="province"} 1.0' in scraped.text
    )
    assert "/metrics" not in client.app.openapi()["paths"]


def test_made_up_method_names_are_one_label_value_and_the_metrics_stop_growing(client):
    """Each new method name was new series (2,000 anonymous requests grew /metrics from 134 KB to 4.2 MB)."""

    def flood(names: range) -> set[tuple[str, tuple]]:
        for n in names:
            assert client.request(f"BREW{n}", CUSTOMERS).status_code == 405
            assert client.request(f"X-{n}", f"/no/such/path/{n}").status_code == 404
        return _series(client)

    flood(range(3))
    series = flood(range(3, 60))
    assert flood(range(60, 200)) == series  # the same series, only their values changed
    methods = {dict(labels)["method"] for _, labels in series if "method" in dict(labels)}
    assert methods == {"GET", "other"}, methods
    assert _count(client, method="other", route=CUSTOMERS, status="405") == 200
    assert _count(client, method="other", route="unmatched", status="404") == 200


def _series(client: TestClient) -> set[tuple[str, tuple]]:
    return {
        (s.name, tuple(sorted(s.labels.items())))
        for f in text_string_to_metric_families(client.get("/metrics").text)
        for s in f.samples
    }


def _count(client: TestClient, **labels: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "crm_http_requests_total" and sample.labels == labels:
                return sample.value
    return 0


def test_restart_waits_double_while_a_node_keeps_dying_and_start_over_once_it_ran_a_while():
    policy = RestartPolicy(initial=1.0, cap=30.0, stable=60.0)
    quick_deaths = [policy.after_exit(ran_seconds=2.0) for _ in range(7)]
    assert quick_deaths == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert policy.after_exit(ran_seconds=600.0) == 1.0
