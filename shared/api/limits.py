"""Request bodies are bounded before anything reads them: a body declared (Content-Length) or streamed (chunked)
beyond `CRM_HTTP_MAX_BODY_BYTES` is a 413 before it is parsed and before any token is checked; a JSON body of
more members or deeper nesting than any request of ours needs is a 400 before it is validated (a megabyte of
unknown keys would otherwise make a hundred thousand validation errors)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.api.errors import ApiError, ErrorResponse, error_body

MAX_MEMBERS = 10_000  # keys and array items in one body; the largest order (50 items) has a few hundred
MAX_DEPTH = 32


CLOSE = {"Connection": "close"}  # the rest of the body is not read: this connection cannot go on


def _reason(max_bytes: int) -> str:
    return f"the body is larger than this node takes ({max_bytes} bytes)"


def install_body_limit(api: FastAPI, max_bytes: int) -> None:
    """Call before the error handlers and metrics are installed: it sits inside them (its 413 is counted and
    carries the security headers) and in front of every route."""
    api.add_middleware(BodyLimit, max_bytes=max_bytes)


class BodyLimit:
    """ASGI middleware in front of the app's routes (inside the error form and the metrics)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            refusal = ErrorResponse(
                error_body("bodyTooLarge", _reason(self.max_bytes), "body"), status_code=413, headers=CLOSE
            )
            await refusal(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # chunked, or more than declared: stop reading here
                    # an HTTPException, as FastAPI passes those on from its body reading (others become a 400)
                    raise HTTPException(413, _reason(self.max_bytes), headers=CLOSE)
            return message

        await self.app(scope, counted, send)


def check_shape(document: object) -> None:
    """A parsed JSON body within MAX_MEMBERS members and MAX_DEPTH levels, or a 400 naming the body."""
    members, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ApiError(400, "bodyTooComplex", f"the body nests deeper than {MAX_DEPTH} levels", "body")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            members += 1
            if members > MAX_MEMBERS:
                raise ApiError(
                    400,
                    "bodyTooComplex",
                    f"the body has more than {MAX_MEMBERS} members (keys and items)",
                    "body",
                )
            if isinstance(child, (dict, list)):
                pending.append((child, depth + 1))
