"""One pass around every HTTP request: its id (kept from a sane `X-Request-ID`, else made up, always answered
back), its count and latency by route template, store errors that escaped, and one access log line."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability import request_id as ids
from shared.observability.metrics import NodeMetrics, is_store_error

access_log = logging.getLogger("crm.access")

QUIET = ("/health", "/metrics")  # probed every few seconds: their lines would drown the rest
UNMATCHED = "unmatched"  # every path no route answers shares one label: raw paths would grow without bound
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"  # any method name a caller makes up: one label too, or each would be new series


def method_label(method: str) -> str:
    return method if method in METHODS else OTHER_METHOD


class ObserveRequests:
    def __init__(self, app: ASGIApp, metrics: NodeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), None
        )
        request_id = ids.accept(incoming)
        ids.current.set(request_id)  # not reset: the 500 handler outside this middleware logs the same id
        status = 500
        started = time.perf_counter()
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.observe(method_label(scope["method"]), route, status, seconds)
            # the path without its query: filters may hold certificate or phone numbers
            level = logging.DEBUG if route.startswith(QUIET) else logging.INFO
            access_log.log(level, "%s %s %s %.1f ms", scope["method"], scope["path"], status, seconds * 1000)

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record()  # before the client has the answer: its next request (a scrape) must see this one
            await send(message)

        try:
            await self.app(scope, receive, answer)
        except Exception as error:
            status = 500
            if is_store_error(error):
                self.metrics.store_errors.inc()
            raise
        finally:
            record()
