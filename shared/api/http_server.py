"""The HTTP server in front of a node's app: uvicorn on h11, answering a request it cannot even parse in the
error form too.

Such a request never reaches the app. A request line with raw non-ASCII bytes (`GET /customer?name=张三`, not
percent-encoded) is the common case: RFC 9112 allows only visible ASCII in the request target, and both of
uvicorn's parsers refuse it — h11's request-line grammar, and httptools' llhttp (its URL parser and
`parse_url` alike, with no leniency flag for it) — so it cannot be accepted, only answered. uvicorn answers with
plain text; this protocol answers the same 400 as `{"code", "reason", "field"}`.
"""

from __future__ import annotations

import json
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from shared.api.errors import SECURITY_HEADERS, error_body

UNREADABLE = error_body(
    "malformedRequest",
    "the request is not valid HTTP/1.1: its request line or a header cannot be read (characters beyond ASCII in "
    "the path or query must be percent-encoded as UTF-8, e.g. 测 as %E6%B5%8B)",
    None,
)


class ErrorFormH11Protocol(H11Protocol):
    """uvicorn's h11 protocol; only the answer to an unparsable request differs."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps(UNREADABLE, ensure_ascii=False).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def server_config(api: ASGIApp, host: str, port: int, **options: Any) -> uvicorn.Config:
    """How every node serves its app (the command line and the tests alike)."""
    return uvicorn.Config(
        api, host=host, port=port, http=ErrorFormH11Protocol, server_header=False, **options
    )
