"""What one event changed, readably: two documents flattened to field paths and compared."""

from __future__ import annotations

from shared.domain.json_types import JSON, JSONObject

MISSING = None  # a field that did not exist reads as null on its missing side


def flatten(document: JSON, prefix: str = "") -> JSONObject:
    """`{"a": {"b": [1]}}` → `{"a.b[0]": 1}`: leaves only, so later mutation of the source cannot reach them."""
    if isinstance(document, dict):
        if not document and prefix:
            return {prefix: {}}
        out: JSONObject = {}
        for key, value in document.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(document, (list, tuple)):
        if not document and prefix:
            return {prefix: []}
        out = {}
        for index, value in enumerate(document):
            out.update(flatten(value, f"{prefix}[{index}]"))
        return out
    return {prefix: document}


def changes(before: JSONObject, after: JSONObject) -> list[JSONObject]:
    """Field, before and after of every leaf that differs between two flattened documents."""
    return [
        {"field": field, "before": before.get(field, MISSING), "after": after.get(field, MISSING)}
        for field in sorted(before.keys() | after.keys())
        if before.get(field, MISSING) != after.get(field, MISSING)
    ]
