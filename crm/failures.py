"""Failures a user of `crm` can cause (a missing file, a directory it may not write, a port in use, a wrong
setting), as the one line the command exits with: what is wrong and how to put it right. Anything else is a fault
of ours and keeps its traceback."""

from __future__ import annotations

import errno

from pydantic import ValidationError

from shared.domain.errors import DomainError

DATA_DIR_FIX = "choose another --data-dir (CRM_DATA_DIR)"
HINTS = {  # what an operating-system error means for the one running crm
    errno.ENOENT: "no such file or directory: check the path (and --data-dir, --keys-dir)",
    errno.EACCES: f"permission denied: run crm as a user who may read and write it, or {DATA_DIR_FIX}",
    errno.EPERM: f"not permitted: run crm as a user who may read and write it, or {DATA_DIR_FIX}",
    errno.EROFS: f"read-only file system: {DATA_DIR_FIX} on a writable one",
    errno.ENOSPC: f"no space left on the device: free some, or {DATA_DIR_FIX}",
    errno.EISDIR: "is a directory: give a file",
    errno.ENOTDIR: "a part of the path is a file, not a directory: check the path",
    errno.EADDRINUSE: "address already in use: stop the process listening there, or choose another port",
    errno.EADDRNOTAVAIL: "not an address of this machine: choose another --host",
}


def one_line(text: object) -> str:
    """A message that another program wrote over several lines (pg_dump, libpq), on one."""
    return "; ".join(line.strip() for line in str(text).splitlines() if line.strip())


def explained(error: BaseException) -> str | None:
    """The line for a failure the user can cause; None for one that is a fault of ours."""
    if isinstance(error, OSError):
        if error.errno is None:  # raised by us with the fix in its message (a missing key: `crm keys init`)
            return one_line(error)
        hint = HINTS.get(error.errno, error.strerror or type(error).__name__)
        return f"{error.filename}: {hint}" if error.filename else hint
    if isinstance(error, ValidationError) and error.title == "Settings":
        first = error.errors()[0]
        name = "CRM_" + "_".join(str(part) for part in first["loc"]).upper()
        return f"setting {name}={first.get('input')!r}: {first['msg']} (fix the variable or .env)"
    if isinstance(error, ValidationError):  # a request a command takes, such as `users add`'s enrolment
        first = error.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    if isinstance(error, DomainError):
        return f"{error.field}: {error.reason}" if error.field else error.reason
    return None
