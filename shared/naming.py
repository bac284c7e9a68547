"""Names as the API writes them: Python's snake_case attributes become camelCase (`to_status` → `toStatus`)."""

from __future__ import annotations

from typing import overload


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@overload
def camel_keys(value: dict[str, object]) -> dict[str, object]: ...
@overload
def camel_keys(value: object) -> object: ...
def camel_keys(value: object) -> object:
    """Every dict key at every depth in camelCase: an event's or an aggregate's attributes as the API names them."""
    if isinstance(value, dict):
        return {camel_case(k): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value
