"""Check answers against the answering node's own OpenAPI: every status documented, every body valid."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jsonschema
from fastapi.testclient import TestClient
from starlette.routing import compile_path


class RecordingClient(TestClient):
    """A test client that keeps every exchange, to check them all against the OpenAPI at the end."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exchanges: list[Any] = []

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        self.exchanges.append(response)
        return response


@lru_cache(maxsize=256)
def _pattern(template: str) -> Any:
    return compile_path(template)[0]


def operation_of(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    for template, item in spec["paths"].items():
        if _pattern(template).match(path) and method.lower() in item:
            return template, item[method.lower()]
    return None


def violations(spec: dict[str, Any], exchanges: list[Any]) -> list[str]:
    """What in these exchanges the OpenAPI does not say: an undocumented status, a body its schema refuses."""
    found = []
    for response in exchanges:
        request = response.request
        where = f"{request.method} {request.url.path} → {response.status_code}"
        match = operation_of(spec, request.method, request.url.path)
        if match is None:
            if response.status_code not in (404, 405):  # no operation there: the router's answer
                found.append(f"{where}: no such operation in the OpenAPI")
            continue
        template, operation = match
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            found.append(f"{where}: status not documented for {template}")
            continue
        if response.status_code == 204 or not response.content:
            continue
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            found.append(f"{where}: no schema documented")
            continue
        try:
            jsonschema.validate(
                json.loads(response.content),
                {**schema, "components": spec["components"]},
                cls=jsonschema.Draft202012Validator,
            )
        except jsonschema.ValidationError as error:
            found.append(f"{where}: {error.message} at {list(error.absolute_path)}")
    return found
