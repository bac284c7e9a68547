"""What every operation holds to beyond its own parameters: no query parameter it does not declare, a body only
in a media type it takes, TMF `fields` selection on reads, and an OpenAPI that documents the errors it sends."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared.api.errors import ApiError
from shared.api.limits import check_shape
from shared.api.models import Error
from shared.domain.errors import InvalidValue

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
MEDIA_TYPES = {"POST": (JSON,), "PUT": (JSON,), "PATCH": (MERGE_PATCH, JSON)}
KEPT = ("id", "href", "@type")  # a `fields` selection always keeps what identifies a resource


def _query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _query_names(sub)


_declared: dict[int, frozenset[str]] = {}


def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameters an operation declares, read from its dependency tree (never listed by hand)."""
    names = _declared.get(id(route))
    if names is None:
        names = _declared[id(route)] = frozenset(_query_names(route.dependant))
    return names


def _takes_json(route: APIRoute) -> bool:
    body = route.body_field
    return body is not None and getattr(body.field_info, "media_type", JSON) == JSON


async def strict_request(request: Request) -> None:
    """Runs before every operation: an unknown query parameter is a 400 naming it (a mistyped filter must not
    answer the whole list), a JSON body sent as another media type is a 415, and one of more members or deeper
    nesting than any request needs a 400 before it is validated."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - declared_query(route))
    if unknown:
        known = ", ".join(sorted(declared_query(route))) or "none"
        raise ApiError(
            400,
            "unknownParameter",
            f"unknown query parameter '{unknown[0]}'; this operation takes: {known}",
            unknown[0],
        )
    accepted = MEDIA_TYPES.get(request.method)
    if accepted and _takes_json(route):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in accepted and (media_type or int(request.headers.get("content-length") or 0)):
            raise ApiError(
                415,
                "unsupportedMediaType",
                f"the body must be {' or '.join(accepted)}, not {media_type or 'untyped'}",
                "Content-Type",
            )
        if await request.body():
            try:
                document = await request.json()  # parsed already, before the dependencies ran
            except ValueError:
                return  # not JSON: the route's own parsing refuses it
            check_shape(document)


def install_contract(api: FastAPI) -> None:
    """Call before including routers: every operation gets the strict checks."""
    api.router.dependencies.append(Depends(strict_request))


# --- TMF attribute selection -------------------------------------------------------------------------


class Selection:
    """`?fields=name,status`: only those top-level attributes (plus id, href, @type and whatever else the
    resource's schema requires, so a selection still fits the schema its operation publishes)."""

    def __init__(self, names: frozenset[str] | None = None, kept: frozenset[str] = frozenset(KEPT)) -> None:
        self.names = names
        self.kept = kept

    def apply(self, document: object) -> object:
        if self.names is None or not isinstance(document, dict):
            return document
        return {k: v for k, v in document.items() if k in self.names or k in self.kept}

    def apply_all(self, documents: Sequence[object]) -> Sequence[object]:
        return documents if self.names is None else [self.apply(d) for d in documents]


ALL = Selection()


def attributes(model: type[BaseModel]) -> list[str]:
    return sorted(field.alias or name for name, field in model.model_fields.items())


def required(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(field.alias or name for name, field in model.model_fields.items() if field.is_required())


def selectable(model: type[BaseModel]) -> Any:
    """`fields: Selection = selectable(Customer)`: the `fields` query parameter of a read of `model`."""
    known = frozenset(attributes(model))
    kept = frozenset(KEPT) | required(model)

    def fields(
        value: str | None = Query(
            None,
            alias="fields",
            max_length=2000,
            description=f"Comma-separated attributes to return ({', '.join(sorted(kept & known))} always are): "
            f"{', '.join(sorted(known))}.",
        ),
    ) -> Selection:
        if value is None:
            return ALL
        names = frozenset(n.strip() for n in value.split(",") if n.strip())
        if not names:  # `fields=` would answer bare documents (`{}`), which no schema of ours describes
            raise InvalidValue(
                f"names no attribute; name one or more of {', '.join(sorted(known))}", field="fields"
            )
        unknown = sorted(names - known)
        if unknown:
            raise InvalidValue(
                f"unknown attribute '{unknown[0]}'; one of {', '.join(sorted(known))}", field="fields"
            )
        return Selection(names, kept)

    return Depends(fields)


# --- the OpenAPI: errors per operation, merge patch ------------------------------------------------------

ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": "Bad input: a malformed or unknown field, query parameter or value (the field is named)",
    "401": "No valid bearer token",
    "403": "The role or province may not do this",
    "404": "No such resource",
    "405": "Not allowed on this node",
    "409": "The resource's state does not allow this, or it collides with one already recorded",
    "413": "The body is larger than the node takes (CRM_HTTP_MAX_BODY_BYTES)",
    "415": "The body is not in a media type this operation takes",
    "429": "Too many attempts; see Retry-After",
    "503": "The node cannot do this now (its store is unreachable, or it may not sign tokens); see the reason",
}


def _errors_of(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["400"]
    if operation.get("security"):
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    if method in ("post", "put", "patch", "delete"):
        codes.append("409")
    if "requestBody" in operation:
        codes.append("413")
    if "requestBody" in operation and JSON in operation["requestBody"].get("content", {}):
        codes.append("415")
    return codes


def document_errors(spec: dict[str, Any]) -> None:
    """Each operation lists the errors it can send, in the error form; none lists the 422 the server never
    sends (validation errors are 400s); a PATCH documents JSON merge patch."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for code in [
                *_errors_of(path, method, operation),
                *[c for c in responses if c in ("405", "429")],
            ]:
                entry = responses.setdefault(code, {})
                entry.setdefault("description", DESCRIPTIONS[code])
                entry["content"] = {JSON: {"schema": ERROR_REF}}
            body = operation.get("requestBody", {}).get("content", {})
            if method == "patch" and JSON in body:
                operation["requestBody"]["content"] = {MERGE_PATCH: body[JSON], JSON: body[JSON]}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Extra documented responses of one operation (beyond the ones derived for every operation)."""
    return {code: {"model": Error, "description": DESCRIPTIONS[str(code)]} for code in codes}
