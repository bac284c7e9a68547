"""One serving process per node store on a machine.

A node holds an advisory lock on a file beside its store while it serves; the commands that rewrite a store
(restore, reseed, rebuilding read models) take the same lock, so they refuse while the node runs instead of
replacing files or tables under it. The kernel drops the lock when its holder dies, so a killed node leaves
nothing to clean up.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from shared.settings import Settings


class NodeRunning(Exception):
    pass


class NodeLock:
    def __init__(self, path: Path, node: str) -> None:
        self.path, self.node = path, node
        self._descriptor: int | None = None

    def acquire(self, doing: str) -> NodeLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(descriptor)
            raise NodeRunning(f"{self.node} is running (pid {holder}, lock {self.path}): stop it before "
                              f"{doing}") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        self._descriptor = descriptor
        return self

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing drops the lock; the file stays for the next holder
            self._descriptor = None

    def __enter__(self) -> NodeLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.release()


def hold_node(settings: Settings, doing: str) -> NodeLock:
    """The node's lock, or NodeRunning naming the process that serves it."""
    return NodeLock(settings.lock_path(), settings.node_code).acquire(doing)
