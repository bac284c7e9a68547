"""Domain errors: each names the offending field so adapters can report it."""

from __future__ import annotations


class DomainError(Exception):
    """A command broke a business rule; nothing was recorded."""

    code = "invalid"

    def __init__(self, reason: str, field: str | None = None, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.details = details


class InvalidValue(DomainError):
    """A value is malformed or outside its allowed set."""

    code = "invalidValue"


class IllegalTransition(DomainError):
    """The aggregate's current state does not allow the requested change."""

    code = "illegalTransition"


class Conflict(DomainError):
    """The command collides with something already recorded (a duplicate, say)."""

    code = "conflict"


class NotFound(DomainError):
    """A referenced resource does not exist."""

    code = "notFound"


class ReadOnly(Conflict):
    """The resource is owned by another node (HQ's catalog, a group's home province); change it there."""

    code = "readOnly"


class Unauthenticated(DomainError):
    """No valid token: who is asking is not known (401)."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The caller is known but their role or province does not allow this (403)."""

    code = "forbidden"


class TooManyAttempts(DomainError):
    """Too many attempts (failed sign-ins, lookups by personal number): try again after `retry_after` seconds
    (429)."""

    code = "tooManyAttempts"
