"""Loopback ports for nodes started inside one process run (the tests, the benchmarks): each handed out once.

`crm cluster up` and served nodes take their ports from their settings; this is for runs that start many nodes at
once and must never give two servers one port."""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

LOOPBACK = "127.0.0.1"  # where throw-away nodes listen; a probe binds here
FIRST_PORT = 20000  # below: well-known and registered services
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


class PortAllocator:
    """Loopback ports for the nodes a test run or a benchmark starts, each handed out once per run.

    A port is only probed (bound and released), so the node binds it later: a bare bind-to-port-0 probe can return
    the same port twice (two servers of one node on one port). Ports come from below the kernel's ephemeral range,
    where no client connection's local port can take one between the probe and the node's bind, and in a random
    order, so test runs side by side rarely probe the same port."""

    def __init__(self) -> None:
        self._given: set[int] = set()
        self._lock = threading.Lock()
        self._starts = list(_unreserved_ports())
        random.shuffle(self._starts)

    def take(self, count: int = 1) -> int:
        """The first of `count` consecutive ports, none handed out before and each free now."""
        with self._lock:
            while self._starts:
                first = self._starts.pop()
                run = range(first, first + count)
                if run.stop <= 65536 and self._given.isdisjoint(run) and all(map(_bindable, run)):
                    self._given.update(run)
                    return first
        raise RuntimeError("no free loopback ports left for this run")


def _unreserved_ports() -> range:
    try:
        ephemeral = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768  # Linux's default: elsewhere the probe still checks each port
    return range(FIRST_PORT, ephemeral if ephemeral > FIRST_PORT + 1000 else 65536)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


PORTS = PortAllocator()


def free_port() -> int:
    """A loopback port no one listens on, never handed out before in this run."""
    return PORTS.take()


def port_run(count: int) -> int:
    """The first of `count` consecutive free ports (a cluster's nodes take consecutive ports)."""
    return PORTS.take(count)
