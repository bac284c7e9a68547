"""Every 4xx is `{"code", "reason", "field"}`; FastAPI's 422 bodies are mapped into that form."""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from typing import Any, cast

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from shared.api.parameters import unfit_parameter
from shared.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidValue,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from shared.naming import camel_case
from shared.observability import count_store_error
from shared.observability import request_id as ids
from shared.persistence.availability import StoreUnavailable

log = logging.getLogger(__name__)

STATUS_OF = {
    NotFound: 404,
    Conflict: 409,
    IllegalTransition: 409,
    InvalidValue: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    TooManyAttempts: 429,
}


class ApiError(Exception):
    """A refusal that belongs to HTTP itself (a media type, say), not to the domain."""

    def __init__(self, status: int, code: str, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.code, self.reason, self.field = status, code, reason, field


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def error_body(code: str, reason: str, field: str | None, **details: object) -> dict[str, object]:
    return {"code": code, "reason": reason, "field": field, **details}


class ErrorResponse(JSONResponse):
    """The error form. A reason quoting the input may hold a lone surrogate, which UTF-8 cannot carry: it goes out
    as its JSON escape (as the client sent it) rather than failing to render."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace"
        )


def _field_of(location: tuple[object, ...]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        source, parts = parts[0], parts[1:]
        if not parts:
            return source
        if source == "header":
            return "-".join(p.title() for p in parts[0].split("_"))
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path


def _validation_reason(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return f"unknown field '{error.get('loc', ('?',))[-1]}': not a field of this request"
    if error.get("type") == "json_invalid":
        return f"the body is not valid JSON: {error.get('ctx', {}).get('error', 'malformed')}"
    return str(error.get("msg", "is invalid"))


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",  # answers hold personal data: no cache keeps them
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.middleware("http")  # inside security_headers (added later, runs first): its answers get them too
    async def plain_parameters(request: Request, call_next):  # type: ignore[no-untyped-def]
        refused = unfit_parameter(request.scope)
        if refused is not None:
            return ErrorResponse(error_body(refused.code, refused.reason, refused.field), status_code=400)
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        details = {camel_case(k): v for k, v in error.details.items()}
        status = status_of(error)
        headers = {"WWW-Authenticate": 'Bearer realm="crm"'} if status == 401 else None
        if status == 429:
            headers = {"Retry-After": str(int(cast("float", error.details.get("retry_after", 1))) + 1)}
        return ErrorResponse(
            error_body(error.code, error.reason, error.field, **details), status_code=status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = sorted(
            error.errors(), key=lambda e: e.get("type") != "extra_forbidden"
        )  # unknown fields first
        first: dict[str, Any] = errors[0] if errors else {"loc": ("body",), "msg": "is invalid"}
        code = {"json_invalid": "malformedJson", "extra_forbidden": "unknownField"}.get(
            first.get("type", ""), "invalidValue"
        )
        return ErrorResponse(
            error_body(code, _validation_reason(first), _field_of(tuple(first.get("loc", ())))),
            status_code=400,
        )

    @app.exception_handler(StoreUnavailable)
    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def store_unavailable(request: Request, error: Exception) -> JSONResponse:
        """The database is unreachable or gave up (a lock wait, a dropped connection): nothing was recorded and
        the same request may succeed later. The cause goes to the log, not to the client."""
        retry_after = (
            getattr(error, "retry_after", None) or request.app.state.crm.settings.store_retry_after_seconds
        )
        known = isinstance(error, StoreUnavailable)  # the outage itself is logged once, where it is noticed
        log.log(
            logging.INFO if known else logging.WARNING,
            "%s %s: store unavailable: %s",
            request.method,
            request.url.path,
            error,
        )
        count_store_error(request)
        return ErrorResponse(
            error_body(
                "storeUnavailable",
                "the node's database cannot be reached now; nothing was recorded, try again later",
                None,
            ),
            status_code=503,
            headers={"Retry-After": str(retry_after)},
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> JSONResponse:
        """Never a plain-text 500: the error form with a request id that the log line carries too."""
        request_id = ids.request_id()  # the middleware's, so the log line, body and header agree
        log.exception("request %s (%s %s) failed", request_id, request.method, request.url.path)
        return ErrorResponse(
            error_body(
                "internalError",
                "the node could not answer this request; it is logged under the request id",
                None,
                requestId=request_id,
            ),
            status_code=500,
            headers={ids.HEADER: request_id},
        )

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return ErrorResponse(error_body(error.code, error.reason, error.field), status_code=error.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "notFound", 405: "methodNotAllowed"}.get(error.status_code, "httpError")
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        field = None
        if error.status_code == 400:  # FastAPI's own: a body it could not parse at all (not UTF-8, say)
            code, field = "malformedBody", "body"
        if error.status_code == 413:  # shared/api/limits.py: the body went beyond the limit as it streamed
            code, field = "bodyTooLarge", "body"
        return ErrorResponse(
            error_body(code, str(error.detail), field), status_code=error.status_code, headers=headers or None
        )


def allowed_methods(request: Request) -> list[str]:
    """Every method some operation of this path takes (operations that only refuse, with a 405, left out)."""
    path = request.scope["path"]
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        if (
            context.path
            and getattr(context, "status_code", None) != 405
            and _pattern(context.path).match(path)
        ):
            methods |= set(context.methods or ())
    return sorted(methods)


@lru_cache(maxsize=1024)
def _pattern(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]
