"""The cluster supervisor while the cluster starts: it answers `crm cluster …` orders as its nodes come up and while
the demo data loads (carrying out stop, start and restart then), and a stop signal then still stops every node.
The supervisor runs here in the test's own main thread (where its signal handlers live), with a real node process
and a real control socket; the operator asks from another thread, as `crm cluster status` would."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crm.cli import PER_NODE_VARIABLES
from crm.control import ControlSocket, ask
from crm.ports import free_port
from crm.supervisor import Stopping, Supervisor
from tests.support.auth import keys_dir


class ClusterUp(Exception):
    """Raised by the test's `then`: the supervisor's loop got past the demo data's loading."""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.fixture
def control() -> Iterator[ControlSocket]:
    """The supervisor's socket, in a directory short enough for a Unix socket's address."""
    directory = Path(tempfile.mkdtemp(prefix="sv-"))
    socket = ControlSocket(directory / "supervisor.sock")
    socket.open()
    try:
        yield socket
    finally:
        socket.close()
        shutil.rmtree(directory)


def _supervisor(control: ControlSocket) -> Supervisor:
    return Supervisor(initial=600.0, cap=600.0, stable=60.0, grace=5.0, control=control)


def _add_gd(supervisor: Supervisor, data: Path) -> Any:
    """GD as `crm cluster up` starts it (supervised), on ports of its own."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in PER_NODE_VARIABLES}
    env["CRM_KEYS_DIR"] = str(keys_dir())
    command = [
        sys.executable,
        "-m",
        "crm.cli",
        "province",
        "serve",
        "--code",
        "GD",
        "--data-dir",
        str(data),
        "--port",
        str(port),
        "--grpc-port",
        str(free_port()),
        "--supervised",
    ]
    return supervisor.add("GD", command, env, f"http://127.0.0.1:{port}")


def _operator(
    control: ControlSocket, *orders: dict[str, str]
) -> tuple[list[dict[str, Any]], threading.Event]:
    """Asks the orders one after the other in a thread; the event is set once it is done (answered or not)."""
    answers: list[dict[str, Any]] = []
    done = threading.Event()

    def run() -> None:
        try:
            for order in orders:
                answers.append(ask(control.path, order, timeout=60))
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    return answers, done


def _raise(error: Exception) -> Callable[[], None]:
    def then() -> None:
        raise error

    return then


def test_orders_are_answered_and_carried_out_while_the_demo_data_loads(tmp_path, control):
    with _supervisor(control) as supervisor:
        gd = _add_gd(supervisor, tmp_path)
        supervisor.wait_healthy(gd)
        first = gd.pid
        answers, done = _operator(
            control, {"action": "status"}, {"action": "restart", "node": "GD"}, {"action": "status"}
        )
        with pytest.raises(ClusterUp):  # the loading lasts until the operator is answered
            supervisor.watch(meanwhile=lambda: done.wait(timeout=300) or None, then=_raise(ClusterUp()))
        assert supervisor.phase == "up"
        second = gd.pid
    status, restarted, after = answers
    assert status["ok"] and status["phase"] == "loading demo data"
    assert [(n["node"], n["state"], n["pid"]) for n in status["nodes"]] == [("GD", "running", first)]
    assert restarted["ok"] and second != first and f"GD is running (pid {second})" in restarted["message"]
    assert after["phase"] == "loading demo data" and after["nodes"][0]["pid"] == second
    assert not _alive(first) and not _alive(second)  # and every node stopped as the supervisor left


def test_a_stop_signal_while_the_demo_data_loads_stops_every_node(tmp_path, control):
    still_loading = threading.Event()

    def loading() -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # the operator's `kill` of the supervisor, in the middle of it
        still_loading.wait(timeout=300)

    try:
        with _supervisor(control) as supervisor:
            gd = _add_gd(supervisor, tmp_path)
            supervisor.wait_healthy(gd)
            with pytest.raises(Stopping):
                supervisor.watch(meanwhile=loading, then=_raise(ClusterUp()))
    finally:
        still_loading.set()
    assert not _alive(gd.pid)
    assert not control.path.exists()  # no more orders taken


def test_while_its_nodes_start_the_supervisor_answers_status_and_refuses_to_stop_one(control):
    """A node that dies before it answers stops the cluster (a set-up fault), so none is stopped by order then."""
    with _supervisor(control) as supervisor:
        hanging = supervisor.add(
            "GD",
            [sys.executable, "-c", "import time; time.sleep(600)"],
            dict(os.environ),
            f"http://127.0.0.1:{free_port()}",
        )  # never answers /health
        answers, done = _operator(control, {"action": "status"}, {"action": "stop", "node": "GD"})

        def kill_once_answered() -> None:
            done.wait(timeout=120)
            os.kill(hanging.pid, signal.SIGKILL)

        threading.Thread(target=kill_once_answered, daemon=True).start()
        with pytest.raises(SystemExit, match="GD exited with signal SIGKILL before it answered"):
            supervisor.wait_healthy(hanging, timeout=300)
    status, stop = answers
    assert status["ok"] and status["phase"] == "starting" and status["nodes"][0]["state"] == "running"
    assert (
        not stop["ok"] and "the cluster is starting its nodes: try again once they answer" in stop["message"]
    )
