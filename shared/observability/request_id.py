"""The id of the request being served, for log lines and error bodies; set by the HTTP middleware."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
_SANE = re.compile(
    r"[A-Za-z0-9._:-]{1,64}"
)  # a caller's id is kept only if it cannot forge or flood a log line

current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def accept(incoming: str | None) -> str:
    """The caller's id when it is sane, else a new one."""
    return incoming if incoming and _SANE.fullmatch(incoming) else new_request_id()


def request_id() -> str:
    """The current request's id; a fresh one outside a request."""
    return current.get() or new_request_id()
