"""One serving process per node store on a machine.

A node holds an advisory lock on a file beside its store while it serves; the commands that rewrite a store
(restore, reseed, rebuilding read models) take the same lock, so they refuse while the node runs instead of
replacing files or tables under it. The kernel drops the lock when its holder dies, so a killed node leaves
nothing to clean up.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from shared.settings import Settings


class NodeRunning(Exception):
    pass


@contextmanager
def hold_node(settings: Settings, doing: str) -> Iterator[None]:
    """The node's lock for the block, or NodeRunning naming the process that serves it."""
    path = settings.lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:  # closing the descriptor drops the lock; the file stays for the next holder
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise NodeRunning(
                f"{settings.node_code} is running (pid {holder}, lock {path}): stop it before {doing}"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(descriptor)
