"""Every 4xx is `{"code", "reason", "field"}`; FastAPI's 422 bodies are mapped into that form."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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

log = logging.getLogger(__name__)

STATUS_OF = {NotFound: 404, Conflict: 409, IllegalTransition: 409, InvalidValue: 400, Unauthenticated: 401,
             Forbidden: 403, TooManyAttempts: 429}


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def error_body(code: str, reason: str, field: str | None, **details: Any) -> dict[str, Any]:
    return {"code": code, "reason": reason, "field": field, **details}


class ErrorResponse(JSONResponse):
    """The error form. A reason quoting the input may hold a lone surrogate, which UTF-8 cannot carry: it goes out
    as its JSON escape (as the client sent it) rather than failing to render."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _field_of(location: tuple[Any, ...]) -> str:
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
        details = {_camel(k): v for k, v in error.details.items()}
        status = status_of(error)
        headers = {"WWW-Authenticate": 'Bearer realm="crm"'} if status == 401 else None
        if status == 429:
            headers = {"Retry-After": str(int(error.details.get("retry_after", 1)) + 1)}
        return ErrorResponse(error_body(error.code, error.reason, error.field, **details), status_code=status,
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": ("body",), "msg": "is invalid"}
        code = "malformedJson" if first.get("type") == "json_invalid" else "invalidValue"
        return ErrorResponse(
            error_body(code, _validation_reason(first), _field_of(tuple(first.get("loc", ())))),
            status_code=400,
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> JSONResponse:
        """Never a plain-text 500: the error form with a request id that the log line carries too."""
        request_id = uuid.uuid4().hex[:16]
        log.exception("request %s (%s %s) failed", request_id, request.method, request.url.path)
        return ErrorResponse(error_body("internalError", "the node could not answer this request; it is logged "
                                       "under the request id", None, requestId=request_id), status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "notFound", 405: "methodNotAllowed"}.get(error.status_code, "httpError")
        field = None
        if error.status_code == 400:  # FastAPI's own: a body it could not parse at all (not UTF-8, say)
            code, field = "malformedBody", "body"
        return ErrorResponse(
            error_body(code, str(error.detail), field),
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )
