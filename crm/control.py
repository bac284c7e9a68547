"""The supervisor's control socket: `crm cluster stop|start|restart|status` reach the running `crm cluster up` of a
data directory through an owner-only Unix socket there (settings: `supervisor_socket_path`).

One JSON request line and one JSON answer line per connection. The supervisor polls the socket from its own loop,
so an order (stop a node, start it, restart it) is carried out between its rounds and answered once done."""

from __future__ import annotations

import json
import os
import select
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUEST_BYTES = 4096  # an order is a few words
READ_SECONDS = 1.0  # how long the loop waits for a connected client to send its order


class NoSupervisor(Exception):
    """No supervisor answers at the data directory's socket; the message says what to do."""


class SupervisorRunning(Exception):
    """Another supervisor already runs the cluster of this data directory."""


def ask(path: Path, request: dict[str, str], timeout: float) -> dict[str, Any]:
    """Send one order to the supervisor at `path` and wait for its answer."""
    where = path.parent
    if not path.exists():
        raise NoSupervisor(
            f"no cluster supervisor runs in {where}: start the cluster with `crm cluster up` (or "
            "`make run`), or give the --data-dir it runs in"
        )
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        try:
            client.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            raise NoSupervisor(
                f"no cluster supervisor runs in {where} ({path.name} is left from one that stopped): "
                "start the cluster with `crm cluster up` (or `make run`)"
            ) from None
        except PermissionError:
            raise NoSupervisor(
                f"the cluster supervisor in {where} belongs to another user: run the command as the "
                "user who started it"
            ) from None
        except OSError as error:  # e.g. a path longer than a Unix socket's address
            raise NoSupervisor(
                f"cannot reach the cluster supervisor at {path}: {error.strerror or error}"
            ) from None
        client.sendall(json.dumps(request).encode() + b"\n")
        try:
            answer = _read_line(client)
        except TimeoutError:
            raise NoSupervisor(
                f"the cluster supervisor in {where} did not answer within {timeout:.0f} s (see its log)"
            ) from None
    if not answer:
        raise NoSupervisor(f"the cluster supervisor in {where} stopped before it answered")
    return json.loads(answer)


def _read_line(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) < REQUEST_BYTES * 16:
        chunk = connection.recv(REQUEST_BYTES)
        if not chunk:
            break
        data += chunk
    return data.strip()


@dataclass
class Order:
    """One request from `crm cluster …`, answered once carried out."""

    action: str
    node: str
    connection: socket.socket

    def answer(self, ok: bool, message: str, **details: object) -> None:
        try:
            self.connection.sendall(json.dumps({"ok": ok, "message": message, **details}).encode() + b"\n")
        except OSError:
            pass  # the asker went away; the order was carried out all the same
        finally:
            self.connection.close()


class ControlSocket:
    """The supervisor's side: listens at `path` (owner-only); `orders()` returns what arrived, waiting at most
    `timeout` (the supervisor's round)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.listener: socket.socket | None = None

    def open(self) -> None:
        """Listen; SupervisorRunning when a live supervisor answers there already (a stale socket is replaced)."""
        if self.path.exists() or self.path.is_symlink():
            try:
                found = ask(self.path, {"action": "status"}, timeout=5)
            except NoSupervisor:
                self.path.unlink()
            else:
                raise SupervisorRunning(
                    f"a cluster supervisor (pid {found.get('supervisor')}) already runs in "
                    f"{self.path.parent}: stop it (Ctrl-C or SIGTERM) first, or use "
                    "`crm cluster status|stop|start|restart`"
                )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous = os.umask(0o177)  # owner-only from the first moment, not after a chmod
        try:
            listener.bind(str(self.path))
        except OSError:
            listener.close()
            raise
        finally:
            os.umask(previous)
        listener.listen(16)
        listener.setblocking(False)
        self.listener = listener

    def orders(self, timeout: float) -> list[Order]:
        if self.listener is None:
            return []
        readable, _, _ = select.select([self.listener], [], [], timeout)
        if not readable:
            return []
        orders: list[Order] = []
        while True:
            try:
                connection, _ = self.listener.accept()
            except BlockingIOError:
                return orders
            order = _order_from(connection)
            if order is not None:
                orders.append(order)

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            self.path.unlink(missing_ok=True)


def _order_from(connection: socket.socket) -> Order | None:
    """The order a client sent, or None (answered with the reason) when it is not one, or not its owner's."""
    connection.setblocking(True)
    connection.settimeout(READ_SECONDS)
    order = Order("", "", connection)
    if not _same_user(connection):
        order.answer(False, "only the user running the supervisor may give it orders")
        return None
    try:
        request = json.loads(_read_line(connection) or b"null")
    except (OSError, ValueError):
        request = None
    if not isinstance(request, dict) or not isinstance(request.get("action"), str):
        order.answer(
            False, 'an order is one JSON line: {"action": "stop|start|restart|status", "node": "GD"}'
        )
        return None
    order.action, order.node = request["action"], str(request.get("node", "")).strip().upper()
    return order


def _same_user(connection: socket.socket) -> bool:
    """The socket file is owner-only already; the peer's credentials say so once more where the kernel gives them."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    return uid == os.geteuid()
