"""Query and path parameters hold only what text may hold, by the rule bodies follow (shared/domain/values.py):
a NUL, another control character or a lone surrogate in a filter or an id is refused naming the parameter, the
same on both stores, before any query reaches a store (PostgreSQL refuses NUL in text with an error)."""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.routing import compile_path
from starlette.types import Scope

from shared.domain.errors import InvalidValue
from shared.domain.values import plain, printable


def unfit_parameter(scope: Scope) -> InvalidValue | None:
    """The first query or path parameter holding a character text may not hold, as the error to answer."""
    try:
        for name, value in QueryParams(scope.get("query_string", b"")).multi_items():
            plain(name, name)
            plain(value, name)
        if not all(printable(ch) for ch in scope.get("path", "")):
            for name, value in _path_parameters(scope).items():
                plain(value, name)
            plain(scope["path"], "path")  # no route names it: still refused, never looked up
    except InvalidValue as refused:
        return refused
    return None


def _path_parameters(scope: Scope) -> dict[str, str]:
    """The path's parameters by the names the node's OpenAPI gives them (only asked of a path that is refused)."""
    for template in scope["app"].openapi().get("paths", {}):
        match = compile_path(template)[0].match(scope["path"])
        if match:
            return match.groupdict()
    return {}
