"""The loopback ports tests and benchmarks start nodes on: never the same port twice in a run (two servers of one
node on one port fail with "address already in use")."""

from __future__ import annotations

import socket

from crm.ports import free_port, port_run


def test_free_ports_never_repeat_within_a_run():
    ports = [free_port() for _ in range(1000)]
    assert len(set(ports)) == len(ports)


def test_a_run_of_ports_is_consecutive_free_and_shares_no_port_with_single_ones():
    singles = {free_port() for _ in range(50)}
    first = port_run(4)
    run = set(range(first, first + 4))
    assert run.isdisjoint(singles)
    assert run.isdisjoint({free_port() for _ in range(50)})
    for port in run:  # free now: a node can listen on each
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
