"""Keeps a local cluster's node processes running: a node that dies is restarted with backoff and logged while
the others keep serving; SIGINT or SIGTERM stops every node (SIGTERM, then SIGKILL after a grace period).

Each node runs in its own process group, so a terminal's Ctrl-C reaches the supervisor alone and the nodes are
stopped in order; on Linux a node also gets SIGTERM if the supervisor itself is killed outright."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger("crm.supervisor")

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
PR_SET_PDEATHSIG = 1


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


def _child_setup() -> None:
    """In the new process: the stop signals unblocked (the parent blocks them while it forks) and, on Linux,
    SIGTERM when the supervisor dies."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _exit_reason(code: int) -> str:
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"code {code}"


class Supervisor:
    def __init__(self, *, initial: float, cap: float, stable: float, grace: float) -> None:
        self.initial, self.cap, self.stable, self.grace = initial, cap, stable, grace
        self.children: list[Child] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "Supervisor":
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
            child.process = subprocess.Popen(child.command, env=child.env, process_group=0, preexec_fn=_child_setup)
            child.started_at, child.restart_at = time.monotonic(), None
            child.pids.append(child.process.pid)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        log.info("%s started (pid %d)%s", child.name, child.process.pid,
                 f", restart {child.restarts}" if child.restarts else "")

    def wait_healthy(self, child: Child, timeout: float = 60.0) -> None:
        """Until the node answers /health; a node that dies before that is a set-up fault: the cluster stops."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert child.process is not None
            if child.process.poll() is not None:
                raise SystemExit(f"{child.name} exited with {_exit_reason(child.process.returncode)} before it "
                                 "answered; stopping the cluster")
            try:
                with urllib.request.urlopen(f"{child.url}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{child.name} did not answer at {child.url} within {timeout:.0f}s")

    def tend(self) -> None:
        """One round: note nodes that died, restart those whose wait is over."""
        now = time.monotonic()
        for child in self.children:
            assert child.process is not None
            if child.restart_at is None and child.process.poll() is not None:
                ran = now - child.started_at
                delay = child.policy.after_exit(ran)
                child.restart_at = now + delay
                log.warning("%s (pid %d) exited with %s after %.1f s; restarting in %.1f s", child.name,
                            child.process.pid, _exit_reason(child.process.returncode), ran, delay)
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)

    def watch(self, interval: float = 0.2) -> None:
        """Tend the nodes until a stop signal."""
        while True:
            self.tend()
            time.sleep(interval)

    def stop(self) -> None:
        """SIGTERM to every node's process group, SIGKILL to what still runs after the grace period."""
        for number in STOP_SIGNALS:  # a second Ctrl-C must not cut the stopping short
            signal.signal(number, signal.SIG_IGN)
        running = [c for c in self.children if c.process is not None and c.process.poll() is None]
        for child in running:
            self._signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", child.name, self.grace)
        for child in running:
            self._signal_group(child, signal.SIGKILL)  # whatever is left of the group
            assert child.process is not None
            child.process.wait()
        if running:
            log.info("every node stopped")

    @staticmethod
    def _signal_group(child: Child, number: signal.Signals) -> None:
        if child.process is None:
            return
        try:
            os.killpg(child.process.pid, number)
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone already
