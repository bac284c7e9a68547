"""Keeps a local cluster's node processes running: a node that dies is restarted with backoff and logged while
the others keep serving; SIGINT or SIGTERM stops every node (SIGTERM, then SIGKILL after a grace period).
Through its control socket (crm/control.py) an operator stops, starts or restarts one node: a node stopped that
way stays stopped until started again.

Each node runs in its own process group, so a terminal's Ctrl-C reaches the supervisor alone and the nodes are
stopped in order; on Linux a node also gets SIGTERM if the supervisor itself is killed outright. A group is
signalled only while its leader is not reaped: once reaped, its id may be another process's.

Orders are answered from the start: while the nodes come up (`starting`: status only), while the demo data loads
(`loading demo data`: in a thread, the loop tends the nodes and carries out every order) and after (`up`)."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from crm.control import ControlSocket, Order

log = logging.getLogger("crm.supervisor")

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
PR_SET_PDEATHSIG = 1
STARTING, LOADING, UP = "starting", "loading demo data", "up"  # the cluster's phases, as status shows them


class Stopping(Exception):
    """SIGINT or SIGTERM reached the supervisor."""


@dataclass
class RestartPolicy:
    """1 s, 2 s, 4 s … up to the cap while a node keeps dying quickly; from the start again once it ran a while."""

    initial: float
    cap: float
    stable: float
    delay: float = 0.0

    def after_exit(self, ran_seconds: float) -> float:
        if ran_seconds >= self.stable:
            self.delay = 0.0
        self.delay = self.initial if self.delay == 0 else min(self.cap, self.delay * 2)
        return self.delay


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    url: str
    policy: RestartPolicy
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    pids: list[int] = field(default_factory=list)
    held: bool = False  # stopped by the operator: not restarted until started again

    def running(self) -> bool:
        return self.process is not None and not _ended(self.process)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def view(self) -> dict[str, object]:
        state = "running" if self.running() else "stopped" if self.held else "restarting"
        return {
            "node": self.name,
            "state": state,
            "pid": self.pid if self.running() else None,
            "restarts": self.restarts,
            "url": self.url,
        }


@dataclass
class Errand:
    """An operator's order under way: stop the node (SIGTERM, SIGKILL after the grace period), then, unless only
    stopping, start it again and answer once it is healthy."""

    order: Order
    child: Child
    stopping: bool
    starting: bool
    deadline: float
    killed: bool = False
    stopped_pid: int | None = None
    spawned: bool = False


def _child_setup() -> None:
    """In the new process: the stop signals unblocked (the parent blocks them while it forks) and, on Linux,
    SIGTERM when the supervisor dies."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _ended(process: subprocess.Popen) -> bool:
    """The process exited; not reaped here, so that its zombie keeps holding its pid, the id of its group."""
    if process.returncode is not None:
        return True
    if not hasattr(os, "waitid"):
        return process.poll() is not None
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return process.poll() is not None


class _Alongside(threading.Thread):
    """Start-up work (the demo data's loading) beside the supervisor's loop. It never takes the stop signals: they
    stay the main thread's (which blocks them while it forks a node), and what the work raises is raised there."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__(name="cluster-start-up", daemon=True)  # a stop signal does not wait for it
        self.work = work
        self.failure: BaseException | None = None

    def run(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            self.work()
        except BaseException as error:
            self.failure = error


def _exit_reason(code: int) -> str:
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"code {code}"


START_SECONDS = 60.0  # a node started by the operator that does not answer /health by then is reported


class Supervisor:
    def __init__(
        self, *, initial: float, cap: float, stable: float, grace: float, control: ControlSocket | None = None
    ) -> None:
        self.initial, self.cap, self.stable, self.grace = initial, cap, stable, grace
        self.children: list[Child] = []
        self.control = control
        self.errands: list[Errand] = []
        self.phase = STARTING
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Supervisor:
        for number in STOP_SIGNALS:
            self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]

    def _on_signal(self, number: int, _: FrameType | None) -> None:
        raise Stopping(signal.Signals(number).name)

    def add(self, name: str, command: list[str], env: dict[str, str], url: str) -> Child:
        child = Child(name, command, env, url, RestartPolicy(self.initial, self.cap, self.stable))
        self.children.append(child)
        self._spawn(child)
        return child

    def _spawn(self, child: Child) -> None:
        # a stop signal between fork and bookkeeping would leave a node nobody stops: hold it until recorded
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            child.process = subprocess.Popen(
                child.command, env=child.env, process_group=0, preexec_fn=_child_setup
            )
            child.started_at, child.restart_at = time.monotonic(), None
            child.pids.append(child.process.pid)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        log.info(
            "%s started (pid %d)%s",
            child.name,
            child.process.pid,
            f", restart {child.restarts}" if child.restarts else "",
        )

    def wait_healthy(self, child: Child, timeout: float = 60.0) -> None:
        """Until the node answers /health, answering orders meanwhile; a node that dies before that is a set-up
        fault: the cluster stops."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not child.running():
                raise SystemExit(
                    f"{child.name} exited with {_exit_reason(self._reap(child))} before it "
                    "answered (its reason is in its lines above); stopping the cluster"
                )
            if _answers(child.url):
                return
            self._serve(0.2)
        raise SystemExit(f"{child.name} did not answer at {child.url} within {timeout:.0f}s")

    def tend(self) -> None:
        """One round: note nodes that died, restart those whose wait is over."""
        now = time.monotonic()
        for child in self.children:
            assert child.process is not None
            if child.held:
                continue
            if child.restart_at is None and not child.running():
                ran = now - child.started_at
                delay = child.policy.after_exit(ran)
                child.restart_at = now + delay
                log.warning(
                    "%s (pid %d) exited with %s after %.1f s; restarting in %.1f s",
                    child.name,
                    child.process.pid,
                    _exit_reason(self._reap(child)),
                    ran,
                    delay,
                )
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)

    def watch(
        self,
        interval: float = 0.2,
        meanwhile: Callable[[], None] | None = None,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Tend the nodes and carry out the operator's orders until a stop signal; `meanwhile` (loading the demo
        data) runs alongside in a thread, `then` (saying the cluster is up) once it is done."""
        loading = _Alongside(meanwhile) if meanwhile is not None else None
        if loading is not None:
            self.phase = LOADING
            loading.start()
        while True:
            if loading is not None and not loading.is_alive():
                if loading.failure is not None:
                    raise loading.failure  # as before the loop: the cluster stops
                loading = None
            if loading is None and self.phase != UP:
                self.phase = UP
                if then is not None:
                    then()
            self.tend()
            self._serve(interval)

    def _serve(self, interval: float) -> None:
        """One round of orders: take those that arrived within `interval`, carry the errands on."""
        if self.control is None:
            time.sleep(interval)
            return
        for order in self.control.orders(interval):
            self.take(order)
        self.errands = [errand for errand in self.errands if not self._carry_out(errand)]

    def take(self, order: Order) -> None:
        """An order from `crm cluster …`: status at once; stop, start and restart as errands over the next rounds."""
        if order.action == "status":
            order.answer(
                True,
                f"{len(self.children)} nodes, {self.phase}",
                supervisor=os.getpid(),
                phase=self.phase,
                nodes=[child.view() for child in self.children],
            )
            return
        child = next((c for c in self.children if c.name == order.node), None)
        if order.action not in ("stop", "start", "restart"):
            order.answer(False, f"no such order '{order.action[:16]}': stop, start, restart or status")
        elif (
            self.phase == STARTING
        ):  # a node that dies before it answers stops the cluster: not one to stop now
            order.answer(
                False,
                "the cluster is starting its nodes: try again once they answer (`crm cluster "
                "status` says `loading demo data` or `up`)",
            )
        elif child is None:
            order.answer(
                False,
                f"no node '{order.node[:16]}' in this cluster (one of "
                f"{', '.join(c.name for c in self.children)})",
            )
        elif any(errand.child is child for errand in self.errands):
            order.answer(
                False, f"{child.name}: a stop, start or restart is under way; try again once it is done"
            )
        elif order.action == "start" and child.running():
            order.answer(True, f"{child.name} is running already (pid {child.pid})", pid=child.pid)
        elif order.action == "stop" and child.held and not child.running():
            order.answer(True, f"{child.name} is stopped already")
        else:
            self._begin(
                Errand(
                    order,
                    child,
                    stopping=order.action != "start",
                    starting=order.action != "stop",
                    deadline=time.monotonic() + self.grace,
                )
            )

    def _begin(self, errand: Errand) -> None:
        child = errand.child
        if errand.stopping and child.running():
            child.held, errand.stopped_pid = True, child.pid
            log.info("%s (pid %d) stopping on the operator's order", child.name, child.pid)
            self._signal_group(child, signal.SIGTERM)
        elif errand.stopping:
            child.held = True  # dead and waiting for its restart: it now waits for `start`
        self.errands.append(errand)

    def _carry_out(self, errand: Errand) -> bool:
        """One round of an errand; True once it is answered."""
        child, now = errand.child, time.monotonic()
        if errand.stopping:
            if child.running():
                if now >= errand.deadline and not errand.killed:
                    log.warning("%s did not stop within %.0f s; killing it", child.name, self.grace)
                    self._signal_group(child, signal.SIGKILL)
                    errand.killed = True
                return False
            self._reap(child)
            child.restart_at = None
            errand.stopping = False
            stopped = f"{child.name} stopped" + (f" (pid {errand.stopped_pid})" if errand.stopped_pid else "")
            if not errand.starting:
                log.info("%s; it stays stopped until `crm cluster start %s`", stopped, child.name)
                errand.order.answer(
                    True, f"{stopped}; it stays stopped until `crm cluster start {child.name}`"
                )
                return True
        if not errand.spawned:
            errand.spawned = True
            child.held, child.policy.delay = False, 0.0  # the operator's start: backoff from the beginning
            if not child.running():  # unless the restart after a crash came first
                self._spawn(child)
            errand.deadline = now + START_SECONDS
        assert child.process is not None
        if not child.running():
            errand.order.answer(
                False,
                f"{child.name} exited with {_exit_reason(self._reap(child))} before "
                "it answered; it is restarted with backoff (see the cluster's log), "
                f"`crm cluster stop {child.name}` leaves it stopped",
            )
            return True
        if _answers(child.url):
            errand.order.answer(
                True,
                f"{child.name} is running (pid {child.process.pid}) and answers at {child.url}",
                pid=child.process.pid,
            )
            return True
        if now >= errand.deadline:
            errand.order.answer(
                False,
                f"{child.name} (pid {child.process.pid}) did not answer at {child.url} "
                f"within {START_SECONDS:.0f} s; see the cluster's log",
            )
            return True
        return False

    def stop(self) -> None:
        """SIGTERM to every node's process group, SIGKILL to what still runs after the grace period."""
        for number in STOP_SIGNALS:  # a second Ctrl-C must not cut the stopping short
            signal.signal(number, signal.SIG_IGN)
        for errand in self.errands:
            errand.order.answer(False, "the supervisor is stopping every node")
        self.errands = []
        if self.control is not None:
            self.control.close()
        running = [c for c in self.children if c.running()]
        for child in running:
            self._signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while any(child.running() for child in running) and time.monotonic() < deadline:
            time.sleep(0.05)  # not reaped meanwhile: what is left of each group is killed below
        for child in running:
            if child.running():
                log.warning("%s did not stop within %.0f s; killing it", child.name, self.grace)
            self._reap(child)
        if running:
            log.info("every node stopped")

    def _reap(self, child: Child) -> int:
        """The exit code of a node whose process ended (or is killed now): what is left of its group is killed
        first, while the unreaped leader still holds the group's id; then the leader is reaped."""
        assert child.process is not None
        if child.process.returncode is None:
            self._signal_group(child, signal.SIGKILL)
            child.process.wait()
        return child.process.returncode

    @staticmethod
    def _signal_group(child: Child, number: signal.Signals) -> None:
        """Signal the node's process group, never one whose leader is reaped (its id may be another's now)."""
        if child.process is None or child.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
            os.killpg(child.process.pid, number)


def _answers(url: str) -> bool:
    """The node answers /health (within a second)."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1):
            return True
    except OSError:
        return False
