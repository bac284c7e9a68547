"""A node's app behind the real HTTP server (uvicorn, as `crm … serve` runs it) on a loopback port, for what only
arrives over a socket: bytes no HTTP client library would send, bodies streamed in chunks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from crm.ports import free_port
from shared.api.http_server import server_config


@contextmanager
def serving(api: Any) -> Iterator[int]:
    """The app served on 127.0.0.1; yields its port."""
    port = free_port()
    server = uvicorn.Server(server_config(api, "127.0.0.1", port, log_level="warning", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the HTTP server did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send these bytes as they are; everything the server answers until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer
